"""GitHub Models prompt files: ``<name>.prompt.yml``, anywhere in a repository.

Fields: ``name``, ``description``, ``model``, ``modelParameters`` (``temperature``,
``maxTokens``, ``topP``), ``messages`` (``role``, ``content`` with ``{{var}}``), ``testData``
(rows of variable values) and ``evaluators``. Variables are substituted as text: no logic, no
types, no defaults, and no way to write a literal ``{{``. So a template with logic cannot be
embedded either: GitHub Models would substitute inside it.
"""

from __future__ import annotations

from typing import Any

from promptctl.formats import Exported
from promptctl.formats.common import Context, dump_yaml, placeholders, type_problem
from promptctl.formats.template import Text, Var

WHAT = "a GitHub Models prompt file"
PARAMETERS = {"temperature": "temperature", "max_tokens": "maxTokens", "top_p": "topP"}


def export(ctx: Context) -> Exported:
    prompt = ctx.prompt
    reasons = ctx.logic_reasons()
    why = ("it uses " + ", ".join(reasons[:3])) if reasons else type_problem(ctx, ctx.printed(),
                                                                            WHAT)
    messages: list[dict[str, str]] = []
    if not why:
        for template, analysis in ctx.analyses:
            parts = [n for n in analysis.nodes or () if isinstance(n, Text | Var)]
            if any(isinstance(p, Text) and ("{{" in p.text or "}}" in p.text) for p in parts):
                why = "its text contains {{ or }}, which GitHub Models reads as a variable"
                break
            content = placeholders(parts, lambda t: t, lambda n, _i: f"{{{{{n}}}}}").strip()
            messages.append({"role": template.role, "content": content})
    if why:
        suffix = "" if ctx.unfaithful == "skip" else (
            " (and it cannot be embedded: GitHub Models substitutes {{...}} everywhere)")
        return Exported({}, f"not expressible as {WHAT}: {why}{suffix}")
    data: dict[str, Any] = {"name": prompt.title, "description": prompt.description}
    model = prompt.model
    if model.get("name"):
        data["model"] = model["name"]
    parameters = {PARAMETERS[k]: v for k, v in model.items() if k in PARAMETERS}
    if parameters:
        data["modelParameters"] = parameters
    data["messages"] = messages
    rows = _test_data(ctx)
    if rows:
        data["testData"] = rows
    return Exported({f"{ctx.name}.prompt.yml": dump_yaml(data).encode("utf-8")})


def _test_data(ctx: Context) -> list[dict[str, str]]:
    """The inputs of the prompt's own tests, as rows of text values."""
    names = ctx.printed()
    rows = []
    for test in ctx.prompt.tests:
        given = test.get("inputs") or {}
        row = {name: str(given[name]) for name in names if name in given}
        if row:
            rows.append(row)
    return rows
