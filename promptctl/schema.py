"""The JSON Schemas of the repository format, and schema errors turned into located problems.

``located_errors`` first asks jsonschema_rs (compiled; about 5 us a front matter) whether the data
is valid, and runs jsonschema (pure Python; about 160 us) only when it is not: the errors reported
are always jsonschema's (docs/decisions/0005-fast-schema-check.md), with patterns read as JSON
Schema specifies (``Validator``).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import jsonschema

from promptctl.yamlload import DataPath, YamlDocument

PROMPT_SCHEMA = "prompt.schema.json"
CONFIG_SCHEMA = "promptctl.schema.json"


def schemas_dir() -> Path:
    """Schemas ship in the wheel as promptctl/schemas; a source checkout has them at the root."""
    packaged = Path(__file__).parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    return data


def ecma_pattern(pattern: str) -> str:
    r"""``pattern`` for Python's ``re`` with ECMA-262's ``$``, which JSON Schema specifies: the
    end of the text. Python's ``$`` also matches before a final newline, so "1.0.0\n" would
    pass ``^[0-9.]+$``. Each ``$`` outside a character class becomes ``\Z``."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A "]" first in a class (after an optional "^") is a literal, not its end.
            start = index + 2 if pattern.startswith("^", index + 1) else index + 1
            if pattern.startswith("]", start):
                out.append(pattern[index : start + 1])
                index = start + 1
                continue
        elif char == "$":
            char = "\\Z"
        out.append(char)
        index += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_pattern(pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's ``pattern`` keyword (same message), with ECMA-262's ``$``."""
    if not validator.is_type(instance, "string"):
        return
    try:
        compiled = _compiled(pattern)
    except re.error as exc:  # an input's own schema; `validate` reports it as such
        yield jsonschema.ValidationError(f"pattern {pattern!r} is not a valid regular "
                                         f"expression: {exc}")
        return
    if not compiled.search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12, with patterns read as the specification says (see ``ecma_pattern``); used for
# the repository's schemas and for prompts' input schemas alike.
Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, {"pattern": _pattern})


def input_errors(schema: dict[str, Any], instance: Any) -> Iterator[jsonschema.ValidationError]:
    """jsonschema's errors of ``instance`` against an input's ``schema``.

    Prompts' input schemas recur across a library (the same few types, enums and descriptions)
    and building a validator costs more than most validations: one is kept for every schema of
    the same JSON text (which keeps the keys' order, and so the order of the errors). Where
    jsonschema_rs may be trusted to (a schema of the keywords both read alike, ``_shared``, and
    an instance of strings, booleans, nulls, integers and lists and mappings of them), it says
    first whether there are errors at all: about 1 us instead of tens."""
    try:
        key = json.dumps(schema)
    except (TypeError, ValueError):
        yield from Validator(schema).iter_errors(instance)
        return
    checker, fast = _validators_of(key)
    if fast is not None and _simple(instance):
        # An exception (a str with lone surrogates, say) leaves the answer to jsonschema.
        with contextlib.suppress(Exception):
            if fast.is_valid(instance):
                return
    yield from checker.iter_errors(instance)


@functools.lru_cache(maxsize=1024)
def _validators_of(key: str) -> tuple[jsonschema.Draft202012Validator, _FastValidator | None]:
    schema = json.loads(key)
    checker: jsonschema.Draft202012Validator = Validator(schema)
    fast: _FastValidator | None = None
    if _shared(schema) and _meta_validator().is_valid(schema):
        try:
            import jsonschema_rs

            fast = jsonschema_rs.validator_for(schema)
        except Exception:  # not installed, or refused the schema: jsonschema alone then
            fast = None
    return checker, fast


# The keywords jsonschema_rs and jsonschema read alike, for the instances ``_simple`` allows:
# no regular expressions (their dialects differ), no references, no formats, no float
# arithmetic (``multipleOf``). Schemas with any other keyword are checked by jsonschema alone.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "title", "description",
                            "deprecated", "readOnly", "writeOnly", "type", "minLength",
                            "maxLength", "minimum", "maximum", "exclusiveMinimum",
                            "exclusiveMaximum", "minItems", "maxItems", "minProperties",
                            "maxProperties", "required"})
_SCHEMA_KEYWORDS = frozenset({"items", "additionalProperties"})


def _shared(schema: Any) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        if keyword in _DATA_KEYWORDS:
            continue
        if keyword in _SCHEMA_KEYWORDS:
            if not _shared(value):
                return False
        elif keyword == "properties" and isinstance(value, dict):
            if not all(_shared(item) for item in value.values()):
                return False
        else:
            return False
    return True


def _simple(value: Any) -> bool:
    """Strings, booleans, null, integers of a double's exact range, and lists and mappings
    (string keys) of them."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-(2**53) < value < 2**53)
    if kind is dict:
        return all(type(k) is str and _simple(v) for k, v in value.items())
    if kind is list:
        return all(_simple(item) for item in value)
    return False


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    checker: jsonschema.Draft202012Validator = Validator(load_schema(name))
    return checker


class _FastValidator(Protocol):
    def is_valid(self, instance: Any) -> bool: ...


@functools.cache
def fast_validator(name: str) -> _FastValidator | None:
    """jsonschema_rs's validator of the same schema, or None where it cannot be had.

    Imported here, not at the top, so that `promptctl --help` does not load it.
    """
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(load_schema(name))
    except Exception:  # not installed, or refused the schema: jsonschema alone then
        return None


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_json(value: Any) -> bool:
    """True when ``value`` is built of dict (str keys), list, str, int, float, bool and None only.

    jsonschema_rs reads a tuple as an array, an Enum member as its value and a Decimal as a
    number, where jsonschema rejects them, so its "valid" is trusted for plain JSON data only
    (which is all yamlload produces). About 3 us for a typical front matter.
    """
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not _plain_json(item):
                return False
        return True
    if kind is list:
        return all(_plain_json(item) for item in value)
    return False


def _fast_valid(name: str, instance: Any, *, plain: bool = False) -> bool:
    """True only when jsonschema_rs accepts ``instance`` and it is plain JSON data (known to be
    where ``plain`` says so)."""
    fast = fast_validator(name)
    if fast is None:
        return False
    try:
        return fast.is_valid(instance) and (plain or _plain_json(instance))
    except Exception:  # e.g. a str with lone surrogates, nesting past a recursion limit
        return False


@functools.cache
def _meta_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)


def check_input_schema(schema: dict[str, Any]) -> list[str]:
    """Problems with an input's own JSON Schema (a bad regex, a wrong keyword type, ...).

    Checking against the 2020-12 meta-schema costs about 0.2 ms an input, and the same input
    schemas recur across a library, so results are cached by the schema's JSON text.
    """
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return _check_input_schema(schema)
    return list(_cached_check(key))


@functools.lru_cache(maxsize=4096)
def _cached_check(key: str) -> tuple[str, ...]:
    return tuple(_check_input_schema(json.loads(key)))


def _check_input_schema(schema: dict[str, Any]) -> list[str]:
    messages = [f"{e.message}" for e in _meta_validator().iter_errors(schema)]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as exc:
            messages.append(f"pattern {pattern!r} is not a valid regular expression: {exc}")
    return messages


def located_errors(
    name: str, instance: Any, document: YamlDocument
) -> Iterator[tuple[int, int, str]]:
    """Each schema error as (line, col, message), ordered by position in the file."""
    # Fast path (docs/decisions/0005): jsonschema_rs may only say "valid, nothing to report".
    # Where it rejects, raises or is missing, jsonschema decides and words the errors, so the
    # verdict is jsonschema's unless jsonschema_rs accepts what jsonschema rejects; _plain_json
    # and tests/unit/test_schema_fast_path.py guard that side (a document of yamlload's own
    # reader is plain data by construction: ``YamlDocument.plain``).
    if _fast_valid(name, instance, plain=document.plain and instance is document.data):
        return
    found: list[tuple[int, int, str]] = []
    for error in validator(name).iter_errors(instance):
        for path, message in _explain(error):
            where = document.position(path)
            found.append((where.line, where.col, message))
    yield from sorted(set(found))


_VERSION_HINT = "must be MAJOR.MINOR.PATCH, for example 1.0.0 (quoted or not)"


def _explain(error: jsonschema.ValidationError) -> Iterator[tuple[DataPath, str]]:
    path: DataPath = tuple(error.absolute_path)
    field = _dotted(path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        for key in error.instance:
            if key in allowed or any(re.search(p, key) for p in patterns):
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else "remove it, or prefix it with x-"
            where = f" in {field}" if field else ""
            yield (*path, key), f"unknown field {key!r}{where}; {fix}"
        return
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        where = f" in {field}" if field else ""
        yield path, f"missing required field {name!r}{where}"
        return
    label = field or "front matter"
    if kind == "type" and path and path[-1] == "version" and _json_type(error.instance) in (
            "an integer", "a number"):
        yield path, (f"version {error.instance!r} is a number (YAML reads it so unquoted) and "
                     f"{_VERSION_HINT}")
        return
    if kind == "type":
        expected = error.validator_value
        wanted = " or ".join(map(str, expected)) if isinstance(expected, list) else str(expected)
        got = _json_type(error.instance)
        if not path:
            yield path, f"the front matter must be a mapping of fields, got {got}"
        else:
            yield path, f"{label} must be {_article(wanted)}, got {got}"
        return
    if kind == "enum":
        options = ", ".join(json.dumps(v) for v in _values(error.validator_value))
        yield path, f"{label} is {json.dumps(error.instance)}; expected one of {options}"
        return
    if kind == "pattern" and path and path[-1] == "version":
        yield path, f"version {error.instance!r} {_VERSION_HINT}"
        return
    if kind == "maxLength" and isinstance(error.instance, str):
        shown = error.instance if len(error.instance) <= 40 else f"{error.instance[:40]}..."
        yield path, (f"{label} {shown!r} is {len(error.instance)} characters long; shorten it to "
                     f"at most {error.validator_value}")
        return
    if kind == "pattern" and "owners" in path:
        yield path, f"owner {error.instance!r} must be @user or @org/team"
        return
    if kind == "pattern":
        yield path, f"{label} is {error.instance!r}; it must match {error.validator_value}"
        return
    yield path, f"{label}: {error.message}"


def _dotted(path: DataPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _article(word: str) -> str:
    mapping = {"object": "a mapping", "array": "a list", "string": "a string",
               "integer": "an integer", "number": "a number", "boolean": "a boolean"}
    return mapping.get(word, word)


def _values(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]
