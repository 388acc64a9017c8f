"""`promptctl validate` on every kind of bad input: one located line each, never a traceback.

Each case is a real Git repository holding the valid GOOD_PROMPT plus one bad file; the real CLI
must exit 1, print `path:line:col: error[code]: message` for the bad file, and leave the good
prompt alone. Line numbers count from the top of the file: in a `.prompt.md` the front matter
starts on line 2 (after the opening `---`), so the first line of `HEAD` below that a case adds is
line 7.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import GOOD_PROMPT, CliRunner, RepoFactory, Result

GOOD = "prompts/demo/good.prompt.md"
BAD = "prompts/demo/bad.prompt.md"
BAD_YAML = "prompts/demo/bad.prompt.yaml"

# Lines 1-6 of every bad .prompt.md; what a case adds to the front matter starts on line 7.
HEAD = """\
---
title: Bad
description: One bad file among good ones.
version: 1.0.0
status: active
owners: ["@acme/team"]
"""
# The same fields for a .prompt.yaml (no fence): what a case adds starts on line 6.
YAML_HEAD = HEAD.removeprefix("---\n")
MESSAGES = "messages:\n  - role: user\n    content: Hello.\n"


def md(front: str = "", body: str = "Hello.") -> str:
    """A .prompt.md: HEAD, then `front` from line 7, the closing fence, then the body."""
    return f"{HEAD}{front}---\n{body}\n"


def chat(front: str = "", messages: str = MESSAGES) -> str:
    """A .prompt.yaml: YAML_HEAD, then `front` from line 6, then `messages`."""
    return f"{YAML_HEAD}{front}{messages}"


def validate(cli: CliRunner, repo: Path, *args: str, cwd: Path | None = None) -> Result:
    result = cli("validate", "--repo", str(repo), *args, cwd=cwd)
    assert "Traceback" not in result.stdout, result.stdout
    assert "internal error" not in result.output, result.output
    return result


def located(result: Result, location: str, code: str, severity: str = "error") -> str:
    """The message of the one problem printed at `location` with `code`; fails if there is none."""
    prefix = f"{location}: {severity}[{code}]: "
    found = [line[len(prefix):] for line in result.stdout.splitlines() if line.startswith(prefix)]
    assert found, f"no line starting with {prefix!r} in:\n{result.output}"
    return found[0]


def good_is_not_reported(result: Result) -> bool:
    return not any(line.startswith(f"{GOOD}:") for line in result.stdout.splitlines())


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines()
            if re.match(r"^prompts/\S.*:\d+:\d+: (error|warning)\[", line)]


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 9**9 strings once expanded, a few hundred bytes here."""
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"x-{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return md("\n".join(lines) + "\n")


BILLION_LAUGHS = billion_laughs()

