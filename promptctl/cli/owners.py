"""``owners`` (who CODEOWNERS says owns each path) and ``codeowners`` (the generated block)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from promptctl.cli.help import command
from promptctl.cli.options import (
    JsonOption,
    QuietOption,
    RepoOption,
    VerboseOption,
    verbosity,
)

if TYPE_CHECKING:
    from promptctl.codeowners import Match
    from promptctl.problems import Problem


def register(app: typer.Typer) -> None:
    command(app, "owners")(owners)
    command(app, "codeowners")(codeowners)


def owners(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATH", show_default=False,
                       help="Files, repository-relative or relative to the current directory."),
    ] = None,
    paths_from: Annotated[
        str | None,
        typer.Option("--paths-from", metavar="FILE",
                     help="Also read paths from FILE, one per line (- = stdin)."),
    ] = None,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """The owners CODEOWNERS gives each file, and the line that decided them.

    Examples:
        promptctl owners prompts/engineering/commit-message.prompt.md
        git ls-files | promptctl owners --paths-from - --json
    """
    from promptctl import codeowners as codeowners_module
    from promptctl.cli.output import note, print_json
    from promptctl.errors import UsageError
    from promptctl.repository import resolve_root

    root = resolve_root(repo)
    wanted = list(paths or [])
    if paths_from is not None:
        wanted.extend(_read_paths(paths_from))
    if not wanted:
        raise UsageError("give at least one PATH, or --paths-from FILE (e.g. "
                         "`git ls-files | promptctl owners --paths-from -`)")
    cwd = os.path.realpath(os.getcwd())
    relative = [_repo_path(str(root), cwd, arg) for arg in wanted]
    rules, problems = codeowners_module.load(root)
    _print_problems(problems)
    if rules.path is None:
        note("note: no CODEOWNERS file (looked for " + ", ".join(codeowners_module.LOCATIONS)
             + "), so every path is unowned; create one with `promptctl codeowners`")
    matches = [rules.match(path) for path in relative]
    if as_json:
        print_json([m.as_dict() for m in matches])
    else:
        sys.stdout.write(_format(matches, rules.path))


def _read_paths(source: str) -> list[str]:
    from promptctl.errors import UsageError

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--paths-from {source}: cannot read it ({exc}); pass a UTF-8 text file "
                         "with one path per line") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _repo_path(root: str, cwd: str, arg: str) -> str:
    """``arg`` as a repository-relative posix path: relative to the current directory where that
    names something inside the repository, else relative to the repository root."""
    from promptctl.errors import UsageError

    inside = root.rstrip(os.sep) + os.sep
    if os.path.isabs(arg):
        full = os.path.realpath(arg)
    else:
        full = os.path.normpath(os.path.join(root, arg))
        if cwd != root:
            beside = os.path.normpath(os.path.join(cwd, arg))
            if beside.startswith(inside) and os.path.lexists(beside):
                full = beside
    if not full.startswith(inside):
        if full == root:
            raise UsageError(f"{arg} is the repository itself; pass the files to look up")
        raise UsageError(f"{arg} is outside the repository {root}; pass paths inside it")
    if arg.endswith(("/", os.sep)) or os.path.isdir(full):
        raise UsageError(f"{arg} is a folder; CODEOWNERS gives owners to files, so pass file paths "
                         "(e.g. `git ls-files " + arg + " | promptctl owners --paths-from -`)")
    return full[len(inside):].replace(os.sep, "/")


def _format(matches: Iterable[Match], file: str | None) -> str:
    rows = list(matches)
    width = min(max((len(m.path) for m in rows), default=0), 60)
    out = []
    for match in rows:
        rule = match.rule
        if rule is None:
            why = "no CODEOWNERS file" if file is None else "no line matches"
            out.append(f"{match.path:<{width}}  unowned  ({why})")
        elif not rule.owners:
            out.append(f"{match.path:<{width}}  unowned  ({file}:{rule.line}: {rule.pattern} "
                       "has no owners)")
        else:
            out.append(f"{match.path:<{width}}  {' '.join(rule.owners)}  "
                       f"({file}:{rule.line}: {rule.pattern})")
    return "".join(line + "\n" for line in out)


def _print_problems(problems: Iterable[Problem]) -> None:
    from promptctl.cli.output import err_console

    for problem in problems:
        err_console.print(problem.format_text(), style="yellow", markup=False)


def codeowners(
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 with a diff when stale.")
    ] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    repo: RepoOption = None,
) -> None:
    """Regenerate the block between the promptctl markers in CODEOWNERS from each prompt's
    owners (or, with --check, fail when it is stale).

    --quiet prints nothing unless the block is stale under --check; --verbose also prints the
    generated block.

    Examples:
        promptctl codeowners
        promptctl codeowners --check
    """
    from rich.text import Text

    from promptctl import codeowners as codeowners_module
    from promptctl.cli.output import console, error, verdict
    from promptctl.library import Library
    from promptctl.repository import resolve_root

    level = verbosity(quiet, verbose)
    root = resolve_root(repo)
    update = codeowners_module.plan_update(root, Library.from_work_tree(root))
    _print_problems(update.problems)
    if level > 0:
        for line in update.block:
            console.print(line, style="dim", markup=False)
    if check:
        if not update.stale:
            if level >= 0:
                verdict(f"{update.path} is up to date", ok=True)
            return
        for line in update.diff().splitlines():
            style = ("green" if line.startswith("+") else "red" if line.startswith("-")
                     else "cyan" if line.startswith("@@") else "")
            console.print(Text(line, style=style))
        what = "does not exist" if update.current is None else (
            "is stale: its generated block does not match the prompts' owners")
        error(f"{update.path} {what}; run `promptctl codeowners` and commit the result")
        raise typer.Exit(1)
    if not update.stale:
        if level >= 0:
            console.print(f"{update.path} is already up to date", markup=False)
        return
    update.write()
    lines = len(update.block) - 2
    verb = "Created" if update.current is None else "Updated"
    if level >= 0:
        console.print(f"{verb} {update.path}: {lines} line(s) in the generated block",
                      markup=False)
