"""The jsonschema_rs fast path of schema.located_errors never changes jsonschema's verdict.

jsonschema_rs may only answer "valid"; whenever it rejects, jsonschema runs and reports. The one
way the fast path could change a result is jsonschema_rs accepting data jsonschema rejects, so
the differential test mutates valid front matters with hostile values and looks for exactly that.
"""

from __future__ import annotations

import copy
import decimal
import enum
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from promptctl import frontmatter, schema, yamlload
from promptctl.library import Library
from promptctl.schema import CONFIG_SCHEMA, PROMPT_SCHEMA, located_errors
from promptctl.yamlload import DataPath, YamlDocument
from tests.conftest import ROOT

SEED = 20261128
CASES_PER_SCHEMA = {PROMPT_SCHEMA: 4000, CONFIG_SCHEMA: 1000}

HAND_WRITTEN: list[dict[str, Any]] = [
    {"title": "T", "description": "D", "version": "0.1.0", "status": "draft",
     "owners": ["@a"]},
    {"title": "Greeting", "description": "Greets someone by name.", "version": "1.0.0",
     "status": "active", "owners": ["@acme/team", "@bob"], "tags": ["demo", "x-1"],
     "scope": "global", "channel": "experimental", "aliases": ["demo/hello"],
     "system": "Be kind to {{ name }}.",
     "inputs": {"name": {"type": "string", "description": "Who.", "required": True,
                         "minLength": 1, "maxLength": 40, "pattern": "^[A-Z]"},
                "count": {"type": "integer", "default": 1, "minimum": 0, "maximum": 10,
                          "multipleOf": 1},
                "focus": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                          "enum": [["a"], ["b"]], "x-ui": "list"}},
     "model": {"name": "m", "temperature": 0.2, "max_tokens": 512, "top_p": 1},
     "tests": [{"name": "greets", "inputs": {"name": "Ada"},
                "expect": {"contains": ["Hello", "Ada"], "not_contains": "Bye",
                           "equals": "Hello, Ada.", "matches": "^Hello"}}],
     "x-origin": {"nested": [1, 1.0, True, None]}},
    {"title": "Chat", "description": "A chat prompt.", "version": "2.0.0",
     "status": "deprecated", "replaced_by": "demo/greet", "owners": ["@acme/team"],
     "messages": [{"role": "system", "content": "Terse."},
                  {"role": "user", "content": "About {{ topic }}."}],
     "inputs": {"topic": {"type": "string", "required": True}}},
]

CONFIGS: list[dict[str, Any]] = [
    {},
    {"approvals": {"team": 1, "global": 2},
     "render": {"max_output_bytes": 1048576, "timeout_seconds": 2},
     "defaults": {"owners": ["@acme/team"]}, "x-note": "kept"},
]

# Values that differ between Python and Rust (types, numbers, regex anchors, uniqueness) or are
# simply wrong for the field; a few are valid somewhere, so mutations produce both verdicts.
HOSTILE: list[Any] = [
    None, True, False, 0, 1, -1, 2, 1.0, 0.5, 2.5, -0.0, 1e308, 2**31, 2**63 - 1, 2**63,
    2**64, 2**70, -(2**70), float("nan"), float("inf"), float("-inf"),
    "", " ", "a", "x", "1.0.0", "1.0.0\n", "\n1.0.0", "01.0.0", "1.0", "1.0.0-rc1",
    "1.0.\u0663", "@a", "@a/b", "@a\n", "@-a", "@a/b c", "a\nb", "demo/x", "demo/x\n",
    "Demo/x", "draft", "active", "deprecated", "Draft", "active\n", "team", "global",
    "stable", "experimental", "string", "integer", "boolean", "user", "system", "assistant",
    "é" * 120, "é" * 121, "😀" * 40, "x" * 2000, "x" * 2001, "tag-\u00e9", "ab" * 21,
    "\u0000", "\u2028", "\ufeff", "x-a",
    [], [1, 1.0], [1, True], [0, False], ["a", "a"], ["@a", "@a"], ["a"], ["@a"],
    ["demo/x"], [None], [[]], [{}], [1.5], ["a", "b"], ["a\n"],
    {}, {"a": 1}, {"x-a": 1}, {"type": "string"}, {"required": 1}, {"required": True},
    {"type": "integer", "minimum": 1.0}, {"enum": []}, {"enum": [1, 1.0]},
    {"a": {"b": {"c": []}}}, {"role": "user", "content": "x"}, {"role": "user"},
    {"contains": []}, {"contains": ["x"]}, {"contains": "x"},
    {"name": "n", "expect": {"contains": "x"}}, {"name": "n", "expect": {}},
    {"items": {"type": "string"}}, {"additionalProperties": 1},
    {"multipleOf": 0}, {"multipleOf": 1e-320}, {"minLength": 2**70},
]

