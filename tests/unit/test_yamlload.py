from __future__ import annotations

import pytest

from promptctl import yamlload


def test_positions_count_from_the_front_matter_offset() -> None:
    doc = yamlload.load("a: 1\nb:\n  c: |\n    hello\n  d: [1, 2]\n", first_line=2)
    assert doc.data == {"a": 1, "b": {"c": "hello\n", "d": [1, 2]}}
    assert doc.keys[("a",)] == yamlload.Position(2, 1)
    assert doc.keys[("b", "d", 1)] == yamlload.Position(6, 10)
    # A block scalar's text starts on the line after its indicator.
    assert doc.values[("b", "c")] == yamlload.Position(5, 1)
    # Unknown paths fall back to the nearest known parent.
    assert doc.position(("b", "d", 7)) == yamlload.Position(6, 3)


def test_dates_stay_strings() -> None:
    assert yamlload.load("when: 2024-01-01\n").data == {"when": "2024-01-01"}


@pytest.mark.parametrize(
    ("text", "line", "col", "code", "message"),
    [
        ("a: &x 1\nb: *x\n", 1, 4, "yaml-alias", "anchors and aliases"),
        ("a: 1\nb: *x\n", 2, 4, "yaml-alias", "anchors and aliases"),
        ("a: 1\na: 2\n", 2, 1, "yaml-duplicate-key", "duplicate key 'a'"),
        ("a: [1,\n", 2, 1, "yaml", "malformed YAML"),
        ("1: x\n", 1, 1, "yaml", "mapping keys must be plain strings"),
        ("a:\n  b: c\n d: e\n", 3, 2, "yaml", "malformed YAML"),
        ("a: " + "[" * 70 + "]" * 70 + "\n", 1, 1, "yaml", "nested deeper than 64"),
    ],
    ids=["anchor", "alias", "duplicate-key", "unclosed-flow", "int-key", "bad-indent", "deep"],
)
def test_refusals_are_located(text: str, line: int, col: int, code: str, message: str) -> None:
    with pytest.raises(yamlload.YamlProblem) as caught:
        yamlload.load(text)
    problem = caught.value
    assert (problem.line, problem.code) == (line, code)
    if code != "yaml":
        assert problem.col == col
    assert message in problem.message


def test_billion_laughs_is_refused_before_expansion() -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(yamlload.YamlProblem) as caught:
        yamlload.load("\n".join(levels) + "\n")
    assert caught.value.code == "yaml-alias"
    assert caught.value.line == 1
