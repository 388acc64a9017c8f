"""`promptctl approvals`: reviews as GitHub's API returns them, owners, scopes and the config.

Each test builds a real repository (`main` = the base), applies the pull request to the work tree,
writes the reviews (and team members) JSON to files, and runs the real CLI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_check_cli import GREET, SIGN, apply, md
from tests.conftest import CliRunner, RepoFactory, Result

GLOBAL = "prompts/demo/everyone.prompt.md"
OLD = "prompts/demo/old.prompt.md"
INCLUDE = 'Hello, {{ name }}.\n{% include "_partials/sign.md" %}'
TEAM_OWNERS = '["@ada", "@acme/writers"]'
GLOBAL_OWNERS = '["@ada", "@bob", "@carol"]'

BASE: dict[str, str | None] = {
    SIGN: "Regards.\n",
    GREET: md(owners=TEAM_OWNERS, body=INCLUDE),
    GLOBAL: md(owners=GLOBAL_OWNERS, extra="scope: global\n", title="Everyone", body=INCLUDE),
    OLD: md(status="deprecated", owners='["@carol"]', title="Old"),
}
CHANGE_GREET = {GREET: md("1.0.1", owners=TEAM_OWNERS, body=INCLUDE + "\nThanks.")}
CHANGE_GLOBAL = {GLOBAL: md("1.0.1", owners=GLOBAL_OWNERS, extra="scope: global\n",
                            title="Everyone", body=INCLUDE + "\nThanks.")}
WRITERS = {"acme/writers": ["dan", "erin"]}


def review(login: str | None, state: str, minute: int | None = 0) -> dict[str, Any]:
    """One item as GitHub's 'list reviews for a pull request' returns it (fields we read and a few
    we do not)."""
    item: dict[str, Any] = {
        "id": 80 + (minute or 0), "node_id": "PRR_x", "body": "", "author_association": "MEMBER",
        "user": None if login is None else {"login": login, "id": 1, "type": "User"},
        "state": state, "commit_id": "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091",
        "html_url": "https://github.com/acme/prompts/pull/12#pullrequestreview-80",
    }
    if minute is not None:
        item["submitted_at"] = f"2026-01-02T10:{minute:02d}:00Z"
    return item


def run(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path, change: Mapping[str, str | None],
        reviews: Any, *, author: str = "zoe", teams: Any = None,
        base: Mapping[str, str | None] = BASE, extra: tuple[str, ...] = ()) -> Result:
    repo = make_repo({k: v for k, v in base.items() if v is not None})
    apply(repo, change)
    reviews_file = tmp_path / "reviews.json"
    reviews_file.write_text(reviews if isinstance(reviews, str) else json.dumps(reviews))
    args = ["approvals", "--repo", str(repo), "--base", "main", "--reviews", str(reviews_file),
            "--author", author, *extra]
    if teams is not None:
        teams_file = tmp_path / "teams.json"
        teams_file.write_text(teams if isinstance(teams, str) else json.dumps(teams))
        args += ["--teams", str(teams_file)]
    return cli(*args)


NEEDS_ONE = ("MISSING: demo/greet (modified, scope team): no owner approval yet (0 of 1); needs 1 "
             "more from @ada, @acme/writers (the author @zoe does not count)")
ADA_OK = "ok: demo/greet (modified, scope team): approved by @ada (1 of 1)"
ADA_BLOCKS = ("@ada (an owner) requested changes: address them, then ask @ada to approve or "
              "dismiss that review")

# (reviews, author, teams, exit code, the line printed for demo/greet)
TEAM_CASES = [
    pytest.param([review("ada", "APPROVED")], "zoe", WRITERS, 0, ADA_OK, id="owner-approves"),
    pytest.param([], "zoe", WRITERS, 1, NEEDS_ONE, id="no-reviews"),
    pytest.param([review("ada", "APPROVED", 1), review("ada", "CHANGES_REQUESTED", 2)], "zoe",
                 WRITERS, 1, f"{NEEDS_ONE}; {ADA_BLOCKS}", id="latest-wins-changes"),
    pytest.param([review("ada", "CHANGES_REQUESTED", 1), review("ada", "APPROVED", 2)], "zoe",
                 WRITERS, 0, ADA_OK, id="latest-wins-approval"),
    pytest.param([review("ada", "APPROVED", 2), review("ada", "CHANGES_REQUESTED", 1)], "zoe",
                 WRITERS, 0, ADA_OK, id="ordered-by-submitted-at"),
    pytest.param([review("ada", "APPROVED", 1), review("ada", "COMMENTED", 2)], "zoe", WRITERS,
                 0, ADA_OK, id="commented-keeps-approval"),
    pytest.param([review("ada", "CHANGES_REQUESTED", 1), review("ada", "COMMENTED", 2)], "zoe",
                 WRITERS, 1, f"{NEEDS_ONE}; {ADA_BLOCKS}", id="commented-keeps-changes"),
    pytest.param([review("ada", "COMMENTED")], "zoe", WRITERS, 1, NEEDS_ONE,
                 id="comment-is-not-approval"),
    pytest.param([review("ada", "APPROVED", 1), review("ada", "DISMISSED", 2)], "zoe", WRITERS, 1,
                 NEEDS_ONE, id="dismissed-approval"),
    pytest.param([review("ada", "CHANGES_REQUESTED", 1), review("ada", "DISMISSED", 2),
                  review("dan", "APPROVED", 3)], "zoe", WRITERS, 0,
                 "ok: demo/greet (modified, scope team): approved by @dan (1 of 1)",
                 id="dismissed-changes-unblock"),
    pytest.param([review("ada", "APPROVED"), review("dan", "CHANGES_REQUESTED")], "zoe", WRITERS,
                 1, "MISSING: demo/greet (modified, scope team): approved by @ada (1 of 1); @dan "
                 "(an owner) requested changes: address them, then ask @dan to approve or dismiss "
                 "that review", id="team-member-changes-block"),
    pytest.param([review("ada", "APPROVED"), review("zed", "CHANGES_REQUESTED")], "zoe", WRITERS,
                 0, ADA_OK, id="non-owner-changes-ignored"),
    pytest.param([review("zed", "APPROVED")], "zoe", WRITERS, 1, NEEDS_ONE,
                 id="non-owner-approval-ignored"),
    pytest.param([review("ada", "APPROVED")], "Ada", WRITERS, 1,
                 "MISSING: demo/greet (modified, scope team): no owner approval yet (0 of 1); "
                 "needs 1 more from @ada, @acme/writers (the author @Ada does not count)",
                 id="author-excluded-any-case"),
    pytest.param([review("ADA", "APPROVED")], "zoe", WRITERS, 0,
                 "ok: demo/greet (modified, scope team): approved by @ADA (1 of 1)",
                 id="login-case-insensitive"),
    pytest.param([review("Erin", "APPROVED")], "zoe", WRITERS, 0,
                 "ok: demo/greet (modified, scope team): approved by @Erin (1 of 1)",
                 id="team-member-approves"),
    pytest.param([review("erin", "APPROVED")], "zoe", {"writers": ["erin"]}, 0,
                 "ok: demo/greet (modified, scope team): approved by @erin (1 of 1)",
                 id="team-by-bare-slug"),
    pytest.param([review("erin", "APPROVED")], "zoe",
                 {"acme/writers": [{"login": "erin", "id": 7, "type": "User"}]}, 0,
                 "ok: demo/greet (modified, scope team): approved by @erin (1 of 1)",
                 id="team-as-api-members"),
    pytest.param([review("erin", "APPROVED")], "zoe", None, 1,
                 f"{NEEDS_ONE}; the members of @acme/writers are unknown: pass --teams with them "
                 "(the workflow fetches them with the ORG_READ_TOKEN secret)",
                 id="team-unknown-without-teams"),
    pytest.param([review(None, "APPROVED"), review("ada", "PENDING", None),
                  review("ada", "APPROVED")], "zoe", WRITERS, 0, ADA_OK,
                 id="ghost-and-pending-skipped"),
]


@pytest.mark.parametrize(("reviews", "author", "teams", "code", "line"), TEAM_CASES)
def test_team_scope(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path, reviews: Any,
                    author: str, teams: Any, code: int, line: str) -> None:
    result = run(cli, make_repo, tmp_path, CHANGE_GREET, reviews, author=author, teams=teams)
    assert result.returncode == code, result.output
    assert result.stdout.splitlines()[0] == line
    assert result.stdout.splitlines()[-1] == (
        "all 1 changed prompt(s) have their approvals" if code == 0
        else "1 of 1 changed prompt(s) lack approvals")


GLOBAL_CASES = [
    pytest.param([review("ada", "APPROVED")], {}, 1,
                 "MISSING: demo/everyone (modified, scope global): approved by @ada (1 of 2); "
                 "needs 1 more from @ada, @bob, @carol (the author @zoe does not count)",
                 id="global-one-of-two"),
    pytest.param([review("ada", "APPROVED", 1), review("ada", "APPROVED", 2)], {}, 1,
                 "MISSING: demo/everyone (modified, scope global): approved by @ada (1 of 2); "
                 "needs 1 more from @ada, @bob, @carol (the author @zoe does not count)",
                 id="global-same-person-twice"),
    pytest.param([review("ada", "APPROVED"), review("bob", "APPROVED")], {}, 0,
                 "ok: demo/everyone (modified, scope global): approved by @ada, @bob (2 of 2)",
                 id="global-two-distinct"),
    pytest.param([review("ada", "APPROVED"), review("bob", "APPROVED")],
                 {"promptctl.yaml": "approvals:\n  global: 3\n"}, 1,
                 "MISSING: demo/everyone (modified, scope global): approved by @ada, @bob (2 of "
                 "3); needs 1 more from @ada, @bob, @carol (the author @zoe does not count)",
                 id="global-three-from-config"),
    pytest.param([review("ada", "APPROVED"), review("bob", "APPROVED")],
                 {"promptctl.yaml": "approvals:\n  global: 4\n"}, 1,
                 "MISSING: demo/everyone (modified, scope global): approved by @ada, @bob (2 of "
                 "4); needs 2 more from @ada, @bob, @carol (the author @zoe does not count); only "
                 "3 owner(s) besides the author can approve: add owners to the prompt in a "
                 "separate pull request", id="global-more-than-owners"),
]


@pytest.mark.parametrize(("reviews", "base_extra", "code", "line"), GLOBAL_CASES)
def test_global_scope(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path, reviews: Any,
                      base_extra: dict[str, str], code: int, line: str) -> None:
    result = run(cli, make_repo, tmp_path, CHANGE_GLOBAL, reviews, base={**BASE, **base_extra})
    assert result.returncode == code, result.output
    assert result.stdout.splitlines()[0] == line


def test_team_number_from_config(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    base = {**BASE, "promptctl.yaml": "approvals:\n  team: 2\n"}
    one = run(cli, make_repo, tmp_path, CHANGE_GREET, [review("ada", "APPROVED")], teams=WRITERS,
              base=base)
    assert one.returncode == 1, one.output
    assert "approved by @ada (1 of 2); needs 1 more" in one.stdout
    two = run(cli, make_repo, tmp_path, CHANGE_GREET,
              [review("ada", "APPROVED"), review("dan", "APPROVED")], teams=WRITERS, base=base)
    assert two.returncode == 0, two.output


def test_a_pull_request_cannot_lower_its_own_requirements(cli: CliRunner, make_repo: RepoFactory,
                                                          tmp_path: Path) -> None:
    """Numbers come from the base's promptctl.yaml, owners from the base, the stricter scope."""
    change = {
        "promptctl.yaml": "approvals:\n  global: 1\n",
        GLOBAL: md("1.0.1", owners='["@zed"]', title="Everyone", body=INCLUDE + "\nMine now."),
    }
    result = run(cli, make_repo, tmp_path, change, [review("zed", "APPROVED")])
    assert result.returncode == 1, result.output
    assert result.stdout.splitlines()[0] == (
        "MISSING: demo/everyone (modified, scope global): no owner approval yet (0 of 2); needs 2 "
        "more from @ada, @bob, @carol (the author @zoe does not count)")


