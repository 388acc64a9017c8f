"""What the converters share: the prompt's templates analysed once, names, YAML, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from promptctl.formats.template import Analysis, Text, Var, analyse, inline_includes
from promptctl.inputs import is_required
from promptctl.model import Prompt, Template

Unfaithful = Literal["skip", "embed"]

# Agent Skills: 1-64 characters of a-z, 0-9 and single hyphens, not at either end.
SKILL_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SKILL_NAME = 64
MAX_SKILL_DESCRIPTION = 1024


def flat_name(prompt_id: str) -> str:
    """``engineering/code-review`` -> ``engineering-code-review``: the file or skill name."""
    return prompt_id.replace("/", "-")


@dataclass
class Context:
    """One prompt on its way to one format."""

    prompt: Prompt
    fmt: str
    partials: Mapping[str, str] | None
    unfaithful: Unfaithful
    analyses: list[tuple[Template, Analysis]] = field(default_factory=list)

    @classmethod
    def build(cls, prompt: Prompt, fmt: str, partials: Mapping[str, str] | None,
              unfaithful: Unfaithful) -> Context:
        ctx = cls(prompt, fmt, partials, unfaithful)
        ctx.analyses = [(t, analyse(t.source, partials)) for t in prompt.templates]
        return ctx

    @property
    def name(self) -> str:
        return flat_name(self.prompt.id)

    def logic_reasons(self) -> list[str]:
        """What the templates use beyond text and ``{{ name }}`` (empty when nothing)."""
        reasons: list[str] = []
        for _template, analysis in self.analyses:
            for reason in analysis.features:
                if reason not in reasons:
                    reasons.append(reason)
        return reasons

    def printed(self) -> list[str]:
        """Inputs printed by the templates, in the order they first appear."""
        seen: list[str] = []
        for _template, analysis in self.analyses:
            for node in analysis.nodes or ():
                if isinstance(node, Var) and not node.item and node.name not in seen:
                    seen.append(node.name)
        return seen

    def embedded_sources(self) -> tuple[list[tuple[str, str]] | None, str]:
        """(role, Jinja2 source with includes inlined) per message, or (None, why)."""
        out: list[tuple[str, str]] = []
        for template in self.prompt.templates:
            source, why = inline_includes(template.source, self.partials)
            if source is None:
                return None, why
            out.append((template.role, source))
        return out, ""


def joined_parts(ctx: Context) -> tuple[list[Text | Var] | None, str]:
    """The messages of a plain prompt as one run of parts, joined as ``Rendered.text`` joins
    them (a blank line between messages, each stripped); (None, why) otherwise."""
    reasons = ctx.logic_reasons()
    if reasons:
        return None, "it uses " + ", ".join(reasons[:3])
    if any(t.role == "assistant" for t in ctx.prompt.templates):
        return None, "it has an assistant message (an example answer), which a single prompt " \
                     "text cannot hold"
    parts: list[Text | Var] = []
    for index, (_template, analysis) in enumerate(ctx.analyses):
        nodes = [n for n in analysis.nodes or () if isinstance(n, Text | Var)]
        if nodes and isinstance(nodes[0], Text):
            # Blank lines go; the first line's indent stays, as the prompt file has it.
            nodes[0] = Text(re.sub(r"\A\s*\n", "", nodes[0].text))
        if nodes and isinstance(nodes[-1], Text):
            nodes[-1] = Text(nodes[-1].text.rstrip())
        if index:
            parts.append(Text("\n\n"))
        parts.extend(n for n in nodes if not isinstance(n, Text) or n.text)
    return parts, ""


def type_problem(ctx: Context, names: list[str], what: str, *, defaults: bool = True) -> str:
    """Why the inputs ``names`` cannot be typed in as free text in ``what`` ("" if they can):
    a boolean, list or object prints as Python prints it, and a default would not apply."""
    for name in names:
        spec = ctx.prompt.inputs.get(name, {})
        kind = spec.get("type", "string")
        if kind in ("boolean", "array", "object"):
            return (f"input `{name}` is {'an' if kind in ('array', 'object') else 'a'} {kind}, "
                    f"which {what} can only ask for as text")
        if defaults and "default" in spec:
            return (f"input `{name}` has a default ({json.dumps(spec['default'])}), and {what} "
                    "has no defaults: an empty answer would not mean the default")
    return ""


def describe_input(name: str, spec: Mapping[str, Any]) -> str:
    """One Markdown bullet: ``- `name` (string, required): what to pass``."""
    facts = [str(spec.get("type", "string"))]
    if "enum" in spec:
        facts.append("one of " + ", ".join(f"`{json.dumps(v)}`" if not isinstance(v, str)
                                          else f"`{v}`" for v in spec["enum"]))
    if is_required(spec):
        facts.append("required")
    elif "default" in spec:
        facts.append(f"default `{json.dumps(spec['default'], ensure_ascii=False)}`")
    else:
        facts.append("optional")
    text = f"- `{name}` ({'; '.join(facts)})"
    description = str(spec.get("description", "")).strip()
    return f"{text}: {description}" if description else text


def inputs_section(prompt: Prompt) -> str:
    lines = [describe_input(name, spec) for name, spec in prompt.inputs.items()]
    return "\n".join(lines)


def fence(text: str, info: str = "") -> str:
    """``text`` in a Markdown code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, ending in "..."."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0]
    return cut + "..."


# --- YAML ------------------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style for multi-line strings, so templates read as they are written; no anchors
    (a value used twice is written twice: our loader and Dotprompt's refuse anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def front_matter(data: Mapping[str, Any]) -> str:
    return f"---\n{dump_yaml(data)}---\n"


def load_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """(front matter, body, line of the body) of a Markdown file; no front matter -> ({}, text).

    Raises ``ValueError`` with a located message where the YAML is malformed."""
    from promptctl import yamlload

    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return {}, text, 1
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r\n").rstrip() == "---"),
               None)
    if end is None:
        raise ValueError("line 1: front matter opened by '---' is never closed")
    try:
        document = yamlload.load("".join(lines[1:end]), first_line=2)
    except yamlload.YamlProblem as exc:
        raise ValueError(f"line {exc.line}: {exc.message}") from None
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        raise ValueError("line 2: the front matter is not a mapping of fields")
    return data, "".join(lines[end + 1 :]), end + 2


def placeholders(parts: list[Text | Var], text: Callable[[str], str],
                 var: Callable[[str, int], str]) -> str:
    """Parts written out: texts through ``text``, each variable through ``var(name, n)`` where n
    counts that variable's earlier occurrences."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for part in parts:
        if isinstance(part, Text):
            out.append(text(part.text))
        else:
            out.append(var(part.name, seen.get(part.name, 0)))
            seen[part.name] = seen.get(part.name, 0) + 1
    return "".join(out)
