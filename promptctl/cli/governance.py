"""``check`` and ``approvals``: the pull-request gates, over promptctl.lifecycle and
promptctl.approvals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from promptctl.cli.help import command
from promptctl.cli.options import FormatOption, JsonOption, RepoOption, report_format

if TYPE_CHECKING:
    from promptctl.lifecycle import CheckResult

BaseOption = Annotated[
    str,
    typer.Option("--base", metavar="REF", help="The branch or commit the pull request merges "
                 "into, e.g. origin/main.", show_default=False),
]
HeadOption = Annotated[
    str | None,
    typer.Option("--head", metavar="REF", help="The commit to check (default: the work tree).",
                 show_default=False),
]


def register(app: typer.Typer) -> None:
    command(app, "check")(check)
    command(app, "approvals")(approvals)


def check(
    base: BaseOption,
    head: HeadOption = None,
    output_format: FormatOption = "text",
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Check a pull request against the version and lifecycle rules (exit 1 on a violation).

    Examples:
        promptctl check --base origin/main
        promptctl check --base origin/main --head HEAD --format github
    """
    from promptctl.cli.output import print_json, print_plain, print_problems, verdict
    from promptctl.lifecycle import check as run_check
    from promptctl.repository import resolve_root

    output_format = report_format(output_format, as_json)
    _freeze_objects()
    result = run_check(resolve_root(repo), base, head)
    _freeze_objects()
    if output_format == "json":
        print_json(result.as_dict())
    else:
        print_problems([v.problem() for v in result.violations],
                       github=output_format == "github")
        for line in _change_lines(result):
            print_plain(line)
        if result.ok:
            verdict(f"ok: {len(result.changes)} changed prompt(s) follow the version and "
                    "lifecycle rules", ok=True)
        else:
            verdict(f"{len(result.violations)} violation(s) in {len(result.changes)} changed "
                    "prompt(s)", ok=False)
    if not result.ok:
        raise typer.Exit(1)


def _freeze_objects() -> None:
    """The objects made so far live until the command ends: the cyclic collector stops going
    through them. Its full collections while the library loads, and the interpreter's at exit,
    went through every object of typer, pydantic and the loaded prompts: about a tenth of a
    one-second ``check``."""
    import gc

    gc.freeze()


def _change_lines(result: CheckResult) -> list[str]:
    lines = []
    for partial, users in sorted(result.partials.items()):
        included = ", ".join(users) if users else "no prompt"
        lines.append(f"{partial} changed; it is included by: {included}")
    for change in result.changes:
        how = (f"through {', '.join(change.partials)}" if change.change == "partial"
               else change.change)
        lines.append(f"changed: {change.id} ({how}) {change.base_version or '-'} -> "
                     f"{change.head_version or '-'}")
    return lines


def approvals(
    base: BaseOption,
    reviews: Annotated[
        Path | None,
        typer.Option("--reviews", help="The pull request's reviews: the JSON array of GitHub's "
                     "'list reviews for a pull request' API.", dir_okay=False,
                     show_default=False),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option("--author", metavar="LOGIN",
                     help="The pull request author's login (never counts).", show_default=False),
    ] = None,
    teams: Annotated[
        Path | None,
        typer.Option("--teams", help='Team members as JSON: {"org/team": ["login", ...]}.',
                     dir_okay=False, show_default=False),
    ] = None,
    head: HeadOption = None,
    list_teams: Annotated[
        bool, typer.Option("--list-teams", help="Only print the org/team owners of the changed "
                           "prompts, one a line: the teams whose members --teams needs.")
    ] = False,
    as_json: JsonOption = False,
    repo: RepoOption = None,
) -> None:
    """Check that every changed prompt has the approvals its owners and scope require.

    Examples:
        promptctl approvals --base origin/main --list-teams
        promptctl approvals --base origin/main --reviews reviews.json --author octocat \\
            --teams teams.json
    """
    from promptctl import approvals as approvals_module
    from promptctl.cli.output import err_console, print_json, print_plain, verdict
    from promptctl.errors import UsageError
    from promptctl.lifecycle import check as run_check
    from promptctl.repository import resolve_root

    if list_teams:
        needed = approvals_module.teams_needed(run_check(resolve_root(repo), base, head))
        if as_json:
            print_json(needed)
        else:
            for team in needed:
                print_plain(team)
        return
    if reviews is None or author is None:
        raise UsageError("approvals needs --reviews FILE and --author LOGIN (or --list-teams)")
    skipped: list[str] = []
    review_list = approvals_module.load_reviews(reviews, skipped)
    members = approvals_module.load_teams(teams) if teams is not None else {}
    result = run_check(resolve_root(repo), base, head)
    report = approvals_module.evaluate(result, review_list, author, members)
    report.warnings.extend(skipped)
    for warning in skipped:  # on stderr, with --json too: a person reads them in the log
        err_console.print(f"warning: {warning}", style="yellow", markup=False)
    if as_json:
        print_json(report.as_dict())
    elif report.blocked is not None:
        verdict(f"approvals cannot be counted: {report.blocked}", ok=False)
    else:
        for requirement in report.requirements:
            mark = "ok" if requirement.ok else "MISSING"
            verdict(f"{mark}: {requirement.summary(report.author)}", ok=requirement.ok)
        lacking = sum(1 for r in report.requirements if not r.ok)
        if not report.requirements:
            verdict("no prompt changed: no owner approvals needed", ok=True)
        elif lacking:
            verdict(f"{lacking} of {len(report.requirements)} changed prompt(s) lack approvals",
                    ok=False)
        else:
            verdict(f"all {len(report.requirements)} changed prompt(s) have their approvals",
                    ok=True)
    if not report.ok:
        raise typer.Exit(1)
