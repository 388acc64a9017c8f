"""``history`` and ``diff``."""

from __future__ import annotations

from typing import Annotated

import typer

from promptctl.cli.completion import complete_ids
from promptctl.cli.help import command
from promptctl.cli.options import IdArgument, JsonOption, RepoOption

RefOption = Annotated[str, typer.Option("--ref", metavar="REF",
                                        help="Branch or commit whose history to read.")]


def register(app: typer.Typer) -> None:
    command(app, "history")(history)
    command(app, "diff")(diff)


def history(
    ref: IdArgument,
    git_ref: RefOption = "HEAD",
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Every version of a prompt on the branch: version, commit, author, date, message.

    Examples:
        promptctl history engineering/commit-message
        promptctl history engineering/commit-message --ref origin/main --json
    """
    from promptctl.cli.output import console, print_json
    from promptctl.history import History
    from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX
    from promptctl.repository import resolve_root

    root = resolve_root(repo)
    prompt_id = ref
    if not any((root / PROMPTS_DIR / f"{ref}{suffix}").is_file()
               for suffix in (MD_SUFFIX, YAML_SUFFIX)):
        # Not a file in the work tree: an alias, a deleted prompt, or a typo. Loading the
        # library (the slow part on a large repository) is only needed to tell which.
        from promptctl.library import Library

        library = Library.from_work_tree(root)
        prompt_id = library.aliases.get(ref, ref)
    # The log of the prompt's path alone: the commits where its file changed.
    records = History(root, git_ref).versions(prompt_id)
    if not records and prompt_id == ref:
        from promptctl.library import Library

        Library.from_work_tree(root).get(ref)  # raises "no prompt ..., did you mean ..."
    if as_json:
        print_json([r.as_dict() for r in records])
        return
    from rich.table import Table
    from rich.text import Text

    table = Table("version", "status", "commit", "author", "date", "message", box=None,
                  pad_edge=False)
    for record in reversed(records):
        table.add_row(Text(record.version, style="bold"), Text(record.status),
                      Text(record.commit[:12]), Text(record.author), Text(record.date[:19]),
                      Text(record.message))
    console.print(table)
    if not records:
        console.print(f"{prompt_id} has no committed version yet", style="dim", markup=False)


def diff(
    old: Annotated[str, typer.Argument(metavar="ID@A", autocompletion=complete_ids,
                                       help="The older version.")],
    new: Annotated[str, typer.Argument(metavar="ID@B", autocompletion=complete_ids,
                                       help="The newer version (ID alone: the "
                                       "work tree).")],
    git_ref: RefOption = "HEAD",
    repo: RepoOption = None,
) -> None:
    """A unified diff of two versions of a prompt: front matter and templates.

    Examples:
        promptctl diff engineering/commit-message@1.0.0 engineering/commit-message@1.1.0
        promptctl diff engineering/commit-message@1 engineering/commit-message
    """
    import difflib

    from rich.text import Text

    from promptctl.cli.output import console
    from promptctl.errors import UsageError
    from promptctl.history import resolve_in_repo
    from promptctl.repository import resolve_root

    root = resolve_root(repo)
    left = resolve_in_repo(root, old, git_ref=git_ref)
    right = resolve_in_repo(root, new, git_ref=git_ref)
    if left.prompt.id != right.prompt.id:
        raise UsageError(f"diff compares versions of one prompt; got {left.prompt.id} and "
                         f"{right.prompt.id}")
    labels = []
    for side in (left, right):
        where = side.commit[:12] if side.commit else "work tree"
        labels.append(f"{side.prompt.id}@{side.prompt.version} ({where})")
    lines = difflib.unified_diff(
        left.prompt.text.splitlines(keepends=True),
        right.prompt.text.splitlines(keepends=True),
        fromfile=labels[0], tofile=labels[1],
    )
    for line in lines:
        style = ("green" if line.startswith("+") else "red" if line.startswith("-")
                 else "cyan" if line.startswith("@@") else "")
        console.print(Text(line.rstrip("\n"), style=style))
