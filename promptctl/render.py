"""Rendering: compiled-template cache, bounded output, and every failure as one ``RenderError``.

Templates come from the repository; inputs come from callers and are data, never templates: a
value containing ``{{ ... }}`` is printed as it is. Jinja2's documentation asks the caller to
catch every exception a template can raise. The environment itself is in ``sandbox.py``.
"""

from __future__ import annotations

import keyword
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError

from promptctl.errors import RenderError, RenderLimitExceeded
from promptctl.model import Prompt, Template
from promptctl.sandbox import (
    PartialLoader,
    SizeBoundExceeded,
    TimeBoundExceeded,
    check_deadline,
    deadline,
    make_environment,
)

DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 2.0
_CACHE_SIZE = 4096
# An object's repr in an exception's text ("<generator object f at 0x7f...>"): never shown.
_REPR = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _scrub(message: str) -> str:
    return _ADDRESS.sub("", _REPR.sub("an object", message))


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
        self.env = make_environment(partials, max_text=max_output_bytes)
        self.max_output_bytes = max_output_bytes
        self.timeout_seconds = timeout_seconds
        self._compiled: dict[str, jinja2.Template] = {}
        self._includes: dict[str, dict[str, str]] = {}  # prompt digest -> partials_for

    def compile(self, template: Template) -> jinja2.Template:
        compiled = self._compiled.get(template.source)
        if compiled is None:
            compiled = self.env.from_string(template.source)
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.clear()
            self._compiled[template.source] = compiled
        return compiled

    def partials_for(self, prompt: Prompt) -> dict[str, str]:
        """The partials ``prompt`` includes, directly or through another partial (path -> text),
        sorted by path: what a client needs besides the prompt file to render it the same way.
        Every partial where an include names its template by an expression (``validate``
        refuses those; a prompt loaded without it may still have one)."""
        cached = self._includes.get(prompt.digest)
        if cached is None:
            loader = self.env.loader
            partials = loader.partials if isinstance(loader, PartialLoader) else {}
            cached = _included(self.env, [t.source for t in prompt.templates], partials)
            if len(self._includes) >= _CACHE_SIZE:
                self._includes.clear()
            self._includes[prompt.digest] = cached
        return dict(cached)

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
        except SizeBoundExceeded as exc:
            raise RenderLimitExceeded(
                f"{where}: refused by the sandbox: {exc}; shorten the inputs or the template"
            ) from None
        except MemoryError:
            raise RenderLimitExceeded(
                f"{where}: rendering ran out of memory; shorten the inputs or the template"
            ) from None
        except jinja2.UndefinedError as exc:
            raise RenderError(f"{where}: {_scrub(exc.message or '')}; declare it in `inputs`"
                              ) from None
        except SecurityError as exc:
            raise RenderError(f"{where}: refused by the sandbox: {_scrub(str(exc))}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(
                f"{where}: template syntax error: {exc.message}; run `promptctl validate`"
            ) from None
        except jinja2.TemplateError as exc:
            raise RenderError(f"{where}: {_scrub(exc.message or type(exc).__name__)}") from None
        except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError,
                RuntimeError) as exc:  # RuntimeError includes RecursionError
            raise RenderError(
                f"{where}: template failed: {type(exc).__name__}: {_scrub(str(exc))}"
            ) from None
        return "".join(parts).strip()