KEYS = [
    "titel", "colour", "x-", "x-a", "X-a", "x_a", "xa", "", " ", "a\n", "x-\n", "\nx-a",
    "ｘ-a", "title", "description", "version", "status", "owners", "scope", "channel",
    "tags", "aliases", "replaced_by", "system", "messages", "inputs", "model", "tests",
    "type", "required", "default", "enum", "const", "minimum", "maximum", "multipleOf",
    "pattern", "minLength", "items", "uniqueItems", "additionalProperties", "name",
    "temperature", "max_tokens", "top_p", "role", "content", "expect", "contains",
    "not_contains", "equals", "matches", "approvals", "render", "defaults", "team", "global",
    "max_output_bytes", "timeout_seconds", "good_name", "Bad", "a" * 65, "_x", "9x",
]


def starter_front_matters() -> list[dict[str, Any]]:
    library = Library.from_work_tree(ROOT)
    assert len(library.prompts) >= 10
    return [copy.deepcopy(p.document.data) for p in library.prompts.values()]


def _nodes(value: Any, path: DataPath = ()) -> Iterator[tuple[DataPath, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _at(value: Any, path: DataPath) -> Any:
    for part in path:
        value = value[part]
    return value


def mutate(rng: random.Random, document: Any) -> Any:
    """One to three random edits of a deep copy of ``document``."""
    data = copy.deepcopy(document)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        nodes = list(_nodes(data))
        path, node = rng.choice(nodes)
        value = copy.deepcopy(rng.choice(HOSTILE))
        action = rng.random()
        if isinstance(node, dict) and action < 0.45:
            if node and action < 0.15:
                del node[rng.choice(list(node))]  # required keys too
            else:
                node[rng.choice(KEYS)] = value
        elif isinstance(node, list) and action < 0.45:
            if node and action < 0.2:
                node.append(copy.deepcopy(rng.choice(node)))  # a duplicate item
            else:
                node.insert(rng.randrange(len(node) + 1), value)
        elif isinstance(node, str) and action < 0.3:
            node_edit = rng.choice((node + "\n", " " + node, node.upper(), node + "é",
                                    node * 3, node[:-1], "\n" + node))
            if path:
                _at(data, path[:-1])[path[-1]] = node_edit
        elif path:
            _at(data, path[:-1])[path[-1]] = value
        else:
            data = value if action < 0.05 else data
    return data


@pytest.mark.parametrize("name", [PROMPT_SCHEMA, CONFIG_SCHEMA])
def test_jsonschema_rs_never_accepts_what_jsonschema_rejects(name: str) -> None:
    seeds: list[Any] = ([*starter_front_matters(), *HAND_WRITTEN] if name == PROMPT_SCHEMA
                        else CONFIGS)
    python = schema.Validator(schema.load_schema(name))  # jsonschema, ECMA `$`
    rust = jsonschema_rs.validator_for(schema.load_schema(name))
    for seed in seeds:
        assert python.is_valid(seed), seed
        assert rust.is_valid(seed), seed
    rng = random.Random(f"{SEED}:{name}")
    counts = {"valid": 0, "invalid": 0, "rust_rejects_valid": 0, "rust_raises": 0}
    for case in range(CASES_PER_SCHEMA[name]):
        data = mutate(rng, rng.choice(seeds))
        expected = python.is_valid(data)
        try:
            fast = rust.is_valid(data)
        except Exception:  # located_errors falls back on any exception too
            counts["rust_raises"] += 1
            fast = False
        assert expected or not fast, f"case {case}: jsonschema_rs accepts {data!r}"
        if expected and not fast:
            counts["rust_rejects_valid"] += 1
        found = list(located_errors(name, data, YamlDocument(data)))
        assert (found == []) == expected, f"case {case}: {data!r} -> {found}"
        counts["valid" if expected else "invalid"] += 1
    total = CASES_PER_SCHEMA[name]
    # Both verdicts in earnest numbers, so the assertions above are exercised both ways.
    assert counts["valid"] >= total // 5, counts
    assert counts["invalid"] >= total // 5, counts


HEAD = 'title: Greeting\ndescription: Greets.\nstatus: active\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(HEAD + 'version: 1.0.0\nowners: ["@a"]\ntitel: Typo\n',
                     [(6, 1, "unknown field 'titel'; did you mean 'title'?")],
                     id="unknown-field-did-you-mean"),
        pytest.param(HEAD + 'version: 1.0.0\nowners: ["@a"]\ncolour: red\n',
                     [(6, 1, "unknown field 'colour'; remove it, or prefix it with x-")],
                     id="unknown-field"),
        pytest.param(HEAD + 'version: 1.0.0\nowners: ["@a"]\n'
                     "inputs:\n  name:\n    type: string\n    descripton: Who.\n",
                     [(9, 5, "unknown field 'descripton' in inputs.name; did you mean "
                             "'description'?")], id="unknown-field-in-input"),
        pytest.param(HEAD + 'version: "1.0"\nowners: ["@a"]\n',
                     [(4, 1, "version '1.0' must be MAJOR.MINOR.PATCH, for example 1.0.0 "
                       "(quoted or not)")],
                     id="bad-version"),
        pytest.param(HEAD + 'version: 1.0.0\nowners: ["@a", "@a"]\n'
                     "model: {max_tokens: 0, temperature: 2.5}\n",
                     [(5, 1, "owners: ['@a', '@a'] has non-unique elements"),
                      (6, 9, "model.max_tokens: 0 is less than the minimum of 1"),
                      (6, 24, "model.temperature: 2.5 is greater than the maximum of 2")],
                     id="numbers-and-duplicates"),
        pytest.param(HEAD + "owners: []\n",
                     [(1, 1, "missing required field 'version'"),
                      (4, 1, "owners: [] should be non-empty")], id="missing-and-empty"),
    ],
)
def test_located_messages_are_jsonschemas(text: str,
                                          expected: list[tuple[int, int, str]]) -> None:
    document = yamlload.load(text)
    assert list(located_errors(PROMPT_SCHEMA, document.data, document)) == expected


