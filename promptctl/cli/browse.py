"""``list``, ``show`` and ``search``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from promptctl.cli.help import command
from promptctl.cli.options import (
    ChannelOption,
    CollectionOption,
    JsonOption,
    OwnerOption,
    RepoOption,
    StatusOption,
    TagOption,
    VersionedIdArgument,
    load_library,
)

if TYPE_CHECKING:
    from promptctl.library import Library


def register(app: typer.Typer) -> None:
    command(app, "list")(list_prompts)
    command(app, "show")(show)
    command(app, "search")(search)


def _warn_if_invalid(library: Library) -> None:
    from promptctl.cli.output import note

    errors = sum(1 for p in library.problems if p.is_error)
    if errors:
        note(f"note: {errors} validation error(s) in this repository; run `promptctl validate`")


def list_prompts(
    tag: TagOption = None,
    collection: CollectionOption = None,
    status: StatusOption = None,
    owner: OwnerOption = None,
    channel: ChannelOption = None,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """List prompts, with filters.

    Examples:
        promptctl list --status active
        promptctl list --tag code-review --collection engineering --json
    """
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json

    library = load_library(repo)
    prompts = library.select(tags=tag or [], collection=collection, status=status, owner=owner,
                             channel=channel)
    if as_json:
        print_json([p.summary() for p in prompts])
        return
    table = Table(box=None, pad_edge=False)
    # Ids are what people copy from this list: never wrap or truncate them.
    table.add_column("id", no_wrap=True, min_width=max((len(p.id) for p in prompts), default=2))
    for column in ("version", "status", "scope"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", ratio=3)
    table.add_column("tags", ratio=2)
    for prompt in prompts:
        table.add_row(Text(prompt.id, style="bold"), Text(prompt.version), Text(prompt.status),
                      Text(prompt.scope), Text(prompt.title), Text(", ".join(prompt.tags)))
    console.print(table)
    console.print(f"{len(prompts)} prompt(s)", style="dim", markup=False)
    _warn_if_invalid(library)


def show(
    ref: VersionedIdArgument,
    git_ref: Annotated[
        str, typer.Option("--ref", help="Where ID@VERSION is looked up in history.")
    ] = "HEAD",
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Show one prompt (ID@1.2.3, ID@1, ID@<commit>: from Git history).

    Examples:
        promptctl show engineering/python-code-review
        promptctl show engineering/python-code-review@1 --json
    """
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json, print_plain
    from promptctl.history import resolve_in_repo
    from promptctl.repository import resolve_root

    resolved = resolve_in_repo(resolve_root(repo), ref, git_ref=git_ref)
    library, prompt = resolved.library, resolved.prompt
    if as_json:
        print_json({**prompt.detail(), "commit": resolved.commit})
        return
    console.print(Text(f"{prompt.id}  {prompt.version}  ({prompt.status})", style="bold"))
    console.print(Text(prompt.title))
    console.print(Text(prompt.description, style="dim"))
    facts = Table(box=None, show_header=False, pad_edge=False)
    for label, value in (
        ("path", prompt.path), ("scope", prompt.scope), ("channel", prompt.channel),
        ("owners", ", ".join(prompt.owners)), ("tags", ", ".join(prompt.tags)),
        ("aliases", ", ".join(prompt.aliases)), ("replaced by", prompt.replaced_by or ""),
    ):
        if value:
            facts.add_row(Text(label, style="dim"), Text(value))
    console.print(facts)
    if prompt.inputs:
        table = Table("input", "type", "required", "default", "description", box=None,
                      pad_edge=False, title="inputs", title_justify="left")
        from promptctl.inputs import is_required

        for name, spec in prompt.inputs.items():
            table.add_row(Text(name, style="bold"), Text(str(spec.get("type", "any"))),
                          Text("yes" if is_required(spec) else ""),
                          Text(repr(spec["default"]) if "default" in spec else ""),
                          Text(str(spec.get("description", ""))))
        console.print(table)
    for template in prompt.templates:
        console.print(Text(f"--- {template.role} ---", style="dim"))
        print_plain(template.source)
    _warn_if_invalid(library)


def search(
    query: Annotated[str, typer.Argument(metavar="QUERY",
                                         help="Words to find; the last one may be a prefix.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=200)] = 20,
    tag: TagOption = None,
    collection: CollectionOption = None,
    status: StatusOption = None,
    owner: OwnerOption = None,
    channel: ChannelOption = None,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Search titles, descriptions, tags, ids and templates (SQLite FTS5).

    Examples:
        promptctl search "incident review"
        promptctl search postmortem --status active --json
    """
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json
    from promptctl.search import SearchIndex

    library = load_library(repo)
    allowed = library.select(tags=tag or [], collection=collection, status=status, owner=owner,
                             channel=channel)
    index = SearchIndex()
    index.add(library.prompts.values())
    hits = index.search(query, limit=limit, allowed={p.id for p in allowed})
    if as_json:
        print_json([{**library.prompts[h.id].summary(), "score": round(h.score, 4),
                     "snippet": h.snippet} for h in hits])
        return
    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True, min_width=max((len(h.id) for h in hits), default=2))
    table.add_column("title")
    table.add_column("snippet")
    for hit in hits:
        prompt = library.prompts[hit.id]
        table.add_row(Text(hit.id, style="bold"), Text(prompt.title),
                      Text(hit.snippet.replace("\n", " "), style="dim"))
    console.print(table)
    console.print(f"{len(hits)} hit(s)", style="dim", markup=False)
