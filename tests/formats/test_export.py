"""What each format can say, what it cannot (and why), and what skip and embed write."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from promptctl import inputs as inputs_module
from promptctl.formats import FORMATS, export_prompt, names_for
from promptctl.formats.common import Unfaithful, load_front_matter
from promptctl.library import Library
from tests.formats.conftest import LibraryFactory, prompt_file

MODES: tuple[Unfaithful, ...] = ("skip", "embed")
TEXT = {"text": {"type": "string", "required": True, "description": "The text."}}
TWO = {"code": {"type": "string", "required": True, "description": "The code."},
       "lang": {"type": "string", "required": True, "description": "The language."}}


def one(make_library: LibraryFactory, body: str, **fields: Any) -> Library:
    return make_library({"team/case.prompt.md": prompt_file(body, **fields)})


# (format, body, front matter fields, problem expected in the report or None when faithful)
CASES: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("copilot", "Summarise {{ text }}.", {"inputs": TEXT}, None),
    ("claude-commands", "Summarise {{ text }}.", {"inputs": TEXT}, None),
    ("github-models", "Summarise {{ text }}.", {"inputs": TEXT}, None),
    ("skills", "Summarise {{ text }}.", {"inputs": TEXT}, None),
    ("dotprompt", "Summarise {{ text }}.", {"inputs": TEXT}, None),
    ("prompty", "Summarise {{ text }}.", {"inputs": TEXT}, None),
    ("copilot", "{% for x in items %}{{ x }}{% endfor %}",
     {"inputs": {"items": {"type": "array", "default": []}}}, "a loop ({% for %})"),
    ("github-models", "{{ text | upper }}", {"inputs": TEXT}, "the filter |upper"),
    ("claude-commands", "{% if text %}yes{% endif %}", {"inputs": TEXT},
     "a conditional ({% if %})"),
    ("copilot", "Lang {{ lang }}", {"inputs": {"lang": {"type": "string", "default": "py"}}},
     'input `lang` has a default ("py")'),
    ("claude-commands", "Strict: {{ strict }}",
     {"inputs": {"strict": {"type": "boolean", "required": True}}},
     "input `strict` is a boolean"),
    ("github-models", "Tags: {{ tags }}",
     {"inputs": {"tags": {"type": "array", "required": True}}}, "input `tags` is an array"),
    ("claude-commands", "Pay $1 for {{ text }}", {"inputs": TEXT}, "$1-style markers"),
    ("claude-commands", "Run !`ls` on {{ text }}", {"inputs": TEXT}, "shell command"),
    ("github-models", "Keep {% raw %}{{x}}{% endraw %} and {{ text }}", {"inputs": TEXT},
     "GitHub Models reads as a variable"),
    ("dotprompt", "{% for x in items %}{{ loop.index }}{% endfor %}",
     {"inputs": {"items": {"type": "array", "default": []}}}, "loop.index"),
    ("dotprompt", "Margin {{ m }}", {"inputs": {"m": {"type": "number", "default": 1.0}}},
     "a printed input `m`, a number"),
    ("dotprompt", "{% if cfg %}x{% endif %}",
     {"inputs": {"cfg": {"type": "object", "default": {}}}}, "an object"),
    ("dotprompt", "Path C:\\{{ text }}", {"inputs": TEXT}, "a backslash before {{"),
    ("dotprompt", "{% if n > 2 %}many{% endif %}",
     {"inputs": {"n": {"type": "integer", "default": 1}}}, "a condition other than"),
    ("prompty", "Before\nuser:\nAfter {{ text }}", {"inputs": TEXT},
     "the line 'user:'"),
    ("skills", "Say $ARGUMENTS to {{ text }}", {"inputs": TEXT}, "$ARGUMENTS"),
]


@pytest.mark.parametrize(("fmt", "body", "fields", "problem"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_faithful_or_the_reason(make_library: LibraryFactory, fmt: str, body: str,
                                fields: dict[str, Any], problem: str | None) -> None:
    library = one(make_library, body, **fields)
    result = export_prompt(library.prompts["team/case"], fmt, renderer=library.renderer)
    if problem is None:
        assert result.problem is None
        assert result.files
        assert not result.embedded
    else:
        assert result.problem is not None
        assert problem in result.problem, result.problem
        assert result.files == {}


def fill(text: str, values: dict[str, str], tokens: dict[str, str]) -> str:
    for name, token in tokens.items():
        text = text.replace(token, values[name])
    return text


@pytest.mark.parametrize(("fmt", "tokens"), [
    ("copilot", {"code": "${input:code:The code.}", "lang": "${input:lang:The language.}"}),
    ("claude-commands", {"code": "$1", "lang": "$2"}),
])
def test_a_filled_in_placeholder_file_reads_as_the_rendered_text(
        make_library: LibraryFactory, fmt: str, tokens: dict[str, str]) -> None:
    library = one(make_library, "Review this {{ code }}, written in {{ lang }}.",
                  system="You are strict about {{ lang }}.", inputs=TWO)
    prompt = library.prompts["team/case"]
    (data,) = export_prompt(prompt, fmt).files.values()
    front, body, _line = load_front_matter(data.decode())
    assert front["description"] == prompt.description
    values = {"code": "x = 1", "lang": "Python"}
    rendered = library.renderer.render(prompt, inputs_module.resolve(prompt, values))
    assert fill(body, values, tokens).strip() == rendered.text
    if fmt == "claude-commands":
        assert front["argument-hint"] == "[code] [lang]"


def test_claude_takes_a_single_input_as_all_arguments(make_library: LibraryFactory) -> None:
    library = one(make_library, "Summarise {{ text }} briefly.", inputs=TEXT)
    (data,) = export_prompt(library.prompts["team/case"], "claude-commands").files.values()
    assert data.decode().endswith("---\nSummarise $ARGUMENTS briefly.\n")


def test_github_models_keeps_roles_model_settings_and_test_inputs(
        make_library: LibraryFactory) -> None:
    library = one(make_library, "Summarise {{ text }}.", system="Be brief.", inputs=TEXT,
                  model={"name": "openai/gpt-4.1", "temperature": 0.2, "max_tokens": 300},
                  tests=[{"name": "t", "inputs": {"text": "hello"},
                          "expect": {"contains": "hello"}}])
    (data,) = export_prompt(library.prompts["team/case"], "github-models").files.values()
    document = yaml.safe_load(data)
    assert document == {
        "name": "Case", "description": "A case for the format tests.",
        "model": "openai/gpt-4.1", "modelParameters": {"temperature": 0.2, "maxTokens": 300},
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": "Summarise {{text}}."}],
        "testData": [{"text": "hello"}],
    }


PARTIAL = {"_partials/rules.md": "Rules for {{ lang }}.\n",
           "team/case.prompt.md": prompt_file(
               'Check {{ code }}.\n{% include "_partials/rules.md" %}', inputs=TWO)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_partial_is_inlined_with_the_renderer_and_never_left_dangling(
        make_library: LibraryFactory, fmt: str) -> None:
    library = make_library(PARTIAL)
    prompt = library.prompts["team/case"]
    with_partials = export_prompt(prompt, fmt, renderer=library.renderer, unfaithful="embed")
    without = export_prompt(prompt, fmt, renderer=None, unfaithful="embed")
    assert without.files == {}
    assert without.problem
    assert "include" in without.problem
    if fmt != "github-models":
        text = b"".join(with_partials.files.values()).decode()
        assert "Rules for" in text
        assert "include" not in text


@pytest.mark.parametrize("fmt", ["skills", "copilot", "claude-commands", "dotprompt"])
def test_embed_writes_the_template_and_how_to_fill_it(make_library: LibraryFactory,
                                                      fmt: str) -> None:
    body = "{% for x in items %}- {{ x | upper }}\n{% endfor %}"
    library = one(make_library, body, inputs={"items": {"type": "array", "default": ["a"],
                                                        "description": "The items."}})
    prompt = library.prompts["team/case"]
    skipped = export_prompt(prompt, fmt, renderer=library.renderer)
    assert skipped.files == {}
    assert skipped.problem
    assert "the filter |upper" in skipped.problem
    embedded = export_prompt(prompt, fmt, renderer=library.renderer, unfaithful="embed")
    assert embedded.embedded
    assert embedded.problem == skipped.problem
    (data,) = embedded.files.values()
    text = data.decode()
    assert "Jinja2 template" in text
    assert "x | upper" in text
    assert "`items` (array; default `[\"a\"]`): The items." in text.replace("\\{{", "{{")


def test_github_models_never_embeds(make_library: LibraryFactory) -> None:
    library = one(make_library, "{% if text %}{{ text }}{% endif %}", inputs=TEXT)
    result = export_prompt(library.prompts["team/case"], "github-models", unfaithful="embed")
    assert result.files == {}
    assert result.problem
    assert "cannot be embedded" in result.problem


def test_ids_map_to_names_and_shared_names_are_found(make_library: LibraryFactory) -> None:
    library = make_library({"a-b/c.prompt.md": prompt_file("One."),
                            "a/b-c.prompt.md": prompt_file("Two."),
                            "engineering/code-review.prompt.md": prompt_file("Three.")})
    prompts = list(library.prompts.values())
    assert names_for(prompts) == {"a-b-c": ["a-b/c", "a/b-c"]}
    review = library.prompts["engineering/code-review"]
    paths = {fmt: sorted(export_prompt(review, fmt).files) for fmt in FORMATS}
    assert paths == {
        "skills": ["engineering-code-review/SKILL.md"],
        "claude-commands": ["engineering-code-review.md"],
        "copilot": ["engineering-code-review.prompt.md"],
        "github-models": ["engineering-code-review.prompt.yml"],
        "prompty": ["engineering-code-review.prompty"],
        "dotprompt": ["engineering-code-review.prompt"],
    }


def test_an_id_a_skill_cannot_be_named_is_reported(make_library: LibraryFactory) -> None:
    library = make_library({"team/double--dash.prompt.md": prompt_file("Hi."),
                            ("x" * 40) + "/" + ("y" * 40) + ".prompt.md": prompt_file("Hi.")})
    for prompt in library.prompts.values():
        for unfaithful in MODES:
            result = export_prompt(prompt, "skills", unfaithful=unfaithful)
            assert result.files == {}
            assert result.problem
            assert "cannot be a skill" in result.problem


def test_a_skill_records_the_id_and_a_description_within_the_limit(
        make_library: LibraryFactory) -> None:
    long = " ".join(["word"] * 400)
    library = one(make_library, "Hello.", description=long)
    (data,) = export_prompt(library.prompts["team/case"], "skills").files.values()
    front, body, _line = load_front_matter(data.decode())
    assert front["name"] == "team-case"
    assert len(front["description"]) <= 1024
    assert front["description"].endswith("...")
    assert front["metadata"] == {"prompt-id": "team/case", "prompt-version": "1.0.0"}
    assert body.strip() == "Hello."
