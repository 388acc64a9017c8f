"""JSON Schema's `pattern` is an ECMA-262 regular expression, where `$` is the end of the text;
Python's `$` also matches before a final newline. The repository's schemas and prompts' input
schemas are read the ECMA way."""

from __future__ import annotations

import json

import pytest

from promptctl import schema, yamlload
from promptctl.errors import InputError
from promptctl.inputs import resolve
from promptctl.loader import load_prompt
from promptctl.schema import PROMPT_SCHEMA, ecma_pattern, input_errors, located_errors
from promptctl.sources import SourceFile
from tests.conftest import GOOD_PROMPT


@pytest.mark.parametrize(("pattern", "translated"), [
    ("^a$", r"^a\Z"),
    ("^(a|b)$|^c$", r"^(a|b)\Z|^c\Z"),
    ("[$]", "[$]"),
    ("[^]$]x$", r"[^]$]x\Z"),
    ("[]$]$", r"[]$]\Z"),
    (r"a\$", r"a\$"),
    (r"\\$", r"\\\Z"),
    ("^x-", "^x-"),
])
def test_dollar_becomes_the_end_of_the_text(pattern: str, translated: str) -> None:
    assert ecma_pattern(pattern) == translated


@pytest.mark.parametrize(("field", "value"), [
    ("version", '"1.0.0\\n"'),
    ("owners", '["@acme/team\\n"]'),
    ("tags", '["demo\\n"]'),
    ("version", "|\n  1.0.0\n"),
])
def test_a_value_with_a_final_newline_does_not_pass_a_pattern(field: str, value: str) -> None:
    lines = [line for line in GOOD_PROMPT.split("---\n")[1].splitlines()
             if not line.startswith(f"{field}:")]
    document = yamlload.load("\n".join([*lines, f"{field}: {value}"]) + "\n")
    messages = [message for _line, _col, message in
                located_errors(PROMPT_SCHEMA, document.data, document)]
    assert len(messages) == 1
    assert messages[0].startswith(field.rstrip("s"))


def test_the_same_values_without_the_newline_pass() -> None:
    document = yamlload.load(GOOD_PROMPT.split("---\n")[1])
    assert list(located_errors(PROMPT_SCHEMA, document.data, document)) == []


def test_an_input_pattern_is_read_the_same_way() -> None:
    text = GOOD_PROMPT.replace("type: string\n", 'type: string\n    pattern: "^[A-Za-z]+$"\n', 1)
    prompt = load_prompt(SourceFile("prompts/demo/greet.prompt.md", text.encode())).prompt
    assert prompt is not None
    assert resolve(prompt, {"name": "Ada"})["name"] == "Ada"
    with pytest.raises(InputError) as caught:
        resolve(prompt, {"name": "Ada\n"})
    assert set(caught.value.fields) == {"name"}


def test_input_schemas_of_the_same_text_share_a_validator_that_keeps_their_order() -> None:
    first = {"type": "string", "enum": ["x", "y"]}
    before = schema._validators_of.cache_info()
    assert [e.validator for e in input_errors(first, 1)] == ["type", "enum"]
    assert [e.validator for e in input_errors(json.loads(json.dumps(first)), 1)] == \
        ["type", "enum"]
    after = schema._validators_of.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    # The keys' order decides the order of the errors (the first is the one reported).
    other = {"enum": ["x", "y"], "type": "string"}
    assert [e.validator for e in input_errors(other, 1)] == ["enum", "type"]
    # Patterns are read as JSON Schema specifies, as by every other validator here.
    assert list(input_errors({"type": "string", "pattern": "^a$"}, "a\n"))
    # What JSON cannot write is checked all the same.
    assert list(input_errors({"enum": [{1, 2}]}, "a"))
