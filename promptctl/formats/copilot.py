"""VS Code / Copilot prompt files: ``<name>.prompt.md``, read from ``.github/prompts/``.

Front matter: ``description``, ``name``, ``argument-hint``, ``agent`` (formerly ``mode``),
``model``, ``tools``. The body is the prompt; ``${input:name}`` or ``${input:name:placeholder}``
asks the user for a value when the prompt runs, and ``${selection}``, ``${file}``,
``${workspaceFolder}`` and the like are filled by VS Code. Values are free text: no types, no
defaults, no logic.

What an import kept that Copilot has and we do not (``agent``, ``tools``, ``name``, ...) rides
in the ``x-copilot`` field and is written back here as it was; an input's original VS Code name
and placeholder ride in its ``x-copilot-name`` / ``x-copilot-placeholder`` (or, where its
occurrences differ, ``x-copilot-placeholders``, one per occurrence).
"""

from __future__ import annotations

from typing import Any

from promptctl.formats import Exported
from promptctl.formats.common import (
    Context,
    fence,
    front_matter,
    joined_parts,
    placeholders,
    type_problem,
)

WHAT = "a Copilot prompt file"


def header(ctx: Context) -> dict[str, Any]:
    prompt = ctx.prompt
    data: dict[str, Any] = {"description": prompt.description}
    extra = prompt.meta.get("x-copilot")
    if isinstance(extra, dict):
        data.update(extra)
    if "model" not in data and prompt.model.get("name"):
        data["model"] = prompt.model["name"]
    return data


def token(ctx: Context, name: str, occurrence: int) -> str:
    spec = ctx.prompt.inputs.get(name, {})
    shown = str(spec.get("x-copilot-name", name))
    many = spec.get("x-copilot-placeholders")
    if isinstance(many, list) and occurrence < len(many):
        hint = many[occurrence]
    else:
        hint = spec.get("x-copilot-placeholder")
    if hint is None and "x-copilot-name" not in spec:
        hint = _hint(spec)
    return f"${{input:{shown}:{hint}}}" if hint else f"${{input:{shown}}}"


def _hint(spec: dict[str, Any]) -> str | None:
    """A placeholder from the input's description, where it fits one line of a text box."""
    text = " ".join(str(spec.get("description", "")).split())
    if "enum" in spec:
        text = (text.rstrip(".") + ": " if text else "") + " | ".join(map(str, spec["enum"]))
    if not text or "}" in text or len(text) > 120:
        return None
    return text


def export(ctx: Context) -> Exported:
    prompt = ctx.prompt
    parts, why = joined_parts(ctx)
    if parts is not None:
        why = type_problem(ctx, ctx.printed(), WHAT)
        if not why:
            body = placeholders(parts, lambda t: t, lambda n, i: token(ctx, n, i))
            return Exported(_file(ctx, front_matter(header(ctx)) + body + "\n"))
    else:
        why = why.removeprefix("it ")
        why = f"it {why}"
    problem = f"not expressible as {WHAT}: {why}"
    if ctx.unfaithful == "skip":
        return Exported({}, problem)
    sources, cannot = ctx.embedded_sources()
    if sources is None:
        return Exported({}, f"cannot be embedded: it uses {cannot}")
    values = "\n".join(f"- {name}: {token(ctx, name, 0)}" for name in prompt.inputs)
    blocks = "\n\n".join(f"{role.capitalize()} message:\n\n{fence(source, 'jinja')}"
                         for role, source in sources)
    body = ("The prompt below is a Jinja2 template. Evaluate it exactly as Jinja2 would with "
            "these input values (an empty value means the input is not given: use its default "
            "from the list under the template, or none), then follow the resulting messages in "
            "order.\n\n"
            + (f"Values:\n{values}\n\n" if values else "")
            + f"{blocks}\n\nInputs:\n\n{_inputs(ctx)}\n")
    return Exported(_file(ctx, front_matter(header(ctx)) + body), problem, embedded=True)


def _inputs(ctx: Context) -> str:
    from promptctl.formats.common import inputs_section

    return inputs_section(ctx.prompt) or "(none)"


def _file(ctx: Context, text: str) -> dict[str, bytes]:
    return {f"{ctx.name}.prompt.md": text.encode("utf-8")}
