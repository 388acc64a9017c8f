"""``init`` and ``new``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promptctl.cli.options import RepoOption


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("new")(new)


def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the repository.")] = Path("."),
    owner: Annotated[
        str, typer.Option("--owner", help="Owner of the example prompt and the default owner.")
    ] = "@your-org/prompt-owners",
    action: Annotated[
        str, typer.Option("--action", metavar="OWNER/REPO",
                          help="The GitHub repository whose Prompt Engine action the workflow "
                               "uses, at this version's tag.")
    ] = "your-org/prompt-engine",
) -> None:
    """Scaffold a prompt repository: prompts/, schemas/, CODEOWNERS, AGENTS.md, a CI workflow."""
    from promptctl.cli.output import console
    from promptctl.scaffold import init as do_init

    written = do_init(directory, owner=owner, action=action)
    console.print(f"Created a prompt repository in {directory}:", markup=False)
    for rel in written:
        console.print(f"  {rel}", markup=False)
    console.print(
        "Next: `promptctl validate`, then `promptctl new <collection>/<name> --owner @you`.",
        markup=False,
    )


def new(
    prompt_id: Annotated[str, typer.Argument(metavar="ID", help="<collection>/<name>")],
    owner: Annotated[
        list[str] | None, typer.Option("--owner", help="@user or @org/team (repeatable).")
    ] = None,
    form: Annotated[
        str, typer.Option("--form", help="md: front matter + body; yaml: chat messages.")
    ] = "md",
    title: Annotated[str | None, typer.Option("--title")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    repo: RepoOption = None,
) -> None:
    """Scaffold a prompt file with valid front matter (a draft at version 0.1.0)."""
    from promptctl import config
    from promptctl.cli.output import console
    from promptctl.repository import resolve_root
    from promptctl.scaffold import new_prompt

    root = resolve_root(repo)
    owners = list(owner or [])
    if not owners:
        config_path = root / config.CONFIG_FILE
        settings = config.parse(config_path.read_bytes() if config_path.is_file() else None)
        owners = settings.default_owners
    target = new_prompt(root, prompt_id, owners=owners, form=form, title=title,
                        description=description)
    console.print(f"Created {target.relative_to(root).as_posix()}", markup=False)
