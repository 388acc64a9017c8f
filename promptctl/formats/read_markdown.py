"""Readers of the Markdown formats: Copilot prompt files, Claude Code commands, Agent Skills
and fabric patterns (see ``importing`` for what every reader keeps and reports)."""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any

from promptctl.formats.common import load_front_matter
from promptctl.formats.importing import (
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

_COPILOT_INPUT = re.compile(r"\$\{input:([^}:]+)(?::([^}]*))?\}")


def read_copilot(path: str, text: str) -> Draft:
    data, body, _line = load_front_matter(text)
    name = PurePath(path).name.removesuffix(".prompt.md")
    draft = Draft(slug(name), title_from(text_field(data, "name") or name),
                  text_field(data, "description") or first_sentence(body), [])
    model = data.get("model")
    if isinstance(model, str) and model.strip():
        draft.model = {"name": model}
    tags = data.get("tags")
    if isinstance(tags, list):
        draft.tags = [str(t) for t in tags]
    kept(draft, "x-copilot", data, [k for k in data if k != "description"
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
                  text_field(data, "description") or first_sentence(body), [])
    model = data.get("model")
    if isinstance(model, str) and model.strip():
        draft.model = {"name": model}
    kept(draft, "x-claude", data, [k for k in data if k != "description"
                                    and not (k == "model" and draft.model)])
    hint = text_field(data, "argument-hint")
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
    name = text_field(data, "name") or PurePath(path).parent.name or "skill"
    heading = re.search(r"(?m)^# (.+)$", body)
    draft = Draft(slug(name), title_from(heading[1] if heading else name),
                  text_field(data, "description") or first_sentence(body), [])
    metadata = data.get("metadata")
    ours = {"prompt-id", "prompt-version"}
    if isinstance(metadata, dict):
        draft.prompt_id = recorded_id(metadata)
        if set(metadata) <= ours:
            data = {k: v for k, v in data.items() if k != "metadata"}
    kept(draft, "x-skill", data, [k for k in data if k not in ("name", "description")])
    if draft.prompt_id and _read_our_skill(draft, body):
        return draft
    draft.messages = [("user", literal(body.strip("\n")))]
    return draft


# The layout skills.py writes: inputs as bullets, then the prompt in fences.
_BULLET = re.compile(r"^- `([a-z_][a-z0-9_]*)` \(([^)]*)\)(?:: (.*))?$", re.MULTILINE)
_PLAIN = re.compile(r"Put each input's value where `\{\{ name \}\}` stands in the prompt below, "
                    r"then follow the prompt\.\n\n(`{3,})text\n(.*)\n\1\n?\Z", re.DOTALL)
_EMBEDDED = re.compile(r"(System|User|Assistant) message:\n\n(`{3,})jinja\n(.*?)\n\2(?:\n|\Z)",
                       re.DOTALL)


def _read_our_skill(draft: Draft, body: str) -> bool:
    """A skill promptctl exported: its inputs and templates back, where the layout is ours."""
    plain = _PLAIN.search(body)
    embedded = _EMBEDDED.findall(body) if plain is None else []
    if plain is None and not (embedded and "is a Jinja2 template" in body):
        return False
    marker = "\n\nPut each" if plain else "\n\nThe prompt below is a Jinja2 template"
    for name, facts, description in _BULLET.findall(body.split(marker, 1)[0]):
        spec: dict[str, Any] = {}
        parts = [p.strip() for p in facts.split(";")]
        spec["type"] = parts[0] if parts[0] in ("string", "integer", "number", "boolean",
                                                "array", "object") else "string"
        for part in parts[1:]:
            if part.startswith("one of "):
                spec["enum"] = re.findall(r"`([^`]*)`", part)
            elif part == "required":
                spec["required"] = True
            elif part.startswith("default `") and part.endswith("`"):
                try:
                    spec["default"] = json.loads(part[len("default `"):-1])
                except ValueError:
                    return False
        if description:
            spec["description"] = description
        draft.inputs[name] = spec
    if plain is not None:
        draft.messages = [("user", plain[2])]
    else:
        draft.messages = [(role.lower(), source) for role, _ticks, source in embedded]
    return True
