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

if TYPE_CHECKING:
    from promptctl.library import Library


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
        selected = [p for p in selected if any(
            prefix in (".", "") or p.path == prefix or p.path.startswith(prefix + "/")
            for prefix in prefixes)]
    if not (root / "prompts").is_dir() and level >= 0:
        note(f"note: {root} has no prompts/ folder; create one with `promptctl init` or "
             "point --repo at a prompt repository")
    errors = sum(1 for p in selected if p.is_error)
    if output_format == "json":
        print_plain(problems_module.to_json(selected, files_checked=library.files_checked))
    else:
        if level > 0 and output_format == "text":
            _print_checked(library)
        print_problems([p for p in selected if p.is_error or level >= 0],
                       github=output_format == "github")
        if output_format == "text" and level >= 0:
            warnings = len(selected) - errors
            summary = (f"{library.files_checked} files checked: {errors} error(s), "
                       f"{warnings} warning(s)")
            console.print(summary, style="red" if errors else "green", markup=False)
    if errors:
        raise typer.Exit(1)


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
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json
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
        columns = ("prompt", "test", "result", *(("file",) if level > 0 else ()))
        table = Table(*columns, box=None, pad_edge=False)
        for result in results:
            mark = Text("pass", style="green") if result.passed else Text("FAIL", style="red")
            where = (Text(f"{result.path}:{result.line}", style="dim"),) if level > 0 else ()
            table.add_row(Text(result.prompt_id), Text(result.name), mark, *where)
        if level >= 0:
            console.print(table)
        for result in failed:
            for failure in result.failures:
                console.print(f"{result.path}:{result.line}: {result.prompt_id} "
                              f"[{result.name}]: {failure}", style="red", markup=False)
        if level >= 0:
            console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed",
                          style="red" if failed else "green", markup=False)
    if failed:
        raise typer.Exit(1)
