"""Exported files checked by the real tools: skills-ref validates every skill, Prompty prepares
every .prompty and Dotprompt renders every .prompt to the messages `promptctl render` gives."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import prompty
import pytest
from dotpromptz import Dotprompt
from dotpromptz.typing import DataArgument
from skills_ref.validator import validate as validate_skill  # type: ignore[import-untyped]

from promptctl import inputs as inputs_module
from promptctl.formats import FORMATS, export_prompt
from promptctl.formats.common import Unfaithful
from promptctl.library import Library
from promptctl.model import Prompt
from tests.formats.conftest import LibraryFactory, prompt_file

MODES: tuple[Unfaithful, ...] = ("skip", "embed")


def cases(library: Library) -> list[tuple[Prompt, dict[str, Any]]]:
    """Every prompt with the inputs of each of its own tests (resolved: defaults applied)."""
    found = []
    for prompt in library.prompts.values():
        for test in prompt.tests or [{"inputs": {}}]:
            try:
                values = inputs_module.resolve(prompt, test.get("inputs") or {})
            except Exception:  # a prompt without tests and with required inputs
                continue
            found.append((prompt, values))
    return found


def ours(library: Library, prompt: Prompt, values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in library.renderer.render(prompt, values).messages]


def write(root: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        paths.append(target)
    return paths


def prompty_messages(path: Path, values: dict[str, Any]) -> list[tuple[str, str]]:
    agent = prompty.load(str(path))
    return [(m.role, "".join(part.value for part in m.parts))
            for m in prompty.prepare(agent, dict(values))]


def dotprompt_messages(source: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    rendered: Any = asyncio.run(Dotprompt().render(source, DataArgument(input=dict(values))))
    return [(m.role.value.replace("model", "assistant"),
             "".join(getattr(part, "text", None) or "" for part in m.content).strip())
            for m in rendered.messages]


@pytest.mark.parametrize("unfaithful", MODES)
def test_every_exported_skill_passes_the_reference_validator(
        own_library: Library, tmp_path: Path, unfaithful: Unfaithful) -> None:
    written = 0
    for prompt in own_library.prompts.values():
        result = export_prompt(prompt, "skills", renderer=own_library.renderer,
                               unfaithful=unfaithful)
        assert result.files or result.problem, prompt.id
        for path in write(tmp_path / unfaithful, result.files):
            assert path.name == "SKILL.md"
            assert validate_skill(path.parent) == [], prompt.id
            written += 1
    # Every prompt of this repository can be a skill, faithfully or embedded.
    assert written == (1 if unfaithful == "skip" else len(own_library.prompts))


def test_every_prompty_file_prepares_to_the_messages_of_render(own_library: Library,
                                                               tmp_path: Path) -> None:
    checked = 0
    for prompt, values in cases(own_library):
        result = export_prompt(prompt, "prompty", renderer=own_library.renderer)
        assert result.problem is None, (prompt.id, result.problem)
        (path,) = write(tmp_path / str(checked), result.files)
        assert prompty_messages(path, values) == ours(own_library, prompt, values), prompt.id
        checked += 1
    assert checked >= len(own_library.prompts)


def test_every_translated_dotprompt_renders_the_text_of_render(own_library: Library) -> None:
    translated = set()
    for prompt, values in cases(own_library):
        result = export_prompt(prompt, "dotprompt", renderer=own_library.renderer)
        if result.problem:
            assert not result.files
            continue
        (source,) = result.files.values()
        theirs = dotprompt_messages(source.decode(), values)
        assert theirs == ours(own_library, prompt, values), prompt.id
        translated.add(prompt.id)
    # Conditions, comparisons, loops and an inlined partial among them.
    assert {"engineering/commit-message", "engineering/pull-request-description",
            "engineering/test-writing", "engineering/code-review-legacy"} <= translated


def test_every_format_exports_every_prompt_of_this_repository_or_says_why(
        own_library: Library, tmp_path: Path) -> None:
    for fmt in FORMATS:
        for unfaithful in MODES:
            for prompt in own_library.prompts.values():
                result = export_prompt(prompt, fmt, renderer=own_library.renderer,
                                       unfaithful=unfaithful)
                if not result.files or result.embedded:
                    assert result.problem, (fmt, prompt.id)
                    assert len(result.problem) > 20, (fmt, prompt.id)
                for rel, data in result.files.items():
                    assert not rel.startswith("/")
                    assert ".." not in rel
                    assert data.decode("utf-8").endswith("\n")


BRANCHY = """\
Review {{ name }} in {{ lang }}.
{%- if notes %}

Notes: {{ notes }}
{%- else %}
No notes.
{%- endif %}
{% if lang == "py" %}Python rules.{% elif lang != "go" %}General rules.{% else %}Go.{% endif %}
Items:
{% for item in items %}
- {{ item }} ({{ loop.index0 }})
{% else %}
(none)
{% endfor %}
{% if not items %}Nothing to list.{% endif %}
Literal {% raw %}{{ braces }}{% endraw %} and {{ "{{" }} stay.
"""


@pytest.mark.parametrize("values", [
    {"name": "parser.py", "lang": "py", "notes": "hot path", "items": ["a", "b"]},
    {"name": "main.go", "lang": "go", "notes": "", "items": []},
    {"name": "x", "lang": "rs", "notes": None, "items": ["only"]},
])
def test_handlebars_translation_keeps_whitespace_branches_and_loops(
        make_library: LibraryFactory, values: dict[str, Any]) -> None:
    library = make_library({"cases/branchy.prompt.md": prompt_file(
        BRANCHY, system="You review {{ lang }} code.", inputs={
            "name": {"type": "string", "required": True},
            "lang": {"type": "string", "required": True},
            "notes": {"type": "string"},
            "items": {"type": "array", "items": {"type": "string"}, "default": []},
        })})
    prompt = library.prompts["cases/branchy"]
    result = export_prompt(prompt, "dotprompt", renderer=library.renderer)
    assert result.problem is None
    (source,) = result.files.values()
    resolved = inputs_module.resolve(prompt, values)
    assert dotprompt_messages(source.decode(), resolved) == ours(library, prompt, resolved)
