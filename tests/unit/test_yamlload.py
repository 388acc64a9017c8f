from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from promptctl import yamlload
from promptctl.loader import front_matter_end, split_lines


def test_positions_count_from_the_front_matter_offset() -> None:
    doc = yamlload.load("a: 1\nb:\n  c: |\n    hello\n  d: [1, 2]\n", first_line=2)
    assert doc.data == {"a": 1, "b": {"c": "hello\n", "d": [1, 2]}}
    assert doc.position(("a",)) == yamlload.Position(2, 1)
    assert doc.position(("b", "d", 1)) == yamlload.Position(6, 10)
    # A block scalar's text starts on the line after its indicator.
    assert doc.value_start(("b", "c")) == yamlload.Position(5, 1)
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
        ("model:\n  temperature: .nan\n", 2, 16, "yaml-number", "'.nan' is not a finite"),
        ("a: [1.5, .Inf]\n", 1, 10, "yaml-number", "'.Inf' is not a finite number"),
        ("a:\n  - b: -.inf\n", 2, 8, "yaml-number", "'-.inf' is not a finite number"),
        ("a: 1.0e+400\n", 1, 4, "yaml-number", "'1.0e+400' is not a finite number"),
        ("a: !!float nan\n", 1, 4, "yaml-number", "'nan' is not a finite number"),
        ("a:\n  b: [1, !!float .NaN, .inf]\n", 2, 10, "yaml-number", "'.NaN' is not a finite"),
        ("x-when: !!timestamp 2024-01-01\n", 1, 9, "yaml-type", "!!timestamp makes a value"),
        ("a:\n  b: !!binary aGVsbG8=\n", 2, 6, "yaml-type", "!!binary makes a value"),
        ("tags: !!set {a, b}\n", 1, 7, "yaml-type", "!!set makes a value"),
        ("a: [1, !!omap [{b: 1}]]\n", 1, 8, "yaml-type", "!!omap makes a value"),
        ("a: !!pairs [{b: 1}]\n", 1, 4, "yaml-type", "!!pairs makes a value"),
    ],
    ids=["anchor", "alias", "duplicate-key", "unclosed-flow", "int-key", "bad-indent", "deep",
         "nan", "inf-in-flow", "negative-inf-in-a-list", "overflow", "tagged-nan",
         "tagged-nan-node-path", "timestamp", "binary", "set", "omap", "pairs"],
)
def test_refusals_are_located(text: str, line: int, col: int, code: str, message: str) -> None:
    with pytest.raises(yamlload.YamlProblem) as caught:
        yamlload.load(text)
    problem = caught.value
    assert (problem.line, problem.code) == (line, code)
    if code != "yaml":
        assert problem.col == col
    assert message in problem.message


def test_tags_of_json_types_load() -> None:
    text = "a: !!str 2024-01-01\nb: !!int '12'\nc: !!seq [1]\nd: !!map {e: !!null ''}\n"
    assert yamlload.load(text).data == {"a": "2024-01-01", "b": 12, "c": [1], "d": {"e": None}}


def test_finite_floats_and_nan_looking_strings_load() -> None:
    text = 'a: 0.5\nb: -1.5e+3\nc: nan\nd: ".nan"\ne: inf\n'
    assert yamlload.load(text).data == {"a": 0.5, "b": -1500.0, "c": "nan", "d": ".nan",
                                        "e": "inf"}


def test_billion_laughs_is_refused_before_expansion() -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(yamlload.YamlProblem) as caught:
        yamlload.load("\n".join(levels) + "\n")
    assert caught.value.code == "yaml-alias"
    assert caught.value.line == 1


# The event path (fast) and the node path (PyYAML's composer) must agree on data, positions and
# refusals; documents the event path leaves to the node path are listed with `falls_back`.
AGREEMENT = [
    "a: 1\nb:\n  c: |\n    hello\n  d: [1, 2]\n",
    "title: T\ntags:\n- x\n- 'y'\n- \"z\"\ninputs:\n  code:\n    type: string\n",
    "folded: >\n  one\n  two\n\nplain: one\n  two\nquoted: \"a\\nb\"\n",
    "n: ~\nm: null\nb: [true, False, yes, no, on]\ni: [0x1F, 0o17, 1_000, +3, -4, 017]\n",
    "f: [1.5, -2e3, 1_0.5]\ns: ['1', \"2\", '2024-01-01', 2024-01-01]\n",
    "items:\n  - name: a\n    expect: {contains: [x, y]}\n  - name: b\n    inputs: {}\n",
    "empty_map: {}\nempty_list: []\nempty_value:\nlast: ''\n",
    "# only a comment\n",
    "",
    "---\n",
    "--- just a string\n",
    "- a\n- b: c\n  d: [e, {f: g}]\n",
    "'quoted key': 1\n\"k2\": [a,\n  b]\n",
    "a: 1\na: 2\n",
    "a: " + "[" * 70 + "]" * 70 + "\n",
    "a: &x 1\n",
    "block: |-\n  kept\n\n  lines\nnext: >+\n  folded\n\n",
    "unicode: \"caf\\u00e9 ✓\"\nemoji: 🙂\n",
]
FALLS_BACK = [
    "a: !!str 1\n",
    "a: !custom x\n",
    "a: 1\n---\nb: 2\n",
    "a: =\n",
    "a: !!binary aGVsbG8=\n",
    "a: <<\n",
    "<<: x\n",
    "? [a]\n: b\n",
    "1: x\n",
    "a: [1,\n",
    "a:\n  b: c\n d: e\n",
]


