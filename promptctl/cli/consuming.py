"""``add``, ``sync [--check]``, ``outdated`` and ``update``: prompts as dependencies of a
consuming repository (promptctl.consumers)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from promptctl.cli.help import command
from promptctl.cli.options import JsonOption

if TYPE_CHECKING:
    from promptctl.consumers.sync import Context, Outcome

ProjectOption = Annotated[
    Path | None,
    typer.Option("--repo", show_default=False, file_okay=False,
                 help="The consuming repository (default: the nearest folder up from here "
                      "holding prompt-engine.yaml, else the Git work tree around it)."),
]
ServerOption = Annotated[str | None, typer.Option(
    "--server", metavar="URL", show_default=False,
    help="Resolve against this read API instead of the references file's source.")]
GitOption = Annotated[str | None, typer.Option(
    "--git", metavar="URL|PATH", show_default=False,
    help="Resolve against this Git repository (cloned into the user cache) instead.")]
RefOption = Annotated[str | None, typer.Option(
    "--ref", metavar="BRANCH", show_default=False, help="With --git: the branch [default: main].")]
KeyEnvOption = Annotated[str | None, typer.Option(
    "--key-env", metavar="NAME", show_default=False,
    help="The environment variable holding the API key [default: the file's key_env, else "
         "PROMPT_ENGINE_KEY].")]


def register(app: typer.Typer) -> None:
    command(app, "add")(add)
    command(app, "sync")(sync)
    command(app, "outdated")(outdated)
    command(app, "update")(update)


def project_root(repo: Path | None) -> Path:
    """``--repo``, else the nearest folder with prompt-engine.yaml, else the Git work tree
    around the current directory, else the current directory."""
    from promptctl.consumers.references import FILE
    from promptctl.errors import UsageError

    if repo is not None:
        if not repo.is_dir():
            raise UsageError(f"--repo {repo}: no such directory")
        return repo.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / FILE).is_file():
            return folder
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _context(repo: Path | None, server: str | None, git: str | None, ref: str | None,
             key_env: str | None) -> Context:
    from promptctl.consumers.sync import open_context

    return open_context(project_root(repo), server=server, git=git, ref=ref, key_env=key_env)


def add(
    refs: Annotated[list[str] | None, typer.Argument(
        metavar="REF", show_default=False,
        help="ID@RANGE or ALIAS@RANGE: @1 and @1.2 lock the highest matching version, @1.2.3 "
             "that one; no range: the current version.")] = None,
    tags: Annotated[list[str] | None, typer.Option(
        "--tag", metavar="TAG", help="Every prompt with this tag (repeatable).")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", metavar="RANGE", help="With --tag: the range for each of its prompts.")]
    = None,
    server: ServerOption = None,
    git: GitOption = None,
    ref: RefOption = None,
    key_env: KeyEnvOption = None,
    repo: ProjectOption = None,
) -> None:
    """Record prompt references in prompt-engine.yaml (created when missing); `sync` resolves them.

    --server, --git, --ref and --key-env set the source when the file is created.

    Examples:
        promptctl add engineering/code-review@1 --server https://prompts.example.com
        promptctl add --tag python
        promptctl add review@2.1.0
    """
    from promptctl.cli.output import console, note
    from promptctl.consumers import references
    from promptctl.errors import UsageError

    wanted = [references.parse_reference(text) for text in refs or []]
    wanted += [references.parse_reference(f"tag:{tag}" + (f"@{version}" if version else ""))
               for tag in tags or []]
    if version and not tags:
        raise UsageError("--version goes with --tag; write ID@RANGE for an id")
    if not wanted:
        raise UsageError("name a prompt (ID@RANGE or ALIAS) or --tag TAG; e.g. promptctl add "
                         "engineering/code-review@1")
    if server and git:
        raise UsageError("give --server or --git, not both")
    source = None
    if server or git:
        source = references.Source(server=server.rstrip("/") if server else None,
                                   key_env=key_env or references.DEFAULT_KEY_ENV, git=git,
                                   ref=ref or "main")
    elif ref or key_env:
        raise UsageError("--ref and --key-env go with --server or --git")
    root = project_root(repo)
    for line in references.add(root, wanted, source):
        console.print(line, markup=False)
    note(f"{root / references.FILE}: run `promptctl sync` to lock and write them")


def sync(
    check: Annotated[bool, typer.Option(
        "--check", help="Change nothing; exit 1 when the lock or the files are stale, a "
                        "locked version is no longer visible, or a locked prompt is "
                        "deprecated.")] = False,
    offline: Annotated[bool, typer.Option(
        "--offline", help="With --check: only compare the references, the lock and the files "
                          "(no source is asked whether versions are still visible).")] = False,
    server: ServerOption = None,
    git: GitOption = None,
    ref: RefOption = None,
    key_env: KeyEnvOption = None,
    repo: ProjectOption = None,
) -> None:
    """Resolve the references into prompt-engine.lock and write the targets' files.

    What the lock already answers is kept (from the package cache, no network needed once it
    is warm); new references are resolved. `update` moves locked versions.

    Examples:
        promptctl sync
        promptctl sync --server https://prompts.example.com --key-env PROMPTS_KEY
        promptctl sync --check
    """
    from promptctl.cli.output import error, verdict
    from promptctl.consumers import sync as operations
    from promptctl.errors import UsageError

    if offline and not check:
        raise UsageError("--offline goes with --check (sync itself works offline whenever the "
                         "lock and the cache hold everything)")
    context = _context(repo, server, git, ref, key_env)
    if check:
        problems = operations.check(context, online=not offline)
        for problem in problems:
            error(problem)
        if problems:
            verdict(f"{len(problems)} problem(s); the lock or the files are stale", ok=False)
            raise typer.Exit(1)
        verdict(f"{len(context.lock.prompts) if context.lock else 0} locked prompt(s) and "
                f"{len(context.lock.files) if context.lock else 0} file(s) up to date", ok=True)
        return
    _report(operations.sync(context))


def update(
    ids: Annotated[list[str] | None, typer.Argument(
        metavar="ID", show_default=False,
        help="The prompts to move (default: all of them).")] = None,
    server: ServerOption = None,
    git: GitOption = None,
    ref: RefOption = None,
    key_env: KeyEnvOption = None,
    repo: ProjectOption = None,
) -> None:
    """Move locked prompts to the highest version within their range, and write the files.

    A tag reference also picks up prompts that gained the tag. Outside a range, edit the range
    in prompt-engine.yaml (`promptctl outdated` shows what is there).

    Examples:
        promptctl update
        promptctl update engineering/code-review
    """
    from promptctl.consumers import sync as operations
    from promptctl.errors import UsageError

    context = _context(repo, server, git, ref, key_env)
    names = set(ids or [])
    known = {p.id for p in context.lock.prompts} if context.lock else set()
    known |= {r.ref for r in context.references.prompts if r.ref}
    unknown = sorted(names - known)
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not referenced or locked here; see "
                         "prompt-engine.yaml")
    _report(operations.sync(context, update=names, update_all=not names))


def outdated(
    as_json: JsonOption = False,
    server: ServerOption = None,
    git: GitOption = None,
    ref: RefOption = None,
    key_env: KeyEnvOption = None,
    repo: ProjectOption = None,
) -> None:
    """Locked prompts with newer versions: `wanted` within the range (`update` moves there),
    `latest` beyond it (edit the range).

    Examples:
        promptctl outdated
        promptctl outdated --json
    """
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json
    from promptctl.consumers import sync as operations

    found = operations.outdated(_context(repo, server, git, ref, key_env))
    if as_json:
        print_json([n.as_dict() for n in found])
        return
    if not found:
        console.print("every locked prompt is at its newest version", markup=False)
        return
    table = Table("id", "locked", "range", "wanted", "latest", box=None, pad_edge=False)
    for newer in found:
        table.add_row(Text(newer.id, style="bold"), Text(newer.locked),
                      Text(f"@{newer.range}" if newer.range else "any"),
                      Text(newer.wanted or "-", style="green" if newer.wanted else ""),
                      Text(newer.latest or "-", style="yellow"))
    console.print(table)


def _report(outcome: Outcome) -> None:
    from promptctl.cli.output import console, note

    for line in outcome.resolved:
        console.print(f"locked {line}", markup=False)
    for line in outcome.notes:
        note(line)
    lock_text = "lock updated" if outcome.lock_changed else "lock unchanged"
    console.print(f"{len(outcome.lock.prompts)} prompt(s), {len(outcome.lock.files)} file(s): "
                  f"{outcome.written} written, {outcome.removed} removed; {lock_text}",
                  style="green", markup=False)
