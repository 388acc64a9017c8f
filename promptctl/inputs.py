"""Inputs: parsed from the command line by their declared types, validated with defaults applied.

On the command line (``-i name=value``) a value ``@FILE`` is read from FILE and ``@-`` from
stdin, for values larger than a command line; ``@@...`` is the literal value ``@...``.

An input is optional unless its schema says ``required: true``. An optional input without a
default is passed to the template as none, so templates test it with ``{% if name %}``.
``required`` is our keyword, not JSON Schema's: it is taken out before the value is validated.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from promptctl import yamlload
from promptctl.errors import InputError, UsageError
from promptctl.model import Prompt
from promptctl.schema import input_errors

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def value_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """An input's JSON Schema without our own keys (``required``, ``x-*``)."""
    return {k: v for k, v in spec.items() if k != "required" and not k.startswith("x-")}


def is_required(spec: Mapping[str, Any]) -> bool:
    return bool(spec.get("required")) and "default" not in spec


def _schema(prompt: Prompt) -> dict[str, Any]:
    """The JSON Schema of a prompt's inputs, taken together."""
    return {
        "type": "object",
        "properties": {name: value_schema(spec) for name, spec in prompt.inputs.items()},
    }


def resolve(prompt: Prompt, given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults applied, optional inputs as None, every value validated; else ``InputError``."""
    declared = prompt.inputs
    fields: dict[str, str] = {}
    for name in given:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            fields[name] = f"unknown input; this prompt declares: {known}"
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in given and given[name] is not None:
            values[name] = given[name]
        elif "default" in spec:
            values[name] = copy.deepcopy(spec["default"])
        elif is_required(spec):
            fields[name] = "required input is missing"
        else:
            values[name] = None
    present = {k: v for k, v in values.items() if v is not None and k not in fields}
    for err in input_errors(_schema(prompt), present):
        name = str(err.absolute_path[0]) if err.absolute_path else "inputs"
        fields.setdefault(name, _describe(err))
    if fields:
        detail = "; ".join(f"{name}: {why}" for name, why in sorted(fields.items()))
        raise InputError(f"invalid inputs for {prompt.id}: {detail}", fields)
    return values


def parse_cli(prompt: Prompt, pairs: list[str],
              read_stdin: Callable[[], str] | None = None) -> dict[str, Any]:
    """``-i name=value`` pairs, each value converted by the declared type of its input; a value
    ``@FILE`` is read from FILE, ``@-`` from ``read_stdin`` (see ``read_value``)."""
    fields: dict[str, str] = {}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            fields[pair or "-i"] = "expected name=value"
            continue
        spec = prompt.inputs.get(name)
        if spec is None:
            known = ", ".join(sorted(prompt.inputs)) or "none"
            fields[name] = f"unknown input; this prompt declares: {known}"
            continue
        raw = read_value(name, raw, read_stdin)
        try:
            values[name] = convert(raw, spec)
        except ValueError as exc:
            fields[name] = str(exc)
    if fields:
        detail = "; ".join(f"{name}: {why}" for name, why in sorted(fields.items()))
        raise InputError(f"invalid inputs for {prompt.id}: {detail}", fields)
    return values


def read_value(name: str, raw: str, read_stdin: Callable[[], str] | None = None) -> str:
    """The text of ``-i name=raw``: ``@FILE`` reads FILE (UTF-8, as it is, final newline
    included), ``@-`` stdin, ``@@rest`` is the literal ``@rest``; anything else is itself."""
    if not raw.startswith("@"):
        return raw
    if raw.startswith("@@"):
        return raw[1:]
    source = raw[1:]
    if source == "-":
        if read_stdin is None:
            raise UsageError(f"-i {name}=@-: stdin is already read (by --inputs - or another "
                             "@-); read one value from stdin, the others from files")
        return read_stdin()
    where = f"-i {name}={raw}"
    path = Path(source)
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file {source!r}; to pass a value that starts with @, "
                         f"write it as {name}=@{raw}") from None
    except IsADirectoryError:
        raise UsageError(f"{where}: {source} is a directory; name a file") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: {source} is not UTF-8 text (byte {exc.start}); save it as "
                         "UTF-8") from None


def convert(raw: str, spec: Mapping[str, Any]) -> Any:
    kind = spec.get("type", "string")
    if kind == "string":
        return raw
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
    if kind == "number":
        try:
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    # array / object: JSON; an array may also be given as comma-separated words.
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        if kind == "array" and not raw.lstrip().startswith("["):
            return [part.strip() for part in raw.split(",") if part.strip()]
        raise ValueError(f"expected a JSON {kind}, got {raw!r}") from None
    return value


def load_file(text: str, source: str) -> dict[str, Any]:
    """An --inputs file: a JSON or YAML mapping of input name -> value."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = yamlload.load(text).data
        except yamlload.YamlProblem as exc:
            raise InputError(
                f"{source}:{exc.line}:{exc.col}: {exc.message}", {"inputs": exc.message}
            ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: inputs must be a mapping of name: value, got {type(data).__name__}",
            {"inputs": "not a mapping"},
        )
    return data


def type_text(spec: Mapping[str, Any]) -> str:
    """An input's declared type as written: ``string``, ``string|null``, ``any``."""
    kind = spec.get("type", "any")
    return "|".join(map(str, kind)) if isinstance(kind, list) else str(kind)


def display_value(value: Any) -> str:
    """A value as a prompt file or a JSON document writes it: ``postgres``, ``false``,
    ``["a", "b"]``; a string that YAML would read as something else is quoted (``"1.0"``)."""
    if isinstance(value, str) and value and value == value.strip() and "\n" not in value:
        try:
            if yamlload.load(value).data == value:
                return value
        except yamlload.YamlProblem:
            pass
    return json.dumps(value, ensure_ascii=False)


def _describe(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        allowed = err.validator_value
        options = ", ".join(json.dumps(v) for v in (allowed if isinstance(allowed, list) else []))
        return f"{json.dumps(err.instance)} is not one of {options}"
    if err.validator == "type":
        return f"expected {err.validator_value}, got {json.dumps(err.instance)[:60]}"
    return err.message

