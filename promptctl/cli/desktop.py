"""``desktop``: the web console in a native window, with a global shortcut to its palette."""

from __future__ import annotations

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
    """Open the prompt library in a desktop window, with a global shortcut to its palette.

    The shortcut brings up the palette over any application: type, pick, fill in the inputs,
    and Enter pastes the rendered text into the window that was in front.

    The API key is kept in the system keychain; the app asks for it (and for the server's
    address on the first run) in its window. Needs the `desktop` extra:
    pip install 'prompt-engine[desktop]'.

    Examples:
        promptctl desktop --server http://127.0.0.1:8000
        promptctl desktop --shortcut super+shift+p
    """
    from promptctl.desktop.app import start

    raise typer.Exit(start(server, shortcut))
