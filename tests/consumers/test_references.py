"""``promptctl add`` and the references file: what is written, and every mistake named with its
file, line and fix (exit 2 for what was typed, 1 for a malformed file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptctl.consumers import references
from tests.conftest import CliRunner


def test_add_creates_the_file_and_inserts_one_line_each(cli: CliRunner, tmp_path: Path) -> None:
    first = cli("add", "engineering/code-review@1", "--server", "https://p.example.com/",
                "--key-env", "PROMPTS_KEY", "--repo", str(tmp_path))
    assert first.returncode == 0, first.output
    path = tmp_path / references.FILE
    path.write_text(path.read_text() + "# kept as it is\n")
    more = cli("add", "review", "docs/postmortem@2.1.0", "--tag", "python", "--version", "1",
               "--repo", str(tmp_path))
    assert more.returncode == 0, more.output
    assert path.read_text().endswith(
        "source:\n  server: https://p.example.com\n  key_env: PROMPTS_KEY\nprompts:\n"
        "  - engineering/code-review@1\n  - review\n  - docs/postmortem@2.1.0\n"
        '  - {tag: python, version: "1"}\n# kept as it is\n')
    loaded = references.load(tmp_path)
    assert [r.text for r in loaded.prompts] == [
        "engineering/code-review@1", "review", "docs/postmortem@2.1.0", "tag:python@1"]
    assert [r.line for r in loaded.prompts] == [7, 8, 9, 10]
    again = cli("add", "review", "--repo", str(tmp_path))
    assert again.returncode == 0
    assert "review: listed already (prompt-engine.yaml:8)" in again.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["engineering/code-review@2"], "prompt-engine.yaml:3: engineering/code-review is listed "
                                    "already as engineering/code-review@1; edit that line"),
    (["Engineering/X"], "'Engineering/X' is not a prompt id or alias"),
    (["a/b@one"], "'a/b@one': a range is 1, 1.2 or 1.2.3"),
    (["a/b@1.2.3.4"], "a range is 1, 1.2 or 1.2.3"),
    (["--tag", "Py"], "'tag:Py': a tag is lowercase letters, digits and -"),
    (["--version", "1", "a/b"], "--version goes with --tag"),
    ([], "name a prompt (ID@RANGE or ALIAS) or --tag TAG"),
    (["a/b", "--server", "https://x", "--git", "y"], "give --server or --git, not both"),
    (["a/b", "--server", "https://x"], "prompt-engine.yaml exists: edit its source: section"),
])
def test_add_refuses_what_was_typed_wrongly(cli: CliRunner, tmp_path: Path, args: list[str],
                                            expected: str) -> None:
    (tmp_path / references.FILE).write_text("prompts:\n  - a/c\n  - engineering/code-review@1\n")
    before = (tmp_path / references.FILE).read_bytes()
    result = cli("add", *args, "--repo", str(tmp_path))
    assert result.returncode == 2, result.output
    assert expected in " ".join(result.stderr.split())
    assert (tmp_path / references.FILE).read_bytes() == before


@pytest.mark.parametrize(("text", "expected"), [
    ("prompts: [a/b, a/b@1]\n", "prompt-engine.yaml:1:16: a/b is listed already (line 1)"),
    ("prompts:\n  - a/b@x\n", "prompt-engine.yaml:2:5: 'a/b@x': a range is 1, 1.2 or 1.2.3"),
    ("prompts:\n  - {id: a/b, version: 1}\n", "prompt-engine.yaml:2:15: version is a quoted "
                                               "range"),
    ("prompts:\n  - {id: a/b, tag: x}\n", "prompt-engine.yaml:2:5: an entry is `ID@RANGE`"),
    ("prompts: a/b\n", "prompt-engine.yaml:1:1: prompts is a list"),
    ("source: {server: ftp://x}\n", "prompt-engine.yaml:1:10: 'ftp://x' is not a URL"),
    ("source: {server: https://x, git: y}\n", "prompt-engine.yaml:1:1: give one of server"),
    ("source: {server: https://x, key_env: 'my key'}\n", "is not an environment variable name"),
    ("source: {server: https://x, ref: main}\n", "ref goes with git"),
    ("targets: [prompty]\n", "prompty has no folder a tool reads: write {format: prompty, "
                             "dir: FOLDER}"),
    ("targets: [skils]\n", "unknown target 'skils'; choose raw, skills"),
    ("targets: [{format: skills, dir: ../out}]\n", "dir is a folder inside this repository"),
    ("targets: [{format: skills, unfaithful: maybe}]\n", "unfaithful is skip"),
    ("targets: [skills, {format: copilot, dir: .agents/skills}]\n",
     "prompt-engine.yaml:1:19: two targets write to .agents/skills"),
    ("sources: {}\n", "prompt-engine.yaml:1:1: unknown key 'sources'"),
    ("prompts:\n  - a/b\n - c\n", "prompt-engine.yaml:3"),
])
def test_a_malformed_references_file_is_named_with_its_line(cli: CliRunner, tmp_path: Path,
                                                            text: str, expected: str) -> None:
    (tmp_path / references.FILE).write_text(text)
    result = cli("sync", "--repo", str(tmp_path))
    assert result.returncode == 1, result.output
    assert expected in " ".join(result.stderr.split())


def test_sync_without_a_source_or_a_file_says_what_to_do(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli("sync", "--repo", str(tmp_path))
    assert missing.returncode == 2
    assert "no references file; add a prompt first with `promptctl add" in missing.stderr
    assert cli("add", "a/b@1", "--repo", str(tmp_path)).returncode == 0
    sourceless = cli("sync", "--repo", str(tmp_path))
    assert sourceless.returncode == 2
    assert "names no source: add `source: {server: URL}`" in " ".join(sourceless.stderr.split())
