"""The README's example and the workflow's commands must keep working as written."""

from __future__ import annotations

import re

from tests.conftest import ROOT, CliRunner, RepoFactory


def test_readme_example_prompt_validates_and_passes_its_test(
    cli: CliRunner, make_repo: RepoFactory
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A prompt, complete", 1)[1]
    example = re.search(r"```markdown\n(.*?)```", section, re.DOTALL)
    assert example, "the README's example prompt block is missing"
    repo = make_repo({"prompts/engineering/commit-message.prompt.md": example.group(1)})
    validated = cli("validate", "--repo", str(repo))
    assert validated.returncode == 0, validated.output
    assert "0 warning(s)" in validated.stdout
    tested = cli("test", "--repo", str(repo))
    assert tested.returncode == 0, tested.output


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert first_block
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["bash scripts/run", "bash scripts/test"]
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "exec bash scripts/test" in ci
