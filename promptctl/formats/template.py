"""What a prompt's Jinja2 templates need from a target format, read from their syntax tree.

The converters ask three questions of a template: is it plain (text and ``{{ name }}`` only,
after its literal includes are inlined), can it be written as a small tree of conditions and
loops that a logic-light language such as Handlebars has, and if not, why not (in words a user
can act on). Nothing here renders; the tree comes from Jinja2's own parser with the lexer
settings of the sandbox (default delimiters, no ``trim_blocks``), so whitespace control has
already been applied to the text between tags.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import jinja2
from jinja2 import nodes

# The lexer settings of promptctl.sandbox.make_environment, without the sandbox: parsing only.
_ENV = jinja2.Environment(keep_trailing_newline=False, autoescape=False)  # noqa: S701


@functools.lru_cache(maxsize=1024)
def _parse(source: str) -> nodes.Template:
    """The syntax tree of ``source`` (read-only here; cached: sync exports one prompt to several
    targets, and partials are parsed for every prompt that includes them)."""
    return _ENV.parse(source)


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Var:
    name: str  # an input, or the item of the loop around it
    item: bool = False  # True: the loop's item


@dataclass(frozen=True)
class LoopFlag:
    flag: Literal["first", "last", "index0"]


@dataclass(frozen=True)
class Test:
    name: str
    equals: str | None = None  # None: the input's truth; else the input == this string
    negate: bool = False


@dataclass(frozen=True)
class If:
    test: Test
    body: tuple[Node, ...]
    orelse: tuple[Node, ...]


@dataclass(frozen=True)
class Each:
    name: str  # the input iterated
    item: str  # the loop variable
    body: tuple[Node, ...]
    orelse: tuple[Node, ...]


Node = Text | Var | LoopFlag | If | Each


@dataclass
class Analysis:
    """One template: its tree (None when it has anything the tree cannot hold) and why not."""

    nodes: tuple[Node, ...] | None
    reasons: list[str] = field(default_factory=list)  # why there is no tree
    features: list[str] = field(default_factory=list)  # every construct beyond {{ name }}
    printed: set[str] = field(default_factory=set)  # inputs printed with {{ name }}
    tested: set[str] = field(default_factory=set)  # inputs tested by {% if %}
    looped: set[str] = field(default_factory=set)  # inputs iterated by {% for %}
    missing_partials: list[str] = field(default_factory=list)



def analyse(source: str, partials: Mapping[str, str] | None) -> Analysis:
    """The tree of ``source``; includes of ``partials`` (None: none known) are inlined."""
    analysis = Analysis(None)
    try:
        ast = _parse(source)
    except jinja2.TemplateSyntaxError as exc:
        analysis.reasons.append(f"a template syntax error ({exc.message})")
        return analysis
    converter = _Converter(analysis, partials or {}, partials is not None)
    tree = converter.body(ast.body, frozenset(), 0)
    analysis.nodes = tuple(_merge(tree)) if not analysis.reasons else None
    return analysis


class _Converter:
    def __init__(self, analysis: Analysis, partials: Mapping[str, str], known: bool) -> None:
        self.analysis = analysis
        self.partials = partials
        self.known = known

    def why(self, reason: str, feature: str | None = None) -> None:
        """No tree, because of ``reason``; ``feature`` is the construct in general words."""
        if reason not in self.analysis.reasons:
            self.analysis.reasons.append(reason)
        self.uses(feature or reason)

    def uses(self, feature: str) -> None:
        if feature not in self.analysis.features:
            self.analysis.features.append(feature)

    def body(self, body: list[nodes.Node], items: frozenset[str], depth: int) -> list[Node]:
        out: list[Node] = []
        for node in body:
            out.extend(self.statement(node, items, depth))
        return out

    def statement(self, node: nodes.Node, items: frozenset[str], depth: int) -> list[Node]:
        if isinstance(node, nodes.Output):
            return [part for child in node.nodes for part in self.expression(child, items)]
        if isinstance(node, nodes.If):
            self.uses("a conditional ({% if %})")
            return [self.condition(node, items, depth)]
        if isinstance(node, nodes.For):
            self.uses("a loop ({% for %})")
            return self.loop(node, items, depth)
        if isinstance(node, nodes.Include):
            return self.include(node, items, depth)
        names: dict[type[nodes.Node], str] = {
            nodes.Assign: "a {% set %}", nodes.AssignBlock: "a {% set %} block",
            nodes.Macro: "a macro", nodes.CallBlock: "a {% call %} block",
            nodes.FilterBlock: "a {% filter %} block", nodes.With: "a {% with %} block",
            nodes.Import: "an {% import %}", nodes.FromImport: "an {% import %}",
            nodes.Extends: "an {% extends %}", nodes.Block: "a {% block %}"}
        self.why(names.get(type(node), f"the statement {type(node).__name__}"))
        return []

    def expression(self, node: nodes.Node, items: frozenset[str]) -> list[Node]:
        if isinstance(node, nodes.TemplateData):
            return [Text(node.data)]
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            return [Text(node.value)]  # {{ "{{" }}: how literal braces are written
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name in items:
                return [Var(node.name, item=True)]
            self.analysis.printed.add(node.name)
            return [Var(node.name)]
        if (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
                and node.node.name == "loop" and "loop" in items):
            if node.attr in ("first", "last", "index0"):
                return [LoopFlag(node.attr)]  # type: ignore[arg-type]
            self.why(f"loop.{node.attr} (Handlebars has loop.index0, as @index)",
                     "a loop variable")
            return []
        self.why(_describe(node))
        self.expression_features(node)
        return []

    def condition(self, node: nodes.If, items: frozenset[str], depth: int) -> If:
        test = self.test(node.test, items)
        body = tuple(_merge(self.body(node.body, items, depth)))
        orelse: tuple[Node, ...] = tuple(_merge(self.body(node.else_, items, depth)))
        for branch in reversed(node.elif_):
            orelse = (If(self.test(branch.test, items) or Test(""),
                         tuple(_merge(self.body(branch.body, items, depth))), orelse),)
        return If(test or Test(""), body, orelse)  # no test: reasons already say why

    def test(self, node: nodes.Node, items: frozenset[str]) -> Test | None:
        negate = False
        if isinstance(node, nodes.Not):
            negate, node = True, node.node
        if isinstance(node, nodes.Name) and node.name not in items:
            self.analysis.tested.add(node.name)
            return Test(node.name, negate=negate)
        if (isinstance(node, nodes.Compare) and isinstance(node.expr, nodes.Name)
                and node.expr.name not in items and len(node.ops) == 1
                and node.ops[0].op in ("eq", "ne") and isinstance(node.ops[0].expr, nodes.Const)
                and isinstance(node.ops[0].expr.value, str)):
            self.analysis.tested.add(node.expr.name)
            return Test(node.expr.name, node.ops[0].expr.value,
                        negate=negate != (node.ops[0].op == "ne"))
        self.why("a condition other than `if name`, `if not name` or `if name == \"text\"`",
                 "a conditional ({% if %})")
        if isinstance(node, nodes.Expr):
            self.expression_features(node)
        return None

    def expression_features(self, node: nodes.Node) -> None:
        """Filters and inline ifs inside a condition are features too."""
        for inner in node.find_all((nodes.Filter, nodes.CondExpr)):
            self.uses(_describe(inner))

    def loop(self, node: nodes.For, items: frozenset[str], depth: int) -> list[Node]:
        if (not isinstance(node.target, nodes.Name) or not isinstance(node.iter, nodes.Name)
                or node.iter.name in items or node.test is not None or node.recursive
                or items):
            self.why("a loop other than `{% for item in name %}` over an input, unnested",
                     "a loop ({% for %})")
            self.expression_features(node.iter)
            names = {n.name for n in node.target.find_all(nodes.Name)}
            self.body(node.body, items | names | {"loop"}, depth)
            return []
        self.analysis.looped.add(node.iter.name)
        inner = items | {node.target.name, "loop"}
        return [Each(node.iter.name, node.target.name,
                     tuple(_merge(self.body(node.body, inner, depth))),
                     tuple(_merge(self.body(node.else_, items, depth))))]

    def include(self, node: nodes.Include, items: frozenset[str], depth: int) -> list[Node]:
        target = node.template
        name = target.value if isinstance(target, nodes.Const) else None
        if not isinstance(name, str) or name not in self.partials or depth > 8:
            shown = name if isinstance(name, str) else "a computed name"
            if isinstance(name, str) and name not in self.analysis.missing_partials:
                self.analysis.missing_partials.append(name)
            self.why(f"an include of {shown} that cannot be inlined"
                     + ("" if self.known else " (the library's partials were not given)"))
            return []
        try:
            ast = _parse(self.partials[name])
        except jinja2.TemplateSyntaxError as exc:
            self.why(f"an include of {name}, which has a syntax error ({exc.message})")
            return []
        return self.body(ast.body, items, depth + 1)


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Filter):
        return f"the filter |{node.name}"
    if isinstance(node, nodes.CondExpr):
        return "an inline `x if test else y` expression"
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        return "an attribute or item lookup"
    if isinstance(node, nodes.Call):
        return "a function call"
    if isinstance(node, nodes.Const):
        return "a constant that is not text"
    return "an expression other than `{{ name }}`"


def _merge(parts: list[Node]) -> list[Node]:
    """Adjacent texts as one; empty texts dropped."""
    out: list[Node] = []
    for part in parts:
        if isinstance(part, Text):
            if not part.text:
                continue
            if out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].text + part.text)
                continue
        out.append(part)
    return out


# --- the Jinja2 source with its includes inlined (for formats that speak Jinja2) -------------

_INCLUDE = re.compile(
    r"\{%([-+]?)\s*include\s+(\"[^\"\\]*\"|'[^'\\]*')\s*(?:ignore\s+missing\s*)?"
    r"(?:with\s+context\s*)?([-+]?)%\}"
)


def inline_includes(source: str, partials: Mapping[str, str] | None) -> tuple[str | None, str]:
    """``source`` with each ``{% include "name" %}`` replaced by the partial's text, wrapped so
    that whitespace control and scoping stay as they were; (None, why) where that cannot be
    done safely (a computed name, an unknown partial, a partial that sets names)."""
    try:
        ast = _parse(source)
    except jinja2.TemplateSyntaxError as exc:
        return None, f"a template syntax error ({exc.message})"
    found = list(ast.find_all(nodes.Include))
    if not found:
        return source, ""
    matches = list(_INCLUDE.finditer(source))
    if len(matches) != len(found) or partials is None:
        return None, "an include that cannot be inlined"
    out: list[str] = []
    position = 0
    for match in matches:
        name = match[2][1:-1]
        text = partials.get(name)
        if text is None:
            return None, f"an include of {name}, which is not in the library's partials"
        try:
            inner = _parse(text)
        except jinja2.TemplateSyntaxError as exc:
            return None, f"an include of {name}, which has a syntax error ({exc.message})"
        if any(True for _ in inner.find_all((nodes.Assign, nodes.AssignBlock, nodes.Macro,
                                             nodes.Include, nodes.Import, nodes.FromImport,
                                             nodes.Extends, nodes.Block))):
            return None, f"an include of {name}, which sets names or includes others"
        # The sandbox loads a partial without its final newline (keep_trailing_newline=False).
        body = text[:-1] if text.endswith("\n") else text
        out.append(source[position:match.start()])
        out.append(f"{{%{match[1]} if true %}}{body}{{% endif {match[3]}%}}")
        position = match.end()
    out.append(source[position:])
    return "".join(out), ""
