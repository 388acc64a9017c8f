"""Import: what each format's file becomes, what is kept and dropped, and what is refused."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from promptctl import inputs as inputs_module
from promptctl.formats import ImportProblem, export_prompt, import_file
from promptctl.library import Library
from promptctl.model import Prompt

OWNERS = ["@acme/imports"]


def front(text: str) -> dict[str, Any]:
    if text.startswith("---\n"):
        return dict(yaml.safe_load(text.split("---\n")[1]))
    return dict(yaml.safe_load(text))


def load(tmp_path: Path, path: str, text: str, fmt: str, **kwargs: Any) -> tuple[Prompt,
                                                                              Library, Any]:
    imported = import_file(path, textwrap.dedent(text).encode(), fmt, owners=OWNERS, **kwargs)
    target = tmp_path / imported.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(imported.text, encoding="utf-8")
    library = Library.from_work_tree(tmp_path)
    errors = [p.format_text() for p in library.problems if p.is_error]
    assert not errors, errors
    return library.prompts[imported.prompt_id], library, imported


def render(library: Library, prompt: Prompt, **values: Any) -> str:
    return library.renderer.render(prompt, inputs_module.resolve(prompt, values)).text


def test_copilot_file_keeps_its_fields_and_inputs(tmp_path: Path) -> None:
    prompt, library, imported = load(tmp_path, "x/Create-Spec.prompt.md", """\
        ---
        description: Write a specification
        agent: agent
        tools: [edit, search]
        model: Claude Sonnet 4
        ---
        Write a spec for ${input:SpecPurpose:what it is for} in ${workspaceFolder}.
        Keep {{ braces }} and {% tags %} as they are; purpose again: ${input:SpecPurpose}.
        """, "copilot")
    assert prompt.id == "imported/create-spec"
    assert prompt.status == "draft"
    assert prompt.version == "0.1.0"
    assert prompt.owners == OWNERS
    assert prompt.description == "Write a specification"
    assert prompt.model == {"name": "Claude Sonnet 4"}
    assert prompt.meta["x-copilot"] == {"agent": "agent", "tools": ["edit", "search"]}
    assert prompt.inputs["spec_purpose"] == {
        "type": "string", "description": "what it is for", "required": True,
        "x-copilot-name": "SpecPurpose", "x-copilot-placeholders": ["what it is for", None]}
    assert "agent, tools: no effect in promptctl (kept in x-copilot)" in imported.dropped
    assert render(library, prompt, spec_purpose="billing") == (
        "Write a spec for billing in ${workspaceFolder}.\n"
        "Keep {{ braces }} and {% tags %} as they are; purpose again: billing.")
    (data,) = export_prompt(prompt, "copilot").files.values()
    assert data.decode().split("---\n", 2)[2] == (
        "Write a spec for ${input:SpecPurpose:what it is for} in ${workspaceFolder}.\n"
        "Keep {{ braces }} and {% tags %} as they are; purpose again: ${input:SpecPurpose}.\n")
    assert front(data.decode()) == {"description": "Write a specification", "agent": "agent",
                                    "tools": ["edit", "search"], "model": "Claude Sonnet 4"}


def test_fabric_pattern_is_a_system_message_with_the_input_as_user(tmp_path: Path) -> None:
    prompt, library, _imported = load(tmp_path, "patterns/extract_wisdom/system.md", """\
        # IDENTITY and PURPOSE

        You extract surprising ideas from {{ text }}.

        # INPUT:
        """, "fabric", collection="fabric")
    assert prompt.id == "fabric/extract-wisdom"
    assert prompt.title == "Extract wisdom"
    assert prompt.description == "You extract surprising ideas from {{ text }}."
    assert prompt.meta["x-fabric"] == {"pattern": "extract_wisdom"}
    messages = library.renderer.render(prompt, {"input": "a talk"}).messages
    assert [(m.role, m.content) for m in messages] == [
        ("system", "# IDENTITY and PURPOSE\n\nYou extract surprising ideas from {{ text }}."
                   "\n\n# INPUT:"),
        ("user", "a talk")]


def test_claude_command_arguments_become_inputs(tmp_path: Path) -> None:
    prompt, library, imported = load(tmp_path, "fix-issue.md", """\
        ---
        description: Fix an issue
        argument-hint: [issue] [priority]
        allowed-tools: Bash(git:*)
        ---
        Fix issue $1 with priority $2. Context: $ARGUMENTS
        Status: !`git status`
        """, "claude-commands")
    assert set(prompt.inputs) == {"arg1", "arg2", "arguments"}
    assert prompt.meta["x-claude"] == {"argument-hint": "[issue] [priority]",
                                       "allowed-tools": "Bash(git:*)"}
    assert any("shell commands" in d for d in imported.dropped)
    assert render(library, prompt, arg1="42", arg2="high", arguments="42 high").startswith(
        "Fix issue 42 with priority high. Context: 42 high")


def test_github_models_file_keeps_messages_settings_and_test_data(tmp_path: Path) -> None:
    prompt, library, imported = load(tmp_path, "summarize.prompt.yml", """\
        name: Text Summarizer
        description: Summarizes input text concisely
        model: openai/gpt-4o-mini
        modelParameters:
          temperature: 0.5
          maxTokens: 200
        messages:
          - role: system
            content: You are a text summarizer.
          - role: user
            content: |
              Summarize, beginning with "Summary -":
              <text>
              {{input}}
              </text>
        testData:
          - input: The quick brown fox.
            expected: Summary - A fox.
        evaluators:
          - name: starts
            string: {startsWith: 'Summary -'}
        """, "github-models")
    assert prompt.title == "Text Summarizer"
    assert prompt.model == {"name": "openai/gpt-4o-mini", "temperature": 0.5, "max_tokens": 200}
    assert prompt.form == "md"
    assert prompt.meta["system"] == "You are a text summarizer."
    assert prompt.meta["x-github-models"]["testData"][0]["expected"] == "Summary - A fox."
    assert "testData, evaluators: no effect in promptctl (kept in x-github-models)" in \
        imported.dropped
    assert render(library, prompt, input="Long text.") == (
        'You are a text summarizer.\n\nSummarize, beginning with "Summary -":\n<text>\n'
        "Long text.\n</text>")


def test_exported_skill_prompty_and_dotprompt_come_back_with_their_id(tmp_path: Path) -> None:
    source = Library.from_work_tree(Path(__file__).resolve().parents[2])
    legacy = source.prompts["engineering/code-review-legacy"]
    for index, (fmt, name) in enumerate((("skills", "engineering-code-review-legacy/SKILL.md"),
                                         ("prompty", "engineering-code-review-legacy.prompty"),
                                         ("dotprompt", "engineering-code-review-legacy.prompt"))):
        data = export_prompt(legacy, fmt, renderer=source.renderer).files[name]
        prompt, library, _imported = load(tmp_path / str(index), name, data.decode(), fmt)
        assert prompt.id == legacy.id
        assert prompt.title == legacy.title
        if fmt != "skills":
            assert prompt.model == legacy.model
            assert {k: v.get("default") for k, v in prompt.inputs.items()} == {
                k: v.get("default") for k, v in legacy.inputs.items()}
            assert render(library, prompt, code="x = 1") == render(source, legacy, code="x = 1")


@pytest.mark.parametrize(("fmt", "path", "text", "expected"), [
    ("copilot", "a.prompt.md", "---\ndescription: [unclosed\n---\nBody\n", "line 3: malformed"),
    ("copilot", "a.prompt.md", "---\ndescription: no end\nBody\n", "never closed"),
    ("copilot", "a.prompt.md", "---\ndescription: only fields\n---\n\n", "no prompt text"),
    ("github-models", "a.prompt.yml", "name: x\n", "no `messages` list"),
    ("github-models", "a.prompt.yml", "messages:\n  - role: robot\n    content: hi\n",
     "messages[0]"),
    ("dotprompt", "a.prompt", "{{#if x}}yes\n", "is never closed"),
    ("dotprompt", "a.prompt", "{{> header}}\nHi\n", "not a name that can be imported"),
    ("dotprompt", "a.prompt", "{{json data}}\n", "not a name that can be imported"),
    ("prompty", "a.prompty", "---\ntemplate: mustache\n---\nuser:\nHi\n", "only jinja2"),
    ("skills", "s/SKILL.md", b"\xff\xfe".decode("latin-1"), "not UTF-8"),
])
def test_a_file_that_cannot_be_imported_says_where_and_why(fmt: str, path: str, text: str,
                                                           expected: str) -> None:
    data = text.encode("latin-1") if expected == "not UTF-8" else text.encode()
    with pytest.raises(ImportProblem) as caught:
        import_file(path, data, fmt, owners=OWNERS)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(path)


def test_a_prompty_1_file_keeps_its_model_parameters_and_typed_inputs(tmp_path: Path) -> None:
    prompt, library, _imported = load(tmp_path, "chat.prompty", """\
        ---
        name: Basic Chat
        description: A basic prompt that uses the chat API
        model:
          api: chat
          configuration:
            type: azure_openai
            azure_deployment: gpt-4o
          parameters:
            max_tokens: 128
            temperature: 0.2
        inputs:
          question:
            type: string
            description: What to ask
          turns:
            type: integer
            default: 3
        sample:
          question: Who is the greatest?
        ---
        system:
        You answer in {{ turns }} sentences at most.

        user:
        {{ question }}
        """, "prompty")
    assert prompt.model == {"name": "gpt-4o", "max_tokens": 128, "temperature": 0.2}
    assert prompt.inputs["turns"] == {"type": "integer", "default": 3}
    assert prompt.meta["x-prompty"] == {"sample": {"question": "Who is the greatest?"}}
    assert render(library, prompt, question="Why?") == (
        "You answer in 3 sentences at most.\n\nWhy?")


STORY = """\
---
model: googleai/gemini-2.0-flash
input:
  schema:
    topic: string, what the story is about
    style?(enum): [short, long]
    beats?(array): string
