"""`promptctl render` through the real CLI on real repositories.

Inputs are parsed by their declared types, validated with defaults applied, and stay data: a
caller's `{{ ... }}` is printed, never evaluated. Rendering is bounded in output size and time
(`render:` in promptctl.yaml). Exit codes: 0 ok, 1 bad inputs or content, 2 usage (unknown id).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import GOOD_PROMPT, CliRunner, RepoFactory, Result, git, write_files

HEAD = """\
---
title: {title}
description: A prompt to render.
version: 1.2.0
status: active
owners: ["@acme/team"]
"""

TYPED = HEAD.format(title="Typed") + """\
aliases: [demo/typed-old]
inputs:
  count: {type: integer, required: true}
  ratio: {type: number, default: 0.5}
  flag: {type: boolean, default: false}
  items: {type: array, items: {type: string}, default: []}
  opts: {type: object, default: {}}
  tone: {type: string, enum: [formal, casual], default: casual}
---
count={{ count }} ratio={{ ratio }} flag={{ flag }} items={{ items|join('|') }} \
opts={{ opts|tojson }} tone={{ tone }}
"""

SYSTEM = HEAD.format(title="Review") + """\
system: You review {{ lang }} code.
inputs:
  lang: {type: string, default: python}
  code: {type: string, required: true}
---
Review this:
{{ code }}
"""

CHAT = HEAD.format(title="Chat").removeprefix("---\n") + """\
inputs:
  topic: {type: string, required: true}
messages:
  - role: system
    content: You are terse.
  - role: user
    content: Tell me about {{ topic }}.
  - role: assistant
    content: Sure.
  - role: user
    content: |
      More on {{ topic }}.
"""

ECHO = HEAD.format(title="Echo") + """\
inputs:
  text: {type: string, default: ""}
---
[{{ text }}]
"""

LINES = HEAD.format(title="Lines") + """\
inputs:
  n: {type: integer, default: 3}
---
{% for i in range(n) %}
line {{ i }}
{% endfor %}
"""

NESTED = HEAD.format(title="Nested") + """\
inputs:
  items: {type: array, default: []}
