"""Dotprompt: ``<name>.prompt``, YAML front matter and a Handlebars template.

Handlebars has less logic than Jinja2; a template is translated where each piece means the same
in both: text (``{{`` written ``\\{{``), ``{{ name }}`` of a string or integer input,
``{% if name %}`` / ``{% if not name %}`` (``#if`` / ``#unless``), ``{% if name == "x" %}`` and
``!=`` (Dotprompt's ``#ifEquals`` / ``#unlessEquals``), ``elif`` and ``else`` (nested), and
``{% for item in name %}`` over an input (``#each name as |item|``; ``loop.index0`` is
``@index``). Inside a loop other inputs are ``@root.name``. A block tag alone on its line would
swallow that line in Handlebars ("standalone" tags), where Jinja2 keeps it, so such a tag is
followed by an empty comment ``{{!}}``. Not translated, with the reason: filters, inline
``if`` expressions, other conditions, ``loop.index``/``first``/``last``, printing a boolean,
number, list or object (Handlebars prints ``true`` and ``1``, Jinja2 ``True`` and ``1.0``), and
testing an object (an empty one is true in Handlebars). Those are skipped or embedded.
"""

from __future__ import annotations

from typing import Any

from promptctl.formats import Exported
from promptctl.formats.common import Context, dump_yaml, fence, inputs_section
from promptctl.formats.template import Each, If, LoopFlag, Node, Text, Var
from promptctl.inputs import is_required, value_schema

CONFIG = {"temperature": "temperature", "max_tokens": "maxOutputTokens", "top_p": "topP"}
_STANDALONE = ("#", "/", "^", "!", ">")


class _Untranslatable(Exception):
    pass


class _Writer:
    """Handlebars parts: text (already escaped) and tags, kept apart so that standalone tags
    can be found as Handlebars finds them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.parts: list[tuple[str, str]] = []  # ("text" | "tag", source)
        self.looping: str | None = None  # the input the current loop iterates

    def text(self, text: str) -> None:
        # `\{{` is Handlebars' escape: a backslash before {{ (ours or a tag) changes meaning.
        if "\\{{" in text or text.endswith("\\"):
            raise _Untranslatable("a backslash before {{ or before a value, which "
                                  "Handlebars reads as an escape")
        self.parts.append(("text", text.replace("{{", "\\{{")))

    def tag(self, source: str) -> None:
        self.parts.append(("tag", source))

    def nodes(self, nodes: tuple[Node, ...], loop: str | None) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self.text(node.text)
            elif isinstance(node, Var):
                if node.item:
                    self.item(node.name)
                    self.tag(f"{{{{{node.name}}}}}")
                else:
                    self.printable(node.name)
                    self.tag(f"{{{{{self.ref(node.name, loop)}}}}}")
            elif isinstance(node, LoopFlag):
                if node.flag != "index0":
                    raise _Untranslatable(f"a printed loop.{node.flag} (true/false in "
                                          "Handlebars, True/False in Jinja2)")
                self.tag("{{@index}}")
            elif isinstance(node, If):
                self.condition(node, loop)
            elif isinstance(node, Each):
                self.loop(node)

    def ref(self, name: str, loop: str | None) -> str:
        return f"@root.{name}" if loop is not None else name

    def printable(self, name: str) -> None:
        kind = self.ctx.prompt.inputs.get(name, {}).get("type", "string")
        if kind not in ("string", "integer"):
            raise _Untranslatable(f"a printed input `{name}`, a {kind} (Handlebars and "
                                  "Jinja2 print it differently)")

    def item(self, name: str) -> None:
        spec = self.ctx.prompt.inputs.get(self.looping or "", {})
        if (spec.get("items") or {}).get("type", "string") not in ("string", "integer"):
            raise _Untranslatable(f"a printed list item `{name}` that is not text or an "
                                  "integer")

    def condition(self, node: If, loop: str | None) -> None:
        test = node.test
        spec = self.ctx.prompt.inputs.get(test.name, {})
        ref = self.ref(test.name, loop)
        if test.equals is None:
            if spec.get("type") == "object":
                raise _Untranslatable(f"a test of input `{test.name}`, an object (an empty one "
                                      "is false in Jinja2 and true in Handlebars)")
            helper = "unless" if test.negate else "if"
            self.tag(f"{{{{#{helper} {ref}}}}}")
        else:
            helper = "unlessEquals" if test.negate else "ifEquals"
            literal = '"' + test.equals.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if "\\" in test.equals or '"' in test.equals:
                raise _Untranslatable("a comparison with text holding a quote or backslash")
            self.tag(f"{{{{#{helper} {ref} {literal}}}}}")
        self.nodes(node.body, loop)
        if node.orelse:
            self.tag("{{else}}")
            self.nodes(node.orelse, loop)
        self.tag(f"{{{{/{helper}}}}}")

    def loop(self, node: Each) -> None:
        spec = self.ctx.prompt.inputs.get(node.name, {})
        if spec.get("type", "array") != "array":
            raise _Untranslatable(f"a loop over input `{node.name}`, which is not a list")
        self.tag(f"{{{{#each {node.name} as |{node.item}|}}}}")
        self.looping = node.name
        self.nodes(node.body, node.item)
        self.looping = None
        if node.orelse:
            self.tag("{{else}}")
            self.nodes(node.orelse, None)
        self.tag("{{/each}}")

    def source(self) -> str:
        """The parts joined, with an empty comment after each tag Handlebars would treat as
        standalone (alone on its line): next to another tag, no tag is standalone."""
        out: list[str] = []
        parts = self.parts
        for index, (kind, source) in enumerate(parts):
            out.append(source)
            if kind == "tag" and _standalone(source) and _alone(parts, index):
                out.append("{{!}}")
        return "".join(out)


def _standalone(tag: str) -> bool:
    body = tag[2:-2].strip()
    return body.startswith(_STANDALONE) or body == "else" or body.startswith("else ")


def _alone(parts: list[tuple[str, str]], index: int) -> bool:
    for kind, source in reversed(parts[:index]):
        if kind == "tag":
            return False
        newline = source.rfind("\n")
        if newline >= 0:
            if source[newline + 1:].strip(" \t"):
                return False
            break
        if source.strip(" \t"):
            return False
    if index + 1 >= len(parts):
        return True
    kind, source = parts[index + 1]
    if kind == "tag":
        return False
    rest = source.lstrip(" \t")
    return not rest or rest.startswith(("\n", "\r\n"))


def translate(ctx: Context) -> tuple[str | None, str]:
    """The Handlebars template of the prompt's messages, or (None, why not)."""
    reasons = [r for _t, a in ctx.analyses for r in a.reasons]
    if reasons:
        return None, "it uses " + ", ".join(dict.fromkeys(reasons))
    roles = [t.role for t in ctx.prompt.templates]
    writer = _Writer(ctx)
    try:
        for (template, analysis) in ctx.analyses:
            if roles != ["user"]:
                writer.tag(f'{{{{role "{template.role}"}}}}')
            nodes = list(analysis.nodes or ())
            if nodes and isinstance(nodes[0], Text):
                nodes[0] = Text(nodes[0].text.lstrip())
            if nodes and isinstance(nodes[-1], Text):
                nodes[-1] = Text(nodes[-1].text.rstrip())
            writer.nodes(tuple(n for n in nodes if not (isinstance(n, Text) and not n.text)),
                         None)
    except _Untranslatable as exc:
        return None, f"it has {exc}"
    return writer.source(), ""