def test_valid_data_does_not_reach_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str) -> None:
        raise AssertionError("jsonschema ran on valid data")

    monkeypatch.setattr(schema, "validator", refuse)
    for front_matter in HAND_WRITTEN:
        assert list(located_errors(PROMPT_SCHEMA, front_matter, YamlDocument(front_matter))) == []


class Tag(enum.Enum):
    DEMO = "demo"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"owners": ("@a",)}, id="tuple"),
        pytest.param({"tags": [Tag.DEMO]}, id="enum-member"),
        pytest.param({"model": {"max_tokens": decimal.Decimal(1)}}, id="decimal"),
        pytest.param({"title": b"bytes"}, id="bytes"),
        pytest.param({"version": "1.0.0\n"}, id="python-dollar-before-newline"),
        pytest.param({"model": {"temperature": float("nan")}}, id="nan"),
        pytest.param({"model": {"max_tokens": 2**70}}, id="big-int"),
    ],
)
def test_data_beyond_plain_json_gets_jsonschemas_verdict(change: dict[str, Any]) -> None:
    """jsonschema_rs reads a tuple as a list, an Enum member as its value and a Decimal as a
    number; jsonschema rejects them. Whatever either says, located_errors says what jsonschema
    says (for NaN, jsonschema accepts what jsonschema_rs rejects; YAML cannot produce one)."""
    data = {**HAND_WRITTEN[0], **change}
    python = schema.Validator(schema.load_schema(PROMPT_SCHEMA))
    found = list(located_errors(PROMPT_SCHEMA, data, YamlDocument(data)))
    assert (found == []) == python.is_valid(data)


def test_without_jsonschema_rs_jsonschema_alone_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "fast_validator", lambda name: None)
    good = HAND_WRITTEN[1]
    assert list(located_errors(PROMPT_SCHEMA, good, YamlDocument(good))) == []
    bad = {**good, "status": "gone"}
    [(_, _, message)] = located_errors(PROMPT_SCHEMA, bad, YamlDocument(bad))
    assert message.startswith('status is "gone"; expected one of')