def _outcome(load: Any, text: str) -> tuple[Any, ...]:
    try:
        document = load(text, 4)
    except yamlload.YamlProblem as exc:
        return ("problem", exc.message, exc.line, exc.col, exc.code)
    if document is None:
        return ("fallback",)
    return ("ok", document.data, document.spans)


@pytest.mark.parametrize("text", AGREEMENT)
def test_event_path_agrees_with_node_path(text: str) -> None:
    fast = _outcome(yamlload._load_events, text)
    assert fast[0] != "fallback", "expected the event path to handle this document"
    assert fast == _outcome(yamlload._load_nodes, text)
    assert _outcome(lambda t, o: yamlload.load(t, first_line=o + 1), text) == fast


@pytest.mark.parametrize("text", FALLS_BACK)
def test_other_documents_take_the_node_path(text: str) -> None:
    assert _outcome(yamlload._load_events, text) == ("fallback",)
    assert _outcome(lambda t, o: yamlload.load(t, first_line=o + 1), text) == _outcome(
        yamlload._load_nodes, text)


def test_event_path_agrees_on_real_front_matter() -> None:
    """Every front matter of the starter prompts and, where present, of the corpora."""
    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "prompts").rglob("*.prompt.*"))
    corpora = root.parent / "shared" / "corpora"
    if corpora.is_dir():
        files += sorted(corpora.rglob("*.md"))[:2000]
    checked = 0
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        if file.name.endswith(".prompt.yaml"):
            front = text
        else:
            lines = text.splitlines(keepends=True)
            end = front_matter_end(lines)
            if not end:
                continue
            front = "".join(lines[1:end])
        fast = _outcome(yamlload._load_events, front)
        if fast[0] == "fallback":
            continue
        assert fast == _outcome(yamlload._load_nodes, front), file
        checked += 1
    assert checked >= 13


ODD = "\u2028\x85\u2029"  # line breaks to PyYAML (YAML 1.1), characters to editors and Jinja2


@pytest.mark.parametrize("tagged", [False, True], ids=["events", "nodes"])
def test_positions_count_only_lf_crlf_and_cr_as_line_ends(tagged: bool) -> None:
    # A tag sends the document down the node path; both paths must count lines alike.
    tag = "!!str " if tagged else ""
    text = f'title: {tag}"a{ODD}b"\nnext: [1, {tag}x]\r\nlast: |\n  one{ODD}\n  two\rend: 1\n'
    doc = yamlload.load(text, first_line=2)
    assert doc.position(("title",)) == yamlload.Position(2, 1)
    assert doc.value_end(("title",)) == yamlload.Position(2, 15 + len(tag))
    assert doc.position(("next",)) == yamlload.Position(3, 1)
    assert doc.position(("next", 1)) == yamlload.Position(3, 11)
    assert doc.value_start(("last",)) == yamlload.Position(5, 1)
    assert doc.position(("end",)) == yamlload.Position(7, 1)


def test_errors_below_the_characters_are_located_on_their_line() -> None:
    with pytest.raises(yamlload.YamlProblem) as raised:
        yamlload.load(f'title: "a{ODD}b"\nx: &anchor 1\n', first_line=2)
    assert (raised.value.line, raised.value.col, raised.value.code) == (3, 4, "yaml-alias")
    with pytest.raises(yamlload.YamlProblem) as raised:
        yamlload.load(f'title: "a{ODD}b"\nx: [1, 2\n', first_line=2)
    assert raised.value.line == 4


@pytest.mark.parametrize(("text", "lines"), [
    ("", []),
    ("a", ["a"]),
    ("a\n", ["a\n"]),
    ("a\r\nb\rc\n\nd", ["a\r\n", "b\r", "c\n", "\n", "d"]),
    (f"x{ODD}y\x0b\x0c\x1c\x1d\x1ez\nw", [f"x{ODD}y\x0b\x0c\x1c\x1d\x1ez\n", "w"]),
    ("\r\r\n\n", ["\r", "\r\n", "\n"]),
])
def test_split_lines_ends_lines_at_lf_crlf_and_cr_only(text: str, lines: list[str]) -> None:
    assert split_lines(text, keepends=True) == lines
    assert split_lines(text) == [line.rstrip("\r\n") for line in lines]
    if not any(c in text for c in ODD + "\x0b\x0c\x1c\x1d\x1e"):
        assert split_lines(text) == text.splitlines()
