"""The checks of inputs and tests look a position up only for what they report: each finding
still stands at its own prompt's lines."""

from __future__ import annotations

import json
import textwrap

from promptctl.loader import load_prompt
from promptctl.model import Prompt
from promptctl.problems import Problem
from promptctl.sources import SourceFile
from promptctl.validate import PromptChecks
from server.records import Summary


def _prompt(path: str, inputs: str, *, tests: str = "", above: int = 0) -> Prompt:
    padding = "".join(f"x-note-{n}: {n}\n" for n in range(above))
    text = ("---\ntitle: T\ndescription: D\nversion: 1.0.0\nstatus: active\nowners: ['@a/b']\n"
            f"{padding}inputs:\n{textwrap.indent(inputs, '  ')}{tests}---\n"
            "Hello {{ name }}\n")
    loaded = load_prompt(SourceFile(path, text.encode("utf-8")))
    assert loaded.prompt is not None, loaded.problems
    return loaded.prompt


def _found(prompt: Prompt) -> list[tuple[int, int, str, str, str]]:
    problems: list[Problem] = PromptChecks({})(prompt)
    return [(p.line, p.col, p.severity, p.code, p.message) for p in problems]


BAD_INPUTS = """\
name:
  type: string
  default: 3
  required: true
code:
  type: string
  pattern: '(['
"""


def test_prompts_with_the_same_inputs_report_at_their_own_lines() -> None:
    first = _prompt("prompts/a/one.prompt.md", BAD_INPUTS)
    second = _prompt("prompts/a/two.prompt.md", BAD_INPUTS, above=3)
    found_first = _found(first)
    found_second = _found(second)
    expected_first = [
        (12, 3, "warning", "unused-input", "input 'code' is declared but no template uses it; "
                                           "use it or remove it (removing an input needs a new "
                                           "MAJOR version, or a new MINOR while MAJOR is 0)"),
        (10, 5, "error", "input-default", "default of input 'name' is invalid: 3 is not of type "
                                         "'string'"),
        (8, 3, "warning", "input-required", "input 'name' has a default, so `required: true` "
                                            "has no effect; drop one of them"),
        (12, 3, "error", "input-schema", "input 'code': pattern '([' is not a valid regular "
                                        "expression: unterminated character set at position 1"),
    ]
    assert found_first == expected_first
    assert found_second == [(line + 3, col, *rest) for line, col, *rest in expected_first]


def test_values_of_other_types_are_other_findings() -> None:
    """1, 1.0, true and "1" are told apart: a string input with each as its default."""
    verdicts = []
    for default in ("1", "1.0", "true", "'1'"):
        prompt = _prompt("prompts/a/typed.prompt.md",
                         f"name:\n  type: string\n  default: {default}\n")
        verdicts.append([p[3:] for p in _found(prompt)])
    assert verdicts[:3] == [[("input-default", f"default of input 'name' is invalid: {v} is not "
                                               "of type 'string'")] for v in ("1", "1.0", "True")]
    assert verdicts[3] == []


def test_test_inputs_findings_stand_at_each_test() -> None:
    inputs = "name:\n  type: string\n  required: true\n"
    tests = ("tests:\n- name: first\n  inputs: {name: 3}\n  expect: {contains: x}\n"
             "- name: second\n  inputs: {name: Ada}\n  expect: {contains: x}\n"
             "- name: third\n  inputs: {other: 1}\n  expect: {contains: x}\n")
    one = _prompt("prompts/a/one.prompt.md", inputs, tests=tests)
    two = _prompt("prompts/a/two.prompt.md", inputs, tests=tests, above=2)
    found_one = _found(one)
    expected = [
        (13, 3, "error", "test-inputs", "test 'first': input 'name': expected string, got 3"),
        (19, 3, "error", "test-inputs", "test 'third': input 'name': required input is missing"),
        (19, 3, "error", "test-inputs", "test 'third': input 'other': unknown input; this prompt "
                                        "declares: name"),
    ]
    assert found_one == expected
    assert _found(two) == [(line + 2, col, *rest) for line, col, *rest in expected]


def test_a_summary_writes_the_inputs_as_declared() -> None:
    declared = "name:\n  type: string\n  default: 1\n"
    first = _prompt("prompts/a/one.prompt.md", declared)
    text = Summary.of(first, "blob").inputs_json
    assert json.loads(text) == {"name": {"type": "string", "default": 1}}
    second = _prompt("prompts/a/two.prompt.md", declared.replace("1", "1.0"))
    assert Summary.of(second, "blob").inputs_json == '{"name":{"type":"string","default":1.0}}'