def test_jsonschema_rs_is_imported_lazily() -> None:
    code = ("import sys, promptctl.schema, promptctl.cli.main; "
            "sys.exit('jsonschema_rs' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


# --- input schemas: schema.input_errors ---------------------------------------------------------

_INPUT_KEYWORDS: list[tuple[str, list[Any]]] = [
    ("type", ["string", "integer", "number", "boolean", "array", "object", "null",
              ["string", "null"], ["integer", "boolean"]]),
    ("enum", [["a", "b"], [1, 2], [True, 1], [1.0], [None, "x"], [[1], {"a": 1}], ["é"]]),
    ("const", ["a", 1, True, 1.0, None, [1, "a"], {"k": [True]}]),
    ("minLength", [0, 1, 3]), ("maxLength", [0, 2, 5]),
    ("minimum", [0, 1.5, -3, 2**53]), ("maximum", [0, 2.5, 10]),
    ("exclusiveMinimum", [0, 1]), ("exclusiveMaximum", [1, 10.5]),
    ("minItems", [1, 2]), ("maxItems", [0, 1]), ("minProperties", [1]), ("maxProperties", [0]),
    ("required", [["a"], []]), ("description", ["d"]), ("default", ["x", 1]),
    ("items", [{"type": "string"}, {"enum": [1, 2]}, False, True]),
    ("additionalProperties", [False, {"type": "integer"}]),
    ("properties", [{"a": {"type": "string"}}, {"a": {"maxLength": 1}, "b": {"type": "null"}}]),
    ("pattern", ["^a$"]), ("format", ["date"]), ("multipleOf", [0.1]), ("uniqueItems", [True]),
]
_INSTANCES: list[Any] = [
    "", "a", "ab", "abcdef", "é", "\U0001f642\U0001f642", "a\ud800", "1", True, False, None, 0,
    1, -1, 2, 11, 2**53, 2**60, 1.0, 1.5, 0.3, float("nan"), float("inf"), [], ["a"], [1, 2],
    [True], ["a", "a"], {}, {"a": "x"}, {"a": 1}, {"b": None}, {"a": "xy", "b": None},
]


def _input_cases(seed: int, count: int) -> Iterator[tuple[dict[str, Any], Any]]:
    chance = random.Random(seed)
    for _ in range(count):
        chosen = chance.sample(_INPUT_KEYWORDS, chance.randint(1, 4))
        schema_ = {keyword: copy.deepcopy(chance.choice(values)) for keyword, values in chosen}
        yield schema_, copy.deepcopy(chance.choice(_INSTANCES))


def _errors(errors: Iterator[Any]) -> Any:
    try:
        return [(e.message, list(e.absolute_path)) for e in errors]
    except Exception as exc:  # jsonschema's own failures (NaN and multipleOf) stay its own
        return type(exc)


def test_input_errors_are_jsonschemas_with_or_without_jsonschema_rs() -> None:
    used = 0
    for schema_, instance in _input_cases(SEED, 6000):
        expected = _errors(schema.Validator(schema_).iter_errors(instance))
        found = _errors(schema.input_errors(schema_, instance))
        assert found == expected, (schema_, instance)
        used += schema._validators_of(json.dumps(schema_))[1] is not None
    assert used > 1000  # the comparisons are not only of schemas left to jsonschema


@pytest.mark.parametrize(("schema_", "fast"), [
    ({"type": "object", "properties": {"input": {"type": "string", "description": "d"}}}, True),
    ({"type": "string", "enum": ["a", "b"], "default": "a"}, True),
    ({"type": "string", "pattern": "^a$"}, False),
    ({"type": "number", "multipleOf": 0.1}, False),
    ({"type": "string", "format": "date"}, False),
    ({"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}}, False),
    ({"type": "strin"}, False),  # not a schema: jsonschema says what it says
    ({"minLength": "3"}, False),
])
def test_jsonschema_rs_answers_for_the_input_schemas_both_read_alike(
        schema_: dict[str, Any], fast: bool) -> None:
    assert (schema._validators_of(json.dumps(schema_))[1] is not None) is fast


def test_documents_of_the_front_matter_reader_are_plain_json_and_say_so() -> None:
    """``YamlDocument.plain`` spares located_errors the walk that ``_plain_json`` makes: only
    yamlload's own reader sets it, and its data always passes that walk."""
    import yaml

    texts = [yaml.safe_dump(data, sort_keys=False, allow_unicode=True) for data in HAND_WRITTEN]
    texts.append("title: T\ntags: [a, 1, 2.5, true, null, '~']\nmodel:\n  n: 3\n")
    texts.append("n: 1\nx: -2.5e3\ny: 0x1f\nz: ~\nw: yes\nlist:\n- a: 1\n  b: [c]\n- |\n  d\n")
    read = 0
    for text in texts:
        document = yamlload.load(text)
        try:
            frontmatter.parse(text, 0, yamlload._plain)
        except frontmatter.NotMine:
            assert not document.plain  # PyYAML read it
            continue
        read += 1
        assert document.plain, text
        assert schema._plain_json(document.data)
    assert read >= 3
    # PyYAML's paths (a tag, a flow mapping) and hand-made documents are walked as before.
    assert not yamlload.load("title: !!str T\n").plain
    assert not yamlload.load("model: {a: 1}\n").plain
    assert not YamlDocument({"tags": ("a",)}).plain
    bad = {**HAND_WRITTEN[0], "tags": ("a",)}
    assert list(located_errors(PROMPT_SCHEMA, bad, YamlDocument(bad))) != []