CASES = [
    # --- YAML and front matter -----------------------------------------------------------------
    pytest.param({BAD: md("x-a: fine\nx-b: fine\nx-c: : bad\n")}, f"{BAD}:9:6", "yaml",
                 "malformed YAML: mapping values are not allowed", id="yaml-malformed-md-offset"),
    pytest.param({BAD_YAML: chat("x-c: : bad\n")}, f"{BAD_YAML}:6:6", "yaml",
                 "malformed YAML: mapping values are not allowed", id="yaml-malformed-yaml-form"),
    pytest.param({BAD: md("tags:\n\t- demo\n")}, f"{BAD}:8:1", "yaml",
                 "malformed YAML", id="yaml-tab-indent"),
    # The wrong line, not the next one where PyYAML finds a colon it cannot accept.
    pytest.param({BAD: md("inputs:\n  name:\n   type: string\n    description: Who.\n",
                          "{{ name }}")}, f"{BAD}:9:4", "yaml",
                 "malformed YAML: bad indentation: 'type: string' is indented 3 space(s) where "
                 "the lines around it take 4", id="yaml-indent-line-above"),
    pytest.param({BAD: md("inputs:\n  name:\n    type: string\n     description: Who.\n",
                          "{{ name }}")}, f"{BAD}:10:6", "yaml",
                 "'description: Who.' is indented 5 space(s) where the lines around it take 4"
                 "", id="yaml-indent-over"),
    pytest.param({BAD: md("x: 1\n  y: 2\n")}, f"{BAD}:8:3", "yaml",
                 "indent it 0 spaces", id="yaml-indent-top-level"),
    pytest.param({BAD: "Hello, no front matter here.\n"}, f"{BAD}:1:1", "front-matter",
                 "missing front matter", id="front-matter-missing"),
    pytest.param({BAD: "---\ntitle: Bad\ndescription: never closed\n"}, f"{BAD}:1:1",
                 "front-matter", "unterminated front matter", id="front-matter-unterminated"),
    pytest.param({BAD: md("x-a: &greeting hi\nx-b: *greeting\n")}, f"{BAD}:7:6", "yaml-alias",
                 "anchors and aliases (&name, *name) are not allowed", id="yaml-anchor-alias"),
    pytest.param({BAD: BILLION_LAUGHS}, f"{BAD}:7:6", "yaml-alias",
                 "anchors and aliases", id="yaml-billion-laughs"),
    pytest.param({BAD: md("title: Again\n")}, f"{BAD}:7:1", "yaml-duplicate-key",
                 "duplicate key 'title'", id="yaml-duplicate-key"),
    pytest.param({BAD: md("inputs:\n  name: {type: string}\n  name: {type: integer}\n",
                          "{{ name }}")}, f"{BAD}:9:3", "yaml-duplicate-key",
                 "duplicate key 'name'", id="yaml-duplicate-nested-key"),
    # --- schema ----------------------------------------------------------------------------------
    pytest.param({BAD: md("titel: Typo\n")}, f"{BAD}:7:1", "schema",
                 "unknown field 'titel'; did you mean 'title'?", id="unknown-key-typo"),
    pytest.param({BAD: md("colour: red\n")}, f"{BAD}:7:1", "schema",
                 "unknown field 'colour'; remove it, or prefix it with x-", id="unknown-key"),
    pytest.param({BAD: md("inputs:\n  name:\n    type: string\n    descripton: Who.\n",
                          "Hi {{ name }}")}, f"{BAD}:10:5", "schema",
                 "unknown field 'descripton' in inputs.name; did you mean 'description'?",
                 id="unknown-key-in-input"),
    pytest.param({BAD: md().replace("status: active", "status: 3")}, f"{BAD}:5:1", "schema",
                 'status is 3; expected one of "draft", "active", "deprecated"',
                 id="status-integer"),
    pytest.param({BAD: md().replace('owners: ["@acme/team"]', 'owners: "x"')}, f"{BAD}:6:1",
                 "schema", "owners must be a list, got a string", id="owners-string"),
    pytest.param({BAD: md().replace("version: 1.0.0", "version: 1.0")}, f"{BAD}:4:1",
                 "schema", "version 1.0 is a number (YAML reads it so unquoted) and must be "
                 "MAJOR.MINOR.PATCH, for example 1.0.0 (quoted or not)", id="version-float"),
    pytest.param({BAD: md().replace("version: 1.0.0", 'version: "1.0"')}, f"{BAD}:4:1",
                 "schema", "version '1.0' must be MAJOR.MINOR.PATCH", id="version-two-parts"),
    pytest.param({BAD: md().replace("description: One bad file among good ones.\n", "")},
                 f"{BAD}:1:1", "schema", "missing required field 'description'",
                 id="missing-required-field"),
    # --- bytes -----------------------------------------------------------------------------------
    pytest.param({BAD: b""}, f"{BAD}:1:1", "empty", "empty file", id="empty-file"),
    pytest.param({BAD: " \n\n\t  \n"}, f"{BAD}:1:1", "empty", "empty file",
                 id="whitespace-only-file"),
    pytest.param({BAD: md(body="x" * (1024 * 1024))}, f"{BAD}:1:1", "file-too-large",
                 "over the 1,048,576-byte limit", id="file-over-1-mib"),
    pytest.param({BAD: (HEAD + "---\nHello\ncaf").encode() + b"\xe9 au lait\n"}, f"{BAD}:9:4",
                 "encoding", "bytes that are not UTF-8 (0xe9)", id="not-utf8"),
    pytest.param({BAD: (HEAD + "---\nab").encode() + b"\x00c\n"}, f"{BAD}:8:3", "encoding",
                 "NUL byte", id="nul-byte"),
    pytest.param({BAD: (HEAD + "---\nCaf\u00e9 cr\u00e8me ").encode() + b"\xff\n"},
                 f"{BAD}:8:12", "encoding", "bytes that are not UTF-8 (0xff)",
                 id="not-utf8-column-in-characters"),
    # --- paths and ids ---------------------------------------------------------------------------
    pytest.param({"prompts/demo/Bad.prompt.md": md()}, "prompts/demo/Bad.prompt.md:1:1", "id",
                 "'Bad' has upper case", id="id-upper-case"),
    pytest.param({"prompts/Demo/bad.prompt.md": md()}, "prompts/Demo/bad.prompt.md:1:1", "id",
                 "'Demo' has upper case", id="id-upper-case-collection"),
    pytest.param({"prompts/demo/bad name.prompt.md": md()}, "prompts/demo/bad name.prompt.md:1:1",
                 "id", "'bad name' has a space", id="id-space"),
    pytest.param({"prompts/demo/a..b.prompt.md": md()}, "prompts/demo/a..b.prompt.md:1:1", "id",
                 "'a..b' has a dot", id="id-dot-dot"),
    pytest.param({"prompts/demo/a:b.prompt.md": md()}, "prompts/demo/a:b.prompt.md:1:1", "id",
                 "has a colon", id="id-colon"),
    pytest.param({"prompts/demo/bad.prompt.yml": chat()}, "prompts/demo/bad.prompt.yml:1:1",
                 "file-name", "rename it to prompts/demo/bad.prompt.yaml", id="prompt-yml-suffix"),
    pytest.param({"prompts/bad.prompt.md": md()}, "prompts/bad.prompt.md:1:1", "collection",
                 "move it to prompts/<collection>/bad.prompt.md", id="no-collection"),
    # --- templates -------------------------------------------------------------------------------
    pytest.param({BAD: md(body="Hello\nthere {{ name ")}, f"{BAD}:9:1", "template",
                 "template syntax error in body", id="template-body"),
    pytest.param({BAD: md(body="\n\nHello\n{% if %}")}, f"{BAD}:11:1", "template",
                 "template syntax error in body: Expected an expression",
                 id="template-body-after-blank-lines"),
    pytest.param({BAD: md('system: "Be {{ nice"\n')}, f"{BAD}:7:9", "template",
                 "template syntax error in system", id="template-system-inline"),
    pytest.param({BAD: md("system: |\n  You are kind.\n  Be {% endfor %}\n")}, f"{BAD}:9:1",
                 "template", "template syntax error in system: Encountered unknown tag 'endfor'",
                 id="template-system-literal-block"),
    pytest.param({BAD: md("system: >\n  You are kind.\n\n  Be {% endfor %}\n")}, f"{BAD}:10:1",
                 "template", "template syntax error in system", id="template-system-folded-block"),
    pytest.param({BAD: md("system: You are\n  kind.\n  Be {% endfor %}\n")}, f"{BAD}:9:1",
                 "template", "template syntax error in system", id="template-system-plain-lines"),
    pytest.param({BAD_YAML: chat(messages="messages:\n  - role: user\n    content: Hi.\n"
                                 "  - role: user\n    content: |\n      first\n      {{ oops }\n")},
                 f"{BAD_YAML}:12:1", "template",
                 "template syntax error in messages[1].content: unexpected '}'",
                 id="template-yaml-message"),
    # --- inputs and partials ---------------------------------------------------------------------
    pytest.param({BAD: md(body="Hello\n{{ who }}")}, f"{BAD}:9:1", "undeclared-input",
                 "body uses 'who', which `inputs` does not declare", id="undeclared-input"),
    pytest.param({BAD: md("system: Talk like {{ persona }}.\n")}, f"{BAD}:7:1",
                 "undeclared-input", "system uses 'persona'", id="undeclared-input-system"),
    pytest.param({"prompts/_partials/signature.md": "Regards,\n{{ who }}",
                  BAD: md(body='Hello\n{% include "_partials/signature.md" %}')},
                 f"{BAD}:9:1", "undeclared-input",
                 "body uses 'who' (through prompts/_partials/signature.md)",
                 id="undeclared-input-through-partial-line"),
    pytest.param({BAD: md(body='Hello\n{% include "_partials/nope.md" %}')}, f"{BAD}:9:1",
                 "include", "partial '_partials/nope.md' does not exist", id="include-missing"),
    pytest.param({BAD: md("inputs:\n  part: {type: string}\n",
                          "Hello {{ part }}\n{% include part %}")}, f"{BAD}:11:1", "include",
                 "include names must be literal strings", id="include-not-literal"),
    pytest.param({"prompts/_partials/a.md": 'A {% include "_partials/b.md" %}',
                  "prompts/_partials/b.md": 'B\n{% include "_partials/a.md" %}',
                  BAD: md(body='Hello\n{% include "_partials/a.md" %}')},
                 "prompts/_partials/b.md:2:1", "include-cycle",
                 "include cycle: _partials/a.md -> _partials/b.md -> _partials/a.md",
                 id="include-cycle"),
    pytest.param({BAD: md("inputs:\n  count:\n    type: integer\n    default: many\n",
                          "{{ count }}")}, f"{BAD}:10:5", "input-default",
                 "default of input 'count' is invalid", id="input-default"),
    pytest.param({BAD: md("inputs:\n  count: {type: integer}\ntests:\n  - name: counts\n"
                          "    inputs: {count: many}\n    expect: {contains: x}\n",
                          "{{ count }}")}, f"{BAD}:11:5", "test-inputs",
                 "test 'counts': input 'count': expected integer", id="test-inputs"),
    # --- across files ----------------------------------------------------------------------------
    pytest.param({"prompts/demo/a.prompt.md": md(), "prompts/demo/a.prompt.yaml": chat()},
                 "prompts/demo/a.prompt.yaml:1:1", "duplicate-id",
                 "id 'demo/a' is also defined by prompts/demo/a.prompt.md", id="duplicate-id"),
    pytest.param({BAD: md("aliases: [demo/good]\n")}, f"{BAD}:7:11", "alias",
                 "alias 'demo/good' is the id of prompts/demo/good.prompt.md",
                 id="alias-equals-id"),
    pytest.param({"prompts/demo/a.prompt.md": md("aliases: [demo/old-name]\n"),
                  "prompts/demo/b.prompt.md": md("aliases:\n  - demo/other\n  - demo/old-name\n")},
                 "prompts/demo/b.prompt.md:9:5", "alias",
                 "alias 'demo/old-name' is already an alias of demo/a", id="alias-duplicate"),
    pytest.param({BAD: md("replaced_by: demo/nope\n").replace("status: active",
                                                              "status: deprecated")},
                 f"{BAD}:7:1", "replaced-by", "replaced_by names 'demo/nope', which does not exist",
                 id="replaced-by-missing"),
    pytest.param({BAD: md("replaced_by: demo/good\n")}, f"{BAD}:7:1", "lifecycle",
                 "replaced_by is set but status is 'active'", id="replaced-by-not-deprecated"),
    pytest.param({BAD: md("messages:\n  - role: user\n    content: Hi.\n")}, f"{BAD}:7:1",
                 "form", "`messages` belongs to .prompt.yaml files", id="form-messages-in-md"),
    pytest.param({BAD_YAML: chat("system: Be kind.\n")}, f"{BAD_YAML}:6:1", "form",
                 "`system` belongs to .prompt.md files", id="form-system-in-yaml"),
]


