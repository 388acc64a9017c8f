"""Dotprompt's Handlebars read as Jinja2, for ``import --from dotprompt``.

The subset ``dotprompt.py`` writes, and what Genkit prompts commonly hold: text (``\\{{`` is a
literal ``{{``), ``{{name}}`` / ``{{{name}}}`` / ``{{@root.name}}`` (Dotprompt does not escape
HTML), ``{{#if}}``, ``{{#unless}}``, ``{{#ifEquals a "x"}}``, ``{{#unlessEquals}}``, ``{{else}}``,
``{{#each list}}`` / ``{{#each list as |item|}}`` with ``this``, ``@index``, ``@first`` and
``@last``, comments, ``~`` whitespace control, and ``{{role "..."}}`` between messages. As in
Handlebars, a block tag alone on its line takes the line with it ("standalone"). Anything else
(other helpers, partials, ``@key``) raises ``ValueError`` naming the tag and its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = re.compile(rf"(?:@root\.)?({_NAME}(?:\.{_NAME})*)")
_STRING = r"\"([^\"\\]*)\"|'([^'\\]*)'"
_STANDALONE = ("#", "/", "^", "!", ">")


@dataclass
class _Tag:
    body: str
    line: int
    strip_before: bool = False
    strip_after: bool = False


def _tokens(source: str) -> list[_Tag | str]:
    parts: list[_Tag | str] = []
    i = 0
    while i < len(source):
        start = source.find("{{", i)
        if start < 0:
            parts.append(source[i:])
            break
        if start > i and source[start - 1] == "\\" and (start < 2 or source[start - 2] != "\\"):
            parts.append(source[i:start - 1] + "{{")  # \{{ is the two characters {{
            i = start + 2
            continue
        parts.append(source[i:start])
        line = source.count("\n", 0, start) + 1
        if source.startswith(("{{!--", "{{~!--"), start):
            end = source.find("--", start + 5)
            close = source.find("}}", end + 2) if end >= 0 else -1
            if end < 0 or close < 0 or source[end + 2:close] not in ("", "~"):
                raise ValueError(f"body line {line}: a comment {{{{!-- is never closed")
            parts.append(_Tag("!", line, source[start + 2] == "~", source[close - 1] == "~"))
            i = close + 2
            continue
        triple = source.startswith("{{{", start)
        close = source.find("}}}" if triple else "}}", start + (3 if triple else 2))
        if close < 0:
            raise ValueError(f"body line {line}: a tag {{{{ is never closed")
        inner = source[start + (3 if triple else 2):close]
        tag = _Tag(inner, line)
        if inner.startswith("~"):
            tag.strip_before, inner = True, inner[1:]
        if inner.endswith("~"):
            tag.strip_after, inner = True, inner[:-1]
        tag.body = inner.strip()
        parts.append(tag)
        i = close + (3 if triple else 2)
    for index, part in enumerate(parts):  # ~ trims the whitespace beside the tag
        if isinstance(part, _Tag):
            if part.strip_before and index and isinstance(parts[index - 1], str):
                parts[index - 1] = str(parts[index - 1]).rstrip()
            if part.strip_after and index + 1 < len(parts) and isinstance(parts[index + 1], str):
                parts[index + 1] = str(parts[index + 1]).lstrip()
    return _drop_standalone(parts)


def _standalone(tag: _Tag) -> bool:
    return tag.body.startswith(_STANDALONE) or tag.body == "else" or tag.body.startswith("else ")


def _drop_standalone(parts: list[_Tag | str]) -> list[_Tag | str]:
    """A block tag alone on its line: the line's indent and its line end go."""
    plans: list[tuple[int, int]] = []
    for index, part in enumerate(parts):
        if not isinstance(part, _Tag) or not _standalone(part):
            continue
        before_ok = True
        for cursor in range(index - 1, -1, -1):
            previous = parts[cursor]
            if not isinstance(previous, str):
                before_ok = False
                break
            newline = previous.rfind("\n")
            if newline >= 0:
                before_ok = not previous[newline + 1:].strip(" \t")
                break
            if previous.strip(" \t"):
                before_ok = False
                break
        if not before_ok:
            continue
        if index + 1 >= len(parts):
            plans.append((index, 0))
            continue
        following = parts[index + 1]
        if not isinstance(following, str):
            continue
        match = re.match(r"[ \t]*(\r?\n|\Z)", following)
        if match:
            plans.append((index, match.end()))
    for index, cut in plans:
        for cursor in range(index - 1, -1, -1):
            previous = parts[cursor]
            if not isinstance(previous, str):
                break  # a tag whose own line end already went
            newline = previous.rfind("\n")
            if newline >= 0:
                parts[cursor] = previous[:newline + 1]
                break
            parts[cursor] = ""
        if cut:
            parts[index + 1] = str(parts[index + 1])[cut:]
    return parts


