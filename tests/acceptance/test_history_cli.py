"""history, diff, and ID@VERSION resolution from real Git history."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import GOOD_PROMPT, CliRunner, RepoFactory, git

PATH = "prompts/demo/greet.prompt.md"


def _commit(repo: Path, version: str, greeting: str, message: str) -> str:
    text = GOOD_PROMPT.replace("version: 1.0.0", f"version: {version}").replace(
        "Hello, {{ name }}", f"{greeting}, {{{{ name }}}}").replace(
        'contains: "Hello, Ada"', f'contains: "{greeting}, Ada"')
    (repo / PATH).write_text(text, encoding="utf-8")
    git(repo, "commit", "-qam", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(make_repo: RepoFactory) -> Path:
    repo = make_repo({PATH: GOOD_PROMPT})
    _commit(repo, "1.1.0", "Hi", "Say hi\n\nLonger body that history does not show.")
    _commit(repo, "2.0.0", "Howdy", "Say howdy")
    return repo


def test_history_lists_every_version_with_commit_author_date(cli: CliRunner, repo: Path) -> None:
    records = cli("history", "demo/greet", "--json", "--repo", str(repo)).json()
    assert [r["version"] for r in records] == ["1.0.0", "1.1.0", "2.0.0"]
    assert [r["message"] for r in records] == ["initial prompts", "Say hi", "Say howdy"]
    first = records[0]
    assert first["author"] == "Test Author"
    assert first["date"] == "2026-01-01T00:00:00+00:00"
    assert len(first["commit"]) == 40
    human = cli("history", "demo/greet", "--repo", str(repo))
    assert human.returncode == 0
    assert human.stdout.index("2.0.0") < human.stdout.index("1.0.0")  # newest first


def test_history_of_a_deleted_prompt_still_reads_git(cli: CliRunner, repo: Path) -> None:
    git(repo, "rm", "-q", PATH)
    git(repo, "commit", "-qm", "remove")
    records = cli("history", "demo/greet", "--json", "--repo", str(repo)).json()
    assert [r["version"] for r in records] == ["1.0.0", "1.1.0", "2.0.0"]


@pytest.mark.parametrize(
    ("spec", "version", "greeting"),
    [("1.0.0", "1.0.0", "Hello"), ("1", "1.1.0", "Hi"), ("1.1", "1.1.0", "Hi"),
     ("2", "2.0.0", "Howdy")],
    ids=["exact", "major", "minor", "current-major"],
)
def test_show_and_render_resolve_versions_from_history(
    cli: CliRunner, repo: Path, spec: str, version: str, greeting: str
) -> None:
    shown = cli("show", f"demo/greet@{spec}", "--json", "--repo", str(repo)).json()
    assert shown["version"] == version
    rendered = cli("render", f"demo/greet@{spec}", "-i", "name=Ada", "--json",
                   "--repo", str(repo)).json()
    assert rendered["text"] == f"{greeting}, Ada."
    assert rendered["version"] == version


def test_a_commit_names_the_prompt_as_it_was_there(cli: CliRunner, repo: Path) -> None:
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    rendered = cli("render", f"demo/greet@{first[:10]}", "-i", "name=Ada", "--json",
                   "--repo", str(repo)).json()
    assert rendered["text"] == "Hello, Ada."
    assert rendered["commit"] == first


@pytest.mark.parametrize(
    ("ref", "message"),
    [("demo/greet@3", "no such version on HEAD; versions: 1.0.0, 1.1.0, 2.0.0"),
     ("demo/greet@", "nothing after '@'"),
     ("demo/greet@deadbeef", "no such version or commit")],
    ids=["unknown-version", "empty", "unknown-commit"],
)
def test_unknown_versions_are_usage_errors(cli: CliRunner, repo: Path, ref: str,
                                           message: str) -> None:
    result = cli("show", ref, "--repo", str(repo))
    assert result.returncode == 2
    assert message in result.stderr


def test_diff_shows_front_matter_and_template_changes(cli: CliRunner, repo: Path) -> None:
    result = cli("diff", "demo/greet@1.0.0", "demo/greet@2.0.0", "--repo", str(repo))
    assert result.returncode == 0, result.output
    out = result.stdout
    assert "--- demo/greet@1.0.0" in out
    assert "+++ demo/greet@2.0.0" in out
    assert "-version: 1.0.0" in out
    assert "+version: 2.0.0" in out
    assert "-Hello, {{ name }}" in out
    assert "+Howdy, {{ name }}" in out
    work_tree = cli("diff", "demo/greet@1.1.0", "demo/greet", "--repo", str(repo))
    assert "(work tree)" in work_tree.stdout
    other = cli("diff", "demo/greet@1.0.0", "demo/nope", "--repo", str(repo))
    assert other.returncode == 2
