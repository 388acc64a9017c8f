"""``desktop``: the web console in a native window, with a global shortcut to its palette."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from promptctl.cli.help import command


def register(app: typer.Typer) -> None:
    command(app, "desktop")(desktop)


def desktop(
    server: Annotated[str | None, typer.Option(
        "--server", metavar="URL", help="The server's address (http://127.0.0.1:8000); "
                                        "remembered for the next start. Without it and on the "
                                        "first run, the app asks.")] = None,
    shortcut: Annotated[str | None, typer.Option(
        "--shortcut", metavar="KEYS", help="The global shortcut that brings up the palette, "
                                           "remembered for the next start.  [default: "
                                           "ctrl+alt+space]", show_default=False)] = None,
) -> None:
    """Open the prompt library in a desktop window; a global shortcut brings up a palette over
    any application: type, pick, fill in the inputs, Enter pastes the rendered text into the
    window that was in front.

    The API key is kept in the system keychain; the app asks for it (and for the server's
    address on the first run) in its window. Needs the `desktop` extra:
    pip install 'prompt-engine[desktop]'.

    Examples:
        promptctl desktop --server http://127.0.0.1:8000
        promptctl desktop --shortcut super+shift+p
    """
    from promptctl.desktop import config as settings
    from promptctl.errors import UsageError

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
    status = DesktopApp(config, current(), config_file=path, data_dir=settings.data_path(),
                        log=stderr_log).run()
    raise typer.Exit(status)
