"""``import``: files of other formats as prompt files, drafts at 0.1.0 with valid front matter.

Each reader returns the pieces of a prompt (title, description, inputs, model, messages and the
source's own fields we have no place for); ``_assemble`` writes the prompt file. Text that was
not a template in the source stays text: ``{{``, ``{%`` and ``{#`` are escaped with
``{% raw %}`` so that Jinja2 never evaluates someone else's braces. Variables of the source
(``${input:x}``, ``$ARGUMENTS``, ``{{x}}``) become declared inputs. Fields of the source that a
prompt file has no place for are kept under an ``x-<format>`` key (so export writes them back)
and listed in ``Imported.dropped`` as having no effect in promptctl; what is not kept at all is
listed too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from promptctl.formats import Imported, ImportProblem
from promptctl.formats.common import dump_yaml, load_front_matter, shorten

PATTERNS: dict[str, tuple[str, ...]] = {
    "skills": ("SKILL.md",),
    "claude-commands": (".md",),
    "copilot": (".prompt.md",),
    "github-models": (".prompt.yml", ".prompt.yaml"),
    "prompty": (".prompty",),
    "dotprompt": (".prompt",),
    "fabric": ("system.md",),
}
MAX_TITLE = 120
MAX_DESCRIPTION = 2000
_INPUT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_OPENERS = re.compile(r"\{[{%#]")


@dataclass
class Draft:
    """What a reader found; ``_assemble`` turns it into a prompt file."""

    name: str  # the id's last segment
    title: str
    description: str
    messages: list[tuple[str, str]]  # (role, Jinja2 template)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # x-* fields
    prompt_id: str | None = None  # an id the file records
    dropped: list[str] = field(default_factory=list)


def import_file(path: str, data: bytes, fmt: str, *, collection: str,
                owners: list[str]) -> Imported:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"not UTF-8 text (byte {exc.start}); save it as UTF-8",
                            path=path) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader: Callable[[str, str], Draft] = _READERS[fmt]
    try:
        draft = reader(path, text)
    except ValueError as exc:
        raise ImportProblem(str(exc), path=path) from None
    if not any(source.strip() for _role, source in draft.messages):
        raise ImportProblem("no prompt text to import (the file has no body); nothing to do",
                            path=path)
    return _assemble(draft, fmt, path, collection, owners)


# --- shared pieces ---------------------------------------------------------------------------


def slug(text: str) -> str:
    """A file or folder name as an id segment: ``Create AGENTS.md`` -> ``create-agents-md``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out or "prompt"


def input_name(name: str, taken: set[str]) -> str:
    """A source's variable name as an input name (``ProblemSummary`` -> ``problem_summary``),
    made unique among ``taken``."""
    base = slug(name).replace("-", "_")
    if not _INPUT_NAME.fullmatch(base):
        base = f"v_{base}"
    base = base[:60]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def title_from(name: str) -> str:
    words = re.sub(r"[-_]+", " ", name).strip()
    return shorten(words[:1].upper() + words[1:], MAX_TITLE) if words else "Imported prompt"


def first_sentence(text: str) -> str:
    """The first line of prose in a Markdown text (headings, fences and front matter skipped)."""
    for line in text.splitlines():
        stripped = line.strip().lstrip(">").strip()
        if not stripped or stripped.startswith(("#", "```", "---", "<!--", "|")):
            continue
        return shorten(stripped.lstrip("-*").strip(), 300)
    return ""


def literal(text: str) -> str:
    """``text`` as a Jinja2 template that prints it as it is: where it holds ``{{``, ``{%`` or
    ``{#`` (or ends in ``{``, which would join the next ``{{``), inside a raw block."""
    if not _OPENERS.search(text) and not text.endswith("{"):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    # A raw block cannot hold "endraw"; print each opening brace as a string instead.
    return re.sub(r"\{(?=[{%#])|\{$", '{{ "{" }}', text)


def template(pieces: list[str | tuple[str]]) -> str:
    """Text pieces (escaped) and variables (1-tuples) as one Jinja2 template."""
    out: list[str] = []
    for piece in pieces:
        out.append(f"{{{{ {piece[0]} }}}}" if isinstance(piece, tuple) else literal(piece))
    return "".join(out)


