"""``prompts/list``, ``prompts/get`` and ``completion/complete`` over a catalogue.

A prompt's MCP arguments are its ``inputs``: MCP arguments are strings, so each is converted by
its input's declared type exactly as ``promptctl render -i NAME=VALUE`` does (``inputs.convert``;
``@FILE`` is not read: a value is data), then validated with defaults applied
(``inputs.resolve``) and rendered in the sandbox. A bad value is a protocol error
(``-32602``) naming the argument and what to send instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from promptctl import inputs as inputs_module
from promptctl.errors import InputError, PromptNotFound, RenderError
from promptctl.mcp import naming
from promptctl.mcp.catalogue import Catalogue

PAGE = 100  # prompts per prompts/list page
MAX_COMPLETIONS = 100  # the protocol's limit per answer

INVALID_PARAMS = types.INVALID_PARAMS


def unknown_prompt(name: str) -> MCPError:
    """The one answer for a prompt that does not exist and one the caller may not see."""
    return MCPError(code=INVALID_PARAMS,
                    message=f"unknown prompt {name!r}; prompts/list names the prompts you can use")


def listed(detail: Mapping[str, Any]) -> types.Prompt:
    return types.Prompt(name=naming.prompt_name(str(detail["id"])), title=str(detail["title"]),
                        description=str(detail["description"]),
                        arguments=arguments(detail.get("inputs") or {}))


def arguments(inputs: Mapping[str, Mapping[str, Any]]) -> list[types.PromptArgument]:
    return [types.PromptArgument(name=name, description=_argument_text(spec),
                                 required=inputs_module.is_required(spec))
            for name, spec in inputs.items()]


def _argument_text(spec: Mapping[str, Any]) -> str:
    text = str(spec.get("description") or "").strip()
    hints = []
    kind = inputs_module.type_text(spec)
    if kind == "boolean":
        hints.append("true or false")
    elif kind in ("array", "object"):
        hints.append(f"a JSON {kind}" + (", or comma-separated words" if kind == "array" else ""))
    elif kind not in ("string", "any"):
        hints.append(f"a {kind}")
    if "enum" in spec:
        hints.append("one of " + ", ".join(inputs_module.display_value(v) for v in spec["enum"]))
    if "default" in spec:
        hints.append(f"default {inputs_module.display_value(spec['default'])}")
    return f"{text} ({'; '.join(hints)})".strip() if hints else text


def coerce(detail: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """String arguments as typed values, by each input's declared type (``-i``'s conversion).
    Unknown names are passed on for ``inputs.resolve`` to name."""
    declared: Mapping[str, Mapping[str, Any]] = detail.get("inputs") or {}
    values: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for name, raw in given.items():
        spec = declared.get(name)
        if spec is None:
            values[name] = raw
            continue
        try:
            values[name] = inputs_module.convert(str(raw), spec)
        except ValueError as exc:
            fields[name] = str(exc)
    if fields:
        raise InputError("invalid arguments for " + str(detail["id"]) + ": " + "; ".join(
            f"{name}: {why}" for name, why in sorted(fields.items())), fields)
    return values


def argument_error(prompt_name: str, exc: InputError) -> MCPError:
    detail = "; ".join(f"argument {name!r}: {why}" for name, why in sorted(exc.fields.items()))
    return MCPError(code=INVALID_PARAMS,
                    message=f"{prompt_name}: {detail or exc.message}; fix the argument and call "
                            "prompts/get again (prompts/list describes each argument)",
                    data={"fields": exc.fields})


def get(catalogue: Catalogue, name: str, given: Mapping[str, str]) -> types.GetPromptResult:
    """Render prompt ``name`` (an MCP name, an id or an alias) with string arguments."""
    ref = naming.prompt_id(name)
    detail = catalogue.get(ref)
    if detail is None:
        raise unknown_prompt(name)
    prompt_id = str(detail["id"])
    try:
        values = coerce(detail, given)
        rendered = catalogue.render(prompt_id, values)
    except InputError as exc:
        catalogue.used("render", prompt_id, str(detail["version"]), ok=False)
        raise argument_error(name, exc) from None
    except PromptNotFound:
        raise unknown_prompt(name) from None
    except RenderError as exc:
        catalogue.used("render", prompt_id, str(detail["version"]), ok=False)
        raise MCPError(code=types.INTERNAL_ERROR,
                       message=f"{name}: {exc.message}; tell the prompt's owners") from None
    catalogue.used("render", prompt_id, str(rendered["version"]))
    return types.GetPromptResult.model_validate({
        "description": str(detail["description"]),
        "messages": [_message(m["role"], m["content"]) for m in rendered["messages"]],
        "_meta": {"io.promptctl/prompt": {"id": prompt_id, "version": rendered["version"],
                                      "commit": rendered.get("commit")}}})


def _message(role: str, content: str) -> types.PromptMessage:
    """MCP prompt messages are ``user`` or ``assistant``: a system message is sent as the first
    user message, as clients that take prompts do with instructions."""
    return types.PromptMessage(role="assistant" if role == "assistant" else "user",
                               content=types.TextContent(type="text", text=content))


def complete(catalogue: Catalogue, ref: types.PromptReference | types.ResourceTemplateReference,
             argument: str, value: str) -> types.Completion:
    """Enum (and boolean) values of a prompt's argument, or ids for the ``prompt://`` template;
    by prefix. A prompt the caller may not see completes nothing, like an unknown one."""
    if isinstance(ref, types.ResourceTemplateReference):
        if ref.uri != PROMPT_TEMPLATE or argument != "id":
            return types.Completion(values=[])
        ids = catalogue.ids(value, MAX_COMPLETIONS + 1)
        return types.Completion(values=ids[:MAX_COMPLETIONS], has_more=len(ids) > MAX_COMPLETIONS)
    detail = catalogue.get(naming.prompt_id(ref.name))
    spec = (detail or {}).get("inputs", {}).get(argument)
    if not spec:
        return types.Completion(values=[])
    options = spec.get("enum")
    if options is None and spec.get("type") == "boolean":
        options = [True, False]
    if options is None:
        items = spec.get("items")
        options = items.get("enum") if isinstance(items, Mapping) else None
    words = [_word(v) for v in options or []]
    found = [w for w in words if w.startswith(value)]
    return types.Completion(values=found[:MAX_COMPLETIONS], total=len(found),
                            has_more=len(found) > MAX_COMPLETIONS)


def _word(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


PROMPT_TEMPLATE = "prompt://{+id}"
