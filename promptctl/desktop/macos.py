"""macOS (UNTESTED here: written against AppKit's and Quartz's documentation, through PyObjC,
which pywebview installs on macOS).

The shortcut is an ``NSEvent`` global monitor for key presses (run by the main run loop, which
the window's toolkit spins); the window in front is the frontmost application
(``NSWorkspace``); paste activates it and posts the keys with ``CGEventPost``. Both the monitor
and the posted keys need the app to be allowed under System Settings, Privacy & Security,
Accessibility; without that the text stays on the clipboard and the app says so.
"""

from __future__ import annotations

import sys

assert sys.platform == "darwin"  # imported on macOS only (promptctl.desktop.platform.current)

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from promptctl.desktop.config import parse_keys  # noqa: E402
from promptctl.desktop.platform import Pasted, ShortcutTaken  # noqa: E402

# Carbon's virtual key codes (kVK_ANSI_*) of the keys a shortcut or a paste uses most.
KEY_CODES = {"a": 0, "s": 1, "d": 2, "f": 3, "h": 4, "g": 5, "z": 6, "x": 7, "c": 8, "v": 9,
             "b": 11, "q": 12, "w": 13, "e": 14, "r": 15, "y": 16, "t": 17, "o": 31, "u": 32,
             "i": 34, "p": 35, "l": 37, "j": 38, "k": 40, "n": 45, "m": 46, "space": 49}
FLAGS = {"shift": 1 << 17, "ctrl": 1 << 18, "alt": 1 << 19, "super": 1 << 20}
DEVICE_INDEPENDENT = 0xFFFF0000


class MacShortcut:
    def __init__(self, keys: str, callback: Callable[[], None]) -> None:
        from AppKit import NSEvent, NSKeyDownMask

        mods, key = parse_keys(keys)
        if key not in KEY_CODES:
            raise ShortcutTaken(f"key {key!r} is not known here; use a letter or space")
        wanted = sum(FLAGS[mod] for mod in mods)

        def seen(event: Any) -> None:
            flags = event.modifierFlags() & DEVICE_INDEPENDENT & sum(FLAGS.values())
            if event.keyCode() == KEY_CODES[key] and flags == wanted:
                callback()

        self._monitor = NSEvent.addGlobalMonitorForEventsMatchingMask_handler_(
            NSKeyDownMask, seen)
        if self._monitor is None:
            raise ShortcutTaken("macOS refused the shortcut: allow the app under System "
                                "Settings, Privacy & Security, Accessibility")

    def close(self) -> None:
        from AppKit import NSEvent

        NSEvent.removeMonitor_(self._monitor)


class MacPlatform:
    name = "macos"

    def register_shortcut(self, keys: str, callback: Callable[[], None]) -> MacShortcut:
        return MacShortcut(keys, callback)

    def paste_unavailable(self) -> str | None:
        from Quartz import AXIsProcessTrusted

        if not AXIsProcessTrusted():
            return ("the app may not press keys in other apps: allow it under System Settings, "
                    "Privacy & Security, Accessibility")
        return None

    def active_window(self) -> object | None:
        from AppKit import NSWorkspace

        return NSWorkspace.sharedWorkspace().frontmostApplication()

    def paste(self, window: object, keys: str) -> Pasted:
        from AppKit import NSApplicationActivateIgnoringOtherApps
        from Quartz import (
            CGEventCreateKeyboardEvent,
            CGEventPost,
            CGEventSetFlags,
            kCGHIDEventTap,
        )

        why = self.paste_unavailable()
        if why:
            return Pasted(False, f"Copied; paste it yourself: {why}.")
        if window is None or not window.activateWithOptions_(  # type: ignore[attr-defined]
                NSApplicationActivateIgnoringOtherApps):
            return Pasted(False, "Copied; paste it yourself: the app that was in front is gone.")
        mods, key = parse_keys(keys, what="paste_keys")
        if key not in KEY_CODES:
            return Pasted(False, f"Copied; paste it yourself: key {key!r} is not known here.")
        for down in (True, False):
            event = CGEventCreateKeyboardEvent(None, KEY_CODES[key], down)
            CGEventSetFlags(event, sum(FLAGS[mod] for mod in mods))
            CGEventPost(kCGHIDEventTap, event)
        return Pasted(True, "Pasted.")
