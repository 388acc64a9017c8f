"""The front-matter reader gives what PyYAML gives, or says the text is not its own.

Every comparison is with ``yamlload``'s reading through PyYAML's events (``_load_events``):
the data with its exact types (``True`` is not ``1``), and every span in the same order.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from promptctl import frontmatter, yamlload
from promptctl.loader import front_matter_end, split_lines
from tests.conftest import CORPORA, ROOT


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return ("map", tuple((key, _typed(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(_typed(item) for item in value))
    return (type(value).__name__, value)


def _read(text: str, offset: int = 3) -> tuple[Any, ...] | None:
    """The reader's answer, comparable with ``_pyyaml``'s; None where the text is not its own."""
    try:
        data, spans = frontmatter.parse(text, offset, yamlload._plain)
    except frontmatter.NotMine:
        return None
    return _typed(data), list(spans.items())


def _pyyaml(text: str, offset: int = 3) -> tuple[Any, ...] | str:
    try:
        document = yamlload._load_events(text, offset)
    except yamlload.YamlProblem as exc:
        return f"refused: {exc.message}"
    if document is None:
        return "left to the node path"
    return _typed(document.data), list(document.spans.items())


def _agrees(text: str) -> bool:
    """True where the reader read ``text`` (and then as PyYAML does), False where not."""
    mine = _read(text)
    if mine is None:
        return False
    assert mine == _pyyaml(text), text
    return True


def _front_matter(file: Path) -> str | None:
    text = file.read_text(encoding="utf-8", errors="replace")
    if file.name.endswith(".prompt.yaml"):
        return text
    lines = split_lines(text, keepends=True)
    end = front_matter_end(lines)
    return "".join(lines[1:end]) if end else None


READ = [
    "a: 1\nb:\n  c: |\n    hello\n  d: [1, 2]\n",
    "title: T\ntags:\n- x\n- 'y'\n- \"z\"\ninputs:\n  code:\n    type: string\n",
    "n: ~\nm: null\nb: [true, False, yes, no, on]\ni: [0x1F, 0o17, 1_000, +3, -4, 017]\n",
    "f: [1.5, -2e3, 1_0.5, .5, -.5, 1e3]\ns: ['1', \"2\", '2024-01-01', 2024-01-01]\nt: 1:30\n",
    "empty_list: []\nempty_value:\nlast: ''\nnext: # a comment\n",
    "# only a comment\n\n",
    "",
    "- a\n- b: c\n  d: [e, 'f g']\n-\n- last\n",
    "'quoted key': 1\n\"k2\" : x\nkey with spaces : y\n",
    "unicode: \"caf\\u00e9 \\x41\\t\\\\ \\\"q\\\" \\/\"\nemoji: 🙂 ✓\n",
    "url: http://example.com/a#b\nratio: a:b\nhash: a#b\n",
    # Block scalars: chomping, explicit indentation, empty and spaces-only lines, a last line.
    "block: |-\n  kept\n\n  lines\nnext: >+\n  folded\n\n",
    "a: >\n  one\n  two\n\n  three\n    indented\n  four\n\n\nb: 1\n",
    "a: |2\n   three spaces\n  two\n\n  \n      \nb: |\n\n\n  late start\n",
    "s:\n- |\n  item\n-   >-\n    folded item\n    more\n- k: |+\n    kept\n\n  j: x\n",
    "a: |\n  text\n# a comment below\nb: 1\n",
    "a: |\n  no final break",
    "a: |\n\n",
    # Plain and single-quoted scalars over several lines, as PyYAML's dumper writes them.
    "d: A long description that goes\n  on to the next line\n\n  and a paragraph\nv: 1\n",
    "d: 'Quoted, going\n  on: here, it''s fine'\ne: \"double\n\n  quoted\"\n",
    "- a plain item\n  continued\n- k: v\n  w: a value\n    continued # a comment\n",
    # Indentless sequences, deeper and less deep blocks, a root mapping indented.
    "tests:\n- name: a\n  inputs:\n    x: 1\n  expect:\n    contains: [x]\n- name: b\nz: 1\n",
    "  a: 1\n  b:\n      - x\n      -\n        y: 2\n",
    "a:\n    b:\n        c: 1\n    # between\n    d: 2\ne: 3\n",
    "a:\n- b\n -c\n",
    "a: 1  \nb: x   # trailing spaces and a comment\n\n\n",
]

NOT_MINE = [
    "a: &x 1\n",
    "a: *x\n",
    "a: !!str 1\n",
    "a: {b: 1}\n",
    "a: 1\na: 2\n",
    "1: x\n",
    "true: x\n",
    "<<: x\n",
    "? a\n: b\n",
    "a:\tb\n",
    "a: b\r\nc: d\r\n",
    "a: \"line\u2028break\"\n",
    "---\na: 1\n",
    "a: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: [1,\n  2]\n",
    "a: [1, [2]]\n",
    "a: [1, ]\n",
    "a: b: c\n",
    "a: - b\n",
    "a: 'b' c\n",
    "a: \"\\q\"\n",
    "a: \"\\ud800\"\n",
    "a: \"x\\\n  y\"\n",
    "a: .nan\n",
    "a: [1.0e+400]\n",
    "a: =\n",
    "a: '\n",
    "a:\n  b: c\n d: e\n",
    "a: 1\n  b: 2\n",
    "just a string\n",
    "a: |0\n  x\n",
    "a: |x\n  x\n",
    "a: 1\n# a last comment without a line break",
    "- - a\n",
]


@pytest.mark.parametrize("text", READ)
def test_reads_the_common_subset_as_pyyaml_does(text: str) -> None:
    assert _agrees(text), "expected the reader to read this document"


@pytest.mark.parametrize("text", NOT_MINE)
def test_leaves_the_rest_to_pyyaml(text: str) -> None:
    assert _read(text) is None
    # load() then gives PyYAML's answer, refusals and messages included.
    def outcome(load: Any) -> Any:
        try:
            document = load(text)
        except yamlload.YamlProblem as exc:
            return exc.message, exc.line, exc.col, exc.code
        return _typed(document.data), document.spans

    assert outcome(yamlload.load) == outcome(lambda t: yamlload._load_nodes(t, 0))


def test_load_uses_the_reader_and_keeps_positions() -> None:
    text = "a: 1\nb:\n  c: |\n    hello\n  d: [1, 2]\n"
    document = yamlload.load(text, first_line=2)
    assert document.data == {"a": 1, "b": {"c": "hello\n", "d": [1, 2]}}
    assert document.value_start(("b", "c")) == yamlload.Position(5, 1)
    assert document.position(("b", "d", 1)) == yamlload.Position(6, 10)
    assert (document.data, document.spans) == frontmatter.parse(text, 1, yamlload._plain)


def test_starter_prompts_are_read_as_pyyaml_reads_them() -> None:
    files = sorted((ROOT / "prompts").rglob("*.prompt.*"))
    read = [file for file in files if (text := _front_matter(file)) is not None and _agrees(text)]
    assert len(read) == len(files) >= 13  # every starter prompt is in the subset


@pytest.mark.corpora
def test_corpora_are_read_as_pyyaml_reads_them() -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent (the public corpora are kept outside the repository)")
    fronts = [text for file in sorted(CORPORA.rglob("*.md"))
              if (text := _front_matter(file)) is not None]
    read = sum(_agrees(text) for text in fronts)
    assert read >= 0.9 * len(fronts)


# --- generated documents -----------------------------------------------------------------------

_CONTEXTS = [("k: ", 0), ("- ", 0), ("a:\n  k: ", 2), ("a:\n- ", 0), ("a:\n  - ", 2),
             ("- k: ", 2), ("a:\n  - k: ", 4), ("  k: ", 2)]
_HEADS = ["|", ">", "|-", ">-", "|+", ">+", "|1", ">2", "|2-", ">+1", "|-3", "| # c", ">  "]
_FIRSTS = ["plain", "two words", "w  ", "'sq", "'sq ", '"dq', "'a''b", "[a, 'b c', 1]", "~"]
_LINES = ["", " ", "  ", "   ", "x", " x", "  x", "   y", "    y y", "     z ", "  # c", "# c",
          "k2: v", "  k3: v", "- i", "  - i", "  'q", "  ''", "      deep", "end'", 'end"']
_TAILS = ["\n", "\nz: 1\n", "\n- n\n", "", "\n\n", "\n  \n", "\n# c\n"]


def _generated(seed: int, count: int) -> list[str]:
    """Values of every kind in every context, followed by lines of every indentation."""
    chance = random.Random(seed)
    texts = []
    for _ in range(count):
        before, indent = chance.choice(_CONTEXTS)
        first = before + chance.choice(_HEADS if chance.random() < 0.6 else _FIRSTS)
        lines = [" " * chance.choice([0, indent, indent + 1, indent + 2, indent + 3])
                 + chance.choice(_LINES) for _ in range(chance.randint(0, 6))]
        texts.append("\n".join([first, *lines]) + chance.choice(_TAILS))
    return texts


def _mutated(seed: int, count: int) -> list[str]:
    """The starter prompts' front matter with a few characters inserted, changed or removed."""
    chance = random.Random(seed)
    fronts = [text for file in sorted((ROOT / "prompts").rglob("*.prompt.*"))
              if (text := _front_matter(file))]
    texts = []
    for _ in range(count):
        text = chance.choice(fronts)
        for _ in range(chance.randint(1, 3)):
            at = chance.randrange(len(text) + 1)
            char = chance.choice(" \n:-#'\"|>[],a1{}&*!?%@`\\ \n")
            kind = chance.random()
            if kind < 0.4:
                text = text[:at] + char + text[at:]
            elif kind < 0.7:
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + char + text[at + 1 :]
        texts.append(text)
    return texts


