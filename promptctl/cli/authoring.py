"""``init`` and ``new``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promptctl.cli.completion import choices, complete_owners
from promptctl.cli.help import command
from promptctl.cli.options import QuietOption, RepoOption, VerboseOption, verbosity


def register(app: typer.Typer) -> None:
    command(app, "init")(init)
    command(app, "new")(new)


def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR",
                                              help="Where to create the repository.")] = Path("."),
    owner: Annotated[
        str, typer.Option("--owner", metavar="@OWNER",
                          help="Owner of the example prompt and the default owner.")
    ] = "@your-org/prompt-owners",
    action: Annotated[
        str, typer.Option("--action", metavar="OWNER/REPO",
                          help="The GitHub repository whose Prompt Engine action the workflow "
                               "uses, at this version's tag.")
    ] = "your-org/prompt-engine",
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Scaffold a prompt repository: prompts/, schemas/, CODEOWNERS, AGENTS.md, a CI workflow.

    --quiet prints nothing on success; --verbose also says where the repository is and whether
    a Git repository was created.

    Examples:
        promptctl init my-prompts --owner @acme/prompt-owners
        promptctl init . --action acme/prompt-engine
    """
    from promptctl.cli.output import console
    from promptctl.scaffold import init as do_init

    level = verbosity(quiet, verbose)
    had_git = any((p / ".git").exists() for p in (directory.resolve(),
                                                  *directory.resolve().parents))
    written = do_init(directory, owner=owner, action=action)
    if level < 0:
        return
    if level > 0:
        console.print(f"Repository: {directory.resolve()}" + (
            "" if had_git else " (a new Git repository, branch main)"), markup=False)
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
        list[str] | None, typer.Option("--owner", metavar="@OWNER", autocompletion=complete_owners,
                                       help="@user or @org/team (repeatable).")
    ] = None,
    form: Annotated[
        str, typer.Option("--form", metavar="[md|yaml]", autocompletion=choices("md", "yaml"),
                          help="md: front matter + body; yaml: chat messages.")
    ] = "md",
    title: Annotated[str | None, typer.Option("--title", metavar="TEXT",
                                              help="Default: the name, capitalised.")] = None,
    description: Annotated[str | None, typer.Option("--description", metavar="TEXT",
                                                    help="Default: a TODO to replace.")] = None,
    repo: RepoOption = None,
) -> None:
    """Scaffold a prompt file with valid front matter (a draft at version 0.1.0).

    Updates the generated block of CODEOWNERS when the repository has one.

    Examples:
        promptctl new engineering/sql-review --owner @acme/data
        promptctl new support/reply --form yaml --title 'Customer reply'
    """
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
    _refresh_codeowners(root)


def _refresh_codeowners(root: Path) -> None:
    """Keep CODEOWNERS' generated block current, where there is one; a library that does not
    load leaves it as it is, with a note (the new prompt is written either way)."""
    from promptctl.cli.output import console, note
    from promptctl.codeowners import refresh_block
    from promptctl.errors import PromptctlError
    from promptctl.library import Library

    try:
        update = refresh_block(root, Library.from_work_tree(root))
    except PromptctlError as exc:
        note(f"note: CODEOWNERS was not updated: {exc}; then run `promptctl codeowners`")
        return
    if update is not None and update.stale:
        console.print(f"Updated {update.path}: the generated block lists the new prompt",
                      markup=False)
