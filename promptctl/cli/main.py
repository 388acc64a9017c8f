"""Entry point: the typer app, its commands, and the one place errors become exit codes.

Exit codes (DESIGN.md): 0 ok, 1 the content failed a check, 2 usage error, 3 internal error.
"""

from __future__ import annotations

import os
import sys

import typer

from promptctl import __version__
from promptctl.cli import (
    agents,
    authoring,
    browse,
    checks,
    completion,
    consuming,
    desktop,
    docs,
    formats,
    governance,
    history,
    owners,
    quick,
    rendering,
    serving,
)
from promptctl.cli.help import CONTEXT_SETTINGS, Group
from promptctl.errors import PromptctlError

app = typer.Typer(
    name="promptctl",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=Group,
    context_settings=CONTEXT_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"promptctl {__version__}")
        raise typer.Exit()


def _color(value: str | None) -> str | None:
    if value is not None:
        from promptctl.cli.output import set_color

        set_color(value)
    return value


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    color: str | None = typer.Option(
        None, "--color", metavar="[auto|always|never]", callback=_color, is_eager=True,
        autocompletion=completion.choices("auto", "always", "never"), show_default=False,
        help="Colour and style the output: auto (a terminal, unless NO_COLOR is set), always or "
             "never.  [default: auto]"),
) -> None:
    """Prompts as code: scaffold, validate, render, test and browse a Git prompt library.

    Every command takes -h/--help; `promptctl completion bash|zsh|fish` prints a shell
    completion script.

    Examples:
        promptctl list --status active
        promptctl render engineering/commit-message -i diff=@changes.diff
    """


authoring.register(app)
checks.register(app)
browse.register(app)
rendering.register(app)
history.register(app)
owners.register(app)
governance.register(app)
serving.register(app)
desktop.register(app)
consuming.register(app)
formats.register(app)
agents.register(app)
completion.register(app)
docs.register(app)


def run() -> None:
    """Console script: run the app and map every error to its exit code, never a traceback."""
    if quick.COMPLETE_VAR in os.environ:
        completion.init()
        completion.narrow(app)
    else:
        completion.narrow_to(app, sys.argv[1:])
    try:
        app(prog_name="promptctl")
    except PromptctlError as exc:
        from promptctl.cli.output import error  # here: completion never imports rich

        error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        from promptctl.cli.output import error

        error("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: a hint, never a bare traceback
        if os.environ.get("PROMPTCTL_DEBUG"):
            raise
        from promptctl.cli.output import error

        error(
            f"internal error: {type(exc).__name__}: {exc}. This is a bug in promptctl; rerun with "
            "PROMPTCTL_DEBUG=1 for the traceback and report it with the command you ran"
        )
        sys.exit(3)


if __name__ == "__main__":
    run()
