"""``export`` and ``import``: the library in other prompt formats, and other formats in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promptctl.cli.completion import choices
from promptctl.cli.help import command
from promptctl.cli.options import (
    ChannelOption,
    CollectionOption,
    JsonOption,
    OwnerOption,
    QuietOption,
    RepoOption,
    StatusOption,
    TagOption,
)

_FORMATS = ("skills", "claude-commands", "copilot", "github-models", "prompty", "dotprompt")


def register(app: typer.Typer) -> None:
    command(app, "export")(export)
    command(app, "import")(import_)


def export(
    directory: Annotated[Path, typer.Argument(metavar="DIR",
                                              help="Where to write the files (created if "
                                                   "missing).", show_default=False)],
    to: Annotated[
        str, typer.Option("--to", metavar="FORMAT", autocompletion=choices(*_FORMATS),
                          help="skills, claude-commands, copilot, github-models, prompty or "
                               "dotprompt.", show_default=False)
    ],
    unfaithful: Annotated[
        str, typer.Option("--unfaithful", metavar="[skip|embed]",
                          autocompletion=choices("skip", "embed"),
                          help="For a prompt the format cannot express: skip it, or embed "
                               "its template with instructions on how to fill it.")
    ] = "skip",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 and write nothing when any "
                                                          "prompt would be skipped or "
                                                          "embedded.")] = False,
    tag: TagOption = None,
    collection: CollectionOption = None,
    status: StatusOption = None,
    owner: OwnerOption = None,
    channel: ChannelOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Export the library's prompts as files another tool reads.

    Formats and where their tools read them: skills (DIR/<name>/SKILL.md; .agents/skills/,
    .claude/skills/, .github/skills/), claude-commands (<name>.md; .claude/commands/),
    copilot (<name>.prompt.md; .github/prompts/), github-models (<name>.prompt.yml), prompty
    (<name>.prompty) and dotprompt (<name>.prompt). <name> is the id with "/" as "-".

    A prompt the format cannot express faithfully (a loop, a filter, a conditional, an input
    type or default the format lacks) is reported with the reason and skipped, or with
    --unfaithful embed written as its Jinja2 template plus instructions on how to fill it.
    Exit 1, writing nothing, when a chosen prompt is invalid or two ids share a file name
    (or, with --strict, when any prompt would be skipped or embedded). Files already in DIR
    that this export does not write are left alone.

    Examples:
        promptctl export --to skills .agents/skills --status active
        promptctl export --to copilot .github/prompts --unfaithful embed
        promptctl export --to prompty build/prompty --json
    """
    from promptctl.cli.options import load_library
    from promptctl.cli.output import console, note, print_json
    from promptctl.errors import PromptctlError, UsageError
    from promptctl.filters import check_choices
    from promptctl.formats import check_format
    from promptctl.formats.batch import plan_export, write_files

    check_format(to)
    if unfaithful not in ("skip", "embed"):
        raise UsageError(f"--unfaithful {unfaithful!r}: choose skip or embed")
    check_choices(status=status, channel=channel)
    library = load_library(repo)
    prompts = library.select(tags=tag or [], collection=collection, status=status, owner=owner,
                             channel=channel)
    if not prompts:
        raise UsageError("no prompt matches these filters; see `promptctl list`")
    plan = plan_export(library, prompts, to, unfaithful)  # type: ignore[arg-type]
    unwritten = {i: r for i, r in plan.results.items() if r.problem}
    if strict and unwritten:
        detail = "; ".join(f"{i}: {r.problem}" for i, r in sorted(unwritten.items()))
        raise PromptctlError(f"--strict: {len(unwritten)} prompt(s) cannot be exported "
                             f"faithfully as {to}, nothing was written: {detail}")
    written = write_files(directory, plan.files)
    if as_json:
        print_json({**plan.as_dict(), "directory": str(directory), "written": written})
        return
    for prompt_id, result in sorted(plan.results.items()):
        if result.embedded:
            note(f"embedded {prompt_id}: {result.problem}")
        elif result.problem:
            note(f"skipped {prompt_id}: {result.problem}")
        elif not quiet:
            for rel in sorted(result.files):
                console.print(f"{prompt_id} -> {directory / rel}", markup=False)
    skipped = sum(1 for r in plan.results.values() if not r.files)
    embedded = sum(1 for r in plan.results.values() if r.embedded)
    if not quiet:
        console.print(f"Exported {len(plan.results) - skipped} of {len(plan.results)} prompt(s) "
                      f"as {to} to {directory}" + (f" ({embedded} embedded)" if embedded else "")
                      + (f"; skipped {skipped}" if skipped else ""), markup=False)


