"""Prompty: ``<name>.prompty``, a YAML header and a Jinja2 template split into messages by
``system:`` / ``user:`` / ``assistant:`` lines.

Prompty renders Jinja2 in Jinja2's own sandbox, so conditions, loops and filters mean what they
mean here; partials are inlined (Prompty has no includes). ``strict: true`` makes Prompty refuse
an input value that would start a message of its own (a line "user:" inside a value) instead of
splitting on it. Not written: a template whose own text has such a line (it would split into
two messages), and a partial that cannot be inlined.
"""

from __future__ import annotations

import re
from typing import Any

from promptctl.formats import Exported
from promptctl.formats.common import Context, dump_yaml
from promptctl.inputs import is_required

# Prompty's role boundary (prompty/parsers/prompty.py): a line of only a role name and ":".
_BOUNDARY = re.compile(r"(?im)^\s*#?\s*(system|user|assistant|developer)(\[[^\]]*\])?\s*:\s*$")
KINDS = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean",
         "array": "array", "object": "object"}
OPTIONS = {"temperature": "temperature", "max_tokens": "maxOutputTokens", "top_p": "topP"}


def export(ctx: Context) -> Exported:
    prompt = ctx.prompt
    sources, cannot = ctx.embedded_sources()
    if sources is None:
        return Exported({}, f"cannot be written as Prompty: it uses {cannot}")
    for _role, source in sources:
        line = next((m[0].strip() for m in _BOUNDARY.finditer(source)), None)
        if line is not None:
            return Exported({}, f"not expressible as Prompty: its text has the line {line!r}, "
                                "which Prompty reads as the start of a new message")
    header: dict[str, Any] = {
        "name": ctx.name,
        "description": prompt.description,
        "metadata": {"prompt-id": prompt.id, "prompt-version": prompt.version,
                     "title": prompt.title, "tags": prompt.tags},
    }
    model = _model(prompt.model)
    if model:
        header["model"] = model
    if prompt.inputs:
        header["inputs"] = {name: _input(spec) for name, spec in prompt.inputs.items()}
    header["template"] = {"format": {"kind": "jinja2", "strict": True},
                          "parser": {"kind": "prompty"}}
    body = "\n\n".join(f"{role}:\n{source}" for role, source in sources)
    text = f"---\n{dump_yaml(header)}---\n{body}\n"
    return Exported({f"{ctx.name}.prompty": text.encode("utf-8")})


def _model(model: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if model.get("name"):
        out["id"] = model["name"]
    options = {OPTIONS[k]: v for k, v in model.items() if k in OPTIONS}
    if options:
        out["options"] = options
    return out


def _input(spec: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS.get(str(spec.get("type", "string")), "string")
    out: dict[str, Any] = {"kind": kind}
    if spec.get("description"):
        out["description"] = spec["description"]
    if is_required(spec):
        out["required"] = True
    if "default" in spec:
        out["default"] = spec["default"]
    if "enum" in spec:
        out["enumValues"] = spec["enum"]
    if kind == "array":
        items = spec.get("items") or {}
        out["items"] = {"kind": KINDS.get(str(items.get("type", "string")), "string")}
    if kind == "object":
        out["properties"] = {}
    return out
