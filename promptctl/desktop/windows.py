"""Windows (UNTESTED here: written against the Win32 API's documentation, through ctypes).

The shortcut is ``RegisterHotKey`` with a message loop on its own thread; the window in front is
``GetForegroundWindow``; paste is ``SetForegroundWindow`` and the keys pressed with
``keybd_event``. Windows refuses ``SetForegroundWindow`` to a program that was not in front
recently; then the text stays on the clipboard and the app says so.
"""

from __future__ import annotations

import sys

assert sys.platform == "win32"  # imported on Windows only (promptctl.desktop.platform.current)

import ctypes  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from ctypes import wintypes  # noqa: E402

from promptctl.desktop.config import parse_keys  # noqa: E402
from promptctl.desktop.platform import Pasted, ShortcutTaken  # noqa: E402

WM_HOTKEY = 0x0312
WM_QUIT = 0x0012
KEYEVENTF_KEYUP = 0x0002
MOD_NOREPEAT = 0x4000
MODIFIERS = {"alt": (0x0001, 0x12), "ctrl": (0x0002, 0x11), "shift": (0x0004, 0x10),
             "super": (0x0008, 0x5B)}  # (RegisterHotKey's MOD_*, the virtual key)
NAMED_KEYS = {"space": 0x20, "enter": 0x0D, "return": 0x0D, "tab": 0x09, "esc": 0x1B,
              "escape": 0x1B, "insert": 0x2D, **{f"f{n}": 0x6F + n for n in range(1, 25)}}

user32 = ctypes.windll.user32


def _virtual_key(key: str) -> int:
    if key in NAMED_KEYS:
        return NAMED_KEYS[key]
    if len(key) == 1 and key.isalnum():
        return ord(key.upper())
    raise ShortcutTaken(f"key {key!r} is not known here; use a letter, a digit, space or F1-F24")


class WindowsShortcut:
    def __init__(self, keys: str, callback: Callable[[], None]) -> None:
        mods, key = parse_keys(keys)
        self._mask = MOD_NOREPEAT
        for mod in mods:
            self._mask |= MODIFIERS[mod][0]
        self._vk = _virtual_key(key)
        self._keys = keys
        self._callback = callback
        self._thread_id = 0
        self._ready = threading.Event()
        self._error: str | None = None
        self._thread = threading.Thread(target=self._listen, name="win-shortcut", daemon=True)
        self._thread.start()
        self._ready.wait(5)
        if self._error:
            raise ShortcutTaken(self._error)

    def _listen(self) -> None:
        self._thread_id = ctypes.windll.kernel32.GetCurrentThreadId()
        if not user32.RegisterHotKey(None, 1, self._mask, self._vk):
            self._error = (f"shortcut {self._keys!r} is taken by another program; choose "
                           "another with --shortcut")
            self._ready.set()
            return
        self._ready.set()
        message = wintypes.MSG()
        while user32.GetMessageW(ctypes.byref(message), None, 0, 0) > 0:
            if message.message == WM_HOTKEY:
                self._callback()
        user32.UnregisterHotKey(None, 1)

    def close(self) -> None:
        if self._thread_id:
            user32.PostThreadMessageW(self._thread_id, WM_QUIT, 0, 0)
        self._thread.join(timeout=2)


class WindowsPlatform:
    name = "windows"

    def register_shortcut(self, keys: str, callback: Callable[[], None]) -> WindowsShortcut:
        return WindowsShortcut(keys, callback)

    def paste_unavailable(self) -> str | None:
        return None

    def active_window(self) -> object | None:
        handle = user32.GetForegroundWindow()
        return int(handle) if handle else None

    def paste(self, window: object, keys: str) -> Pasted:
        if not isinstance(window, int) or not user32.IsWindow(window):
            return Pasted(False, "Copied; paste it yourself: the window that was in front is "
                                 "gone.")
        if not user32.SetForegroundWindow(window):
            return Pasted(False, "Copied; paste it yourself: Windows did not let the app bring "
                                 "that window to the front.")
        mods, key = parse_keys(keys, what="paste_keys")
        held = [MODIFIERS[mod][1] for mod in sorted(mods)]
        for vk in held:
            user32.keybd_event(vk, 0, 0, 0)
        vk = _virtual_key(key)
        user32.keybd_event(vk, 0, 0, 0)
        user32.keybd_event(vk, 0, KEYEVENTF_KEYUP, 0)
        for vk in reversed(held):
            user32.keybd_event(vk, 0, KEYEVENTF_KEYUP, 0)
        return Pasted(True, "Pasted.")
