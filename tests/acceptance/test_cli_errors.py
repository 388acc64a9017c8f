"""Error reports as people meet them: one problem where there is one, the line that is wrong,
and the exit code of the rule (1 the repository's content, 2 what was typed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.test_approvals_cli import CHANGE_GREET, WRITERS, review, run
from tests.conftest import GOOD_PROMPT, CliRunner, RepoFactory

BAD = "prompts/demo/greet.prompt.md"


def test_a_template_that_does_not_parse_reports_only_its_syntax_error(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    broken = GOOD_PROMPT.replace("{% else %}.{% endif %}", "{% else %}.{% endif")
    repo = make_repo({BAD: broken})
    result = cli("validate", "--repo", str(repo))
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith(BAD)]
    assert len(problems) == 1, result.stdout
    assert "error[template]: template syntax error in body" in problems[0]
    assert "unused-input" not in result.stdout


def test_a_partial_that_does_not_parse_makes_no_unused_input_warnings(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    uses_partial = GOOD_PROMPT.replace(
        "Hello, {{ name }}{% if excited %}!{% else %}.{% endif %}",
        '{% include "_partials/greeting.md" %}')
    repo = make_repo({BAD: uses_partial,
                      "prompts/_partials/greeting.md": "Hello, {{ name }}{% if excited %}!"})
    result = cli("validate", "--repo", str(repo))
    assert result.returncode == 1
    assert "prompts/_partials/greeting.md:1:1: error[template]" in result.stdout
    assert "unused-input" not in result.stdout


@pytest.mark.parametrize("version", ["1.0", '"1.0"', "1", "'1.0'"])
def test_a_version_that_is_not_major_minor_patch_gets_the_same_hint_quoted_or_not(
        cli: CliRunner, make_repo: RepoFactory, version: str) -> None:
    repo = make_repo({BAD: GOOD_PROMPT.replace("version: 1.0.0", f"version: {version}")})
    result = cli("validate", "--repo", str(repo))
    assert result.returncode == 1
    assert f"{BAD}:4:1: error[schema]: version " in result.stdout
    assert "must be MAJOR.MINOR.PATCH, for example 1.0.0 (quoted or not)" in result.stdout


def test_a_review_by_a_deleted_account_is_named_and_counts_for_nobody(
        cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    ghost = review(None, "APPROVED", 5)
    result = run(cli, make_repo, tmp_path, CHANGE_GREET, [ghost, review("ada", "APPROVED")],
                 teams=WRITERS)
    assert result.returncode == 0, result.output
    assert "warning: --reviews" in result.stderr
    assert "review 85 (APPROVED) has no user (a deleted account" in result.stderr
    only_ghost = run(cli, make_repo, tmp_path, CHANGE_GREET, [ghost], teams=WRITERS,
                     extra=("--json",))
    assert only_ghost.returncode == 1  # the ghost's approval did not count
    assert only_ghost.json()["warnings"] == [
        f"--reviews {tmp_path / 'reviews.json'}: review 85 (APPROVED) has no user (a deleted "
        "account, shown as ghost on GitHub); it counts for nobody"]


# --- exit codes: 1 the repository's content, 2 what was typed -----------------------------------

@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["render", "demo/greet", "-i", "excited=perhaps", "-i", "name=Ada"], 2,
         "excited: expected true or false"),
        (["render", "demo/greet"], 2, "name: required input is missing"),
        (["render", "demo/nope"], 2, "no prompt 'demo/nope'"),
        (["new", "demo/greet", "--owner", "@a"], 2, "is taken by"),
        (["list", "--status", "retired"], 2, "--status 'retired' is not a status"),
        (["validate", "prompts/none.prompt.md"], 2, "no such file or directory"),
        (["render", "demo/broken"], 1, "demo/broken is invalid"),
        (["render", "demo/fails", "-i", "name=Ada"], 1, "has no attribute 'first'"),
        (["test", "demo/fails"], 1, "render failed"),
    ],
    ids=["bad-value", "missing-value", "unknown-id", "taken-id", "bad-filter", "missing-file",
         "invalid-prompt", "template-fails", "test-fails"],
)
def test_exit_codes_follow_the_rule(cli: CliRunner, make_repo: RepoFactory, args: list[str],
                                    code: int, message: str) -> None:
    fails = GOOD_PROMPT.replace("Hello, {{ name }}", "Hello, {{ name.first.last }}")
    repo = make_repo({BAD: GOOD_PROMPT, "prompts/demo/fails.prompt.md": fails,
                      "prompts/demo/broken.prompt.md": GOOD_PROMPT.replace("{{ name }}",
                                                                           "{{ nobody }}")})
    result = cli(*args, "--repo", str(repo), cwd=repo)
    assert result.returncode == code, result.output
    assert message in result.output
