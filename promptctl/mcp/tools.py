"""Tools, for agents that call tools rather than surface prompts (Codex among them).

- ``search_prompts``: the prompts relevant to a task, ranked, with short descriptions;
- ``get_prompt``: one prompt's template, inputs schema, version and commit (a version pin
  reads it from Git history);
- ``render_prompt``: the rendered messages for typed inputs.

Every tool declares an input schema and an output schema; results carry ``structuredContent``
(and the same JSON as text, for clients that show text). A failure of the tool itself (no such
prompt, a bad input) is a result with ``isError`` and a message saying what to do, never a
transport error; a prompt the caller may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import mcp_types as types

from promptctl import inputs as inputs_module
from promptctl.errors import InputError, PromptctlError, PromptNotFound, RenderError
from promptctl.mcp import naming
from promptctl.mcp.catalogue import Catalogue

_MESSAGES = {"type": "array", "items": {
    "type": "object", "properties": {"role": {"type": "string",
                                              "enum": ["system", "user", "assistant"]},
                                     "content": {"type": "string"}},
    "required": ["role", "content"]}}
_ID = {"type": "string", "minLength": 1, "maxLength": 300,
       "description": "A prompt id such as engineering/code-review (an alias works too)."}
_VERSION = {"type": "string", "minLength": 1, "maxLength": 100,
            "description": "Optional pin: 1.2.3 exactly, 1 or 1.2 (the highest match), or a "
                           "commit id. Without it, the current version."}

TOOLS: dict[str, dict[str, Any]] = {
    "search_prompts": {
        "title": "Search prompts",
        "description": "Find the team's approved prompts relevant to a task: ranked hits with "
                       "id, title, short description and a snippet. Then get_prompt or "
                       "render_prompt the one that fits.",
        "input": {"type": "object", "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 500,
                      "description": "Words describing the task (titles, tags, descriptions "
                                     "and templates are searched)."},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20,
                     "description": "Only prompts with all of these tags."},
            "collection": {"type": "string", "maxLength": 200,
                           "description": "Only prompts under this collection (e.g. "
                                          "engineering)."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}},
            "required": ["query"], "additionalProperties": False},
        "output": {"type": "object", "properties": {"hits": {"type": "array", "items": {
            "type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "title": {"type": "string"}, "description": {"type": "string"},
                "version": {"type": "string"}, "tags": {"type": "array",
                                                        "items": {"type": "string"}},
                "score": {"type": "number"}, "snippet": {"type": "string"}},
            "required": ["id", "name", "title", "description", "version"]}}},
            "required": ["hits"]},
    },
    "get_prompt": {
        "title": "Get a prompt",
        "description": "One prompt as written: its templates, the JSON Schema of its inputs, "
                       "its version and the commit it comes from.",
        "input": {"type": "object", "properties": {"id": _ID, "version": _VERSION},
                  "required": ["id"], "additionalProperties": False},
        "output": {"type": "object", "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "version": {"type": "string"},
            "commit": {"type": ["string", "null"]}, "status": {"type": "string"},
            "channel": {"type": "string"}, "tags": {"type": "array",
                                                    "items": {"type": "string"}},
            "template": _MESSAGES, "inputs_schema": {"type": "object"}},
            "required": ["id", "version", "template", "inputs_schema"]},
    },
    "render_prompt": {
        "title": "Render a prompt",
        "description": "Render a prompt with inputs (typed values, as in its inputs schema; "
                       "defaults applied): the messages to send, with their roles, and the "
                       "text joined.",
        "input": {"type": "object", "properties": {
            "id": _ID, "version": _VERSION,
            "inputs": {"type": "object", "description": "Input name -> value.",
                       "default": {}}},
            "required": ["id"], "additionalProperties": False},
        "output": {"type": "object", "properties": {
            "id": {"type": "string"}, "version": {"type": "string"},
            "commit": {"type": ["string", "null"]}, "messages": _MESSAGES,
            "text": {"type": "string"}},
            "required": ["id", "version", "messages", "text"]},
    },
}

_validators = {name: jsonschema.Draft202012Validator(tool["input"])
               for name, tool in TOOLS.items()}


def listed() -> list[types.Tool]:
    return [types.Tool(name=name, title=tool["title"], description=tool["description"],
                       input_schema=tool["input"], output_schema=tool["output"],
                       annotations=types.ToolAnnotations(read_only_hint=True,
                                                         idempotent_hint=True,
                                                         open_world_hint=False))
            for name, tool in TOOLS.items()]


def inputs_schema(inputs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A prompt's inputs as one JSON Schema object (``required`` as JSON Schema says it)."""
    return {"type": "object",
            "properties": {name: inputs_module.value_schema(spec)
                           for name, spec in inputs.items()},
            "required": [name for name, spec in inputs.items()
                         if inputs_module.is_required(spec)],
            "additionalProperties": False}


