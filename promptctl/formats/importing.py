"""``import``: files of other formats as prompt files, drafts at 0.1.0 with valid front matter.

Each reader (``read_markdown``, ``read_structured``) returns the pieces of a prompt (title,
description, inputs, model, messages and the source's own fields we have no place for);
``_assemble`` writes the prompt file. Text that was not a template in the source stays text:
``{{``, ``{%`` and ``{#`` are escaped with ``{% raw %}`` so that Jinja2 never evaluates someone
else's braces. Variables of the source (``${input:x}``, ``$ARGUMENTS``, ``{{x}}``) become declared
inputs. Fields of the source that a prompt file has no place for are kept under an
``x-<format>`` key (so export writes them back) and listed in ``Imported.dropped`` as having no
effect in promptctl; what is not kept at all is listed too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from promptctl.formats import Imported, ImportProblem
from promptctl.formats.common import dump_yaml, shorten

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
INPUT_NAME = re.compile(r"[a-z_][a-z0-9_]*")
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
    reader = _readers()[fmt]
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
    if not INPUT_NAME.fullmatch(base):
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


def text_field(data: dict[str, Any], key: str) -> str | None:
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


def kept(draft: Draft, key: str, data: dict[str, Any], names: list[str]) -> None:
    """Source fields with no place in a prompt file, kept under ``key`` for export back."""
    if not names:
        return
    draft.extra[key] = {name: data[name] for name in names}
    draft.dropped.append(f"{', '.join(names)}: no effect in promptctl (kept in {key})")


def recorded_id(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("prompt-id")
    if isinstance(value, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)+",
                                               value):
        return value
    return None


def _readers() -> dict[str, Callable[[str, str], Draft]]:
    from promptctl.formats import read_markdown, read_structured

    return {
        "copilot": read_markdown.read_copilot,
        "fabric": read_markdown.read_fabric,
        "claude-commands": read_markdown.read_claude,
        "skills": read_markdown.read_skill,
        "github-models": read_structured.read_github_models,
        "prompty": read_structured.read_prompty,
        "dotprompt": read_structured.read_dotprompt,
    }