def split_vars(text: str, pattern: re.Pattern[str],
               name_of: Callable[[re.Match[str]], str]) -> list[str | tuple[str]]:
    """``text`` cut at each match of ``pattern``, the matches as 1-tuples of ``name_of(m)``."""
    pieces: list[str | tuple[str]] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            pieces.append(text[position:match.start()])
        pieces.append((name_of(match),))
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    return pieces


def _text_field(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _assemble(draft: Draft, fmt: str, path: str, collection: str, owners: list[str]) -> Imported:
    prompt_id = draft.prompt_id or f"{collection}/{draft.name}"
    title = draft.title
    if len(title) > MAX_TITLE:
        title = shorten(title, MAX_TITLE)
        draft.dropped.append(f"the end of the title (cut to {MAX_TITLE} characters)")
    description = " ".join(draft.description.split()) or f"Imported from {PurePath(path).name}."
    if len(description) > MAX_DESCRIPTION:
        description = shorten(description, MAX_DESCRIPTION)
        draft.dropped.append(f"the end of the description (cut to {MAX_DESCRIPTION} characters)")
    front: dict[str, Any] = {
        "title": title,
        "description": description,
        "version": "0.1.0",
        "status": "draft",
        "owners": list(owners),
    }
    tags = [t for t in dict.fromkeys(draft.tags) if re.fullmatch(r"[a-z0-9][a-z0-9-]*", t)
            and len(t) <= 40]
    if tags:
        front["tags"] = tags
    if draft.model:
        front["model"] = draft.model
    if draft.inputs:
        front["inputs"] = draft.inputs
    front.update(draft.extra)
    front["x-imported-from"] = {"format": fmt, "file": PurePath(path).name}
    roles = [role for role, _source in draft.messages]
    if roles in (["user"], ["system", "user"]):
        if len(roles) == 2:
            front["system"] = draft.messages[0][1]
        body = draft.messages[-1][1].strip("\n")
        text = f"---\n{dump_yaml(front)}---\n{body}\n"
        return Imported(prompt_id, text, ".prompt.md", tuple(draft.dropped))
    front["messages"] = [{"role": role, "content": source} for role, source in draft.messages]
    return Imported(prompt_id, dump_yaml(front), ".prompt.yaml", tuple(draft.dropped))


def _kept(draft: Draft, key: str, data: dict[str, Any], names: list[str]) -> None:
    """Source fields with no place in a prompt file, kept under ``key`` for export back."""
    if not names:
        return
    draft.extra[key] = {name: data[name] for name in names}
    draft.dropped.append(f"{', '.join(names)}: no effect in promptctl (kept in {key})")


# --- readers ---------------------------------------------------------------------------------

_COPILOT_INPUT = re.compile(r"\$\{input:([^}:]+)(?::([^}]*))?\}")


def read_copilot(path: str, text: str) -> Draft:
    data, body, _line = load_front_matter(text)
    name = PurePath(path).name.removesuffix(".prompt.md")
    draft = Draft(slug(name), title_from(_text_field(data, "name") or name),
                  _text_field(data, "description") or first_sentence(body), [])
    model = data.get("model")
    if isinstance(model, str) and model.strip():
        draft.model = {"name": model}
    tags = data.get("tags")
    if isinstance(tags, list):
        draft.tags = [str(t) for t in tags]
    _kept(draft, "x-copilot", data, [k for k in data if k != "description"
                                     and not (k == "model" and draft.model)])
    names: dict[str, str] = {}
    hints: dict[str, list[str | None]] = {}
    taken: set[str] = set()

    def found(match: re.Match[str]) -> str:
        original = match[1]
        if original not in names:
            names[original] = input_name(original, taken)
        hints.setdefault(original, []).append(match[2])
        return names[original]

    pieces = split_vars(body, _COPILOT_INPUT, found)
    for original, ours in names.items():
        seen = hints[original]
        spec: dict[str, Any] = {
            "type": "string",
            "description": next((h for h in seen if h), None) or f"Value for {original}.",
            "required": True,
            "x-copilot-name": original,
        }
        if len(set(seen)) > 1:
            spec["x-copilot-placeholders"] = seen
        elif seen[0] is not None:
            spec["x-copilot-placeholder"] = seen[0]
        draft.inputs[ours] = spec
    draft.messages = [("user", template(pieces))]
    return draft


def read_fabric(path: str, text: str) -> Draft:
    pattern = PurePath(path).parent.name or PurePath(path).stem
    draft = Draft(slug(pattern), title_from(pattern), first_sentence(text), [])
    draft.extra["x-fabric"] = {"pattern": pattern}
    draft.inputs["input"] = {
        "type": "string",
        "description": "The text to run the pattern on (what fabric reads from standard input).",
        "required": True,
    }
    draft.messages = [("system", literal(text.strip("\n"))), ("user", "{{ input }}")]
    return draft


_CLAUDE_ARGUMENT = re.compile(r"\$(ARGUMENTS|[1-9])")


def read_claude(path: str, text: str) -> Draft:
    data, body = _claude_front_matter(text)
    name = PurePath(path).stem
    draft = Draft(slug(name), title_from(name),
                  _text_field(data, "description") or first_sentence(body), [])
    model = data.get("model")
    if isinstance(model, str) and model.strip():
        draft.model = {"name": model}
    _kept(draft, "x-claude", data, [k for k in data if k != "description"
                                    and not (k == "model" and draft.model)])
    hint = _text_field(data, "argument-hint")
    pieces = split_vars(body, _CLAUDE_ARGUMENT,
                        lambda m: "arguments" if m[1] == "ARGUMENTS" else f"arg{m[1]}")
    for piece in pieces:
        if isinstance(piece, tuple) and piece[0] not in draft.inputs:
            what = ("Everything typed after the command" if piece[0] == "arguments"
                    else f"Argument {piece[0][3:]} of the command")
            draft.inputs[piece[0]] = {"type": "string",
                                      "description": f"{what}" + (f" ({hint})." if hint else "."),
                                      "required": True}
    if re.search(r"(?m)^!`|\s!`", body):
        draft.dropped.append("shell commands (!`...`): kept as text, which promptctl does not run")
    draft.messages = [("user", template(pieces))]
    return draft


def _claude_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Claude Code reads ``argument-hint: [issue] [priority]``, which is not YAML (a list, then
    more): where the YAML fails, or gives the hint as a list, the field lines are read as text."""
    try:
        data, body, _line = load_front_matter(text)
    except ValueError:
        data = None
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if lines[0].strip() != "---" or end is None:
        if data is None:
            raise ValueError("line 1: front matter opened by '---' is never closed")
        return data, body
    raw = {m[1]: m[2].strip() for line in lines[1:end]
           if (m := re.fullmatch(r"([A-Za-z][A-Za-z0-9_-]*):\s*(.*)", line))}
    if data is None:
        data = {key: value for key, value in raw.items() if value}
        body = "\n".join(lines[end + 1:])
    elif not isinstance(data.get("argument-hint", ""), str):
        data["argument-hint"] = raw.get("argument-hint", "")
    return data, body


def read_skill(path: str, text: str) -> Draft:
    data, body, _line = load_front_matter(text)
    name = _text_field(data, "name") or PurePath(path).parent.name or "skill"
    heading = re.search(r"(?m)^# (.+)$", body)
    draft = Draft(slug(name), title_from(heading[1] if heading else name),
                  _text_field(data, "description") or first_sentence(body), [])
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        draft.prompt_id = _recorded_id(metadata)
    _kept(draft, "x-skill", data, [k for k in data if k not in ("name", "description")])
    draft.messages = [("user", literal(body.strip("\n")))]
    return draft


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
    draft = Draft(slug(name), title_from(_text_field(data, "name") or name),
                  _text_field(data, "description") or "", [])
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


def read_prompty(path: str, text: str) -> Draft:
    data, body, _line = load_front_matter(text)
    name = _text_field(data, "name") or PurePath(path).stem
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    title = metadata.get("title") if isinstance(metadata.get("title"), str) else None
    draft = Draft(slug(name), title_from(title or name), _text_field(data, "description") or "",
                  [])
    draft.prompt_id = _recorded_id(metadata)
    if isinstance(metadata.get("tags"), list):
        draft.tags = [str(t) for t in metadata["tags"]]
    model = data.get("model")
    if isinstance(model, str):
        draft.model["name"] = model
    elif isinstance(model, dict):
        if isinstance(model.get("id"), str):
            draft.model["name"] = model["id"]
        options = model.get("options") if isinstance(model.get("options"), dict) else {}
        assert isinstance(options, dict)
        for theirs, ours in (("temperature", "temperature"), ("maxOutputTokens", "max_tokens"),
                             ("topP", "top_p")):
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
        declared: dict[str, Any] = {"type": _PROMPTY_KINDS.get(str(spec.get("kind")),
                                                               "string")}
        if isinstance(spec.get("description"), str):
            declared["description"] = spec["description"]
        if "default" in spec and spec["default"] is not None:
            declared["default"] = spec["default"]
        elif spec.get("required"):
            declared["required"] = True
        if isinstance(spec.get("enumValues"), list) and spec["enumValues"]:
            declared["enum"] = spec["enumValues"]
        draft.inputs[input_key] = declared
    kept = [k for k in data if k not in ("name", "description", "metadata", "model", "inputs",
                                         "template")]
    _kept(draft, "x-prompty", data, kept)
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
            if _INPUT_NAME.fullmatch(name):
                draft.inputs[name] = {"type": "string",
                                      "description": f"Value for {name} (not declared in the "
                                                     "source)."}


_HANDLEBARS = re.compile(r"(\\?)\{\{(\{?)\s*([^{}]*?)\s*\}?\}\}")


def read_dotprompt(path: str, text: str) -> Draft:
    data, body, _line = load_front_matter(text)
    name = _text_field(data, "name") or PurePath(path).stem
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    title = metadata.get("title") if isinstance(metadata.get("title"), str) else None
    draft = Draft(slug(name), title_from(title or name), _text_field(data, "description") or "",
                  [])
    draft.prompt_id = _recorded_id(metadata)
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
    kept = [k for k in data if k not in ("name", "description", "metadata", "model", "config",
                                         "input")]
    _kept(draft, "x-dotprompt", data, kept)
    draft.messages = _handlebars_messages(body)
    for _role, source in draft.messages:
        for used in re.findall(r"\{\{ ([a-z_][a-z0-9_]*) \}\}", source):
            draft.inputs.setdefault(used, {"type": "string",
                                           "description": f"Value for {used}."})
    if not draft.description:
        draft.description = first_sentence(draft.messages[-1][1])
    return draft


def _handlebars_messages(body: str) -> list[tuple[str, str]]:
    """Text, ``{{name}}``, ``{{role "x"}}``, comments and ``\\{{`` only: a block helper
    (``{{#if}}``, ``{{#each}}``) is refused, naming it, rather than imported as text."""
    messages: list[tuple[str, str]] = []
    role = "user"
    pieces: list[str | tuple[str]] = []
    position = 0

    def flush() -> None:
        source = template(pieces).strip("\n")
        if source.strip():
            messages.append((role, source))

    for match in _HANDLEBARS.finditer(body):
        text = body[position:match.start()]
        position = match.end()
        if match[1]:  # \{{ ... }}: literal
            pieces.append(text + match[0][1:])
            continue
        pieces.append(text)
        inner = match[3]
        line = body.count("\n", 0, match.start()) + 1
        if inner.startswith("!"):
            continue
        role_tag = re.fullmatch(r"role\s+[\"'](system|user|model|assistant)[\"']", inner)
        if role_tag:
            flush()
            pieces = []
            role = "assistant" if role_tag[1] == "model" else role_tag[1]
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", inner):
            pieces.append((inner if _INPUT_NAME.fullmatch(inner) else slug(inner).replace(
                "-", "_"),))
            continue
        raise ValueError(f"body line {line}: {{{{{inner}}}}} is Handlebars logic or a helper; "
                         "only text, {{name}} and {{role}} are imported (rewrite it as Jinja2 "
                         "by hand)")
    pieces.append(body[position:])
    flush()
    return messages


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


def _recorded_id(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("prompt-id")
    if isinstance(value, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+",
                                               value):
        return value
    return None


_READERS: dict[str, Callable[[str, str], Draft]] = {
    "copilot": read_copilot,
    "fabric": read_fabric,
    "claude-commands": read_claude,
    "skills": read_skill,
    "github-models": read_github_models,
    "prompty": read_prompty,
    "dotprompt": read_dotprompt,
}
