"""Linux and other X11 desktops: the shortcut with ``XGrabKey`` (python-xlib, its own
connection and thread), the window in front and the paste with ``xdotool``.

``xdotool getactivewindow`` needs a window manager that keeps ``_NET_ACTIVE_WINDOW`` (every
desktop does); without one (a bare X server) the window with the input focus stands in, and
``windowfocus`` replaces ``windowactivate``. Under Wayland, windows of Wayland clients are out of
reach of both (the X11 protocol is the only one that lets a program type into another): the
text is copied and the app says so.
"""

from __future__ import annotations

import select
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass

from promptctl.desktop.config import parse_keys
from promptctl.desktop.platform import Pasted, ShortcutTaken

XDOTOOL_TIMEOUT = 5.0
# XK names of the keys people write otherwise.
KEY_NAMES = {"enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape",
             "tab": "Tab", "space": "space", "backspace": "BackSpace", "delete": "Delete"}


@dataclass(frozen=True)
class X11Window:
    id: str
    managed: bool  # a window manager keeps _NET_ACTIVE_WINDOW: activate through it


class X11Shortcut:
    """An ``XGrabKey`` on the root window, with and without Caps Lock and Num Lock (a grab
    matches its modifiers exactly), read on its own thread from its own connection."""

    def __init__(self, display_name: str | None, keys: str, callback: Callable[[], None]) -> None:
        from Xlib import XK, X, display, error

        mods, key = parse_keys(keys)
        self._display = display.Display(display_name)
        self._root = self._display.screen().root
        name = KEY_NAMES.get(key, key)
        keysym = X.NoSymbol
        for spelling in (name, name.upper(), name.capitalize()):  # p, F12, Home
            keysym = XK.string_to_keysym(spelling)
            if keysym != X.NoSymbol:
                break
        keycode = self._display.keysym_to_keycode(keysym) if keysym != X.NoSymbol else 0
        if not keycode:
            self._display.close()
            raise ShortcutTaken(f"shortcut {keys!r}: this keyboard has no key {key!r}; use an "
                                "X key name such as space, p, F12")
        mask = 0
        for mod, bit in (("ctrl", X.ControlMask), ("alt", X.Mod1Mask), ("shift", X.ShiftMask),
                         ("super", X.Mod4Mask)):
            if mod in mods:
                mask |= bit
        self._grabs = [(keycode, mask | extra)
                       for extra in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)]
        catch = error.CatchError(error.BadAccess)
        for code, modifiers in self._grabs:
            self._root.grab_key(code, modifiers, True, X.GrabModeAsync, X.GrabModeAsync,
                                onerror=catch)
        self._display.sync()
        if catch.get_error():
            self._display.close()
            raise ShortcutTaken(f"shortcut {keys!r} is taken by another program; choose "
                                "another with --shortcut (for example ctrl+alt+p)")
        self._keycode = keycode
        self._callback = callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="x11-shortcut", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        from Xlib import X

        fd = self._display.fileno()
        while not self._stop.is_set():
            readable, _, _ = select.select([fd], [], [], 0.2)
            if not readable:
                continue
            for _ in range(self._display.pending_events()):
                event = self._display.next_event()
                if event.type == X.KeyPress and event.detail == self._keycode:
                    self._callback()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for code, modifiers in self._grabs:
            self._root.ungrab_key(code, modifiers)
        self._display.close()


class X11Platform:
    name = "x11"

    def __init__(self, display: str | None, wayland: str | None) -> None:
        self._display = display
        self._wayland = wayland

    def register_shortcut(self, keys: str, callback: Callable[[], None]) -> X11Shortcut:
        if not self._display:
            raise ShortcutTaken("no X display (DISPLAY is not set): the global shortcut needs "
                                "X11 or XWayland")
        return X11Shortcut(self._display, keys, callback)

    def paste_unavailable(self) -> str | None:
        if not self._display:
            return "there is no X display (DISPLAY is not set)"
        if shutil.which("xdotool") is None:
            return "xdotool is not installed (on Debian or Ubuntu: sudo apt-get install xdotool)"
        return None

    def _xdotool(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["xdotool", *args], capture_output=True, text=True, check=False,
                              timeout=XDOTOOL_TIMEOUT)

    def active_window(self) -> X11Window | None:
        if self.paste_unavailable():
            return None
        for command, managed in (("getactivewindow", True), ("getwindowfocus", False)):
            found = self._xdotool(command)
            window = found.stdout.strip()
            if found.returncode == 0 and window.isdigit() and int(window) > 1:
                return X11Window(window, managed)
        return None

    def paste(self, window: object, keys: str) -> Pasted:
        why = self.paste_unavailable()
        if why:
            return Pasted(False, f"Copied; paste it yourself: {why}.")
        if not isinstance(window, X11Window):
            return Pasted(False, "Copied; paste it yourself: no window was in front.")
        mods, key = parse_keys(keys, what="paste_keys")
        chord = "+".join([*sorted(mods), KEY_NAMES.get(key, key)])
        bring = "windowactivate" if window.managed else "windowfocus"
        try:
            brought = self._xdotool(bring, "--sync", window.id)
            if brought.returncode != 0:
                return Pasted(False, "Copied; paste it yourself: the window that was in front "
                                     f"is gone ({brought.stderr.strip() or 'xdotool failed'}).")
            pressed = self._xdotool("key", "--clearmodifiers", chord)
        except subprocess.TimeoutExpired:
            return Pasted(False, "Copied; paste it yourself: xdotool did not answer.")
        if pressed.returncode != 0:
            return Pasted(False, f"Copied; paste it yourself: {pressed.stderr.strip()}.")
        if self._wayland:
            return Pasted(True, "Pasted (under Wayland this reaches X11 windows only; "
                                "elsewhere paste it yourself).")
        return Pasted(True, "Pasted.")