@pytest.mark.parametrize(("files", "location", "code", "fragment"), CASES)
def test_bad_file_is_reported_at_its_line(
    cli: CliRunner, make_repo: RepoFactory, files: Mapping[str, str | bytes], location: str,
    code: str, fragment: str,
) -> None:
    repo = make_repo({GOOD: GOOD_PROMPT, **files})
    result = validate(cli, repo)
    assert result.returncode == 1, result.output
    message = located(result, location, code)
    assert fragment in message, message
    assert good_is_not_reported(result), result.output


def test_undeclared_input_through_a_partial_names_the_partial(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    # The line is pinned by the case above; here only what the message must say.
    repo = make_repo({GOOD: GOOD_PROMPT, "prompts/_partials/signature.md": "Regards,\n{{ who }}",
                      BAD: md(body='Hello\n{% include "_partials/signature.md" %}')})
    result = validate(cli, repo)
    assert result.returncode == 1, result.output
    [line] = problem_lines(result)
    assert re.fullmatch(
        rf"{re.escape(BAD)}:\d+:1: error\[undeclared-input\]: body uses 'who' \(through "
        r"prompts/_partials/signature\.md\), which `inputs` does not declare; .*", line), line


def test_missing_partial_included_by_a_partial_is_reported(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    repo = make_repo({GOOD: GOOD_PROMPT,
                      "prompts/_partials/outer.md": 'Outer\n{% include "_partials/nope.md" %}',
                      BAD: md(body='Hello\n{% include "_partials/outer.md" %}')})
    result = validate(cli, repo)
    assert result.returncode == 1, result.output
    assert any("error[include]" in line and "_partials/nope.md" in line
               for line in problem_lines(result)), result.output


def test_unused_input_is_a_warning_and_exits_0(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({GOOD: GOOD_PROMPT,
                      BAD: md("inputs:\n  audience:\n    type: string\n")})
    result = validate(cli, repo)
    assert result.returncode == 0, result.output
    message = located(result, f"{BAD}:8:3", "unused-input", severity="warning")
    assert "input 'audience' is declared but no template uses it" in message
    assert problem_lines(result) == [f"{BAD}:8:3: warning[unused-input]: {message}"]
    assert "0 error(s), 1 warning(s)" in result.stdout


def test_billion_laughs_is_refused_quickly(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({GOOD: GOOD_PROMPT, BAD: BILLION_LAUGHS})
    started = time.monotonic()
    result = validate(cli, repo, "--json")
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.output
    assert [p["code"] for p in result.json()["problems"]] == ["yaml-alias"]
    # A bound on the expansion (9**9 strings if it happened), not a benchmark.
    assert elapsed < 10, f"validate took {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("link", "target", "hidden"),
    [
        ("prompts/demo/link.prompt.md", "outside/secret.prompt.md", "outside/secret"),
        ("prompts/demo/linked-folder", "outside/folder", "demo/linked-folder/inner"),
    ],
    ids=["link-to-prompt-file", "link-to-folder"],
)
def test_symbolic_links_are_reported_and_never_followed(
    cli: CliRunner, make_repo: RepoFactory, link: str, target: str, hidden: str,
) -> None:
    secret = md(body="The secret text.").replace("title: Bad", "title: Outside secret")
    repo = make_repo({GOOD: GOOD_PROMPT, "outside/secret.prompt.md": secret,
                      "outside/folder/inner.prompt.md": secret})
    os.symlink(repo / target, repo / link)
    result = validate(cli, repo)
    assert result.returncode == 1, result.output
    message = located(result, f"{link}:1:1", "symlink")
    assert "symbolic links are not followed" in message
    assert good_is_not_reported(result), result.output
    listed = cli("list", "--json", "--repo", str(repo))
    assert listed.returncode == 0, listed.output
    assert [p["id"] for p in listed.json()] == ["demo/good"]
    assert hidden not in listed.stdout
    assert "Outside secret" not in listed.stdout
    shown = cli("show", hidden, "--repo", str(repo))
    assert shown.returncode == 2, shown.output


def several_bad_files() -> dict[str, str | bytes]:
    return {
        GOOD: GOOD_PROMPT,
        "prompts/demo/typo.prompt.md": md("titel: Typo\n"),
        "prompts/demo/empty.prompt.md": "",
        "prompts/other/Upper.prompt.md": md(),
        "prompts/other/undeclared.prompt.md": md(body="Hi {{ who }}"),
        "prompts/other/unused.prompt.md": md("inputs:\n  extra: {type: string}\n"),
    }


SEVERAL_EXPECTED = [
    ("prompts/demo/empty.prompt.md", 1, "error", "empty"),
    ("prompts/demo/typo.prompt.md", 7, "error", "schema"),
    ("prompts/other/Upper.prompt.md", 1, "error", "id"),
    ("prompts/other/undeclared.prompt.md", 8, "error", "undeclared-input"),
    ("prompts/other/unused.prompt.md", 8, "warning", "unused-input"),
]


def test_several_bad_files_are_all_reported_in_one_run(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    repo = make_repo(several_bad_files())
    result = validate(cli, repo)
    assert result.returncode == 1, result.output
    lines = problem_lines(result)
    assert len(lines) == 5, result.output
    for path, line, severity, code in SEVERAL_EXPECTED:
        assert any(x.startswith(f"{path}:{line}:") and f" {severity}[{code}]: " in x
                   for x in lines), (path, code, result.output)
    assert "6 files checked: 4 error(s), 1 warning(s)" in result.stdout


def test_github_format_emits_workflow_annotations(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo(several_bad_files())
    result = validate(cli, repo, "--format", "github")
    assert result.returncode == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.output
    for line in lines:
        assert re.fullmatch(r"::(error|warning) file=[^,]+,line=\d+,col=\d+,title=[a-z-]+::.+",
                            line), line
    assert ("::error file=prompts/demo/typo.prompt.md,line=7,col=1,title=schema::"
            "unknown field 'titel'; did you mean 'title'?") in lines
    assert any(x.startswith("::warning file=prompts/other/unused.prompt.md,line=8,col=3,"
                            "title=unused-input::") for x in lines)


@pytest.mark.parametrize("flags", [("--format", "json"), ("--json",)], ids=["format-json", "json"])
def test_json_format_has_the_documented_shape(
    cli: CliRunner, make_repo: RepoFactory, flags: tuple[str, ...],
) -> None:
    repo = make_repo(several_bad_files())
    result = validate(cli, repo, *flags)
    assert result.returncode == 1, result.output
    report = result.json()
    assert set(report) == {"ok", "files_checked", "errors", "warnings", "problems"}
    assert report["ok"] is False
    assert (report["files_checked"], report["errors"], report["warnings"]) == (6, 4, 1)
    found = [(p["path"], p["line"], p["severity"], p["code"]) for p in report["problems"]]
    assert sorted(found) == sorted(SEVERAL_EXPECTED)
    for problem in report["problems"]:
        assert set(problem) == {"path", "line", "col", "severity", "code", "message"}
        assert problem["message"]


def test_json_format_of_a_clean_repository(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({GOOD: GOOD_PROMPT})
    result = validate(cli, repo, "--json")
    assert result.returncode == 0, result.output
    assert result.json() == {"ok": True, "files_checked": 1, "errors": 0, "warnings": 0,
                             "problems": []}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("prompts/other", {"prompts/other/Upper.prompt.md", "prompts/other/undeclared.prompt.md",
                           "prompts/other/unused.prompt.md"}),
        ("prompts/demo/typo.prompt.md", {"prompts/demo/typo.prompt.md"}),
        ("prompts/demo", {"prompts/demo/typo.prompt.md", "prompts/demo/empty.prompt.md"}),
        (GOOD, set()),
    ],
    ids=["folder", "file", "other-folder", "good-file"],
)
def test_validate_path_reports_only_problems_under_it(
    cli: CliRunner, make_repo: RepoFactory, path: str, expected: set[str],
) -> None:
    repo = make_repo(several_bad_files())
    for given in (path, str(repo / path)):  # relative to the current directory, and absolute
        result = validate(cli, repo, given, "--json", cwd=repo)
        report = result.json()
        assert {p["path"] for p in report["problems"]} == expected, given
        assert result.returncode == (1 if report["errors"] else 0), result.output


def test_validate_of_a_nonexistent_path_is_a_usage_error(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    repo = make_repo({GOOD: GOOD_PROMPT})
    result = validate(cli, repo, "prompts/nope", cwd=repo)
    assert result.returncode == 2, result.output
    assert "prompts/nope: no such file or directory" in result.stderr


def test_the_good_prompt_alone_is_clean(cli: CliRunner, make_repo: RepoFactory) -> None:
    # The control for every case above: without the bad file nothing is reported.
    repo = make_repo({GOOD: GOOD_PROMPT})
    result = validate(cli, repo)
    assert result.returncode == 0, result.output
    assert problem_lines(result) == []
    assert "1 file checked: 0 error(s), 0 warning(s)" in result.stdout


def test_json_problem_positions_match_the_text_lines(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    repo = make_repo(several_bad_files())
    text = validate(cli, repo)
    data = validate(cli, repo, "--json").json()
    expected = [f"{p['path']}:{p['line']}:{p['col']}: {p['severity']}[{p['code']}]: {p['message']}"
                for p in data["problems"]]
    assert problem_lines(text) == expected
