"""Agent Skills: ``<name>/SKILL.md``, read from ``.agents/skills/``, ``.claude/skills/`` and
``.github/skills/``.

A skill is instructions an agent loads when the task matches its description. A prompt with no
inputs is its text; a plain prompt with inputs lists them (type, default, allowed values) and
asks the agent to put each value where ``{{ name }}`` stands, which an agent does as meant. A
template with logic is not something an agent evaluates reliably: it is skipped, or embedded as
Jinja2 with that instruction (``unfaithful="embed"``).
"""

from __future__ import annotations

import re

from promptctl.formats import Exported
from promptctl.formats.common import (
    MAX_SKILL_DESCRIPTION,
    MAX_SKILL_NAME,
    SKILL_NAME,
    Context,
    fence,
    front_matter,
    inputs_section,
    joined_parts,
    placeholders,
    shorten,
)
from promptctl.formats.template import Text

# What Claude Code, which loads skills like its commands, would replace in a skill's text.
ARGUMENT_MARKERS = re.compile(r"\$ARGUMENTS|\$[0-9]")


def skill_name_problem(name: str) -> str | None:
    if len(name) > MAX_SKILL_NAME:
        return (f"its skill name {name!r} is {len(name)} characters; Agent Skills allow "
                f"{MAX_SKILL_NAME} (shorten the id)")
    if not SKILL_NAME.fullmatch(name):
        return (f"its skill name {name!r} is not lowercase letters, digits and single hyphens, "
                "as Agent Skills require (rename the id)")
    return None


def metadata(ctx: Context) -> dict[str, str]:
    return {"prompt-id": ctx.prompt.id, "prompt-version": ctx.prompt.version}


def export(ctx: Context) -> Exported:
    prompt = ctx.prompt
    bad_name = skill_name_problem(ctx.name)
    if bad_name:
        return Exported({}, f"cannot be a skill: {bad_name}")
    head = front_matter({
        "name": ctx.name,
        "description": shorten(prompt.description, MAX_SKILL_DESCRIPTION),
        "metadata": metadata(ctx),
    })
    parts, why = joined_parts(ctx)
    if parts is not None:
        literal = any(isinstance(p, Text) and "{{" in p.text for p in parts)
        marker = any(isinstance(p, Text) and ARGUMENT_MARKERS.search(p.text) for p in parts)
        if marker:
            why = "its text contains $ARGUMENTS or $1-style markers, which agents replace"
        elif literal and prompt.inputs:
            why = "its text contains a literal {{, which would read as a place to fill"
        else:
            body = placeholders(parts, lambda t: t, lambda name, _n: f"{{{{ {name} }}}}")
            if not prompt.inputs:
                return Exported(_file(ctx, head + f"\n{body}\n"))
            text = (f"# {prompt.title}\n\nInputs (ask the user for a required one the "
                    f"conversation does not give; use the default of one not given):\n\n"
                    f"{inputs_section(prompt)}\n\nPut each input's value where `{{{{ name }}}}` "
                    "stands in the prompt below, then follow the prompt.\n\n"
                    f"{fence(body, 'text')}\n")
            return Exported(_file(ctx, head + "\n" + text))
    problem = f"not expressible as a skill: {why}"
    if ctx.unfaithful == "skip":
        return Exported({}, problem)
    sources, cannot = ctx.embedded_sources()
    if sources is None:
        return Exported({}, f"cannot be embedded: it uses {cannot}")
    if any(ARGUMENT_MARKERS.search(s) for _role, s in sources):
        return Exported({}, "cannot be embedded: its text contains $ARGUMENTS or $1-style "
                            "markers, which agents replace")
    blocks = "\n\n".join(f"{role.capitalize()} message:\n\n{fence(source, 'jinja')}"
                         for role, source in sources)
    listed = inputs_section(prompt) or "- (none)"
    text = (f"# {prompt.title}\n\nInputs (ask the user for a required one the conversation does "
            f"not give; use the default of one not given):\n\n{listed}\n\n"
            "The prompt below is a Jinja2 template. Evaluate it with the input values exactly "
            "as Jinja2 would (conditions, loops, filters; an optional input that is not given "
            "is none), then follow the resulting messages in order as your instructions.\n\n"
            f"{blocks}\n")
    return Exported(_file(ctx, head + "\n" + text), problem, embedded=True)


def _file(ctx: Context, text: str) -> dict[str, bytes]:
    return {f"{ctx.name}/SKILL.md": text.encode("utf-8")}
