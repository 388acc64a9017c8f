"""Rendering: Jinja2's immutable sandbox, strict undefined variables, bounded size and time.

Templates come from the repository; inputs come from callers and are data, never templates: a
value containing ``{{ ... }}`` is printed as it is. Jinja2's documentation asks the caller to
catch every exception a template can raise, so each failure becomes one ``RenderError``.
"""

from __future__ import annotations

import contextvars
import operator
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptctl.errors import RenderError, RenderLimitExceeded
from promptctl.model import Prompt, Template

DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 2.0
MAX_SEQUENCE = 1024 * 1024  # longest string or list a template may build with * or +
MAX_EXPONENT = 128
_CACHE_SIZE = 4096

_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=0.0)


def _check_deadline() -> None:
    deadline = _deadline.get()
    if deadline and time.monotonic() > deadline:
        raise RenderLimitExceeded("rendering took longer than the time bound; simplify the loops")


def _bounded_range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    if len(numbers) > 100_000:
        raise SecurityError("range() is limited to 100,000 items")
    for number in numbers:
        _check_deadline()
        yield number


class _BoundedList(list[Any]):
    """Input arrays iterate with a deadline check, so nested loops over big inputs stop in time."""

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            _check_deadline()
            yield item


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus bounds on arithmetic that could allocate or spin unbounded."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        _check_deadline()
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent over {MAX_EXPONENT} refused")
            return operator.pow(left, right)
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                sequence = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sequence and len(seq) * count > MAX_SEQUENCE:
                    raise SecurityError("repeating a sequence that far is refused")
            return operator.mul(left, right)
        result = operator.add(left, right)
        if isinstance(result, str | list | tuple) and len(result) > MAX_SEQUENCE:
            raise SecurityError("building a sequence that long is refused")
        return result

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_deadline()
        return super().call(context, obj, *args, **kwargs)


class PartialLoader(jinja2.BaseLoader):
    """Partials by their path under prompts/, e.g. ``{% include "_partials/rubric.md" %}``."""

    def __init__(self, partials: Mapping[str, str]) -> None:
        self.partials = partials

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template not in self.partials:
            raise jinja2.TemplateNotFound(template)
        return self.partials[template], None, lambda: True


def make_environment(partials: Mapping[str, str]) -> BoundedSandbox:
    env = BoundedSandbox(
        loader=PartialLoader(partials),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=_CACHE_SIZE,
    )
    env.globals["range"] = _bounded_range
    return env


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
        context = {k: _bounded(v) for k, v in values.items()}
        token = _deadline.set(time.monotonic() + self.timeout_seconds)
        budget = self.max_output_bytes
        messages = []
        try:
            for template in prompt.templates:
                content = self._render_one(prompt, template, context, budget)
                budget -= len(content.encode("utf-8"))
                messages.append(Message(template.role, content))
        finally:
            _deadline.reset(token)
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
                _check_deadline()
                parts.append(chunk)
        except RenderLimitExceeded as exc:
            if exc.message.startswith(where):
                raise
            raise RenderLimitExceeded(
                f"{where}: {exc.message} (bound {self.timeout_seconds:g} s)"
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


def _bounded(value: Any) -> Any:
    if isinstance(value, list):
        return _BoundedList(_bounded(v) for v in value)
    if isinstance(value, dict):
        return {k: _bounded(v) for k, v in value.items()}
    return value


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
