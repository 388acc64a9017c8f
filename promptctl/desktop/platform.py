"""What differs per operating system, behind one small interface: the global shortcut, the
window that is in front, and pasting into it.

The shell (``promptctl.desktop.shell``) asks only this; a shell written with another toolkit
(Tauri, say) would implement the same four operations. Linux/X11 (``x11``) is the one tested
here, under Xvfb; ``macos`` and ``windows`` are written against their documented APIs and are
untested. The key's keychain is ``keyring``'s everywhere (``promptctl.desktop.keychain``) and the
clipboard is the window toolkit's (Qt), so neither is here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Pasted:
    """What became of a paste: ``pasted`` False means the text is only on the clipboard, and
    ``message`` says why and what to do (paste by hand)."""

    pasted: bool
    message: str


class ShortcutTaken(Exception):
    """Another program holds the shortcut; the message names it and the fix."""


class Shortcut(Protocol):
    """A registered global shortcut: calls its callback (on its own thread) until closed."""

    def close(self) -> None: ...


class Platform(Protocol):
    name: str

    def register_shortcut(self, keys: str, callback: Callable[[], None]) -> Shortcut:
        """Call ``callback`` whenever ``keys`` (``ctrl+alt+space``) is pressed anywhere;
        ``ShortcutTaken`` when another program holds it."""
        ...

    def paste_unavailable(self) -> str | None:
        """Why pasting into other windows cannot work here (None: it can)."""
        ...

    def active_window(self) -> object | None:
        """A handle on the window in front, to paste into later (None: none known)."""
        ...

    def paste(self, window: object, keys: str) -> Pasted:
        """Bring ``window`` to the front and press ``keys`` (``ctrl+v``) in it; the text is on
        the clipboard already."""
        ...


def current() -> Platform:
    """This computer's implementation."""
    if sys.platform == "darwin":
        from promptctl.desktop.macos import MacPlatform

        return MacPlatform()
    if sys.platform == "win32":
        from promptctl.desktop.windows import WindowsPlatform

        return WindowsPlatform()
    from promptctl.desktop.x11 import X11Platform

    return X11Platform(os.environ.get("DISPLAY"), os.environ.get("WAYLAND_DISPLAY"))