def failed(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)],
                                is_error=True)


def _ok(data: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(data, ensure_ascii=False))],
        structured_content=data)


def call(catalogue: Catalogue, name: str, arguments: Mapping[str, Any] | None
         ) -> types.CallToolResult:
    try:
        return _call(catalogue, name, arguments)
    except PromptctlError as exc:  # the source failed (the read API is down, ...): say why
        return failed(f"{name}: {exc}")


def _call(catalogue: Catalogue, name: str, arguments: Mapping[str, Any] | None
          ) -> types.CallToolResult:
    validator = _validators.get(name)
    if validator is None:
        return failed(f"unknown tool {name!r}; the tools are {', '.join(TOOLS)}")
    given = dict(arguments or {})
    problems = sorted(validator.iter_errors(given), key=lambda e: list(e.absolute_path))
    if problems:
        where = "/".join(map(str, problems[0].absolute_path)) or "arguments"
        return failed(f"{name}: {where}: {problems[0].message}; see the tool's input schema")
    if name == "search_prompts":
        return _search(catalogue, given)
    ref = str(given["id"])
    version = given.get("version")
    try:
        detail = catalogue.get(ref, version)
    except PromptNotFound as exc:
        return failed(f"{exc}; omit version for the current one")
    if detail is None:
        return failed(f"no prompt {ref!r}; search_prompts finds the prompts you can use")
    if name == "get_prompt":
        catalogue.used("get", detail["id"], detail["version"])
        return _ok({"id": detail["id"], "title": detail["title"],
                    "description": detail["description"], "version": detail["version"],
                    "commit": detail.get("commit"), "status": detail["status"],
                    "channel": detail["channel"], "tags": list(detail["tags"]),
                    "template": list(detail["messages"]),
                    "inputs_schema": inputs_schema(detail.get("inputs") or {})})
    values = given.get("inputs") or {}
    try:
        rendered = catalogue.render(str(detail["id"]), values, version)
    except InputError as exc:
        catalogue.used("render", detail["id"], detail["version"], ok=False)
        fields = "; ".join(f"inputs.{k}: {v}" for k, v in sorted(exc.fields.items()))
        return failed(f"render_prompt {detail['id']}: {fields or exc.message}; get_prompt shows "
                      "the inputs schema")
    except PromptNotFound as exc:
        return failed(str(exc))
    except RenderError as exc:
        catalogue.used("render", detail["id"], detail["version"], ok=False)
        return failed(f"render_prompt {detail['id']}: {exc.message}; tell the prompt's owners")
    catalogue.used("render", rendered["id"], rendered["version"])
    return _ok({"id": rendered["id"], "version": rendered["version"],
                "commit": rendered.get("commit"), "messages": rendered["messages"],
                "text": rendered["text"]})


def _search(catalogue: Catalogue, given: Mapping[str, Any]) -> types.CallToolResult:
    hits = catalogue.search(str(given["query"]), tags=list(given.get("tags") or []),
                            collection=given.get("collection"), limit=int(given.get("limit", 10)))
    return _ok({"hits": [{"id": h["id"], "name": naming.prompt_name(h["id"]),
                          "title": h["title"], "description": h["description"],
                          "version": h["version"], "tags": list(h.get("tags") or []),
                          "score": h.get("score", 0.0), "snippet": h.get("snippet", "")}
                         for h in hits]})
