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
from promptctl.cli.tables import Column

if TYPE_CHECKING:
    from pathlib import Path

    from promptctl.library import Library

# list's columns, in the order of its records when stdout is not a terminal.
LIST_COLUMNS = (Column("id", fixed=True, style="bold"), Column("version", fixed=True),
                Column("status", fixed=True), Column("scope", fixed=True, drop=2),
                Column("title", drop=1), Column("tags", drop=3))
# search's columns: the words of the query each hit has, then a snippet with them in [brackets].
SEARCH_COLUMNS = (Column("id", fixed=True, style="bold"), Column("title", drop=2),
                  Column("matched", fixed=True, drop=1), Column("snippet", drop=3, style="dim"))


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
    from promptctl.cli.output import console, print_json
    from promptctl.cli.tables import print_table, stdout_is_terminal

    library = _filtered_library(repo, tag, collection, status, owner, channel)
    prompts = library.select(tags=tag or [], collection=collection, status=status, owner=owner,
                             channel=channel)
    if as_json:
        print_json([p.summary() for p in prompts])
        return
    # Ids are what people copy from this list: never wrapped or truncated (LIST_COLUMNS).
    print_table(LIST_COLUMNS, [[p.id, p.version, p.status, p.scope, p.title, ",".join(p.tags)]
                               for p in prompts])
    if stdout_is_terminal():
        console.print(f"{len(prompts)} prompt(s)", style="dim", markup=False)
    _warn_if_invalid(library)


def _filtered_library(repo: Path | None, tags: list[str] | None, collection: str | None,
                      status: str | None, owner: str | None, channel: str | None) -> Library:
    """The library, once --status and --channel are known to be values a prompt can have
    (else exit 2); a note for a --tag, --collection or --owner that no prompt has."""
    from promptctl.cli.output import note
    from promptctl.filters import check_choices, unmatched_hints

    check_choices(status=status, channel=channel)
    library = load_library(repo)
    for hint in unmatched_hints(library, tags=tags or [], collection=collection, owner=owner):
        note(hint)
    return library


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
        from promptctl.inputs import display_value, is_required, type_text

        for name, spec in prompt.inputs.items():
            table.add_row(Text(name, style="bold"), Text(type_text(spec)),
                          Text("yes" if is_required(spec) else ""),
                          Text(display_value(spec["default"]) if "default" in spec else ""),
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
    from promptctl.cli.output import console, print_json
    from promptctl.cli.tables import print_table, stdout_is_terminal
    from promptctl.search import SearchIndex, query_terms

    library = _filtered_library(repo, tag, collection, status, owner, channel)
    allowed = library.select(tags=tag or [], collection=collection, status=status, owner=owner,
                             channel=channel)
    index = SearchIndex()
    index.add(library.prompts.values())
    hits = index.search(query, limit=limit, allowed={p.id for p in allowed}, some_words=True)
    words = [word for word, _term in query_terms(query)]
    if as_json:
        print_json([{**library.prompts[h.id].summary(), "score": round(h.score, 4),
                     "snippet": h.snippet, "matched": list(h.matched)} for h in hits])
    else:
        print_table(SEARCH_COLUMNS, [[h.id, library.prompts[h.id].title, ",".join(h.matched),
                                      h.snippet] for h in hits])
        if stdout_is_terminal() and hits:
            console.print(_hits_summary(len(hits), sum(len(h.matched) == len(words)
                                                       for h in hits), words),
                          style="dim", markup=False)
    if not hits:
        _nothing_found(query, words, filtered=len(allowed) < len(library.prompts))


def _hits_summary(count: int, every: int, words: list[str]) -> str:
    if len(words) < 2 or every == count:
        return f"{count} hit(s)"
    return (f"{count} hit(s): {every} with every word, then {count - every} with some of them "
            "(see matched)")


def _nothing_found(query: str, words: list[str], *, filtered: bool) -> None:
    """What to try when a search finds nothing (on stderr: stdout stays the records)."""
    from promptctl.cli.output import note

    if not words:
        note(f"nothing to search for in {query!r}: give words of letters or digits")
        return
    tries = ["other or fewer words", "the start of a word (the last word is a prefix: "
             "'postm' finds postmortem)"]
    if filtered:
        tries.append("fewer filters (--tag, --collection, --status, --owner, --channel)")
    tries.append("`promptctl list` to see every prompt")
    note(f"no prompt has any of the words {', '.join(repr(w) for w in words)}; try "
         + "; ".join(tries))
