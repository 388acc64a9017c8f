"""Claude Code slash commands: ``<name>.md``, read from ``.claude/commands/``.

Front matter: ``description`` and ``argument-hint``. In the body ``$ARGUMENTS`` is everything
typed after the command and ``$1``, ``$2``, ... the arguments one by one (split at spaces, so a
value with spaces is typed in quotes). A prompt with one input takes it as ``$ARGUMENTS``;
with several, as ``$1``..``$n`` in the order ``inputs`` declares them. Arguments are free
text: no types, no defaults, no logic. A line starting with "!`" runs a shell command in Claude
Code, so a text holding one is not written.
"""

from __future__ import annotations

import re
from typing import Any

from promptctl.formats import Exported
from promptctl.formats.common import (
    Context,
    fence,
    front_matter,
    inputs_section,
    joined_parts,
    placeholders,
    type_problem,
)
from promptctl.formats.template import Text

WHAT = "a Claude Code command"
_MARKERS = re.compile(r"\$ARGUMENTS|\$[0-9]")
_SHELL = re.compile(r"!`")


def header(ctx: Context, names: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"description": ctx.prompt.description}
    if names:
        data["argument-hint"] = " ".join(f"[{name}]" for name in names)
    return data


def argument(names: list[str], name: str) -> str:
    return "$ARGUMENTS" if len(names) == 1 else f"${names.index(name) + 1}"


def export(ctx: Context) -> Exported:
    prompt = ctx.prompt
    parts, why = joined_parts(ctx)
    if parts is not None:
        printed = ctx.printed()
        names = [name for name in prompt.inputs if name in printed]
        why = type_problem(ctx, names, WHAT)
        texts = [p.text for p in parts if isinstance(p, Text)]
        if not why and len(names) > 9:
            why = f"it has {len(names)} inputs; Claude Code numbers arguments $1 to $9"
        if not why and any(_MARKERS.search(t) for t in texts):
            why = "its text contains $ARGUMENTS or $1-style markers, which Claude Code replaces"
        if not why and any(_SHELL.search(t) for t in texts):
            why = "its text contains !`, which Claude Code runs as a shell command"
        if not why:
            body = placeholders(parts, lambda t: t, lambda n, _i: argument(names, n))
            return Exported(_file(ctx, front_matter(header(ctx, names)) + body + "\n"))
    problem = f"not expressible as {WHAT}: {why}"
    if ctx.unfaithful == "skip":
        return Exported({}, problem)
    sources, cannot = ctx.embedded_sources()
    if sources is None:
        return Exported({}, f"cannot be embedded: it uses {cannot}")
    if any(_MARKERS.search(s) or _SHELL.search(s) for _role, s in sources):
        return Exported({}, "cannot be embedded: its template contains $ARGUMENTS, $1-style "
                            "markers or !`, which Claude Code replaces or runs")
    names = list(prompt.inputs)
    blocks = "\n\n".join(f"{role.capitalize()} message:\n\n{fence(source, 'jinja')}"
                         for role, source in sources)
    body = ("The prompt below is a Jinja2 template. Take the input values from the arguments "
            f"({'$ARGUMENTS' if names else 'none'}; given as name=value, or in the order of "
            "the list under the template), ask for a required one that is missing, evaluate the "
            "template exactly as Jinja2 would (an optional input not given takes its default, "
            "or none), then follow the resulting messages in order.\n\n"
            f"{blocks}\n\nInputs:\n\n{inputs_section(prompt) or '(none)'}\n")
    head = {"description": prompt.description}
    if names:
        head["argument-hint"] = " ".join(f"[{name}=...]" for name in names)
    return Exported(_file(ctx, front_matter(head) + body), problem, embedded=True)


def _file(ctx: Context, text: str) -> dict[str, bytes]:
    return {f"{ctx.name}.md": text.encode("utf-8")}
