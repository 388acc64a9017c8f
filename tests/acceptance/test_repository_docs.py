"""The README's example and the workflow's commands must keep working as written."""

from __future__ import annotations

import re
import shlex

import yaml

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


def test_workflow_promptctl_steps_pass_on_this_repository(cli: CliRunner) -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/prompts.yml").read_text())
    steps = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    promptctl_steps = [s for s in steps if s.startswith("promptctl ")]
    assert len(promptctl_steps) >= 2
    for step in promptctl_steps:
        args = shlex.split(step)[1:]
        result = cli(*args, "--repo", str(ROOT))
        assert result.returncode == 0, (step, result.output)
    assert workflow["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in workflow[True]  # PyYAML reads the key `on` as True
    assert all("timeout-minutes" in job for job in workflow["jobs"].values())
