"""init, new, list, show, search and test through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import GOOD_PROMPT, ROOT, CliRunner, RepoFactory, git


def test_init_makes_a_repository_that_validates_at_once(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "library"
    result = cli("init", str(target), "--owner", "@acme/prompts")
    assert result.returncode == 0, result.output
    for rel in ("prompts/general/summarize.prompt.md", "schemas/prompt.schema.json",
                "schemas/promptctl.schema.json", "promptctl.yaml", "CODEOWNERS", "AGENTS.md",
                ".github/workflows/prompts.yml", "README.md"):
        assert (target / rel).is_file(), rel
    assert (target / ".git").is_dir()
    assert "@acme/prompts" in (target / "CODEOWNERS").read_text()
    validated = cli("validate", "--repo", str(target))
    assert validated.returncode == 0, validated.output
    assert "0 error(s), 0 warning(s)" in validated.stdout
    tested = cli("test", "--repo", str(target))
    assert tested.returncode == 0, tested.output
    owners = cli("codeowners", "--check", "--repo", str(target))
    assert owners.returncode == 0, owners.output
    # Run from inside the new repository, with no --repo: the work tree is found around cwd.
    listed = cli("list", "--json", cwd=target / "prompts")
    assert [p["id"] for p in listed.json()] == ["general/summarize"]


def test_init_refuses_to_overwrite_and_writes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "existing"
    target.mkdir()
    (target / "CODEOWNERS").write_text("* @someone\n")
    result = cli("init", str(target))
    assert result.returncode == 2
    assert "already has CODEOWNERS" in result.stderr
    assert "nothing was written" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["CODEOWNERS"]
    assert (target / "CODEOWNERS").read_text() == "* @someone\n"


@pytest.mark.parametrize("form", ["md", "yaml"])
def test_new_scaffolds_a_valid_prompt(cli: CliRunner, make_repo: RepoFactory, form: str) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    result = cli("new", "team/fresh-idea", "--owner", "@acme/team", "--form", form,
                 "--title", "Fresh idea", "--repo", str(repo))
    assert result.returncode == 0, result.output
    path = repo / f"prompts/team/fresh-idea.prompt.{form}"
    assert path.is_file()
    assert "Created prompts/team/fresh-idea" in result.stdout
    validated = cli("validate", "--repo", str(repo))
    assert validated.returncode == 0, validated.output
    assert "0 warning(s)" in validated.stdout
    shown = cli("show", "team/fresh-idea", "--json", "--repo", str(repo)).json()
    assert shown["status"] == "draft"
    assert shown["version"] == "0.1.0"
    assert shown["title"] == "Fresh idea"
    assert cli("test", "team/fresh-idea", "--repo", str(repo)).returncode == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["Team/X", "--owner", "@a"], 2, "is not a prompt id"),
        (["lonely", "--owner", "@a"], 2, "is not a prompt id"),
        (["demo/greet", "--owner", "@a"], 2, "is taken by prompts/demo/greet.prompt.md"),
        (["demo/new-one"], 2, "a prompt needs owners"),
        (["demo/new-one", "--owner", "nobody"], 2, "must be @user or @org/team"),
        (["demo/new-one", "--owner", "@a", "--form", "txt"], 2, "choose md or yaml"),
    ],
    ids=["upper-case", "no-collection", "taken", "no-owner", "bad-owner", "bad-form"],
)
def test_new_refuses_bad_requests(cli: CliRunner, make_repo: RepoFactory, args: list[str],
                                  code: int, message: str) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    result = cli("new", *args, "--repo", str(repo))
    assert result.returncode == code, result.output
    assert message in result.stderr
    assert git(repo, "status", "--porcelain") == ""


def test_new_takes_default_owners_from_config(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT,
                      "promptctl.yaml": "defaults:\n  owners: ['@acme/writers']\n"})
    assert cli("new", "demo/other", "--repo", str(repo)).returncode == 0
    assert cli("show", "demo/other", "--json", "--repo", str(repo)).json()["owners"] == [
        "@acme/writers"]


def test_list_show_and_search_json_shapes(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    [item] = cli("list", "--json", "--repo", str(repo)).json()
    for key in ("id", "title", "description", "version", "status", "scope", "channel", "tags",
                "owners"):
        assert key in item
    shown = cli("show", "demo/greet", "--json", "--repo", str(repo)).json()
    assert shown["inputs"]["name"]["required"] is True
    assert shown["messages"][0]["role"] == "user"
    hits = cli("search", "greet", "--json", "--repo", str(repo)).json()
    assert hits[0]["id"] == "demo/greet"
    assert "snippet" in hits[0]
    human = cli("show", "demo/greet", "--repo", str(repo))
    assert "Hello, {{ name }}" in human.stdout  # templates print literally, brackets and all


def test_list_filters_through_the_cli(cli: CliRunner) -> None:
    listed = cli("list", "--json", "--collection", "engineering", "--status", "active",
                 "--repo", str(ROOT)).json()
    assert listed
    assert all(p["id"].startswith("engineering/") and p["status"] == "active" for p in listed)
    tagged = cli("list", "--json", "--tag", "code-review", "--repo", str(ROOT)).json()
    assert all("code-review" in p["tags"] for p in tagged)


def test_prompt_tests_report_failures_with_exit_1(cli: CliRunner, make_repo: RepoFactory) -> None:
    failing = GOOD_PROMPT.replace('expect: {contains: "Hello, Ada"}',
                                  'expect: {contains: "Goodbye", not_contains: "Ada", '
                                  'equals: "x", matches: "^Nope"}')
    repo = make_repo({"prompts/demo/greet.prompt.md": failing})
    result = cli("test", "--repo", str(repo))
    assert result.returncode == 1
    assert result.stdout == "demo/greet\tgreets\tFAIL\n"  # in a pipe: the records alone
    assert "0 passed, 1 failed" in result.stderr
    for fragment in ("contain 'Goodbye'", "not to contain 'Ada'", "to equal 'x'", "/^Nope/"):
        assert fragment in result.stderr
    data = cli("test", "--json", "--repo", str(repo)).json()
    assert data["failed"] == 1
    assert len(data["results"][0]["failures"]) == 4


def test_outside_a_repository_the_error_says_what_to_do(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("list", cwd=tmp_path)
    assert result.returncode == 2
    assert "pass --repo PATH" in result.stderr


def test_this_repository_validates_and_its_prompts_pass(cli: CliRunner) -> None:
    validated = cli("validate", "--json", "--repo", str(ROOT))
    assert validated.returncode == 0, validated.stdout
    report = validated.json()
    assert report["ok"] is True
    assert report["warnings"] == 0
    assert cli("test", "--repo", str(ROOT)).returncode == 0
    prompts = cli("list", "--json", "--repo", str(ROOT)).json()
    assert len(prompts) >= 12
    assert len({p["collection"] for p in prompts}) >= 4
    assert any(p["scope"] == "global" for p in prompts)
    assert {"draft", "deprecated", "active"} <= {p["status"] for p in prompts}
    assert sum(p["path"].endswith(".prompt.yaml") for p in prompts) >= 2
    details = [cli("show", p["id"], "--json", "--repo", str(ROOT)).json() for p in prompts[:3]]
    assert all(d["inputs"] and d["tests"] for d in details)


def test_help_and_version_and_usage_errors(cli: CliRunner) -> None:
    assert cli("--help").returncode == 0
    assert cli("--version").stdout.startswith("promptctl ")
    assert cli("no-such-command").returncode == 2
    assert cli("validate", "--format", "xml", "--repo", str(ROOT)).returncode == 2


def test_codeowners_covers_every_starter_prompt() -> None:
    owners = (ROOT / "CODEOWNERS").read_text(encoding="utf-8")
    for path in sorted((ROOT / "prompts").rglob("*.prompt.*")):
        rel = path.relative_to(ROOT).as_posix()
        assert f"/{rel} " in owners, rel
    assert json.loads((ROOT / "schemas/prompt.schema.json").read_text())["$id"]
