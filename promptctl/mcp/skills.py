"""Each visible prompt as an Agent Skill (the MCP Skills extension, ``io.modelcontextprotocol/
skills``): one ``SKILL.md`` per prompt at ``skill://<id>/SKILL.md``.

The front matter follows the Agent Skills specification: ``name`` (the URI's last segment, see
``naming``), ``description`` (the prompt's, at most 1,024 characters) and ``metadata`` (string
values: the prompt id, version, status, channel and tags). The body says what the prompt is for,
how to fill each input, the prompt's templates as they are, and how to get it rendered: the
``render_prompt`` tool of this server (which applies defaults, checks every value against its
type and expands shared fragments in the sandbox) or ``promptctl render``. A skill is one file,
so its entry lists exactly one resource, with the SHA-256 digest and size of the very bytes that
``resources/read`` returns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from promptctl.mcp import naming

EXTENSION = "io.modelcontextprotocol/skills"
MIME = "text/markdown"
MAX_DESCRIPTION = 1024


@dataclass(frozen=True)
class Skill:
    prompt_id: str
    uri: str
    frontmatter: dict[str, Any]
    text: str

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")

    def entry(self) -> dict[str, Any]:
        """The extension's ``Skill`` entry: URI, verbatim front matter, and every file."""
        data = self.data
        return {"uri": self.uri, "frontmatter": self.frontmatter, "resources": [
            {"uri": self.uri, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
             "size": len(data)}]}


def skill_for(detail: Mapping[str, Any]) -> Skill:
    """The skill of a prompt's detail (the ``show --json`` shape)."""
    prompt_id = str(detail["id"])
    name = naming.skill_name(prompt_id)
    description = " ".join(str(detail["description"]).split()) or str(detail["title"])
    if len(description) > MAX_DESCRIPTION:
        description = description[: MAX_DESCRIPTION - 3].rstrip() + "..."
    metadata = {"prompt-id": prompt_id, "version": str(detail["version"]),
                "status": str(detail["status"]), "channel": str(detail["channel"])}
    if detail.get("tags"):
        metadata["tags"] = ", ".join(detail["tags"])
    frontmatter: dict[str, Any] = {"name": name, "description": description,
                                   "metadata": metadata}
    head = yaml.safe_dump(frontmatter, sort_keys=False, allow_unicode=True, width=1000)
    text = f"---\n{head}---\n\n{_body(detail)}"
    return Skill(prompt_id, naming.skill_uri(naming.skill_path(prompt_id)), frontmatter, text)


def _body(detail: Mapping[str, Any]) -> str:
    prompt_id = str(detail["id"])
    inputs: Mapping[str, Mapping[str, Any]] = detail.get("inputs") or {}
    lines = [f"# {detail['title']}", "", str(detail["description"]).strip(), ""]
    lines += ["## How to use it", "",
              "Fill in the inputs below, then have the prompt rendered and use the messages "
              "it returns:", "",
              f"- with this server's `render_prompt` tool: `{{\"id\": \"{prompt_id}\", "
              f"\"inputs\": {{...}}}}` (it applies the defaults, checks each value against its "
              f"type and expands shared fragments);",
              f"- or on the command line: `promptctl render {prompt_id} -i NAME=VALUE ...`.", "",
              "The templates below are Jinja2; values are data and are never evaluated. Do not "
              "fill them in by hand when a template includes a shared fragment "
              "(`{% include %}`): only rendering expands it.", ""]
    lines += ["## Inputs", ""]
    if not inputs:
        lines.append("This prompt takes no inputs.")
    for name, spec in inputs.items():
        lines.append(f"- `{name}` ({_type(spec)}; {_need(spec)}): "
                     f"{str(spec.get('description') or 'no description').strip()}")
    lines.append("")
    lines += [f"## Template (version {detail['version']})", ""]
    for message in detail.get("messages") or []:
        content = str(message["content"])
        fence = "```"
        while fence in content:
            fence += "`"
        lines += [f"{message['role']} message:", "", f"{fence}jinja", content.rstrip("\n"),
                  fence, ""]
    return "\n".join(lines)


def _type(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "any")
    text = "|".join(map(str, kind)) if isinstance(kind, list) else str(kind)
    if "enum" in spec:
        text += ", one of " + ", ".join(json.dumps(v) for v in spec["enum"])
    return text


def _need(spec: Mapping[str, Any]) -> str:
    if "default" in spec:
        return f"default {json.dumps(spec['default'], ensure_ascii=False)}"
    return "required" if spec.get("required") else "optional"
