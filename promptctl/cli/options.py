"""Options shared by every command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
FormatOption = Annotated[
    str, typer.Option("--format", help="text, json, or github (workflow annotations).")
]
TagOption = Annotated[
    list[str] | None, typer.Option("--tag", help="Only prompts with this tag (repeatable).")
]
CollectionOption = Annotated[
    str | None, typer.Option("--collection", help="Only prompts under this collection.")
]
StatusOption = Annotated[
    str | None,
    typer.Option("--status", help="Only prompts with this status (draft, active, deprecated)."),
]
OwnerOption = Annotated[str | None, typer.Option("--owner", help="Only prompts with this owner.")]
ChannelOption = Annotated[
    str | None,
    typer.Option("--channel", help="Only prompts in this channel (stable, experimental)."),
]


def load_library(repo: Path | None) -> Library:
    """The library of the work tree at --repo (or around the current directory)."""
    from promptctl.library import Library
    from promptctl.repository import resolve_root

    return Library.from_work_tree(resolve_root(repo))


def report_format(output_format: str, as_json: bool) -> str:
    """The report format of a checking command: --json is short for --format json."""
    from promptctl.errors import UsageError

    if as_json:
        return "json"
    if output_format not in ("text", "json", "github"):
        raise UsageError(f"--format {output_format!r}: choose text, json or github")
    return output_format
