"""The command line as people use it: help, examples, -h, completion, colour, --quiet/--verbose,
``-i name=@file``, ``new`` and CODEOWNERS, and the generated command reference."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from promptctl.cli.main import app
from tests.conftest import GOOD_PROMPT, ROOT, CliRunner, RepoFactory


def command_paths() -> list[list[str]]:
    """Every visible command and group, as the words that name it."""
    found: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            if not sub.hidden:
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = command_paths()


def terms(help_text: str) -> list[str]:
    """The usage line and the first column of the Arguments and Options sections."""
    found = []
    section = ""
    for line in help_text.splitlines():
        if line.startswith("Usage:"):
            found.append(line)
        elif line and not line.startswith(" "):
            section = line
        elif section in ("Arguments:", "Options:") and re.match(r"  \S", line):
            found.append(re.split(r"\s{2,}", line.strip())[0])
    return found


def test_every_command_is_walked() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {"", "validate", "render", "keys", "keys add", "keys list", "keys revoke",
            "completion"} <= names
    assert "docs cli" not in names  # hidden


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "promptctl")
def test_help_names_values_as_people_type_them_and_shows_examples(
        cli: CliRunner, path: list[str]) -> None:
    result = cli(*path, "-h")
    assert result.returncode == 0, result.output
    for term in terms(result.stdout):
        for python_ish in ("list[", "Path", "<", "{"):
            assert python_ish not in term, f"{term!r} in `promptctl {' '.join(path)} -h`"
    examples = result.stdout.split("\nExamples:\n", 1)
    assert len(examples) == 2, f"no Examples: block in `promptctl {' '.join(path)} -h`"
    example_lines = [line for line in examples[1].splitlines() if line.startswith("  ")]
    assert example_lines, result.stdout
    assert any(f"promptctl {' '.join(path)}".rstrip() in line for line in example_lines)


def test_help_lists_choices_and_h_is_help(cli: CliRunner) -> None:
    validate = cli("validate", "--help")
    assert "--format [text|json|github]" in validate.stdout
    assert "-q, --quiet" in validate.stdout
    assert "-v, --verbose" in validate.stdout
    assert cli("validate", "-h").stdout == validate.stdout
    render = cli("render", "-h").stdout
    assert "-i, --input NAME=VALUE" in render
    assert "Usage: promptctl render [OPTIONS] ID[@VERSION]" in render
    assert "--status [draft|active|deprecated]" in cli("list", "-h").stdout
    assert "--color [auto|always|never]" in cli("-h").stdout


def test_examples_are_printed_as_written(cli: CliRunner) -> None:
    text = cli("approvals", "-h").stdout
    assert ("  promptctl approvals --base origin/main --reviews reviews.json --author octocat \\\n"
            "      --teams teams.json\n") in text


# --- completion ---------------------------------------------------------------------------------

LIBRARY = {
    "prompts/demo/greet.prompt.md": GOOD_PROMPT.replace("tags: [demo]",
                                                        "tags: [demo, 'greeting']"),
    "prompts/demo/farewell.prompt.md": GOOD_PROMPT.replace(
        "tags: [demo]", "tags:\n  - demo  # block style\n  - goodbye").replace(
        'owners: ["@acme/team"]', "owners:\n  - \"@acme/team\"\n  - '@ada'"),
    "prompts/ops/deep/runbook.prompt.yaml": (
        "title: Runbook\ndescription: Steps.\nversion: 1.0.0\nstatus: active\n"
        "owners: [\"@acme/sre\"]\ntags: [ops, oncall]\n"
        "messages:\n  - role: user\n    content: Do it.\n"),
    "prompts/_partials/footer.md": "tags: [not-a-tag]\n",
}


def complete_bash(cli: CliRunner, repo: Path, line: str) -> list[str]:
    words = line.split(" ")
    result = cli(env={"_PROMPTCTL_COMPLETE": "complete_bash", "COMP_WORDS": line,
                      "COMP_CWORD": str(len(words) - 1), "XDG_CACHE_HOME": str(repo / ".cache")},
                 cwd=repo)
    assert result.returncode == 0, result.output
    return result.stdout.split()


def test_completion_offers_ids_tags_collections_and_owners(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo(LIBRARY)
    for command in ("show", "render", "history", "test", "diff"):
        assert complete_bash(cli, repo, f"promptctl {command} ") == [
            "demo/farewell", "demo/greet", "ops/deep/runbook"], command
    assert complete_bash(cli, repo, "promptctl render demo/g") == ["demo/greet"]
    assert complete_bash(cli, repo, "promptctl list --tag ") == [
        "demo", "goodbye", "greeting", "oncall", "ops"]
    assert complete_bash(cli, repo, "promptctl search q --tag go") == ["goodbye"]
    assert complete_bash(cli, repo, "promptctl list --collection ") == ["demo", "ops"]
    assert complete_bash(cli, repo, "promptctl list --owner @") == [
        "@acme/sre", "@acme/team", "@ada"]
    assert complete_bash(cli, repo, "promptctl validate --format g") == ["github"]
    assert complete_bash(cli, repo, "promptctl re") == ["render"]
    # An edit is seen at once (the cache is keyed on size and mtime).
    (repo / "prompts/demo/greet.prompt.md").write_text(
        GOOD_PROMPT.replace("tags: [demo]", "tags: [demo, brand-new]"))
    assert "brand-new" in complete_bash(cli, repo, "promptctl list --tag ")
    # --repo, typed before, is where the ids come from.
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    assert complete_bash(cli, elsewhere, f"promptctl show --repo {repo} ops/") == [
        "ops/deep/runbook"]
    assert complete_bash(cli, elsewhere, "promptctl show ") == []


def test_completion_answers_alike_before_and_after_typer(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    """Without --repo promptctl.cli.quick answers before typer is imported; with it typer's
    callbacks do. Both give the same words."""
    repo = make_repo(LIBRARY)
    for command, rest in (("list", "--tag "), ("list", "--owner @a"),
                          ("search", "x --collection "), ("test", "demo/greet "),
                          ("diff", "demo/greet@1 d"), ("render", "o")):
        quick = complete_bash(cli, repo, f"promptctl --color never {command} {rest}")
        slow = complete_bash(cli, repo, f"promptctl {command} --repo {repo} {rest}")
        assert quick, (command, rest)
        assert quick == slow, (command, rest)


def test_completion_protocols_of_zsh_and_fish(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo(LIBRARY)
    zsh = cli(env={"_PROMPTCTL_COMPLETE": "complete_zsh",
                   "_TYPER_COMPLETE_ARGS": "promptctl show demo/f"}, cwd=repo)
    assert zsh.returncode == 0, zsh.output
    assert '"demo/farewell"' in zsh.stdout
    fish = cli(env={"_PROMPTCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION":
                    "get-args", "_TYPER_COMPLETE_ARGS": "promptctl list --tag onc"}, cwd=repo)
    assert fish.returncode == 0, fish.output
    assert fish.stdout.split() == ["oncall"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_script(cli: CliRunner, shell: str) -> None:
    result = cli("completion", shell)
    assert result.returncode == 0, result.output
    assert "_PROMPTCTL_COMPLETE=complete_" + shell in result.stdout


def test_completion_command_refuses_another_shell(cli: CliRunner) -> None:
    result = cli("completion", "tcsh")
    assert result.returncode == 2
    assert "choose bash, zsh or fish" in result.stderr


# --- colour -------------------------------------------------------------------------------------


def test_no_color_means_no_style_at_all_and_color_option(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    # `show` styles its first line bold; FORCE_COLOR makes a pipe count as a terminal.
    forced = {"FORCE_COLOR": "1", "NO_COLOR": "1"}
    plain = cli("show", "demo/greet", "--repo", str(repo), env=forced)
    assert plain.returncode == 0, plain.output
    assert "demo/greet  1.0.0" in plain.stdout
    assert "\x1b[" not in plain.stdout  # not even bold
    never = cli("--color", "never", "show", "demo/greet", "--repo", str(repo),
                env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" not in never.stdout
    always = cli("--color", "always", "show", "demo/greet", "--repo", str(repo))
    assert "\x1b[1m" in always.stdout
    bad = cli("--color", "sometimes", "show", "demo/greet", "--repo", str(repo))
    assert bad.returncode == 2
    assert "choose auto, always or never" in bad.stderr


# --- --quiet and --verbose ----------------------------------------------------------------------

WARNED = GOOD_PROMPT.replace("  excited:\n    type: boolean\n    default: false\n",
                             "  excited:\n    type: boolean\n    default: false\n"
                             "  unused:\n    type: string\n")


def test_validate_quiet_prints_errors_only_and_verbose_each_file(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": WARNED,
                      "prompts/_partials/footer.md": "Thanks.\n"})
    normal = cli("validate", "--repo", str(repo))
    assert normal.returncode == 0, normal.output
    assert "warning" in normal.stdout
    quiet = cli("validate", "-q", "--repo", str(repo))
    assert quiet.returncode == 0
    assert quiet.stdout == ""
    assert quiet.stderr == ""
    verbose = cli("validate", "--verbose", "--repo", str(repo))
    assert "checked prompts/demo/greet.prompt.md (demo/greet 1.0.0)" in verbose.stdout
    assert "checked prompts/_partials/footer.md (partial)" in verbose.stdout
    (repo / "prompts/demo/bad.prompt.md").write_text(GOOD_PROMPT.replace("version: 1.0.0",
                                                                         "version: one"))
    failing = cli("validate", "--quiet", "--repo", str(repo))
    assert failing.returncode == 1
    lines = failing.stdout.splitlines()
    assert lines, failing.output
    assert all("error[" in line for line in lines), failing.stdout
    both = cli("validate", "-q", "-v", "--repo", str(repo))
    assert both.returncode == 2
    assert "--quiet and --verbose" in both.stderr


def test_test_codeowners_and_init_quiet_and_verbose(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "library"
    assert cli("init", str(target), "--quiet").stdout == ""
    assert (target / "CODEOWNERS").is_file()
    verbose_init = cli("init", str(tmp_path / "other"), "-v")
    assert f"Repository: {(tmp_path / 'other').resolve()}" in verbose_init.stdout
    quiet_test = cli("test", "-q", "--repo", str(target))
    assert quiet_test.returncode == 0
    assert quiet_test.stdout == ""
    verbose_test = cli("test", "-v", "--repo", str(target))
    assert "prompts/general/summarize.prompt.md:" in verbose_test.stdout
    assert cli("codeowners", "--check", "-q", "--repo", str(target)).stdout == ""
    verbose_owners = cli("codeowners", "--check", "-v", "--repo", str(target))
    assert "/prompts/general/summarize.prompt.md @your-org/prompt-owners" in verbose_owners.stdout


# --- -i name=@file ------------------------------------------------------------------------------


def test_input_values_from_files_and_stdin(cli: CliRunner, make_repo: RepoFactory,
                                           tmp_path: Path) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT})
    value = tmp_path / "name.txt"
    value.write_text("Ada {{ not a template }}" + "x" * 200_000)
    from_file = cli("render", "demo/greet", "-i", f"name=@{value}", "--repo", str(repo))
    assert from_file.returncode == 0, from_file.output
    assert from_file.stdout.startswith("Hello, Ada {{ not a template }}xxx")
    from_stdin = cli("render", "demo/greet", "-i", "name=@-", "-i", "excited=yes",
                     "--repo", str(repo), stdin="Grace")
    assert from_stdin.stdout == "Hello, Grace!\n"
    literal = cli("render", "demo/greet", "-i", "name=@@ada", "--repo", str(repo))
    assert literal.stdout == "Hello, @ada.\n"
    missing = cli("render", "demo/greet", "-i", "name=@nowhere.txt", "--repo", str(repo))
    assert missing.returncode == 2
    assert "no such file 'nowhere.txt'" in missing.stderr
    assert "name=@@nowhere.txt" in missing.stderr


# --- new keeps CODEOWNERS current ---------------------------------------------------------------


def test_new_updates_the_generated_codeowners_block(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "library"
    assert cli("init", str(target), "--owner", "@acme/prompts").returncode == 0
    created = cli("new", "engineering/sql-review", "--owner", "@acme/data", "--repo",
                  str(target))
    assert created.returncode == 0, created.output
    assert "Updated CODEOWNERS" in created.stdout
    assert "/prompts/engineering/sql-review.prompt.md @acme/data" in (
        target / "CODEOWNERS").read_text()
    assert cli("validate", "--repo", str(target)).returncode == 0
    check = cli("codeowners", "--check", "--repo", str(target))
    assert check.returncode == 0, check.output


def test_new_leaves_a_codeowners_without_a_block_alone(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": GOOD_PROMPT, "CODEOWNERS": "* @acme/all\n"})
    assert cli("new", "demo/other", "--owner", "@acme/x", "--repo", str(repo)).returncode == 0
    assert (repo / "CODEOWNERS").read_text() == "* @acme/all\n"


# --- the command reference ----------------------------------------------------------------------


def test_committed_command_reference_is_current(cli: CliRunner) -> None:
    result = cli("docs", "cli", env={"COLUMNS": "60"})
    assert result.returncode == 0, result.output
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert result.stdout == committed, (
        "docs/cli.md is stale: run `promptctl docs cli > docs/cli.md` and commit it")
    assert "## `promptctl keys revoke`" in committed


def test_every_usage_line_names_its_arguments_once() -> None:
    """A metavar that already says "..." is shown doubled by click ("[[REF]...]...")."""
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "]...]" not in reference
    assert "......" not in reference
