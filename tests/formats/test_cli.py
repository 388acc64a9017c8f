"""`promptctl export` and `promptctl import` as a user runs them: exit codes, reports, and
nothing written when something is wrong."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import GOOD_PROMPT, CliRunner, RepoFactory
from tests.formats.conftest import prompt_file

PLAIN = prompt_file("Summarise {{ text }}.", inputs={"text": {"type": "string",
                                                              "required": True}})


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_export_writes_faithful_prompts_and_reports_the_others(cli: CliRunner,
                                                               make_repo: RepoFactory,
                                                               tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN,
                      "prompts/team/greeting.prompt.md": GOOD_PROMPT})
    out = tmp_path / "out"
    result = cli("export", "--to", "copilot", str(out), "--repo", str(repo))
    assert result.returncode == 0, result.output
    assert files_under(out) == ["team-summary.prompt.md"]
    assert "skipped team/greeting: not expressible as a Copilot prompt file: it uses a " \
           "conditional ({% if %})" in result.stderr
    assert "Exported 1 of 2 prompt(s) as copilot" in result.stdout

    result = cli("export", "--to", "copilot", str(out), "--unfaithful", "embed", "--json",
                 "--repo", str(repo))
    assert result.returncode == 0, result.output
    report = result.json()
    assert report["written"] == ["team-greeting.prompt.md", "team-summary.prompt.md"]
    assert [(p["id"], p["status"]) for p in report["prompts"]] == [
        ("team/greeting", "embedded"), ("team/summary", "written")]


def test_strict_export_writes_nothing_when_a_prompt_is_not_faithful(
        cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN,
                      "prompts/team/greeting.prompt.md": GOOD_PROMPT})
    result = cli("export", "--to", "claude-commands", str(tmp_path / "out"), "--strict",
                 "--repo", str(repo))
    assert result.returncode == 1
    assert "team/greeting: not expressible as a Claude Code command" in result.stderr
    assert not (tmp_path / "out").exists()


def test_ids_sharing_a_file_name_fail_the_export_and_nothing_is_written(
        cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo({"prompts/a-b/c.prompt.md": PLAIN, "prompts/a/b-c.prompt.md": PLAIN,
                      "prompts/team/summary.prompt.md": PLAIN})
    result = cli("export", "--to", "skills", str(tmp_path / "out"), "--repo", str(repo))
    assert result.returncode == 1
    assert "its file name 'a-b-c' is also that of a/b-c" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_invalid_prompt_fails_the_export(cli: CliRunner, make_repo: RepoFactory,
                                            tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN,
                      "prompts/team/broken.prompt.md": PLAIN.replace("{{ text }}",
                                                                     "{{ missing }}")})
    result = cli("export", "--to", "prompty", str(tmp_path / "out"), "--repo", str(repo))
    assert result.returncode == 1
    assert "team/broken: invalid" in result.stderr
    assert "missing" in result.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(cli: CliRunner, make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN})
    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    for args, message in (
            (("export", "--to", "skillz", str(tmp_path / "o")), "did you mean skills?"),
            (("export", "--to", "skills", str(tmp_path / "o"), "--unfaithful", "maybe"),
             "choose skip or embed"),
            (("export", "--to", "skills", str(tmp_path / "file")), "is not a directory"),
            (("export", "--to", "skills", str(tmp_path / "o"), "--tag", "none"),
             "no prompt matches"),
            (("import", "--from", "copilot", str(tmp_path / "nowhere"), "--owner", "@a"),
             "no such file or directory"),
            (("import", "--from", "copilot", str(tmp_path / "empty"), "--owner", "@a"),
             "no copilot files (*.prompt.md) found"),
            (("import", "--from", "copilot", str(tmp_path / "file")),
             "imported prompts need owners")):
        result = cli(*args, "--repo", str(repo))
        assert result.returncode == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)


def test_import_writes_drafts_that_validate(cli: CliRunner, make_repo: RepoFactory,
                                            tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN,
                      "promptctl.yaml": "defaults:\n  owners: ['@acme/devex']\n"})
    src = tmp_path / "prompts"
    src.mkdir()
    (src / "explain.prompt.md").write_text(
        "---\ndescription: Explain code\nagent: ask\n---\nExplain ${selection} to "
        "${input:audience:who reads it}.\n")
    (src / "notes.md").write_text("not a prompt file\n")
    result = cli("import", "--from", "copilot", str(src), "--json", "--repo", str(repo))
    assert result.returncode == 0, result.output
    (item,) = result.json()["imported"]
    assert item["id"] == "imported/explain"
    assert item["path"] == "prompts/imported/explain.prompt.md"
    assert item["dropped"] == ["agent: no effect in promptctl (kept in x-copilot)"]
    text = (repo / item["path"]).read_text()
    assert "owners:\n- '@acme/devex'" in text
    assert "status: draft" in text
    assert cli("validate", "--repo", str(repo)).returncode == 0
    rendered = cli("render", "imported/explain", "-i", "audience=new hires", "--repo", str(repo))
    assert rendered.stdout == "Explain ${selection} to new hires.\n"

    again = cli("import", "--from", "copilot", str(src), "--repo", str(repo))
    assert again.returncode == 2
    assert "imports as imported/explain, which prompts/imported/explain.prompt.md" in \
        again.stderr


def test_a_bad_file_fails_the_whole_import(cli: CliRunner, make_repo: RepoFactory,
                                           tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN})
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.prompt.yml").write_text("messages:\n  - role: user\n    content: Hi {{name}}\n")
    (src / "bad.prompt.yml").write_text("messages: [\n")
    result = cli("import", "--from", "github-models", str(src), "--owner", "@a",
                 "--repo", str(repo))
    assert result.returncode == 1
    assert "bad.prompt.yml: line" in result.stderr
    assert "nothing was written" in result.stderr
    assert not (repo / "prompts" / "imported").exists()


def test_export_then_import_keeps_a_prompt_through_prompty(cli: CliRunner,
                                                           make_repo: RepoFactory,
                                                           tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/greeting.prompt.md": GOOD_PROMPT})
    out = tmp_path / "out"
    assert cli("export", "--to", "prompty", str(out), "--repo", str(repo)).returncode == 0
    other = make_repo({"prompts/.keep": ""})
    result = cli("import", "--from", "prompty", str(out), "--owner", "@b", "--json",
                 "--repo", str(other))
    assert result.returncode == 0, result.output
    assert result.json()["imported"][0]["id"] == "team/greeting"
    for excited in ("true", "false"):
        args = ("render", "team/greeting", "-i", "name=Ada", "-i", f"excited={excited}")
        assert cli(*args, "--repo", str(other)).stdout == cli(*args, "--repo",
                                                                str(repo)).stdout
    show = json.loads(cli("show", "team/greeting", "--json", "--repo", str(other)).stdout)
    assert show["status"] == "draft"
    assert show["inputs"]["excited"]["default"] is False


def test_import_bounds_file_size_and_does_not_follow_links(cli: CliRunner,
                                                           make_repo: RepoFactory,
                                                           tmp_path: Path) -> None:
    repo = make_repo({"prompts/team/summary.prompt.md": PLAIN})
    outside = tmp_path / "outside.prompt.md"
    outside.write_text("---\ndescription: secret\n---\nNot for import.\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "linked.prompt.md").symlink_to(outside)
    (src / "ok.prompt.md").write_text("Say hello.\n")
    result = cli("import", "--from", "copilot", str(src), "--owner", "@a", "--json",
                 "--repo", str(repo))
    assert result.returncode == 0, result.output
    assert [i["id"] for i in result.json()["imported"]] == ["imported/ok"]

    (src / "huge.prompt.md").write_text("x" * (1024 * 1024 + 1))
    result = cli("import", "--from", "copilot", str(src), "--owner", "@a", "--collection",
                 "more", "--repo", str(repo))
    assert result.returncode == 1
    assert "huge.prompt.md: 1,048,577 bytes, over the 1,048,576-byte bound" in result.stderr
    assert not (repo / "prompts" / "more").exists()