def import_(
    src: Annotated[Path, typer.Argument(metavar="SRC", help="A file, or a folder searched for "
                                                            "files of the format.",
                                        show_default=False)],
    from_: Annotated[
        str, typer.Option("--from", metavar="FORMAT",
                          autocompletion=choices(*_FORMATS, "fabric"),
                          help="skills, claude-commands, copilot, github-models, prompty, "
                               "dotprompt, or fabric (patterns: <pattern>/system.md).",
                          show_default=False)
    ],
    collection: Annotated[
        str, typer.Option("--collection", metavar="COLLECTION",
                          help="Where the prompts go: prompts/<COLLECTION>/<name>; a file that "
                               "records its id (skills, prompty, dotprompt from export) keeps "
                               "it.")
    ] = "imported",
    owner: Annotated[
        list[str] | None, typer.Option("--owner", metavar="@OWNER",
                                       help="Owners of the new prompts (repeatable; default: "
                                            "defaults.owners of promptctl.yaml).")
    ] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Import prompts of another format into prompts/ as drafts (version 0.1.0).

    Keeps the title, description, variables (as declared inputs) and model settings; fields
    with no place in a prompt file are kept under an x-<format> key (export writes them back)
    and reported, with anything dropped. Text that was not a template stays text: braces in it
    are escaped, never evaluated. Exit 1, writing nothing, when a file cannot be imported; 2
    when an id is taken.

    Examples:
        promptctl import --from copilot .github/prompts --owner @acme/devex
        promptctl import --from fabric ~/fabric/data/patterns --collection fabric
        promptctl import --from prompty review.prompty --collection engineering
    """
    from promptctl import config as config_module
    from promptctl.cli.output import console, note, print_json
    from promptctl.errors import UsageError
    from promptctl.formats import check_format
    from promptctl.formats.batch import find_sources, plan_import, write_files
    from promptctl.library import Library
    from promptctl.repository import resolve_root
    from promptctl.scaffold import _check_owner

    check_format(from_, reading=True)
    root = resolve_root(repo)
    owners = list(owner or [])
    if not owners:
        config_path = root / config_module.CONFIG_FILE
        settings = config_module.parse(config_path.read_bytes() if config_path.is_file() else None)
        owners = settings.default_owners
    if not owners:
        raise UsageError("imported prompts need owners: pass --owner @you (or @org/team), or "
                         "set defaults.owners in promptctl.yaml")
    for name in owners:
        _check_owner(name)
    sources = find_sources(src, from_)
    library = Library.from_work_tree(root)
    items = plan_import(library, root, sources, from_, collection=collection, owners=owners)
    write_files(root, {item.imported.path: item.imported.text.encode("utf-8")
                       for item in items})
    if as_json:
        print_json({"format": from_, "imported": [
            {"id": item.imported.prompt_id, "path": item.imported.path, "source": item.source,
             "dropped": list(item.imported.dropped)} for item in items]})
    elif not quiet:
        for item in items:
            console.print(f"{item.source} -> {item.imported.path}", markup=False)
            for dropped in item.imported.dropped:
                note(f"  {item.imported.prompt_id}: {dropped}")
        console.print(f"Imported {len(items)} prompt(s) as drafts; next: `promptctl validate`, "
                      "then review and raise them to active", markup=False)
    _refresh_codeowners(root, quiet=quiet or as_json)


def _refresh_codeowners(root: Path, *, quiet: bool) -> None:
    """Keep CODEOWNERS' generated block current for the new prompts, as `new` does."""
    from promptctl.cli.output import note
    from promptctl.codeowners import refresh_block
    from promptctl.errors import PromptctlError
    from promptctl.library import Library

    try:
        update = refresh_block(root, Library.from_work_tree(root))
    except PromptctlError as exc:
        note(f"note: CODEOWNERS was not updated: {exc}; then run `promptctl codeowners`")
        return
    if update is not None and update.stale and not quiet:
        note(f"Updated {update.path}: the generated block lists the new prompts")
