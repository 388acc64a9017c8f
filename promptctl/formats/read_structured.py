"""Readers of the structured formats: GitHub Models ``.prompt.yml``, Prompty and Dotprompt (see
``importing`` for what every reader keeps and reports)."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from promptctl.formats import handlebars
from promptctl.formats.common import load_front_matter
from promptctl.formats.importing import (
    INPUT_NAME,
    Draft,
    first_sentence,
    input_name,
    kept,
    literal,
    recorded_id,
    slug,
    split_vars,
    template,
    text_field,
    title_from,
)

_GH_VARIABLE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_GH_PARAMETERS = {"temperature": "temperature", "maxTokens": "max_tokens", "topP": "top_p"}


def read_github_models(path: str, text: str) -> Draft:
    from promptctl import yamlload

    try:
        data = yamlload.load(text).data
    except yamlload.YamlProblem as exc:
        raise ValueError(f"line {exc.line}: {exc.message}") from None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ValueError("line 1: not a GitHub Models prompt file: no `messages` list")
    name = PurePath(path).name.removesuffix(".prompt.yml").removesuffix(".prompt.yaml")
    draft = Draft(slug(name), title_from(text_field(data, "name") or name),
                  text_field(data, "description") or "", [])
    if isinstance(data.get("model"), str):
        draft.model["name"] = data["model"]
    parameters = data.get("modelParameters")
    if isinstance(parameters, dict):
        for theirs, ours in _GH_PARAMETERS.items():
            if isinstance(parameters.get(theirs), int | float):
                draft.model[ours] = parameters[theirs]
        other = [k for k in parameters if k not in _GH_PARAMETERS]
        if other:
            draft.extra["x-github-models"] = {"modelParameters": {k: parameters[k]
                                                                  for k in other}}
            draft.dropped.append(f"modelParameters {', '.join(other)}: no effect in promptctl "
                                 "(kept in x-github-models)")
    rest = [k for k in data if k not in ("name", "description", "model", "modelParameters",
                                         "messages")]
    if rest:
        draft.extra.setdefault("x-github-models", {}).update({k: data[k] for k in rest})
        draft.dropped.append(f"{', '.join(rest)}: no effect in promptctl (kept in "
                             "x-github-models)")
    taken: set[str] = set()
    names: dict[str, str] = {}

    def found(match: re.Match[str]) -> str:
        if match[1] not in names:
            names[match[1]] = input_name(match[1], taken)
            draft.inputs[names[match[1]]] = {"type": "string", "required": True,
                                             "description": f"Value for {match[1]}."}
        return names[match[1]]

    for index, message in enumerate(data["messages"]):
        if not isinstance(message, dict) or message.get("role") not in ("system", "user",
                                                                        "assistant"):
            raise ValueError(f"messages[{index}]: a message needs a role of system, user or "
                             "assistant")
        content = message.get("content")
        if not isinstance(content, str):
            raise ValueError(f"messages[{index}]: the content is not text")
        draft.messages.append((message["role"], template(split_vars(content, _GH_VARIABLE,
                                                                    found))))
    if not draft.description:
        draft.description = first_sentence(draft.messages[-1][1])
    return draft


_PROMPTY_KINDS = {"string": "string", "integer": "integer", "float": "number",
                  "number": "number", "boolean": "boolean", "array": "array", "object": "object"}
_PROMPTY_ROLE = re.compile(r"(?im)^\s*#?\s*(system|user|assistant|developer)\s*:\s*$")


def _front_matter_draft(path: str, text: str
                        ) -> tuple[dict[str, Any], str, dict[str, Any], Draft]:
    """What Prompty and Dotprompt files share: front matter with ``name``, ``description`` and
    ``metadata`` (``title``, and the ``prompt-id`` an export recorded), then the body."""
    data, body, _line = load_front_matter(text)
    name = text_field(data, "name") or PurePath(path).stem
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    title = metadata.get("title") if isinstance(metadata.get("title"), str) else None
    draft = Draft(slug(name), title_from(title or name), text_field(data, "description") or "",
                  [])
    draft.prompt_id = recorded_id(metadata)
    return data, body, metadata, draft


def read_prompty(path: str, text: str) -> Draft:
    data, body, metadata, draft = _front_matter_draft(path, text)
    if isinstance(metadata.get("tags"), list):
        draft.tags = [str(t) for t in metadata["tags"]]
    model = data.get("model")
    if isinstance(model, str):
        draft.model["name"] = model
    elif isinstance(model, dict):
        if isinstance(model.get("id"), str):
            draft.model["name"] = model["id"]
        configuration = model.get("configuration")
        if "name" not in draft.model and isinstance(configuration, dict):
            for key in ("name", "azure_deployment"):  # Prompty 1's model.configuration
                if isinstance(configuration.get(key), str):
                    draft.model["name"] = configuration[key]
                    break
        for key in ("options", "parameters"):  # Prompty 2 and Prompty 1
            options = model.get(key)
            if not isinstance(options, dict):
                continue
            for theirs, ours in (("temperature", "temperature"), ("maxOutputTokens", "max_tokens"),
                                 ("max_tokens", "max_tokens"), ("topP", "top_p"),
                                 ("top_p", "top_p")):
                if isinstance(options.get(theirs), int | float):
                    draft.model[ours] = options[theirs]
    fmt = data.get("template")
    kind = fmt.get("format") if isinstance(fmt, dict) else fmt
    kind = kind.get("kind") if isinstance(kind, dict) else kind
    if kind not in (None, "jinja2"):
        raise ValueError(f"line 1: the template format is {kind!r}; only jinja2 templates are "
                         "imported")
    inputs = data.get("inputs")
    entries = (list(inputs.items()) if isinstance(inputs, dict)
               else [(i.get("name"), i) for i in inputs if isinstance(i, dict)]
               if isinstance(inputs, list) else [])
    for input_key, spec in entries:
        if not isinstance(input_key, str) or not isinstance(spec, dict):
            continue
        kind_of = spec.get("kind", spec.get("type"))  # Prompty 2 says kind, Prompty 1 type
        declared: dict[str, Any] = {"type": _PROMPTY_KINDS.get(str(kind_of), "string")}
        if isinstance(spec.get("description"), str):
            declared["description"] = spec["description"]
        if "default" in spec and spec["default"] is not None:
            declared["default"] = spec["default"]
        elif spec.get("required"):
            declared["required"] = True
        if isinstance(spec.get("enumValues"), list) and spec["enumValues"]:
            declared["enum"] = spec["enumValues"]
        draft.inputs[input_key] = declared
    rest = [k for k in data if k not in ("name", "description", "metadata", "model", "inputs",
                                         "template")]
    kept(draft, "x-prompty", data, rest)
    draft.messages = _split_roles(body)
    _declare_used(draft)
    if not draft.description:
        draft.description = first_sentence(draft.messages[-1][1])
    return draft


def _split_roles(body: str) -> list[tuple[str, str]]:
    """A Prompty body cut at its role lines; text before the first is a system message."""
    messages: list[tuple[str, str]] = []
    role, start = "system", 0
    for match in _PROMPTY_ROLE.finditer(body):
        chunk = body[start:match.start()].strip("\n")
        if chunk.strip():
            messages.append((role, chunk))
        role, start = match[1].lower(), match.end()
    chunk = body[start:].strip("\n")
    if chunk.strip():
        messages.append((role, chunk))
    return [("system" if r == "developer" else r, c) for r, c in messages]


def _declare_used(draft: Draft) -> None:
    """Declare every variable the Jinja2 messages read (Prompty renders missing ones empty; we
    refuse undeclared ones), as an optional text input."""
    import jinja2

    from promptctl.render import referenced_names
    from promptctl.sandbox import make_environment

    env = make_environment({})
    for _role, source in draft.messages:
        try:
            names = referenced_names(env.parse(source), env)
        except jinja2.TemplateSyntaxError as exc:
            raise ValueError(f"template line {exc.lineno}: {exc.message}") from None
        for name in sorted(names - set(draft.inputs)):
            if INPUT_NAME.fullmatch(name):
                draft.inputs[name] = {"type": "string",
                                      "description": f"Value for {name} (not declared in the "
                                                     "source)."}


def read_dotprompt(path: str, text: str) -> Draft:
    data, body, _metadata, draft = _front_matter_draft(path, text)
    if isinstance(data.get("model"), str):
        draft.model["name"] = data["model"]
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    assert isinstance(config, dict)
    for theirs, ours in (("temperature", "temperature"), ("maxOutputTokens", "max_tokens"),
                         ("topP", "top_p")):
        if isinstance(config.get(theirs), int | float):
            draft.model[ours] = config[theirs]
    input_config = data.get("input") if isinstance(data.get("input"), dict) else {}
    assert isinstance(input_config, dict)
    draft.inputs = _schema_inputs(input_config.get("schema"), input_config.get("default"))
    rest = [k for k in data if k not in ("name", "description", "metadata", "model", "config",
                                         "input")]
    kept(draft, "x-dotprompt", data, rest)
    draft.messages = handlebars.to_jinja(body, literal)
    for _role, source in draft.messages:
        for iterated in re.findall(r"\{% for \w+ in (\w+) %\}", source):
            spec = draft.inputs.setdefault(iterated, {"type": "array",
                                                      "description": f"Value for {iterated}."})
            if not spec.get("required") and "default" not in spec:
                spec["default"] = []  # #each of a missing list renders its else, as [] does
    _declare_used(draft)
    if not draft.description:
        draft.description = first_sentence(draft.messages[-1][1])
    return draft


_PICO = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\?)?(?:\((\w+)\))?")


def _schema_inputs(schema: Any, defaults: Any) -> dict[str, dict[str, Any]]:
    """Dotprompt's input schema (JSON Schema, or Picoschema's ``name?(type): type, text``)."""
    defaults = defaults if isinstance(defaults, dict) else {}
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(schema, dict):
        return out
    if "properties" in schema or schema.get("type") == "object":
        required = set(schema.get("required") or [])
        for name, given in (schema.get("properties") or {}).items():
            found = dict(given) if isinstance(given, dict) else {}
            ours = {k: v for k, v in found.items() if k in ("type", "description", "enum",
                                                          "default", "items", "minimum",
                                                          "maximum", "minLength", "maxLength",
                                                          "pattern", "minItems", "maxItems")}
            if name in defaults:
                ours["default"] = defaults[name]
            if name in required and "default" not in ours:
                ours["required"] = True
            out[str(name)] = ours
        return out
    for key, value in schema.items():
        match = _PICO.fullmatch(str(key))
        if not match:
            continue
        name, optional, kind = match[1], match[2], match[3]
        spec: dict[str, Any]
        if kind == "enum" and isinstance(value, list):
            spec = {"type": "string", "enum": value}
        elif kind in ("array", "object"):
            spec = {"type": kind}
        else:
            type_text, _, description = str(value).partition(",")
            base = type_text.strip()
            spec = {"type": base if base in ("string", "integer", "number", "boolean")
                    else "string"}
            if description.strip():
                spec["description"] = description.strip()
        if name in defaults:
            spec["default"] = defaults[name]
        elif not optional:
            spec["required"] = True
        out[name] = spec
    return out
