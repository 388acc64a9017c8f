"""Rendering: compiled-template cache, bounded output, and every failure as one ``RenderError``.

Templates come from the repository; inputs come from callers and are data, never templates: a
value containing ``{{ ... }}`` is printed as it is. Jinja2's documentation asks the caller to
catch every exception a template can raise. The environment itself is in ``sandbox.py``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError

from promptctl.errors import RenderError, RenderLimitExceeded
from promptctl.model import Prompt, Template
from promptctl.sandbox import TimeBoundExceeded, check_deadline, deadline, make_environment

DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 2.0
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Rendered:
    messages: tuple[Message, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(m.content for m in self.messages)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "text": self.text,
        }


class Renderer:
    """Compiles each template once (cache keyed by its source) and renders within bounds."""

    def __init__(
        self,
        partials: Mapping[str, str],
        *,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.env = make_environment(partials)
        self.max_output_bytes = max_output_bytes
        self.timeout_seconds = timeout_seconds
        self._compiled: dict[str, jinja2.Template] = {}

    def compile(self, template: Template) -> jinja2.Template:
        compiled = self._compiled.get(template.source)
        if compiled is None:
            compiled = self.env.from_string(template.source)
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.clear()
            self._compiled[template.source] = compiled
        return compiled

    def render(self, prompt: Prompt, values: Mapping[str, Any]) -> Rendered:
        """Render every message; ``values`` must already be validated (see ``inputs.resolve``)."""
        context = dict(values)
        token = deadline.set(time.monotonic() + self.timeout_seconds)
        budget = self.max_output_bytes
        messages = []
        try:
            for template in prompt.templates:
                content = self._render_one(prompt, template, context, budget)
                budget -= len(content.encode("utf-8"))
                messages.append(Message(template.role, content))
        finally:
            deadline.reset(token)
        return Rendered(tuple(messages))

    def _render_one(self, prompt: Prompt, template: Template, context: Mapping[str, Any],
                    budget: int) -> str:
        where = f"{prompt.path} ({template.field})"
        try:
            compiled = self.compile(template)
            parts: list[str] = []
            size = 0
            for chunk in compiled.generate(context):
                size += len(chunk.encode("utf-8"))
                if size > budget:
                    raise RenderLimitExceeded(
                        f"{where}: rendered output is over the {self.max_output_bytes:,}-byte "
                        "bound; shorten the inputs or the template"
                    )
                check_deadline()
                parts.append(chunk)
        except RenderLimitExceeded:
            raise
        except TimeBoundExceeded:
            raise RenderLimitExceeded(
                f"{where}: rendering took longer than the time bound ({self.timeout_seconds:g} s); "
                "simplify the loops or shorten the inputs"
            ) from None
        except jinja2.UndefinedError as exc:
            raise RenderError(f"{where}: {exc.message}; declare it in `inputs`") from None
        except SecurityError as exc:
            raise RenderError(f"{where}: refused by the sandbox: {exc}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(
                f"{where}: template syntax error: {exc.message}; run `promptctl validate`"
            ) from None
        except jinja2.TemplateError as exc:
            raise RenderError(f"{where}: {exc.message or type(exc).__name__}") from None
        except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
            raise RenderError(f"{where}: template failed: {type(exc).__name__}: {exc}") from None
        return "".join(parts).strip()


# --- static analysis, for validation ---------------------------------------------------------


def referenced_names(ast: nodes.Template, env: jinja2.Environment) -> set[str]:
    """Variables a template reads from its context (globals such as ``range`` excluded)."""
    from jinja2 import meta

    return {name for name in meta.find_undeclared_variables(ast) if name not in env.globals}


def includes(ast: nodes.Template) -> list[tuple[str | None, int]]:
    """(name, line) of each include/import/extends; name None where it is not a literal string."""
    found: list[tuple[str | None, int]] = []
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = getattr(node, "template", None)
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            found.append((target.value, node.lineno))
        else:
            found.append((None, node.lineno))
    return found
