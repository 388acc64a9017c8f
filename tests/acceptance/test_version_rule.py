"""What ``ID@VERSION`` means: the merged content on the branch's first-parent line, never a commit
made inside a pull request, never a commit the branch does not reach, never the work tree.

The repository of ``merged`` is the case of a pull request with two commits at one version (a
typo fixed during review), merged with a merge commit::

    main      1.0.0 "A" ---------------- merge (1.1.0 "B") -- 1.2.0 "C"
    feature          \\- 1.1.0 "X" -- 1.1.0 "B" -/

"X" was never on main: ``t/a@1.1.0`` is "B", dated at the merge commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CliRunner, RepoFactory, git

PATH = "prompts/t/a.prompt.md"


def text(version: str, body: str, status: str = "active", channel: str = "stable") -> str:
    return (f"---\ntitle: A\ndescription: The prompt whose versions are read.\n"
            f"version: {version}\nstatus: {status}\nchannel: {channel}\n"
            f"owners: ['@acme/team']\n---\n{body}\n")


def commit(repo: Path, content: str | None, message: str) -> str:
    target = repo / PATH
    if content is None:
        git(repo, "rm", "-q", PATH)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@dataclass
class Merged:
    repo: Path
    x: str  # the work-in-progress commit inside the pull request
    b: str  # the pull request's final commit
    merge: str  # the merge commit on main
    head: str  # main after 1.2.0


@pytest.fixture
def merged(make_repo: RepoFactory) -> Merged:
    repo = make_repo({PATH: text("1.0.0", "A")})
    git(repo, "checkout", "-q", "-b", "feature")
    x = commit(repo, text("1.1.0", "X"), "1.1.0 with a typo")
    b = commit(repo, text("1.1.0", "B"), "fix the typo")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #1", "feature")
    merge = git(repo, "rev-parse", "HEAD").strip()
    head = commit(repo, text("1.2.0", "C"), "1.2.0")
    return Merged(repo, x, b, merge, head)


def test_a_version_is_the_merged_content_not_the_first_commit_inside_the_pull_request(
        cli: CliRunner, merged: Merged) -> None:
    repo = str(merged.repo)
    rendered = cli("render", "t/a@1.1.0", "--json", "--repo", repo).json()
    assert rendered["text"] == "B"
    assert rendered["commit"] == merged.merge
    shown = cli("show", "t/a@1.1", "--json", "--repo", repo).json()
    assert shown["version"] == "1.1.0"
    assert shown["messages"][0]["content"] == "B"
    records = cli("history", "t/a", "--json", "--repo", repo).json()
    assert [(r["version"], r["commit"]) for r in records] == [
        ("1.0.0", git(merged.repo, "rev-list", "--max-parents=0", "HEAD").strip()),
        ("1.1.0", merged.merge), ("1.2.0", merged.head)]
    assert records[1]["message"] == "Merge pull request #1"


def test_a_squash_merge_is_one_commit_on_the_line(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({PATH: text("1.0.0", "A")})
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, text("1.1.0", "X"), "wip")
    commit(repo, text("1.1.0", "B"), "fix")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--squash", "feature")
    squash = commit(repo, text("1.1.0", "B"), "Squashed pull request #2")
    rendered = cli("render", "t/a@1.1.0", "--json", "--repo", str(repo)).json()
    assert (rendered["text"], rendered["commit"]) == ("B", squash)


@pytest.mark.parametrize(("readded", "expected"), [
    ("B", []),
    ("X", ["version-reused"]),
], ids=["merged-content-passes", "never-merged-content-is-refused"])
def test_check_judges_a_reused_version_by_its_merged_content(
        cli: CliRunner, merged: Merged, readded: str, expected: list[str]) -> None:
    # main deletes the prompt; a later pull request brings 1.1.0 back.
    commit(merged.repo, None, "remove t/a")
    (merged.repo / PATH).parent.mkdir(parents=True)
    (merged.repo / PATH).write_text(text("1.1.0", readded), encoding="utf-8")
    result = cli("check", "--base", "main", "--json", "--repo", str(merged.repo))
    codes = [v["code"] for v in result.json()["violations"]]
    assert codes == expected
    assert result.returncode == (1 if expected else 0)
    if expected:
        assert merged.merge[:12] in result.json()["violations"][0]["message"]


def test_a_commit_the_branch_does_not_reach_names_nothing(cli: CliRunner, merged: Merged) -> None:
    # A pull request that was never merged, fetched as refs/pull/* by a mirror.
    git(merged.repo, "checkout", "-q", "-b", "unmerged")
    secret = commit(merged.repo, text("9.0.0", "nobody merged this"), "unmerged")
    git(merged.repo, "checkout", "-q", "main")
    git(merged.repo, "update-ref", "refs/pull/7/head", secret)
    git(merged.repo, "branch", "-q", "-D", "unmerged")
    repo = str(merged.repo)
    for spec in (secret, secret[:10]):
        result = cli("render", f"t/a@{spec}", "--repo", repo)
        assert result.returncode == 2
        assert f"t/a@{spec}: no such version or commit on HEAD" in result.stderr
        assert "nobody merged this" not in result.stdout
    # A commit inside a merged pull request is reachable: it names what it held.
    wip = cli("render", f"t/a@{merged.x[:10]}", "--json", "--repo", repo).json()
    assert wip["text"] == "X"
    # Reached from the ref asked for, not from anything else in the repository.
    old = cli("render", f"t/a@{merged.head[:10]}", "--ref", merged.merge, "--repo", repo)
    assert old.returncode == 2
    assert "no such version or commit" in old.stderr


def test_an_id_at_a_version_never_reads_the_work_tree(cli: CliRunner, merged: Merged) -> None:
    (merged.repo / PATH).write_text(text("1.2.0", "uncommitted edit"), encoding="utf-8")
    repo = str(merged.repo)
    rendered = cli("render", "t/a@1.2.0", "--json", "--repo", repo).json()
    assert (rendered["text"], rendered["commit"]) == ("C", merged.head)
    shown = cli("show", "t/a@1.2.0", "--json", "--repo", repo).json()
    assert shown["messages"][0]["content"] == "C"
    diff = cli("diff", "t/a@1.1.0", "t/a@1.2.0", "--repo", repo)
    assert diff.returncode == 0, diff.output
    assert "work tree" not in diff.stdout
    assert f"t/a@1.2.0 ({merged.head[:12]})" in diff.stdout
    assert "+C" in diff.stdout
    # The plain id is the work tree.
    assert cli("render", "t/a", "--repo", repo).stdout.strip() == "uncommitted edit"
    work = cli("diff", "t/a@1.2.0", "t/a", "--repo", repo)
    assert "(work tree)" in work.stdout
    assert "+uncommitted edit" in work.stdout


def test_an_alias_at_a_version_resolves_on_the_branch(cli: CliRunner,
                                                      make_repo: RepoFactory) -> None:
    repo = make_repo({PATH: text("1.0.0", "A").replace("channel: stable\n",
                                                        "channel: stable\naliases: [first]\n")})
    rendered = cli("render", "first@1", "--json", "--repo", str(repo)).json()
    assert (rendered["id"], rendered["text"]) == ("t/a", "A")
    typo = cli("render", "t/b@1", "--repo", str(repo))
    assert typo.returncode == 2
    assert "t/a" in typo.stderr  # did you mean


@pytest.mark.parametrize("spec", ["9" * 5000, "1." + "9" * 5000, "1.2." + "0" * 200])
def test_an_overlong_version_spec_is_a_usage_error(cli: CliRunner, merged: Merged,
                                                   spec: str) -> None:
    for command in ("render", "show"):
        result = cli(command, f"t/a@{spec}", "--repo", str(merged.repo))
        assert result.returncode == 2, result.output
        assert "a version spec is at most 100 characters" in result.stderr


def test_an_overlong_version_in_a_file_is_a_located_error(cli: CliRunner,
                                                          make_repo: RepoFactory) -> None:
    repo = make_repo({PATH: text("1.0." + "9" * 5000, "A")})
    result = cli("validate", "--repo", str(repo))
    assert result.returncode == 1
    assert f"{PATH}:4:1: error[schema]: version '1.0.999" in result.stdout
    assert "is 5004 characters long; shorten it to at most 64" in result.stdout
