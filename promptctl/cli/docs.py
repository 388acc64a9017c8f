"""``promptctl docs cli``: the command reference, docs/cli.md, generated from the app (hidden)."""

from __future__ import annotations

import typer

from promptctl.cli.help import Group, command


def register(app: typer.Typer) -> None:
    docs = typer.Typer(name="docs", help="Generated documentation.", hidden=True, cls=Group,
                       no_args_is_help=True)
    command(docs, "cli")(cli)
    app.add_typer(docs)


def cli() -> None:
    """Print the command reference as Markdown (docs/cli.md).

    Examples:
        promptctl docs cli > docs/cli.md
    """
    from promptctl.cli.help import reference
    from promptctl.cli.main import app

    typer.echo(reference(typer.main.get_command(app)), nl=False)
