from __future__ import annotations

import textwrap

import pytest

from promptctl.loader import _fenced, check_path, front_matter_end, load_prompt, split_lines
from promptctl.sources import SourceFile
from tests.conftest import GOOD_PROMPT

CHAT = textwrap.dedent(
    """\
    title: Chat
    description: A chat prompt.
    version: 2.0.0
    status: draft
    owners: ["@acme/team"]
    channel: experimental
    inputs:
      topic: {type: string, required: true}
    messages:
      - role: system
        content: You are terse.
      - role: user
        content: |
          Tell me about {{ topic }}.
    """
)


def test_markdown_form_loads_with_defaults_and_body_position() -> None:
    result = load_prompt(SourceFile("prompts/demo/greet.prompt.md", GOOD_PROMPT.encode()))
    assert result.problems == []
    prompt = result.prompt
    assert prompt is not None
    assert prompt.id == "demo/greet"
    assert prompt.collection == "demo"
    assert (prompt.scope, prompt.channel, prompt.aliases) == ("team", "stable", [])
    [body] = prompt.templates
    assert body.role == "user"
    assert body.line == GOOD_PROMPT.splitlines().index("Hello, {{ name }}{% if excited %}!"
                                                        "{% else %}.{% endif %}") + 1
    assert prompt.summary()["owners"] == ["@acme/team"]


def test_chat_form_loads_messages_in_order_with_their_lines() -> None:
    result = load_prompt(SourceFile("prompts/demo/chat.prompt.yaml", CHAT.encode()))
    assert result.problems == []
    prompt = result.prompt
    assert prompt is not None
    assert [t.role for t in prompt.templates] == ["system", "user"]
    assert prompt.templates[1].line == 14  # the line after `content: |`
    assert prompt.channel == "experimental"


def test_system_field_becomes_the_first_message() -> None:
    text = GOOD_PROMPT.replace("tags: [demo]\n", "tags: [demo]\nsystem: Be kind to {{ name }}.\n")
    result = load_prompt(SourceFile("prompts/demo/greet.prompt.md", text.encode()))
    assert result.prompt is not None
    assert [t.role for t in result.prompt.templates] == ["system", "user"]
    assert result.prompt.templates[0].line == 8


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("prompts/demo/Greet.prompt.md", "has upper case"),
        ("prompts/demo/my greet.prompt.md", "has a space"),
        ("prompts/demo/a..b.prompt.md", "has a dot"),
        ("prompts/demo/a:b.prompt.md", "has a colon"),
        ("prompts/demo/greet.md", "end in .prompt.md or .prompt.yaml"),
        ("prompts/Demo/greet.prompt.md", "'Demo' has upper case"),
    ],
    ids=["upper", "space", "dots", "colon", "suffix", "collection"],
)
def test_path_rules(path: str, fragment: str) -> None:
    problems = check_path(path)
    assert problems
    assert fragment in problems[0].message
    assert problems[0].code in ("id", "file-name")


def test_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + GOOD_PROMPT.encode()
    assert load_prompt(SourceFile("prompts/demo/greet.prompt.md", data)).problems == []


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_a_nul_byte_is_located_on_its_line_whatever_ends_the_lines(newline: bytes) -> None:
    data = newline.join([b"---", "title: \u2028x".encode(), b"description: a\x00b", b"---"])
    result = load_prompt(SourceFile("prompts/demo/nul.prompt.md", data))
    assert [(p.line, p.col, p.code) for p in result.problems] == [(3, 15, "encoding")]


def _fenced_by_lines(text: str) -> object:
    """What the loader reads of a .prompt.md file, line by line as ``front_matter_end`` does."""
    lines = split_lines(text, keepends=True)
    end = front_matter_end(lines)
    if not end:
        return end
    body = lines[end + 1 :]
    skipped = 0
    while body and not body[0].strip():
        body.pop(0)
        skipped += 1
    return "".join(lines[1:end]), end, "".join(body).rstrip(), skipped


@pytest.mark.parametrize("text", [
    "", "---", "---\n", "--- \na: 1\n", "---x\na: 1\n---\nbody\n", "a: 1\n---\nbody\n",
    "---\na: 1\n", "---\na: 1\n---", "---\na: 1\n---\n", "---\na: 1\n--- \t\nbody",
    "---\na: 1\n...\nbody\n", "---\na: 1\n----\n---\nbody\n", "---\na: 1\n ---\n---\n\n",
    "---\n---\nbody\n", "---\na: 1\n---\n\n  \n\t\nbody\n\n", "---\na: 1\n---\n \u2028\nbody\n",
    "---\na: |\n  x\u2028---\n---\n\u2029body \u2028\n", "---\na: 1\n---\nx\n---\ny\n",
    "--- \t\na: 1\n---\nbody", "---\na: 1\n---x\n---\nbody\n",
])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_front_matter_and_body_are_cut_where_the_lines_say(text: str, newline: str) -> None:
    text = text.replace("\n", newline)
    assert _fenced(text) == _fenced_by_lines(text)
