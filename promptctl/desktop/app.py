"""Starting the desktop app: the settings (saved ones, then what the command line changes), this
system's platform, and the windows. ``promptctl desktop`` and the packaged app's launcher
(packaging/desktop/launch.py) both call ``start``."""

from __future__ import annotations

import os
import sys

from promptctl.desktop import config as settings
from promptctl.errors import UsageError


def start(server: str | None = None, shortcut: str | None = None) -> int:
    """Run the app until its main window closes; its exit status. ``UsageError`` for what the
    user can fix (no display, a bad address or shortcut, the desktop extra missing)."""
    if sys.platform == "linux" and not (os.environ.get("DISPLAY")
                                        or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError("no display to open a window on (DISPLAY is not set); run promptctl "
                         "desktop in a desktop session")
    try:
        from PySide6 import QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"promptctl desktop needs the desktop extra ({exc.name} is missing): "
                         "pip install 'prompt-engine[desktop]'") from None
    from promptctl.desktop.platform import current
    from promptctl.desktop.shell import DesktopApp, stderr_log

    path = settings.config_path()
    config = settings.load(path)
    if shortcut is not None:
        settings.parse_keys(shortcut)
        config = settings.DesktopConfig(config.server, shortcut, config.paste_keys)
    if server is not None:
        config = config.with_server(settings.server_url(server))
    if server is not None or shortcut is not None:
        settings.save(config, path)
    return DesktopApp(config, current(), config_file=path, data_dir=settings.data_path(),
                      log=stderr_log).run()