def test_partial_change_needs_the_including_prompts_owners(cli: CliRunner, make_repo: RepoFactory,
                                                           tmp_path: Path) -> None:
    change = {SIGN: "Best regards.\n"}
    result = run(cli, make_repo, tmp_path, change, [review("dan", "APPROVED")], teams=WRITERS)
    assert result.returncode == 1, result.output
    assert result.stdout.splitlines() == [
        "MISSING: demo/everyone (partial, scope global): no owner approval yet (0 of 2); needs 2 "
        "more from @ada, @bob, @carol (the author @zoe does not count)",
        "ok: demo/greet (partial, scope team): approved by @dan (1 of 1)",
        "1 of 2 changed prompt(s) lack approvals",
    ]
    both = run(cli, make_repo, tmp_path, change,
               [review("dan", "APPROVED"), review("ada", "APPROVED"), review("bob", "APPROVED")],
               teams=WRITERS, extra=("--json",))
    assert both.returncode == 0, both.output
    data = both.json()
    assert data["ok"] is True
    assert [(p["id"], p["change"], p["approved_by"]) for p in data["prompts"]] == [
        ("demo/everyone", "partial", ["ada", "bob"]), ("demo/greet", "partial", ["ada", "dan"])]


def test_deleted_prompt_needs_its_base_owners(cli: CliRunner, make_repo: RepoFactory,
                                              tmp_path: Path) -> None:
    result = run(cli, make_repo, tmp_path, {OLD: None}, [review("carol", "APPROVED")])
    assert result.returncode == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "ok: demo/old (deleted, scope team): approved by @carol (1 of 1)")