@pytest.mark.parametrize("make", [_generated, _mutated])
def test_generated_documents_are_read_as_pyyaml_reads_them_or_left(make: Any) -> None:
    texts = make(20261202, 1500)
    read = sum(_agrees(text) for text in texts)
    assert read >= len(texts) // 4  # the comparisons above are not only of refusals


def test_the_keys_taken_for_strings_without_asking_are_strings() -> None:
    """``_STRING_KEYS`` skip ``plain`` for the front matter's own keys: each must read as a
    string, as a key and as a value, whoever reads it."""
    assert "title" in frontmatter._STRING_KEYS
    for key in frontmatter._STRING_KEYS:
        assert yamlload._plain(key) == key
        text = f"{key}: 1\nx:\n  {key}:\n  - {key}\n"
        assert _read(text) is not None
        assert _agrees(text), text


@pytest.mark.parametrize("text", [
    "tags:\n- one\n- two words  \n- three\n",
    "tags:\n- one\n  # a comment under it\n- two\n",
    "tags:\n- one\n\n- two\n",
    "tags:\n- one\n  goes on\n- two\n",
    "tags:\n- one\n   \n  goes on\n",
    "a:\n  - one\nb: two\n",
    "a:\n- one",
    "a:\n- one\n# c\n",
    "- one\n- two\n",
])
def test_a_one_line_plain_entry_ends_where_the_next_line_says(text: str) -> None:
    assert _agrees(text), text