---
{% for a in items %}{% for b in items %}{% for c in items %}{% endfor %}{% endfor %}{% endfor %}
done
"""

UNDECLARED = HEAD.format(title="Broken") + "---\nHello {{ who }}\n"

BOUNDS = "render:\n  max_output_bytes: 2048\n  timeout_seconds: 0.2\n"

LIBRARY: dict[str, str | bytes] = {
    "prompts/demo/good.prompt.md": GOOD_PROMPT,
    "prompts/demo/typed.prompt.md": TYPED,
    "prompts/demo/system.prompt.md": SYSTEM,
    "prompts/demo/chat.prompt.yaml": CHAT,
    "prompts/demo/echo.prompt.md": ECHO,
    "prompts/demo/lines.prompt.md": LINES,
    "prompts/demo/nested.prompt.md": NESTED,
}


@pytest.fixture
def repo(make_repo: RepoFactory) -> Path:
    return make_repo(LIBRARY)


def render(cli: CliRunner, repo: Path, *args: str, stdin: str | None = None) -> Result:
    result = cli("render", *args, "--repo", str(repo), stdin=stdin, cwd=repo)
    assert "internal error" not in result.output, result.output
    return result


def typed_line(count: int = 3, ratio: str = "0.5", flag: str = "False", items: str = "",
               opts: str = "{}", tone: str = "casual") -> str:
    return f"count={count} ratio={ratio} flag={flag} items={items} opts={opts} tone={tone}"


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["count=3"], typed_line()),
        (["count=-12"], typed_line(count=-12)),
        (["count=1", "ratio=2.25"], typed_line(count=1, ratio="2.25")),
        (["count=1", "ratio=2"], typed_line(count=1, ratio="2")),
        (["count=1", "flag=yes"], typed_line(count=1, flag="True")),
        (["count=1", "flag=true"], typed_line(count=1, flag="True")),
        (["count=1", "flag=no"], typed_line(count=1, flag="False")),
        (["count=1", "flag=false"], typed_line(count=1, flag="False")),
        (["count=1", 'items=["a", "b c"]'], typed_line(count=1, items="a|b c")),
        (["count=1", "items=a, b ,c"], typed_line(count=1, items="a|b|c")),
        (["count=1", 'opts={"k": 1, "j": [true]}'],
         typed_line(count=1, opts='{"j": [true], "k": 1}')),
        (["count=1", "tone=formal"], typed_line(count=1, tone="formal")),
        (["count=1", "count=2"], typed_line(count=2)),
    ],
    ids=["integer-and-defaults", "negative-integer", "number-float", "number-integer",
         "boolean-yes", "boolean-true", "boolean-no", "boolean-false", "array-json",
         "array-comma-list", "object-json", "enum-value", "last-value-wins"],
)
def test_inputs_are_parsed_by_their_declared_type(
    cli: CliRunner, repo: Path, pairs: list[str], expected: str,
) -> None:
    args = [arg for pair in pairs for arg in ("-i", pair)]
    result = render(cli, repo, "demo/typed", *args)
    assert result.returncode == 0, result.output
    assert result.stdout == expected + "\n"


@pytest.mark.parametrize(
    ("pairs", "error"),
    [
        (["count=three"], "count: expected an integer, got 'three'"),
        (["count=1.5"], "count: expected an integer, got '1.5'"),
        (["count=1", "ratio=lots"], "ratio: expected a number, got 'lots'"),
        (["count=1", "flag=maybe"], "flag: expected true or false, got 'maybe'"),
        (["count=1", "opts=[1]"], "opts: expected object, got [1]"),
        (["count=1", "opts=nope"], "opts: expected a JSON object, got 'nope'"),
        (["count=1", "items=[1"], "items: expected a JSON array"),
        (["count=1", "items=[1, 2]"], "items:"),
        ([], "count: required input is missing"),
        (["count=1", "nope=1"], "nope: unknown input; this prompt declares: count, flag, items"),
        (["count=1", "tone=angry"], 'tone: "angry" is not one of "formal", "casual"'),
        (["count"], "count: expected name=value"),
    ],
    ids=["integer-word", "integer-float", "number-word", "boolean-word", "object-not-mapping",
         "object-not-json", "array-bad-json", "array-item-type", "required-missing",
         "unknown-input", "enum-violation", "pair-without-equals"],
)
def test_bad_inputs_are_named_and_exit_2(
    cli: CliRunner, repo: Path, pairs: list[str], error: str,
) -> None:
    args = [arg for pair in pairs for arg in ("-i", pair)]
    result = render(cli, repo, "demo/typed", *args)
    assert result.returncode == 2, result.output
    assert result.stdout == ""
    assert "invalid inputs for demo/typed" in result.stderr
    assert error in result.stderr


INPUT_FILES: Mapping[str, str] = {
    "in.json": '{"count": 3, "items": ["a", "b"], "opts": {"k": "v"}}',
    "in.yaml": "count: 4\nflag: yes\nitems:\n  - x\ntone: formal\n",
}


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["--inputs", "in.json"], None, typed_line(items="a|b", opts='{"k": "v"}')),
        (["--inputs", "in.yaml"], None, typed_line(count=4, flag="True", items="x",
                                                    tone="formal")),
        (["--inputs", "-"], '{"count": 9, "ratio": 0.25}', typed_line(count=9, ratio="0.25")),
        (["--inputs", "-"], "count: 10\nflag: true\n", typed_line(count=10, flag="True")),
        (["--inputs", "in.json", "-i", "count=5"], None,
         typed_line(count=5, items="a|b", opts='{"k": "v"}')),
    ],
    ids=["json-file", "yaml-file", "stdin-json", "stdin-yaml", "cli-overrides-file"],
)
def test_inputs_from_a_file_or_stdin(
    cli: CliRunner, repo: Path, args: list[str], stdin: str | None, expected: str,
) -> None:
    write_files(repo, INPUT_FILES)
    result = render(cli, repo, "demo/typed", *args, stdin=stdin)
    assert result.returncode == 0, result.output
    assert result.stdout == expected + "\n"


@pytest.mark.parametrize(
    ("args", "stdin", "code", "error"),
    [
        (["--inputs", "missing.json"], None, 2, "--inputs missing.json: no such file"),
        (["--inputs", "prompts"], None, 2, "--inputs prompts: is a directory; pass a JSON or "
                                            "YAML file"),
        (["--inputs", "-"], "[1, 2]", 2, "<stdin>: inputs must be a mapping"),
        (["--inputs", "-"], "count: &n 1\nratio: *n\n", 2, "anchors and aliases"),
        (["--inputs", "-"], "count: [1\n", 2, "<stdin>:"),
        (["--inputs", "-"], '{"count": "many"}', 2, "count: expected integer"),
    ],
    ids=["missing-file", "directory", "not-a-mapping", "yaml-alias", "malformed-yaml",
         "wrong-type"],
)
def test_bad_input_files_are_refused(
    cli: CliRunner, repo: Path, args: list[str], stdin: str | None, code: int, error: str,
) -> None:
    result = render(cli, repo, "demo/typed", *args, stdin=stdin)
    assert result.returncode == code, result.output
    assert error in result.stderr
    assert result.stdout == ""


def test_json_output_puts_the_system_message_first(cli: CliRunner, repo: Path) -> None:
    result = render(cli, repo, "demo/system", "-i", "code=x = 1", "--json")
    assert result.returncode == 0, result.output
    data = result.json()
    documented = {key: data[key] for key in ("id", "version", "messages", "text")}
    assert documented == {
        "id": "demo/system",
        "version": "1.2.0",
        "messages": [
            {"role": "system", "content": "You review python code."},
            {"role": "user", "content": "Review this:\nx = 1"},
        ],
        "text": "You review python code.\n\nReview this:\nx = 1",
    }


def test_chat_form_renders_its_messages_in_order(cli: CliRunner, repo: Path) -> None:
    as_json = render(cli, repo, "demo/chat", "-i", "topic=owls", "--json")
    assert as_json.returncode == 0, as_json.output
    data = as_json.json()
    assert [(m["role"], m["content"]) for m in data["messages"]] == [
        ("system", "You are terse."),
        ("user", "Tell me about owls."),
        ("assistant", "Sure."),
        ("user", "More on owls."),
    ]
    assert data["text"] == "\n\n".join(m["content"] for m in data["messages"])
    as_text = render(cli, repo, "demo/chat", "-i", "topic=owls")
    assert as_text.returncode == 0, as_text.output
    assert as_text.stdout == data["text"] + "\n"


def test_render_by_alias_gives_the_prompt_id(cli: CliRunner, repo: Path) -> None:
    result = render(cli, repo, "demo/typed-old", "-i", "count=7", "--json")
    assert result.returncode == 0, result.output
    data = result.json()
    assert (data["id"], data["version"]) == ("demo/typed", "1.2.0")
    assert data["text"] == typed_line(count=7)


def test_unknown_id_is_a_usage_error_with_a_hint(cli: CliRunner, repo: Path) -> None:
    result = render(cli, repo, "demo/typd", "-i", "count=1")
    assert result.returncode == 2, result.output
    assert "no prompt 'demo/typd'" in result.stderr
    assert "did you mean demo/typed" in result.stderr


def test_rendering_a_prompt_that_fails_validation_is_refused(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    repo = make_repo({**LIBRARY, "prompts/demo/broken.prompt.md": UNDECLARED})
    result = render(cli, repo, "demo/broken")
    assert result.returncode == 1, result.output
    assert result.stdout == ""
    assert "demo/broken is invalid" in result.stderr
    assert "prompts/demo/broken.prompt.md:8:1: error[undeclared-input]" in result.stderr


def test_rendering_a_prompt_whose_file_does_not_load_names_the_problem(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    broken = HEAD.format(title="Broken") + "titel: Typo\n---\nHello.\n"
    repo = make_repo({**LIBRARY, "prompts/demo/broken.prompt.md": broken})
    result = render(cli, repo, "demo/broken")
    assert result.returncode == 1, result.output
    assert "prompts/demo/broken.prompt.md:7:1" in result.stderr
    assert "unknown field 'titel'" in result.stderr


PAYLOAD = "{{ 7*7 }} {% for x in range(3) %}x{% endfor %} ${input:x} {# note #} {{ lipsum }}"


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["-i", f"text={PAYLOAD}"], None),
        (["--inputs", "-"], json.dumps({"text": PAYLOAD})),
        (["--inputs", "-"], "text: '" + PAYLOAD + "'\n"),
    ],
    ids=["cli-pair", "stdin-json", "stdin-yaml"],
)
def test_a_callers_input_is_data_never_a_template(
    cli: CliRunner, repo: Path, args: list[str], stdin: str | None,
) -> None:
    result = render(cli, repo, "demo/echo", *args, stdin=stdin)
    assert result.returncode == 0, result.output
    assert result.stdout == f"[{PAYLOAD}]\n"
    assert "49" not in result.stdout
    assert "xxx" not in result.stdout
    assert "function" not in result.stdout


@pytest.mark.parametrize(
    ("prompt_id", "big", "small"),
    [
        ("demo/echo", "text=" + "a" * 5000, "text=short"),
        ("demo/lines", "n=1000", "n=3"),
    ],
    ids=["big-input", "template-loop"],
)
def test_output_over_the_size_bound_is_refused(
    cli: CliRunner, make_repo: RepoFactory, prompt_id: str, big: str, small: str,
) -> None:
    repo = make_repo({**LIBRARY, "promptctl.yaml": BOUNDS})
    result = render(cli, repo, prompt_id, "-i", big)
    assert result.returncode == 1, result.output
    assert result.stdout == ""
    assert "rendered output is over the 2,048-byte bound" in result.stderr
    # The same prompt within the bound renders: what is refused is the size, not the prompt.
    within = render(cli, repo, prompt_id, "-i", small)
    assert within.returncode == 0, within.output
    assert len(within.stdout) < 2048


def test_rendering_past_the_time_bound_is_stopped(cli: CliRunner, make_repo: RepoFactory) -> None:
    repo = make_repo({**LIBRARY, "promptctl.yaml": BOUNDS})
    items = json.dumps({"items": list(range(2000))})  # 8e9 inner iterations if left to run
    started = time.monotonic()
    result = render(cli, repo, "demo/nested", "--inputs", "-", stdin=items)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.output
    assert "rendering took longer than the time bound" in result.stderr
    assert "0.2 s" in result.stderr
    assert elapsed < 10, f"took {elapsed:.1f} s"  # a bound, not a benchmark
    quick = render(cli, repo, "demo/nested", "--inputs", "-", stdin='{"items": [1, 2]}')
    assert quick.returncode == 0, quick.output
    assert quick.stdout == "done\n"


@pytest.mark.parametrize(
    ("ref", "code", "error"),
    [
        ("demo/typed@1.2.0", 0, ""),
        ("demo/typed-old@1.2.0", 0, ""),
        ("demo/typed@9.9.9", 2, "demo/typed@9.9.9"),
        ("demo/typed@1.1.0", 2, "demo/typed@1.1.0"),
        ("demo/nope@1.2.0", 2, "demo/nope"),
    ],
    ids=["current-version", "alias-current-version", "unknown-version", "version-not-in-history",
         "unknown-id"],
)
def test_id_at_version(cli: CliRunner, repo: Path, ref: str, code: int, error: str) -> None:
    result = render(cli, repo, ref, "-i", "count=1")
    assert result.returncode == code, result.output
    if code == 0:
        assert result.stdout == typed_line(count=1) + "\n"
    else:
        assert error in result.stderr
        assert result.stdout == ""


@pytest.mark.parametrize("ref", ["demo/typed@1", "demo/typed@1.2"], ids=["major", "minor"])
def test_id_at_partial_version_renders_the_highest_match(
    cli: CliRunner, repo: Path, ref: str,
) -> None:
    result = render(cli, repo, ref, "-i", "count=1")
    assert result.returncode == 0, result.output
    assert result.stdout == typed_line(count=1) + "\n"


def test_id_at_version_renders_that_version_from_history(
    cli: CliRunner, make_repo: RepoFactory,
) -> None:
    repo = make_repo({**LIBRARY, "prompts/demo/echo.prompt.md":
                      ECHO.replace("1.2.0", "1.1.0").replace("[{{ text }}]", "old {{ text }}")})
    write_files(repo, {"prompts/demo/echo.prompt.md": ECHO})
    git(repo, "commit", "-q", "-am", "echo 1.2.0")
    for ref, expected in (("demo/echo@1.1.0", "old hi"), ("demo/echo@1.1", "old hi"),
                          ("demo/echo@1", "[hi]"), ("demo/echo@1.2.0", "[hi]"),
                          ("demo/echo", "[hi]")):
        result = render(cli, repo, ref, "-i", "text=hi")
        assert result.returncode == 0, (ref, result.output)
        assert result.stdout == expected + "\n", ref