def _included(env: jinja2.Environment, sources: list[str],
              partials: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    pending = list(sources)
    while pending:
        try:
            ast = env.parse(pending.pop())
        except jinja2.TemplateSyntaxError:
            continue  # fails to render anyway, with its own error
        for name, _line in includes(ast):
            if name is None:
                return dict(sorted(partials.items()))
            if name in partials and name not in found:
                found[name] = partials[name]
                pending.append(partials[name])
    return dict(sorted(found.items()))


# --- static analysis, for validation ---------------------------------------------------------


# Node types whose presence leaves every `Name` load a read of the context, judged from Jinja2
# 3.1's idtracking.py and compiler.py, which `meta.find_undeclared_variables` runs. In a tree of
# only these, the compiler analyses one root frame in which nothing is stored or declared, so
# every load resolves from the context; none of them opens a frame or binds a name. `If`
# branches only merge their loads into that frame; `CondExpr` and `If` frames are "soft" copies,
# not new frames; `Include` evaluates its template expression in the current frame and never
# binds names (the included template's own names are `includes()`'s business, as before).
# Left out, so they take the slow path: everything that stores or declares a name or opens a
# frame (For, Macro, CallBlock, FilterBlock, With, Scope, OverlayScope, Assign, AssignBlock,
# NSRef, Import, FromImport, Block, Extends, EvalContextModifier and its scoped form), ExprStmt,
# Continue and Break, and the nodes only extensions create. Matching is by exact type, so a
# subclass or a node type added by a later Jinja2 also takes the slow path.
_PLAIN_NODES: frozenset[type[nodes.Node]] = frozenset({
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Include,
    nodes.Name, nodes.Const, nodes.Tuple, nodes.List, nodes.Dict, nodes.Pair, nodes.Keyword,
    nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Call, nodes.Getitem, nodes.Getattr,
    nodes.Slice, nodes.Concat, nodes.Compare, nodes.Operand,
    nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow,
    nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos,
})
# Deeper trees take the slow path, so that a tree the compiler's recursion cannot walk fails
# there as before (it does at about 350 levels) instead of passing here.
_MAX_DEPTH = 64


def _fast_names(ast: nodes.Template) -> set[str] | None:
    """``meta.find_undeclared_variables(ast)`` by one walk over the tree, or None where the tree
    has anything that can bind, shadow or scope a name (then only the compiler can tell).

    Also None for what the compiler treats specially or fails on: a load of ``self`` (declared
    as a parameter at the top level), a filter or test the environment lacks, a filter block's
    filter, a name in a store or parameter position.
    """
    environment = ast.environment
    if environment is None or type(ast) is not nodes.Template:
        return None
    filters, tests = environment.filters, environment.tests
    names: set[str] = set()
    level: list[nodes.Node] = [ast]
    depth = 0
    while level:
        depth += 1
        if depth > _MAX_DEPTH:
            return None
        below: list[nodes.Node] = []
        for node in level:
            if type(node) is nodes.Name:
                if node.ctx != "load" or node.name == "self":
                    return None
                names.add(node.name)
                continue
            if type(node) not in _PLAIN_NODES:
                return None
            if type(node) is nodes.Filter:
                if node.node is None or node.name not in filters:
                    return None
            elif type(node) is nodes.Test:
                if node.name not in tests:
                    return None
            elif type(node) is nodes.Tuple and node.ctx != "load":
                return None
            for field in node.fields:
                item = getattr(node, field, None)
                if isinstance(item, list):
                    below.extend(child for child in item if isinstance(child, nodes.Node))
                elif isinstance(item, nodes.Node):
                    below.append(item)
        level = below
    return {name for name in names if name not in environment.globals}


# The shape most prompts have: text, `{% raw %}` blocks and `{{ name }}`, nothing else. Jinja2's
# lexer (3.1's lexer.py, default delimiters and settings, no extensions or line statements) cuts
# text at the leftmost "{{", "{%" or "{#"; "{%" followed by `raw` and "%}" (spaces allowed) opens a
# raw block, which ends at the leftmost "{%" `endraw` "%}" in any spacing or whitespace-control
# form; inside "{{ }}" an ASCII identifier between spaces is one name token, which the parser
# reads as a load of that name unless it is a constant (`true`, `none`, ...) or a keyword such as
# `not`. Everything else - "{#", any other "{%", whitespace control, expressions - and a
# `self`, a keyword or a constant returns None: the caller parses.
_OPENER = re.compile(r"\{[{%#]")
_PLAIN_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_RAW_BEGIN = re.compile(r"\{%\s*raw\s*%\}")
_RAW_END = re.compile(r"\{%([-+]?)\s*endraw\s*([-+]?)%\}")
_NOT_PLAIN_NAMES = frozenset({*keyword.kwlist, "true", "false", "none", "self"})


def plain_names(source: str, env: jinja2.Environment) -> set[str] | None:
    """What ``referenced_names(env.parse(source), env)`` gives, without parsing, for a template
    of text, raw blocks and ``{{ name }}`` only (which always parses); None for any other."""
    names: set[str] = set()
    position = 0
    while (found := _OPENER.search(source, position)) is not None:
        start = found.start()
        if source[start + 1] == "{":
            variable = _PLAIN_VARIABLE.match(source, start)
            if variable is None or variable[1] in _NOT_PLAIN_NAMES:
                return None
            names.add(variable[1])
            position = variable.end()
        elif source[start + 1] == "%" and (raw := _RAW_BEGIN.match(source, start)) is not None:
            end = _RAW_END.search(source, raw.end())
            if end is None or end[1] or end[2]:
                return None
            position = end.end()
        else:
            return None
    return {name for name in names if name not in env.globals}


def referenced_names(ast: nodes.Template, env: jinja2.Environment) -> set[str]:
    """Variables a template reads from its context (globals such as ``range`` excluded).

    Templates that only print, test and include take one walk over the tree; the rest go
    through Jinja2's own analysis (``meta.find_undeclared_variables``), which compiles them.
    """
    found = _fast_names(ast)
    if found is None:
        from jinja2 import meta

        found = meta.find_undeclared_variables(ast)
    return {name for name in found if name not in env.globals}


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