def to_jinja(body: str, escape: Callable[[str], str]) -> list[tuple[str, str]]:
    """The messages of a Dotprompt body as (role, Jinja2 template); ``escape`` makes text
    literal Jinja2."""
    messages: list[tuple[str, str]] = []
    role = "user"
    out: list[str] = []
    stack: list[tuple[str, str | None]] = []  # (block, loop variable for `this`)

    def ref(path: str, tag: _Tag) -> str:
        loops = [item for block, item in stack if block == "each"]
        if path == "this" and loops:
            return str(loops[-1])
        if path.startswith("this.") and loops:
            return f"{loops[-1]}.{path[5:]}"
        if path in ("@index", "@first", "@last") and loops:
            return {"@index": "loop.index0", "@first": "loop.first", "@last": "loop.last"}[path]
        match = _PATH.fullmatch(path)
        if not match:
            raise ValueError(f"body line {tag.line}: {{{{{tag.body}}}}} is not a name that can "
                             "be imported (rewrite it as Jinja2 by hand)")
        return match[1]

    for part in _tokens(body):
        if isinstance(part, str):
            out.append(escape(part) if part else "")
            continue
        text = part.body
        if text.startswith("!"):
            continue
        role_tag = re.fullmatch(rf"role\s+(?:{_STRING})", text)
        if role_tag and not stack:
            source = "".join(out).strip("\n")
            if source.strip():
                messages.append((role, source))
            out = []
            found = role_tag[1] or role_tag[2]
            role = {"model": "assistant"}.get(found, found)
            continue
        opened = re.fullmatch(r"#(if|unless)\s+(\S+)", text)
        equals = re.fullmatch(rf"#(ifEquals|unlessEquals)\s+(\S+)\s+(?:{_STRING})", text)
        each = re.fullmatch(rf"#each\s+(\S+)(?:\s+as\s+\|\s*({_NAME})\s*\|)?", text)
        if opened:
            negate = "not " if opened[1] == "unless" else ""
            out.append(f"{{% if {negate}{ref(opened[2], part)} %}}")
            stack.append((opened[1], None))
        elif equals:
            op = "==" if equals[1] == "ifEquals" else "!="
            value = equals[3] if equals[3] is not None else equals[4]
            out.append(f'{{% if {ref(equals[2], part)} {op} "{value}" %}}')
            stack.append((equals[1], None))
        elif each:
            item = each[2] or "item"
            out.append(f"{{% for {item} in {ref(each[1], part)} %}}")
            stack.append(("each", item))
        elif text == "else":
            if not stack:
                raise ValueError(f"body line {part.line}: {{{{else}}}} outside a block")
            out.append("{% else %}")
        elif text.startswith("/"):
            if not stack or stack[-1][0] != text[1:].strip():
                raise ValueError(f"body line {part.line}: {{{{{text}}}}} closes no open block")
            block, _item = stack.pop()
            out.append("{% endfor %}" if block == "each" else "{% endif %}")
        else:
            out.append(f"{{{{ {ref(text, part)} }}}}")
    if stack:
        raise ValueError(f"body: {{{{#{stack[-1][0]}}}}} is never closed")
    source = "".join(out).strip("\n")
    if source.strip():
        messages.append((role, source))
    return messages
