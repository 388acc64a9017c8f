"""What list, search, test, show and validate print, in a pipe and on a terminal (a
pseudo-terminal), and how filters are checked."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import GIT_ENV, GOOD_PROMPT, ROOT, CliRunner, RepoFactory, Result

# Not a terminal, whatever the environment running the tests forces (rich reads an empty
# FORCE_COLOR as "not a terminal").
PIPE = {"FORCE_COLOR": "", "TTY_COMPATIBLE": ""}
LONG_ID = "engineering/pull-request-description-for-release-branches"
LONG = (GOOD_PROMPT.replace("title: Greeting", "title: A rather long title that a table of "
                            "eighty columns has to wrap somewhere")
        .replace("tags: [demo]", "tags: [demo, greeting, onboarding, architecture, decisions]"))


def on_terminal(*args: str, columns: int = 80, env: Mapping[str, str] | None = None) -> Result:
    """The real CLI with stdout a pseudo-terminal of ``columns`` columns (styles stripped)."""
    full_env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": str(columns),
                **(env or {})}
    for name in ("PROMPTCTL_DEBUG", *PIPE):
        full_env.pop(name, None)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "promptctl", *args], stdout=slave,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=full_env)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed (Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.stderr is not None
    with proc.stderr:
        stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    return Result(proc.returncode, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text), stderr)


def library(make_repo: RepoFactory) -> Path:
    return make_repo({
        "prompts/demo/greet.prompt.md": GOOD_PROMPT,
        f"prompts/{LONG_ID}.prompt.md": LONG,
    })


# --- list, search and test: records in a pipe, tables on a terminal ------------------------------


def test_list_in_a_pipe_prints_one_tab_separated_record_per_prompt(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = library(make_repo)
    result = cli("list", "--repo", str(repo), env={**PIPE, "COLUMNS": "80"})
    assert result.returncode == 0, result.output
    assert result.stdout.splitlines() == [
        "demo/greet\t1.0.0\tactive\tteam\tGreeting\tdemo",
        f"{LONG_ID}\t1.0.0\tactive\tteam\tA rather long title that a table of eighty columns "
        "has to wrap somewhere\tdemo,greeting,onboarding,architecture,decisions",
    ]


def test_list_on_a_narrow_terminal_never_truncates_an_id(make_repo: RepoFactory) -> None:
    repo = library(make_repo)
    result = on_terminal("list", "--repo", str(repo), columns=80)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["id", "version"]
    assert any(line.startswith(LONG_ID + " ") for line in lines), result.stdout
    assert "…" not in result.stdout
    assert all(len(line) <= 80 for line in lines), result.stdout
    assert "2 prompt(s)" in result.stdout
    wide = on_terminal("list", "--repo", str(repo), columns=140)
    assert "A rather long title" in wide.stdout  # wrapped, not cut
    assert "…" not in wide.stdout


def test_list_of_this_repository_at_80_columns_is_readable(cli: CliRunner) -> None:
    result = on_terminal("list", "--repo", str(ROOT), columns=80)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert "Architecture decision" in result.stdout
    ids = [line.split()[0] for line in cli("list", "--repo", str(ROOT), env=PIPE).stdout
           .splitlines()]
    starts = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert set(ids) <= starts


def test_search_ranks_every_word_first_then_some_and_says_which_matched(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    both = GOOD_PROMPT.replace("title: Greeting", "title: Incident review")
    one = GOOD_PROMPT.replace("title: Greeting", "title: Code review")
    repo = make_repo({"prompts/demo/both.prompt.md": both, "prompts/demo/one.prompt.md": one,
                      "prompts/demo/greet.prompt.md": GOOD_PROMPT})
    result = cli("search", "incident review", "--repo", str(repo), env=PIPE)
    assert result.returncode == 0, result.output
    records = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(r[0], r[2]) for r in records] == [("demo/both", "incident,review"),
                                              ("demo/one", "review")]
    assert all(len(r) == 4 for r in records)
    hits = cli("search", "incident review", "--json", "--repo", str(repo)).json()
    assert [h["matched"] for h in hits] == [["incident", "review"], ["review"]]
    shown = on_terminal("search", "incident review", "--repo", str(repo), columns=120)
    assert "2 hit(s): 1 with every word, then 1 with some of them" in shown.stdout


def test_the_readmes_search_example_finds_the_postmortem_prompt(cli: CliRunner) -> None:
    result = cli("search", "incident review", "--repo", str(ROOT), env=PIPE)
    assert result.returncode == 0, result.output
    first = result.stdout.splitlines()[0].split("\t")
    assert first[0] == "docs/incident-postmortem"
    assert "incident" in first[2].split(",")


def test_a_search_that_finds_nothing_says_what_to_try(cli: CliRunner,
                                                     make_repo: RepoFactory) -> None:
    repo = library(make_repo)
    result = cli("search", "zebra quantum", "--repo", str(repo), env=PIPE)
    assert result.returncode == 0, result.output
    assert result.stdout == ""
    assert "no prompt has any of the words 'zebra', 'quantum'" in result.stderr
    assert "the start of a word" in result.stderr
    assert "promptctl list" in result.stderr
    filtered = cli("search", "greet", "--tag", "nope", "--repo", str(repo), env=PIPE)
    assert "fewer filters" in filtered.stderr


FAILING = GOOD_PROMPT.replace(
    '    expect: {contains: "Hello, Ada"}\n',
    '    expect: {contains: "Goodbye"}\n'
    "  - name: exact\n"
    "    inputs: {name: Ada}\n"
    "    expect:\n"
    "      equals: |\n"
    "        Hello, Bob.\n",
)


def test_test_in_a_pipe_prints_records_and_the_failures_with_what_rendered(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({"prompts/demo/greet.prompt.md": FAILING})
    result = cli("test", "--repo", str(repo), env=PIPE)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["demo/greet\tgreets\tFAIL", "demo/greet\texact\tFAIL"]
    assert "expected the text to contain 'Goodbye'" in result.stderr
    assert "rendered (1 line(s)):\n    Hello, Ada.\n" in result.stderr
    for line in ("--- expected (equals)", "+++ rendered", "-Hello, Bob.", "+Hello, Ada."):
        assert f"    {line}\n" in result.stderr, result.stderr
    assert "0 passed, 2 failed" in result.stderr
    shown = on_terminal("test", "--repo", str(repo))
    assert "-Hello, Bob." in shown.stdout
    assert "+Hello, Ada." in shown.stdout
    assert "0 passed, 2 failed" in shown.stdout
    [greets, exact] = cli("test", "--json", "--repo", str(repo)).json()["results"]
    assert greets["rendered"] == "Hello, Ada."
    assert exact["diff"].startswith("--- expected (equals)\n+++ rendered\n")


# --- filters ------------------------------------------------------------------------------------


def test_a_status_or_channel_no_prompt_can_have_is_a_usage_error(
        cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = library(make_repo)
    for command in ("list", "search greet"):
        status = cli(*command.split(), "--status", "actve", "--repo", str(repo))
        assert status.returncode == 2, status.output
        assert "--status 'actve' is not a status; did you mean --status active?" in status.stderr
        assert "choose draft, active or deprecated" in status.stderr
        channel = cli(*command.split(), "--channel", "stabel", "--repo", str(repo))
        assert channel.returncode == 2, channel.output
        assert "did you mean --channel stable?" in channel.stderr
    unknown = cli("list", "--channel", "foo", "--repo", str(repo))
    assert unknown.returncode == 2
    assert "choose stable or experimental" in unknown.stderr


def test_a_tag_collection_or_owner_nobody_has_earns_a_hint(cli: CliRunner,
                                                         make_repo: RepoFactory) -> None:
    repo = library(make_repo)
    result = cli("list", "--tag", "onboardng", "--collection", "enginering", "--owner",
                 "@acme/tem", "--repo", str(repo))
    assert result.returncode == 0, result.output
    assert result.stdout == ""
    assert "no prompt has tag 'onboardng'; did you mean --tag onboarding?" in result.stderr
    assert "did you mean --collection engineering?" in result.stderr
    assert "did you mean --owner @acme/team?" in result.stderr


# --- show and validate --------------------------------------------------------------------------


def test_show_prints_defaults_as_a_prompt_file_writes_them(cli: CliRunner,
                                                        make_repo: RepoFactory) -> None:
    typed = GOOD_PROMPT.replace(
        "  excited:\n",
        "  db:\n    type: string\n    default: postgres\n"
        "  ratio:\n    type: string\n    default: '1.0'\n"
        "  tags:\n    type: array\n    default: [a, b]\n"
        "  excited:\n")
    repo = make_repo({"prompts/demo/greet.prompt.md": typed})
    result = cli("show", "demo/greet", "--repo", str(repo))
    assert result.returncode == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["db"][1:] == ["string", "postgres"]
    assert rows["ratio"][1:] == ["string", '"1.0"']
    assert rows["tags"][1:] == ["array", '["a",', '"b"]']
    assert rows["excited"][1:] == ["boolean", "false"]
    assert "'postgres'" not in result.stdout
    assert "False" not in result.stdout


def test_validate_counts_the_files_it_was_asked_about(cli: CliRunner,
                                                      make_repo: RepoFactory) -> None:
    repo = make_repo({
        "prompts/demo/greet.prompt.md": GOOD_PROMPT,
        "prompts/demo/other.prompt.md": GOOD_PROMPT,
        "prompts/more/third.prompt.md": GOOD_PROMPT,
        "prompts/more/fourth.prompt.md": GOOD_PROMPT,
    })
    one = cli("validate", "prompts/demo/greet.prompt.md", "--repo", str(repo), cwd=repo)
    assert "1 file checked: 0 error(s)" in one.stdout, one.output
    folder = cli("validate", "prompts/more", "--repo", str(repo), cwd=repo)
    assert "2 files checked" in folder.stdout
    three = cli("validate", "prompts/more", "prompts/demo/other.prompt.md", "--repo", str(repo),
                cwd=repo)
    assert "3 files checked" in three.stdout
    assert cli("validate", "prompts/more", "--json", "--repo", str(repo),
               cwd=repo).json()["files_checked"] == 2
    assert "4 files checked" in cli("validate", "--repo", str(repo)).stdout


def test_a_run_builds_the_command_it_names_and_keeps_typers_answers_otherwise() -> None:
    """A run builds only the command its arguments name; help, groups and typos answer as
    they do with every command built."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "promptctl", *args], check=False,
                              capture_output=True, text=True, cwd=ROOT, timeout=60)

    listed = run("--help")
    assert listed.returncode == 0
    assert "serve" in listed.stdout
    assert "validate" in listed.stdout
    serve_help = run("--color", "never", "serve", "--help")
    assert serve_help.returncode == 0
    assert "--index-cache" in serve_help.stdout
    keys = run("keys", "--help")
    assert keys.returncode == 0
    assert "revoke" in keys.stdout
    typo = run("validat")
    assert typo.returncode == 2
    assert "validate" in typo.stderr  # typer's suggestion needs every command
    assert run("--version").stdout.startswith("promptctl ")
    reference = run("docs", "cli")
    assert reference.returncode == 0
    assert "`promptctl serve`" in reference.stdout  # the reference reads every command
    assert "`promptctl validate`" in reference.stdout
