"""``validate`` and ``test``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promptctl.cli.options import (
    FormatOption,
    JsonOption,
    RepoOption,
    load_library,
    report_format,
)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("test")(run_tests_command)


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to report on (default: the whole repository)."),
    ] = None,
    output_format: FormatOption = "text",
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Check schema, ids, aliases, partials, templates, inputs and tests; list every problem."""
    from promptctl import problems as problems_module
    from promptctl.cli.output import console, note, print_plain, print_problems
    from promptctl.errors import UsageError
    from promptctl.repository import resolve_root

    output_format = report_format(output_format, as_json)
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
    if not (root / "prompts").is_dir():
        note(f"note: {root} has no prompts/ folder; create one with `promptctl init` or "
             "point --repo at a prompt repository")
    errors = sum(1 for p in selected if p.is_error)
    if output_format == "json":
        print_plain(problems_module.to_json(selected, files_checked=library.files_checked))
    else:
        print_problems(selected, github=output_format == "github")
        if output_format == "text":
            warnings = len(selected) - errors
            summary = (f"{library.files_checked} files checked: {errors} error(s), "
                       f"{warnings} warning(s)")
            console.print(summary, style="red" if errors else "green", markup=False)
    if errors:
        raise typer.Exit(1)


def run_tests_command(
    ids: Annotated[list[str] | None, typer.Argument(help="Prompt ids (default: all).")] = None,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Run the prompts' own tests (contains, not_contains, equals, matches)."""
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json
    from promptctl.testing import run_tests

    library = load_library(repo)
    prompts = [library.get(i) for i in ids] if ids else library.select()
    results = run_tests(library, prompts)
    failed = [r for r in results if not r.passed]
    if as_json:
        print_json({"passed": len(results) - len(failed), "failed": len(failed),
                    "results": [r.as_dict() for r in results]})
    else:
        table = Table("prompt", "test", "result", box=None, pad_edge=False)
        for result in results:
            mark = Text("pass", style="green") if result.passed else Text("FAIL", style="red")
            table.add_row(Text(result.prompt_id), Text(result.name), mark)
        console.print(table)
        for result in failed:
            for failure in result.failures:
                console.print(f"{result.path}:{result.line}: {result.prompt_id} "
                              f"[{result.name}]: {failure}", style="red", markup=False)
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed",
                      style="red" if failed else "green", markup=False)
    if failed:
        raise typer.Exit(1)