def header(ctx: Context) -> dict[str, Any]:
    prompt = ctx.prompt
    data: dict[str, Any] = {"name": ctx.name, "description": prompt.description}
    if prompt.model.get("name"):
        data["model"] = prompt.model["name"]
    config = {CONFIG[k]: v for k, v in prompt.model.items() if k in CONFIG}
    if config:
        data["config"] = config
    if prompt.inputs:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {n: value_schema(s) for n, s in prompt.inputs.items()},
        }
        required = [n for n, s in prompt.inputs.items() if is_required(s)]
        if required:
            schema["required"] = required
        data["input"] = {"schema": schema}
        defaults = {n: s["default"] for n, s in prompt.inputs.items() if "default" in s}
        if defaults:
            data["input"]["default"] = defaults
    data["metadata"] = {"prompt-id": prompt.id, "prompt-version": prompt.version,
                        "title": prompt.title}
    return data


def export(ctx: Context) -> Exported:
    source, why = translate(ctx)
    head = f"---\n{dump_yaml(header(ctx))}---\n"
    if source is not None:
        return Exported({f"{ctx.name}.prompt": (head + source + "\n").encode("utf-8")})
    problem = f"not expressible in Dotprompt (Handlebars): {why}"
    if ctx.unfaithful == "skip":
        return Exported({}, problem)
    sources, cannot = ctx.embedded_sources()
    if sources is None:
        return Exported({}, f"cannot be embedded: it uses {cannot}")
    values = "\n".join(f"- {name}: {{{{json {name}}}}}" for name in ctx.prompt.inputs)
    blocks = "\n\n".join(f"{role.capitalize()} message:\n\n{fence(src, 'jinja')}"
                         for role, src in sources)
    listed = inputs_section(ctx.prompt) or "(none)"
    text = ("The prompt below is a Jinja2 template. Evaluate it exactly as Jinja2 would with "
            "these input values (JSON; an input that is absent is none unless the list under the "
            "template gives a default), then follow the resulting messages in order.\n\n"
            + (f"Values:\n{values}\n\n" if values else "")
            + _escape(blocks) + "\n\nInputs:\n\n" + _escape(listed) + "\n")
    return Exported({f"{ctx.name}.prompt": (head + text).encode("utf-8")}, problem,
                    embedded=True)


def _escape(text: str) -> str:
    """Literal text for Handlebars: every {{ escaped (a backslash already before one doubles
    as an escape of the escape, so it is spaced off)."""
    return text.replace("\\{{", "\\ {{").replace("{{", "\\{{")