def test_no_prompt_changed_needs_nothing(cli: CliRunner, make_repo: RepoFactory,
                                         tmp_path: Path) -> None:
    result = run(cli, make_repo, tmp_path, {"README.md": "docs\n"}, [])
    assert result.returncode == 0, result.output
    assert result.stdout.strip() == "no prompt changed: no owner approvals needed"


def test_invalid_head_blocks(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    result = run(cli, make_repo, tmp_path, {GREET: "---\ntitle: broken\n---\nHi\n"},
                 [review("ada", "APPROVED")])
    assert result.returncode == 1, result.output
    assert result.stdout.startswith("approvals cannot be counted: the head does not validate")


def test_json_shape(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    result = run(cli, make_repo, tmp_path, CHANGE_GREET,
                 [review("ada", "CHANGES_REQUESTED")], teams=WRITERS, extra=("--json",))
    assert result.returncode == 1
    assert result.json() == {
        "ok": False, "author": "zoe", "blocked": None,
        "prompts": [{"id": "demo/greet", "change": "modified", "scope": "team", "required": 1,
                     "owners": ["@ada", "@acme/writers"], "approved_by": [], "missing": 1,
                     "changes_requested_by": ["ada"], "unresolved_teams": [], "ok": False}],
        "warnings": [],
    }


@pytest.mark.parametrize("text", [
    json.dumps([review("bob", "COMMENTED")]) + json.dumps([review("ada", "APPROVED", 5)]),
    json.dumps([[review("bob", "COMMENTED")], [review("ada", "APPROVED", 5)]]),
], ids=["paginate-pages-back-to-back", "paginate-slurp"])
def test_gh_paginate_output_is_read(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path,
                                    text: str) -> None:
    result = run(cli, make_repo, tmp_path, CHANGE_GREET, text, teams=WRITERS)
    assert result.returncode == 0, result.output
    assert result.stdout.splitlines()[0] == ADA_OK


@pytest.mark.parametrize(("reviews", "teams", "message"), [
    ("[{", None, "reviews.json:1:3: not JSON"),
    ("", None, "reviews.json is empty"),
    ('{"state": "APPROVED"}', None, "expected the JSON array that GitHub's 'list reviews for a "
     "pull request' API returns"),
    ('[{"user": {"login": "ada"}}]', None, "review 0 has no 'state'"),
    ('[{"user": {"id": 1}, "state": "APPROVED"}]', None, "review 0: 'user' has no 'login'"),
    ('[{"user": {"login": "a"}, "state": "APPROVED", "submitted_at": "soon"}]', None,
     "review 0: submitted_at 'soon' is not an ISO 8601 time"),
    ("[]", '["ada"]', "teams.json: expected a JSON object of team slug to member logins"),
    ("[]", '{"acme/writers": "ada"}', "team 'acme/writers': expected a list of logins"),
    ("[]", "{nope", "teams.json:1:2: not JSON"),
], ids=["bad-json", "empty", "object-not-array", "no-state", "no-login", "bad-time",
        "teams-not-object", "team-not-list", "teams-bad-json"])
def test_bad_files_are_usage_errors(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path,
                                    reviews: str, teams: str | None, message: str) -> None:
    result = run(cli, make_repo, tmp_path, CHANGE_GREET, reviews, teams=teams)
    assert result.returncode == 2, result.output
    assert message in result.stderr
    assert not result.stdout


def test_missing_options_and_files(cli: CliRunner, make_repo: RepoFactory,
                                   tmp_path: Path) -> None:
    repo = make_repo({k: v for k, v in BASE.items() if v is not None})
    no_author = cli("approvals", "--repo", str(repo), "--base", "main", "--reviews", "r.json")
    assert no_author.returncode == 2
    assert "approvals needs --reviews FILE and --author LOGIN" in no_author.stderr
    missing = cli("approvals", "--repo", str(repo), "--base", "main", "--author", "zoe",
                  "--reviews", str(tmp_path / "absent.json"))
    assert missing.returncode == 2
    assert f"--reviews {tmp_path / 'absent.json'}: cannot read it" in missing.stderr


def test_list_teams_names_the_teams_to_fetch(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({k: v for k, v in BASE.items() if v is not None})
    apply(repo, {SIGN: "Bye.\n"})
    result = cli("approvals", "--repo", str(repo), "--base", "main", "--list-teams")
    assert result.returncode == 0, result.output
    assert result.stdout == "acme/writers\n"
