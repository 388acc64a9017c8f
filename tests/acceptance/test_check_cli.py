"""`promptctl check --base REF`: every lifecycle rule passing and failing, on real Git repositories.

Each case commits a history on `main` (one commit per state), applies the pull request's files to
the work tree, and runs the real CLI. Expected lines are exact: `path:line:col: error[rule]: ...`.
In the prompts built by `md` line 4 holds `version:` and line 5 `status:`.

The helpers here (`md`, `commit_states`, `apply`) are shared with the approvals and workflow tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.conftest import CliRunner, RepoFactory, git

Files = Mapping[str, str | None]  # None: delete the file

GREET = "prompts/demo/greet.prompt.md"
BYE = "prompts/demo/bye.prompt.md"
HELLO = "prompts/demo/hello.prompt.md"
SIGN = "prompts/_partials/sign.md"
NAME = "  name:\n    type: string\n    required: true\n"
LANG = "  lang:\n    type: string\n"


def md(version: str = "1.0.0", status: str = "active", *, inputs: str = NAME,
       body: str = "Hello, {{ name }}.", extra: str = "", owners: str = '["@acme/team"]',
       title: str = "Greet") -> str:
    """A valid .prompt.md: version on line 4, status on line 5, owners on line 6."""
    return (f"---\ntitle: {title}\ndescription: A demo prompt.\nversion: {version}\n"
            f"status: {status}\nowners: {owners}\n{extra}inputs:\n{inputs or '  {}'}\n---\n"
            f"{body}\n").replace("inputs:\n  {}\n", "inputs: {}\n")


def apply(repo: Path, files: Files) -> None:
    for rel, content in files.items():
        target = repo / rel
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")


def commit_states(make_repo: RepoFactory, states: Sequence[Files]) -> Path:
    """A repository whose `main` holds one commit per state, each applied on the previous."""
    first = {k: v for k, v in states[0].items() if v is not None}
    repo = make_repo(first)
    for number, state in enumerate(states[1:], start=2):
        apply(repo, state)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"state {number}")
    return repo


def violations(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": error[" in line]


BASE = {GREET: md()}
NO_NAME = {"inputs": "", "body": "Hello."}

# (history on main, the pull request's files, exit code, the exact violation lines)
CASES = [
    # --- a changed prompt needs a higher version -------------------------------------------------
    pytest.param([BASE], {GREET: md("1.0.1", body="Hi, {{ name }}.")}, 0, [], id="bump-ok"),
    pytest.param([BASE], {GREET: md(body="Hi, {{ name }}.")}, 1, [
        f"{GREET}:4:1: error[version-bump]: demo/greet: the file changed but its version did not "
        "go up (base 1.0.0, head 1.0.0); set version: 1.0.1 or higher"], id="bump-missing"),
    pytest.param([{GREET: md("1.2.0")}], {GREET: md("1.1.0", body="Hi, {{ name }}.")}, 1, [
        f"{GREET}:4:1: error[version-bump]: demo/greet: the file changed and its version went "
        "down (base 1.2.0, head 1.1.0); set version: 1.2.1 or higher"], id="bump-down"),
    pytest.param([BASE], {}, 0, [], id="unchanged"),
    # --- breaking input changes need a new MAJOR -------------------------------------------------
    pytest.param([BASE], {GREET: md("2.0.0", **NO_NAME)}, 0, [], id="remove-input-major-ok"),
    pytest.param([BASE], {GREET: md("1.1.0", **NO_NAME)}, 1, [
        f"{GREET}:4:1: error[major-bump]: demo/greet: removing input 'name' breaks callers and "
        "needs a new MAJOR version (base 1.0.0, head 1.1.0); set version: 2.0.0"],
        id="remove-input"),
    pytest.param([BASE], {GREET: md("1.1.0", inputs=NAME.replace("string", "integer"))}, 1, [
        f"{GREET}:4:1: error[major-bump]: demo/greet: changing the type of input 'name' from "
        "string to integer breaks callers and needs a new MAJOR version (base 1.0.0, head "
        "1.1.0); set version: 2.0.0"], id="retype-input"),
    pytest.param([BASE], {GREET: md("1.1.0", inputs=NAME + LANG,
                                    body="Hello, {{ name }} {{ lang }}.")}, 0, [],
                 id="add-optional-input-minor-ok"),
    pytest.param([BASE], {GREET: md("1.1.0", inputs=NAME + LANG + "    required: true\n",
                                    body="Hello, {{ name }} {{ lang }}.")}, 1, [
        f"{GREET}:4:1: error[major-bump]: demo/greet: adding required input 'lang' without a "
        "default breaks callers and needs a new MAJOR version (base 1.0.0, head 1.1.0); set "
        "version: 2.0.0"], id="add-required-input"),
    pytest.param([{GREET: md(inputs=NAME + LANG, body="Hello, {{ name }} {{ lang }}.")}],
                 {GREET: md("1.0.1", inputs=NAME + LANG + "    required: true\n",
                            body="Hello, {{ name }} {{ lang }}.")}, 1, [
        f"{GREET}:4:1: error[major-bump]: demo/greet: making input 'lang' required without a "
        "default breaks callers and needs a new MAJOR version (base 1.0.0, head 1.0.1); set "
        "version: 2.0.0"], id="make-input-required"),
    # --- in 0.x a breaking change needs a new MINOR (SemVer) -----------------------------------
    pytest.param([{GREET: md("0.3.1", "draft")}], {GREET: md("0.4.0", "draft", **NO_NAME)}, 0, [],
                 id="zero-x-remove-input-minor-ok"),
    pytest.param([{GREET: md("0.3.1", "draft")}], {GREET: md("1.0.0", "draft", **NO_NAME)}, 0, [],
                 id="zero-x-remove-input-major-ok"),
    pytest.param([{GREET: md("0.3.1", "draft")}], {GREET: md("0.3.2", "draft", **NO_NAME)}, 1, [
        f"{GREET}:4:1: error[major-bump]: demo/greet: removing input 'name' breaks callers and "
        "needs a new MINOR version (in 0.x, SemVer lets a MINOR break callers; from 1.0.0 on it "
        "takes a MAJOR) (base 0.3.1, head 0.3.2); set version: 0.4.0 (or 1.0.0 to release it as "
        "stable)"], id="zero-x-remove-input-patch"),
    # --- status moves ---------------------------------------------------------------------------
    pytest.param([{GREET: md(status="draft")}], {GREET: md("1.0.1")}, 0, [],
                 id="draft-to-active"),
    pytest.param([BASE], {GREET: md("1.0.1", "deprecated")}, 0, [], id="active-to-deprecated"),
    pytest.param([{GREET: md(status="deprecated")}], {GREET: md("1.0.1")}, 0, [],
                 id="deprecated-to-active"),
    pytest.param([BASE], {GREET: md("1.0.1", "draft")}, 1, [
        f"{GREET}:5:1: error[status-move]: demo/greet: status may not move from active to draft "
        "(base 1.0.0 active, head 1.0.1 draft); a released prompt never returns to draft: keep "
        "status: active, or set status: deprecated"], id="active-to-draft"),
    pytest.param([{GREET: md(status="deprecated")}], {GREET: md("1.0.1", "draft")}, 1, [
        f"{GREET}:5:1: error[status-move]: demo/greet: status may not move from deprecated to "
        "draft (base 1.0.0 deprecated, head 1.0.1 draft); a released prompt never returns to "
        "draft: keep status: deprecated"], id="deprecated-to-draft"),
    pytest.param([{GREET: md(status="draft")}], {GREET: md("1.0.1", "deprecated")}, 1, [
        f"{GREET}:5:1: error[status-move]: demo/greet: status may not move from draft to "
        "deprecated (base 1.0.0 draft, head 1.0.1 deprecated); a draft is never deprecated: "
        "delete it instead, or make it active first"], id="draft-to-deprecated"),
    # --- deletion: deprecate first; a rename is a delete plus a new id --------------------------
    pytest.param([BASE], {GREET: None}, 1, [
        f"{GREET}:5:1: error[delete-active]: demo/greet: an active prompt was deleted without "
        "being deprecated first (base 1.0.0 active, head deleted); restore it, set status: "
        "deprecated (with replaced_by naming its successor) and a higher version such as 1.0.1, "
        "merge that, then delete it in a later pull request"], id="delete-active"),
    pytest.param([{GREET: md(status="deprecated")}], {GREET: None}, 0, [],
                 id="delete-deprecated"),
    pytest.param([{GREET: md(status="draft")}], {GREET: None}, 0, [], id="delete-draft"),
    pytest.param([BASE], {GREET: None, HELLO: md()}, 1, [
        f"{GREET}:5:1: error[delete-active]: demo/greet: an active prompt was deleted without "
        "being deprecated first (base 1.0.0 active, head deleted); restore it, set status: "
        "deprecated (with replaced_by naming its successor) and a higher version such as 1.0.1, "
        "merge that, then delete it in a later pull request; a rename makes a new id, so keep "
        "demo/greet as a deprecated prompt with replaced_by: demo/hello"], id="rename-active"),
    pytest.param([BASE], {GREET: md("1.0.1", "deprecated", extra="replaced_by: demo/hello\n"),
                          HELLO: md()}, 0, [], id="rename-by-deprecation"),
    pytest.param([{GREET: md(status="deprecated")}], {GREET: None, HELLO: md()}, 0, [],
                 id="rename-deprecated"),
    # --- replaced_by must exist: validate reports it, check says to validate first ---------------
    pytest.param([BASE], {GREET: md("1.0.1", "deprecated", extra="replaced_by: demo/none\n")}, 1, [
        f"{GREET}:7:1: error[validate]: the head does not validate (1 error(s)), first: "
        f"{GREET}:7:1: error[replaced-by]: replaced_by names 'demo/none', which does not exist; "
        "name an existing prompt id; run `promptctl validate`, fix every error, then rerun "
        "`promptctl check`"], id="replaced-by-missing"),
    pytest.param([{GREET: md(status="deprecated", extra="replaced_by: demo/hello\n"),
                   HELLO: md(title="Hello")}], {HELLO: None}, 1, [
        f"{GREET}:7:1: error[validate]: the head does not validate (1 error(s)), first: "
        f"{GREET}:7:1: error[replaced-by]: replaced_by names 'demo/hello', which does not exist; "
        "name an existing prompt id; run `promptctl validate`, fix every error, then rerun "
        "`promptctl check`"], id="successor-deleted"),
    # --- a merged (id, version) never comes back with other content ------------------------------
    pytest.param([BASE, {GREET: md("1.0.1", "deprecated")}, {GREET: None}],
                 {GREET: md(body="Bonjour, {{ name }}.")}, 1, [
        f"{GREET}:4:1: error[version-reused]: demo/greet: version 1.0.0 was merged before with "
        "different content (commit {commit1}, 2026-01-01) and a merged version never changes "
        "(base absent, head 1.0.0); set version: 1.0.2 or higher"], id="readd-reused-version"),
    pytest.param([BASE, {GREET: md("1.0.1", "deprecated")}, {GREET: None}], {GREET: md()}, 0, [],
                 id="readd-same-content"),
    pytest.param([BASE, {GREET: md("1.0.1", "deprecated")}, {GREET: None}],
                 {GREET: md("1.0.2", body="Bonjour, {{ name }}.")}, 0, [], id="readd-new-version"),
    pytest.param([BASE, {GREET: md("2.0.0", **NO_NAME)}, {GREET: md()}],
                 {GREET: md("2.0.0", inputs=NAME + LANG, body="Hi {{ name }} {{ lang }}")}, 1, [
        f"{GREET}:4:1: error[version-reused]: demo/greet: version 2.0.0 was merged before with "
        "different content (commit {commit2}, 2026-01-01) and a merged version never changes "
        "(base 1.0.0, head 2.0.0); set version: 2.0.1 or higher"], id="reused-after-revert"),
]


@pytest.mark.parametrize(("history", "change", "code", "expected"), CASES)
def test_check_rules(cli: CliRunner, make_repo: RepoFactory, history: list[Files],
                     change: Files, code: int, expected: list[str]) -> None:
    repo = commit_states(make_repo, history)
    apply(repo, change)
    result = cli("check", "--repo", str(repo), "--base", "main")
    assert result.returncode == code, result.output
    found = violations(result.stdout)
    # {commitN}: the Nth commit on main, the one that introduced a reused version.
    for number, sha in enumerate(git(repo, "rev-list", "--reverse", "main").split(), start=1):
        expected = [line.replace(f"{{commit{number}}}", sha[:12]) for line in expected]
    assert found == expected, result.output
    summary = result.stdout.splitlines()[-1]
    if code:
        assert summary.startswith(f"{len(expected)} violation(s) in "), summary
    else:
        assert summary.startswith("ok: "), summary


PARTIAL_BASE = {
    SIGN: "Regards, the team.\n",
    GREET: md(body='Hello, {{ name }}.\n{% include "_partials/sign.md" %}'),
    BYE: md(title="Bye", body='Bye, {{ name }}.\n{% include "_partials/sign.md" %}'),
    HELLO: md(title="Hello"),
}


def test_partial_change_lists_and_requires_every_including_prompt(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo(PARTIAL_BASE)
    apply(repo, {SIGN: "Best regards, the team.\n"})
    result = cli("check", "--repo", str(repo), "--base", "main")
    assert result.returncode == 1, result.output
    assert violations(result.stdout) == [
        f"{BYE}:4:1: error[partial-bump]: demo/bye: it includes {SIGN}, which changed, so its "
        "version must go up (base 1.0.0, head 1.0.0); set version: 1.0.1 or higher",
        f"{GREET}:4:1: error[partial-bump]: demo/greet: it includes {SIGN}, which changed, so "
        "its version must go up (base 1.0.0, head 1.0.0); set version: 1.0.1 or higher",
    ]
    assert f"{SIGN} changed; it is included by: demo/bye, demo/greet" in result.stdout
    assert f"changed: demo/greet (through {SIGN}) 1.0.0 -> 1.0.0" in result.stdout
    assert "demo/hello" not in result.stdout  # it does not include the partial

    # Bumping both prompts passes; they are still listed as changed through the partial.
    apply(repo, {GREET: PARTIAL_BASE[GREET].replace("1.0.0", "1.0.1"),
                 BYE: PARTIAL_BASE[BYE].replace("1.0.0", "1.0.1")})
    fixed = cli("check", "--repo", str(repo), "--base", "main", "--json")
    assert fixed.returncode == 0, fixed.output
    data = fixed.json()
    assert data["partials"] == {SIGN: ["demo/bye", "demo/greet"]}
    assert [(c["id"], c["change"], c["partials"]) for c in data["changed"]] == [
        ("demo/bye", "modified", [SIGN]), ("demo/greet", "modified", [SIGN])]


def test_partial_included_only_on_base_still_counts(cli: CliRunner,
                                                    make_repo: RepoFactory) -> None:
    """A prompt that stops including a changed partial changed through it too (its file did)."""
    repo = make_repo(PARTIAL_BASE)
    apply(repo, {SIGN: "Cheers.\n", GREET: md("1.0.1"), BYE: md("1.0.1", title="Bye",
                                                                  body="Bye, {{ name }}.")})
    result = cli("check", "--repo", str(repo), "--base", "main", "--json")
    assert result.returncode == 0, result.output
    assert result.json()["partials"] == {SIGN: ["demo/bye", "demo/greet"]}


def test_github_format_annotates_each_violation(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo(BASE)
    apply(repo, {GREET: md("1.0.0", "draft")})
    result = cli("check", "--repo", str(repo), "--base", "main", "--format", "github")
    assert result.returncode == 1, result.output
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        f"::error file={GREET},line=5,col=1,title=status-move::demo/greet: status may not move "
        "from active to draft (base 1.0.0 active, head 1.0.0 draft); a released prompt never "
        "returns to draft: keep status: active, or set status: deprecated",
        f"::error file={GREET},line=4,col=1,title=version-bump::demo/greet: the file changed but "
        "its version did not go up (base 1.0.0, head 1.0.0); set version: 1.0.1 or higher",
    ]


def test_head_commit_is_read_from_git_not_the_work_tree(cli: CliRunner,
                                                         make_repo: RepoFactory) -> None:
    repo = make_repo(BASE)
    git(repo, "checkout", "-q", "-b", "pr")
    apply(repo, {GREET: md(body="Hi, {{ name }}.")})
    git(repo, "commit", "-qam", "forget the bump")
    git(repo, "checkout", "-q", "main")  # the work tree is clean: only --head shows the change
    clean = cli("check", "--repo", str(repo), "--base", "main")
    assert clean.returncode == 0, clean.output
    result = cli("check", "--repo", str(repo), "--base", "main", "--head", "pr", "--json")
    assert result.returncode == 1, result.output
    data = result.json()
    assert data["ok"] is False
    assert data["head"].startswith("pr (")
    assert data["changed"] == [{"id": "demo/greet", "change": "modified", "path": GREET,
                                "base_version": "1.0.0", "head_version": "1.0.0",
                                "partials": []}]
    assert [(v["prompt"], v["code"], v["line"], v["base_version"], v["head_version"])
            for v in data["violations"]] == [("demo/greet", "version-bump", 4, "1.0.0", "1.0.0")]
    assert data["violations"][0]["rule"] == "a changed prompt needs a higher version"


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "nope"], "'nope' names no commit"),
    (["--base", "main", "--head", "nope"], "'nope' names no commit"),
    (["--base", "main", "--format", "xml"], "--format 'xml': choose text, json or github"),
    ([], "Missing option '--base'"),
], ids=["unknown-base", "unknown-head", "bad-format", "no-base"])
def test_usage_errors_exit_2(cli: CliRunner, make_repo: RepoFactory, args: list[str],
                             message: str) -> None:
    repo = make_repo(BASE)
    result = cli("check", "--repo", str(repo), *args)
    assert result.returncode == 2, result.output
    assert message in result.stderr
    assert not result.stdout


def test_several_breaches_are_one_violation_each(cli: CliRunner,
                                                 make_repo: RepoFactory) -> None:
    repo = make_repo({GREET: md(inputs=NAME + LANG, body="{{ name }} {{ lang }}")})
    apply(repo, {GREET: md("1.1.0", "draft", inputs=NAME.replace("string", "integer"),
                           body="{{ name }}")})
    result = cli("check", "--repo", str(repo), "--base", "main", "--json")
    assert result.returncode == 1
    codes = [(v["code"], v["message"].split(" breaks")[0]) for v in result.json()["violations"]]
    assert codes == [
        ("status-move", codes[0][1]),
        ("major-bump", "demo/greet: changing the type of input 'name' from string to integer"),
        ("major-bump", "demo/greet: removing input 'lang'"),
    ]
    json.dumps(result.json())  # the documented shape is plain JSON