---
{{role "system"}}
You tell stories.
{{role "user"}}
Tell a story about {{topic}}.
{{#ifEquals style "long"}}
Make it long.
{{else}}
Keep it short.
{{/ifEquals}}
{{#each beats as |beat|}}
  {{@index}}. {{beat}}
{{else}}
  (no beats)
{{/each}}
{{#unless style}}Any style.{{/unless}}
{{~! a comment ~}}
Literal \\{{ braces }} and {{{topic}}}.
"""


@pytest.mark.parametrize("values", [
    {"topic": "a fox", "style": "long", "beats": ["start", "end"]},
    {"topic": "a <b>", "style": "short", "beats": []},
    {"topic": "x"},
])
def test_dotprompt_logic_reads_as_dotprompt_renders_it(tmp_path: Path,
                                                       values: dict[str, Any]) -> None:
    """Handlebars blocks, standalone lines, ~, comments and escapes, against dotpromptz."""
    import asyncio

    from dotpromptz import Dotprompt
    from dotpromptz.typing import DataArgument

    prompt, library, _imported = load(tmp_path, "story.prompt", STORY, "dotprompt")
    assert prompt.inputs["topic"] == {"type": "string", "description": "what the story is about",
                                      "required": True}
    assert prompt.inputs["style"] == {"type": "string", "enum": ["short", "long"]}
    assert prompt.inputs["beats"] == {"type": "array", "default": []}
    resolved = inputs_module.resolve(prompt, values)
    ours = [(m.role, m.content) for m in library.renderer.render(prompt, resolved).messages]
    theirs: Any = asyncio.run(Dotprompt().render(STORY, DataArgument(input=dict(values))))
    assert ours == [(m.role.value, "".join(getattr(p, "text", "") or "" for p in m.content)
                     .strip()) for m in theirs.messages]


def test_every_translated_dotprompt_of_this_repository_imports_to_the_same_renders(
        tmp_path: Path) -> None:
    source = Library.from_work_tree(Path(__file__).resolve().parents[2])
    checked = 0
    for original in source.prompts.values():
        result = export_prompt(original, "dotprompt", renderer=source.renderer)
        if result.problem:
            continue
        (name, data), = result.files.items()
        prompt, library, _imported = load(tmp_path / original.collection, name, data.decode(),
                                          "dotprompt")
        assert prompt.id == original.id
        for test in original.tests:
            values = inputs_module.resolve(original, test.get("inputs") or {})
            assert library.renderer.render(prompt, values) == source.renderer.render(
                original, values), (original.id, test["name"])
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("unfaithful", ["skip", "embed"])
def test_a_skill_promptctl_wrote_comes_back_with_its_inputs_and_template(
        tmp_path: Path, unfaithful: str) -> None:
    source = Library.from_work_tree(Path(__file__).resolve().parents[2])
    checked = 0
    for original in source.prompts.values():
        result = export_prompt(original, "skills", renderer=source.renderer,
                               unfaithful=unfaithful)  # type: ignore[arg-type]
        if not result.files or (unfaithful == "embed") != result.embedded:
            continue
        (name, data), = result.files.items()
        prompt, library, imported = load(tmp_path / unfaithful / original.collection, name,
                                         data.decode(), "skills")
        assert prompt.id == original.id
        assert imported.dropped == ()
        assert {n: s.get("default") for n, s in prompt.inputs.items()} == {
            n: s.get("default") for n, s in original.inputs.items()}
        for test in original.tests:
            values = inputs_module.resolve(original, test.get("inputs") or {})
            assert library.renderer.render(prompt, values).text == source.renderer.render(
                original, values).text, (original.id, test["name"])
            checked += 1
    assert checked >= 2
