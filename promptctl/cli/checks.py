"""``validate`` and ``test``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from promptctl.cli.completion import complete_ids
from promptctl.cli.help import command
from promptctl.cli.options import (
    FormatOption,
    JsonOption,
    QuietOption,
    RepoOption,
    VerboseOption,
    load_library,
    report_format,
    verbosity,
)
from promptctl.cli.tables import Column

if TYPE_CHECKING:
    from rich.console import Console

    from promptctl.library import Library
    from promptctl.testing import TestResult


def register(app: typer.Typer) -> None:
    command(app, "validate")(validate)
    command(app, "test")(run_tests_command)


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", show_default=False,
                       help="Files or folders to report on (default: the whole repository)."),
    ] = None,
    output_format: FormatOption = "text",
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    repo: RepoOption = None,
) -> None:
    """Check schema, ids, aliases, partials, templates, inputs and tests; list every problem.

    --quiet prints errors only (no warnings, notes or summary); --verbose also lists each
    prompt and partial checked. Neither changes --format json.

    Examples:
        promptctl validate
        promptctl validate prompts/engineering --format github
    """
    from promptctl import problems as problems_module
    from promptctl.cli.output import console, note, print_plain, print_problems
    from promptctl.errors import UsageError
    from promptctl.repository import resolve_root

    output_format = report_format(output_format, as_json)
    level = verbosity(quiet, verbose)
    root = resolve_root(repo)
    library = load_library(root)
    selected = library.problems
    if paths:
        prefixes = []
        for path in paths:
            full = path.resolve()
            if not full.exists():
                raise UsageError(f"{path}: no such file or directory")
            try:
                prefixes.append(full.relative_to(root).as_posix())
            except ValueError:
                raise UsageError(f"{path} is outside the repository {root}") from None
        selected = [p for p in selected if _under(p.path, prefixes)]
        checked = sum(1 for path in library.checked if _under(path, prefixes))
    else:
        checked = library.files_checked
    if not (root / "prompts").is_dir() and level >= 0:
        note(f"note: {root} has no prompts/ folder; create one with `promptctl init` or "
             "point --repo at a prompt repository")
    errors = sum(1 for p in selected if p.is_error)
    if output_format == "json":
        print_plain(problems_module.to_json(selected, files_checked=checked))
    else:
        if level > 0 and output_format == "text":
            _print_checked(library)
        print_problems([p for p in selected if p.is_error or level >= 0],
                       github=output_format == "github")
        if output_format == "text" and level >= 0:
            warnings = len(selected) - errors
            files = "1 file" if checked == 1 else f"{checked} files"
            summary = f"{files} checked: {errors} error(s), {warnings} warning(s)"
            console.print(summary, style="red" if errors else "green", markup=False)
    if errors:
        raise typer.Exit(1)


def _under(path: str, prefixes: list[str]) -> bool:
    """Whether ``path`` is one of the files or folders ``prefixes`` (repository-relative)."""
    return any(prefix in (".", "") or path == prefix or path.startswith(prefix + "/")
               for prefix in prefixes)


def _print_checked(library: Library) -> None:
    from promptctl.cli.output import console

    checked = [(p.path, f"{p.id} {p.version}") for p in library.prompts.values()]
    checked += [(f"prompts/{name}", "partial") for name in library.partials]
    for path, what in sorted(checked):
        console.print(f"checked {path} ({what})", style="dim", markup=False)


def run_tests_command(
    ids: Annotated[list[str] | None, typer.Argument(
        metavar="ID", autocompletion=complete_ids, show_default=False,
        help="Prompt ids (default: all).")] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    repo: RepoOption = None,
) -> None:
    """Run the prompts' own tests (contains, not_contains, equals, matches).

    --quiet prints only the failures; --verbose adds the file and line of every test.

    Examples:
        promptctl test
        promptctl test engineering/commit-message --json
    """
    from promptctl.cli.output import console, err_console, print_json
    from promptctl.cli.tables import print_table, stdout_is_terminal
    from promptctl.testing import run_tests

    level = verbosity(quiet, verbose)
    library = load_library(repo)
    prompts = [library.get(i) for i in ids] if ids else library.select()
    results = run_tests(library, prompts)
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json({"passed": len(results) - len(failed), "failed": len(failed),
                    "results": [r.as_dict() for r in results]})
    else:
        if level >= 0:
            columns = TEST_COLUMNS if level > 0 else TEST_COLUMNS[:3]
            print_table(columns, [[r.prompt_id, r.name, "pass" if r.passed else "FAIL",
                                   f"{r.path}:{r.line}"][:len(columns)] for r in results])
        # On a terminal everything goes to stdout; in a pipe stdout is the records only.
        out = console if stdout_is_terminal() else err_console
        for result in failed:
            _print_failure(out, result)
        if level >= 0:
            out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed",
                      style="red" if failed else "green", markup=False)
    if failed:
        raise typer.Exit(1)


# test's columns, in the order of its records when stdout is not a terminal (file: --verbose).
TEST_COLUMNS = (Column("prompt", fixed=True), Column("test"), Column("result", fixed=True),
                Column("file", fixed=True, drop=1))
_SHOWN_LINES = 40  # of a failing test's rendered text


def _print_failure(out: Console, result: TestResult) -> None:
    """Each failed expectation, then what the test rendered: the diff for `equals`, else the
    text (its first ``_SHOWN_LINES`` lines)."""
    from rich.text import Text

    for failure in result.failures:
        out.print(f"{result.path}:{result.line}: {result.prompt_id} [{result.name}]: {failure}",
                  style="red", markup=False)
    if result.diff:
        for line in result.diff.splitlines():
            style = ("green" if line.startswith("+") else "red" if line.startswith("-")
                     else "cyan" if line.startswith("@@") else "")
            out.print(Text("    " + line, style=style))
    elif result.rendered is not None:
        lines = result.rendered.splitlines() or [""]
        out.print(f"  rendered ({len(lines)} line(s)):", style="dim", markup=False)
        for line in lines[:_SHOWN_LINES]:
            out.print(Text("    " + line))
        if len(lines) > _SHOWN_LINES:
            out.print(f"    ... {len(lines) - _SHOWN_LINES} more line(s); `promptctl test "
                      f"{result.prompt_id} --json` has the whole text", style="dim", markup=False)
