"""Options shared by every command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from promptctl.cli.completion import (
    choices,
    complete_collections,
    complete_ids,
    complete_owners,
    complete_tags,
)

if TYPE_CHECKING:
    from promptctl.library import Library

RepoOption = Annotated[
    Path | None,
    typer.Option(
        "--repo",
        help="The prompt repository (default: the Git work tree around the current directory).",
        show_default=False,
        file_okay=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (stable, documented shape).")]
QuietOption = Annotated[bool, typer.Option("-q", "--quiet",
                                           help="Print only errors (nothing when all is well).")]
VerboseOption = Annotated[bool, typer.Option("-v", "--verbose",
                                             help="Print more: each file checked or written.")]
FormatOption = Annotated[
    str, typer.Option("--format", metavar="[text|json|github]",
                      autocompletion=choices("text", "json", "github"),
                      help="text, json, or github (workflow annotations).")
]
TagOption = Annotated[
    list[str] | None, typer.Option("--tag", metavar="TAG", autocompletion=complete_tags,
                                   help="Only prompts with this tag (repeatable).")
]
CollectionOption = Annotated[
    str | None, typer.Option("--collection", metavar="COLLECTION",
                             autocompletion=complete_collections,
                             help="Only prompts under this collection.")
]
StatusOption = Annotated[
    str | None,
    typer.Option("--status", metavar="[draft|active|deprecated]",
                 autocompletion=choices("draft", "active", "deprecated"),
                 help="Only prompts with this status."),
]
OwnerOption = Annotated[str | None, typer.Option("--owner", metavar="@OWNER",
                                                 autocompletion=complete_owners,
                                                 help="Only prompts with this owner.")]
ChannelOption = Annotated[
    str | None,
    typer.Option("--channel", metavar="[stable|experimental]",
                 autocompletion=choices("stable", "experimental"),
                 help="Only prompts in this channel."),
]
# An argument naming a prompt (ID, or ID@VERSION where history is read).
IdArgument = Annotated[str, typer.Argument(metavar="ID", autocompletion=complete_ids,
                                           help="Prompt id or alias.", show_default=False)]
VersionedIdArgument = Annotated[
    str, typer.Argument(metavar="ID[@VERSION]", autocompletion=complete_ids,
                        help="Prompt id or alias; @VERSION reads it from Git history.",
                        show_default=False)
]


def load_library(repo: Path | None) -> Library:
    """The library of the work tree at --repo (or around the current directory)."""
    from promptctl.library import Library
    from promptctl.repository import resolve_root

    return Library.from_work_tree(resolve_root(repo))


def verbosity(quiet: bool, verbose: bool) -> int:
    """-1 with --quiet, 1 with --verbose, else 0; both at once is a usage error."""
    from promptctl.errors import UsageError

    if quiet and verbose:
        raise UsageError("--quiet and --verbose contradict each other; pass one of them")
    return -1 if quiet else 1 if verbose else 0


def report_format(output_format: str, as_json: bool) -> str:
    """The report format of a checking command: --json is short for --format json."""
    from promptctl.errors import UsageError

    if as_json:
        return "json"
    if output_format not in ("text", "json", "github"):
        raise UsageError(f"--format {output_format!r}: choose text, json or github")
    return output_format
