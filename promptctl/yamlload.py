"""Safe YAML loading that remembers where every key and value stands.

Front matter is parsed into plain JSON-like data (dicts, lists, str, int, float, bool, None) and a
map from each data path to its position, so a schema error can name the line of the offending key.

Refused on purpose, with a located error:
- anchors and aliases: a small file of nested aliases expands to gigabytes once serialised
  ("billion laughs"), and prompt files have no need for them;
- duplicate keys, which YAML parsers silently resolve to the last one;
- keys that are not strings, and nesting deeper than ``MAX_DEPTH``;
- ``.nan`` and ``.inf``, which JSON cannot carry (and a NaN passes every ``minimum``), and
  explicit tags that make other types (``!!timestamp``, ``!!binary``, ``!!set``, ``!!omap``).
Dates stay strings (no timestamp resolver), so the data is always JSON-serialisable.

Positions count lines as editors, Git and Jinja2 do: ``\n``, ``\r\n`` and ``\r`` end a line.
PyYAML (YAML 1.1) also ends lines at U+0085, U+2028 and U+2029; in a text that holds one of
them, positions are taken from the marks' character index instead of their line.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from promptctl import frontmatter

MAX_DEPTH = 64

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader without the timestamp resolver: `2024-01-01` stays the string it looks like."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

DataPath = tuple[str | int, ...]

# Line breaks to PyYAML, text to everyone else (YAML 1.2, Jinja2, editors, Git).
_YAML11_BREAKS = ("\x85", "\u2028", "\u2029")
_LINE_END = re.compile(r"\r\n|\r|\n")


class _Lines:
    """Line and column of a character index, with only ``\n``, ``\r\n`` and ``\r`` ending a
    line; built for texts where PyYAML's own line count would differ."""

    __slots__ = ("offset", "starts")

    def __init__(self, text: str, offset: int) -> None:
        self.starts = [0, *(m.end() for m in _LINE_END.finditer(text))]
        self.offset = offset

    def at(self, mark: Any) -> tuple[int, int]:
        row = bisect.bisect_right(self.starts, mark.index) - 1
        return row + 1 + self.offset, mark.index - self.starts[row] + 1


def _lines(text: str, offset: int) -> _Lines | None:
    """A ``_Lines`` when PyYAML would count lines differently, else None (its marks are right)."""
    return _Lines(text, offset) if any(c in text for c in _YAML11_BREAKS) else None


def _at(mark: Any, offset: int, lines: _Lines | None) -> tuple[int, int]:
    """1-based line and column of a PyYAML mark, counted as editors count them."""
    if lines is not None:
        return lines.at(mark)
    return mark.line + 1 + offset, mark.column + 1


class YamlProblem(Exception):
    """A YAML document that cannot be accepted; ``line`` and ``col`` are 1-based."""

    def __init__(self, message: str, line: int, col: int, code: str = "yaml") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.code = code


@dataclass(frozen=True)
class Position:
    line: int
    col: int


# Where one value stands: (key line, key col, value line, value col, end line, end col, style).
# The key is the mapping key that names the value, or the item itself in a sequence; the value
# position is where its text starts (for block scalars, the line after the indicator); the style
# is a scalar's ("|", ">", '"', "'", or "" for plain) and None for mappings and sequences.
Span = tuple[int, int, int, int, int, int, str | None]


class YamlDocument:
    """The data of one document and where each of its values stands (``spans``); ``plain``
    where the data is known to be made of dict (str keys), list, str, int, float, bool and None
    only, as ``frontmatter`` makes it (nobody need walk it to find out)."""

    __slots__ = ("data", "plain", "spans")

    def __init__(self, data: Any, spans: dict[DataPath, Span] | None = None, *,
                 plain: bool = False) -> None:
        self.data = data
        self.spans = spans if spans is not None else {}
        self.plain = plain

    def position(self, path: DataPath) -> Position:
        """The nearest known position for ``path``, walking up to its parents."""
        probe = tuple(path)
        while probe:
            span = self.spans.get(probe)
            if span is not None:
                return Position(span[0], span[1])
            probe = probe[:-1]
        return Position(1, 1)

    def value_start(self, path: DataPath) -> Position:
        span = self.spans[path]
        return Position(span[2], span[3])

    def value_end(self, path: DataPath) -> Position:
        span = self.spans[path]
        return Position(span[4], span[5])

    def style(self, path: DataPath) -> str | None:
        span = self.spans.get(path)
        return span[6] if span is not None else None


def load(text: str, *, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document; positions count from ``first_line`` (front matter offset).

    Three readers, the cheapest first, each giving the same data and positions as the next for
    what it accepts: ``frontmatter`` (pure Python, the subset prompt files use), PyYAML's events,
    then PyYAML's nodes, whose messages every error keeps."""
    offset = first_line - 1
    try:
        return YamlDocument(*frontmatter.parse(text, offset, _plain), plain=True)
    except frontmatter.NotMine:
        pass  # outside the subset, or an error: PyYAML decides
    document = _load_events(text, offset)
    if document is not None:
        return document
    return _load_nodes(text, offset)  # malformed or unusual: reported with PyYAML's messages


# --- the event path: data and positions straight from the parser's events ---------------------
#
# PyYAML's composer builds a node per value and resolves every plain scalar in Python, and the
# constructor then walks the nodes again; that is most of the cost of loading a prompt. Front
# matter is plain mappings, sequences and scalars, so one pass over the C parser's events builds
# the data, the positions and the refusals together. Anything else (explicit tags, several
# documents, a malformed stream, a scalar type outside JSON's) goes to the node path, which gives
# the same data and the same located errors.

_STR = "tag:yaml.org,2002:str"
_FLOAT = "tag:yaml.org,2002:float"
_JSON_SCALARS = frozenset({"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                           "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_JSON_TAGS = frozenset({_STR, *_JSON_SCALARS, "tag:yaml.org,2002:seq",
                        "tag:yaml.org,2002:map"})
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@functools.lru_cache(maxsize=4096)
def _resolve(value: str) -> str:
    """The tag a plain scalar resolves to, as PyYAML's resolver decides it (front matter repeats
    the same words - keys, types, `true` - so answers are kept)."""
    table = _Loader.yaml_implicit_resolvers
    for tag, regexp in [*table.get(value[0] if value else "", ()), *table.get(None, ())]:
        if regexp.match(value):
            return str(tag)
    return _STR


# The first characters of the plain scalars that may resolve to something other than a string.
_RESOLVED_FIRST = frozenset(first for first in _Loader.yaml_implicit_resolvers if first)


def _plain(value: str) -> Any:
    """A plain scalar's value for ``frontmatter``, as the event path makes it; ``NotMine``
    where that path would not keep it (a type outside JSON's, a number that is not finite)."""
    if value and value[0] not in _RESOLVED_FIRST:
        return value
    return _plain_resolved(value)


@functools.lru_cache(maxsize=1024)
def _plain_resolved(value: str) -> Any:
    tag = _resolve(value)
    if tag == _STR:
        return value
    if tag not in _JSON_SCALARS:
        raise frontmatter.NotMine
    resolved = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))
    if tag == _FLOAT and not math.isfinite(resolved):
        raise frontmatter.NotMine
    return resolved


class _Fallback(Exception):
    """The document needs the node path."""


def _load_events(text: str, offset: int) -> YamlDocument | None:
    spans: dict[DataPath, Span] = {}
    # Open collections: [container, path, key being filled (mappings), that key's line and col,
    # keys seen (mappings), the collection's own span so far (key line, key col, line, col)].
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    lines = _lines(text, offset)
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent \
                    or kind is yaml.SequenceStartEvent:
                mark = event.start_mark
                line, col = (mark.line + 1 + offset, mark.column + 1) if lines is None \
                    else lines.at(mark)
                if event.anchor is not None:
                    raise _alias_problem(line, col)
                if event.tag is not None:
                    raise _Fallback
                plain = kind is yaml.ScalarEvent and event.implicit[0]
                frame = stack[-1] if stack else None
                if frame is not None and frame[2] is None and type(frame[0]) is dict:
                    # A mapping key.
                    if kind is not yaml.ScalarEvent or (plain and _resolve(event.value) != _STR):
                        raise _Fallback  # refused there, or a merge key with its own message
                    key = event.value
                    if key in frame[5]:
                        raise YamlProblem(f"duplicate key {key!r}; a key may appear once in a "
                                          "mapping", line, col, code="yaml-duplicate-key")
                    frame[5].add(key)
                    frame[2], frame[3], frame[4] = key, line, col
                    continue
                if frame is None:
                    path: DataPath = ()
                    key_line, key_col = line, col
                elif type(frame[0]) is dict:
                    path = (*frame[1], frame[2])
                    key_line, key_col = frame[3], frame[4]
                else:
                    path = (*frame[1], len(frame[0]))
                    key_line, key_col = line, col
                if len(path) > MAX_DEPTH:
                    raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels; flatten the "
                                      "structure", line, col)
                if kind is yaml.ScalarEvent:
                    value: Any = event.value
                    if plain:
                        tag = _resolve(value)
                        if tag != _STR:
                            if tag not in _JSON_SCALARS:
                                raise _Fallback
                            node = yaml.ScalarNode(tag, value)
                            value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
                            if tag == _FLOAT and not math.isfinite(value):
                                raise _not_finite(event.value, line, col)
                    style = event.style
                    end = event.end_mark
                    end_line, end_col = (end.line + 1 + offset, end.column + 1) \
                        if lines is None else lines.at(end)
                    if style in ("|", ">"):
                        spans[path] = (key_line, key_col, line + 1, 1, end_line, end_col, style)
                    else:
                        spans[path] = (key_line, key_col, line, col, end_line, end_col, style)
                else:
                    value = {} if kind is yaml.MappingStartEvent else []
                    stack.append([value, path, None, 0, 0, set(), key_line, key_col, line, col])
                if frame is None:
                    root = value
                elif type(frame[0]) is dict:
                    frame[0][frame[2]] = value
                    frame[2] = None
                else:
                    frame[0].append(value)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                done = stack.pop()
                spans[done[1]] = (done[6], done[7], done[8], done[9],
                                  *_at(event.end_mark, offset, lines), None)
            elif kind is yaml.AliasEvent:
                raise _alias_problem(*_at(event.start_mark, offset, lines))
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Fallback
    except (_Fallback, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    return YamlDocument(root, spans)


def _not_finite(text: str, line: int, col: int) -> YamlProblem:
    return YamlProblem(f"{text!r} is not a finite number, and JSON (which clients read) has no "
                       "NaN or infinity; write a number", line, col, code="yaml-number")


def _alias_problem(line: int, col: int) -> YamlProblem:
    return YamlProblem("YAML anchors and aliases (&name, *name) are not allowed in prompt files; "
                       "write the value out in full", line, col, code="yaml-alias")


# --- the node path: everything the event path leaves, with PyYAML's own messages ---------------


def _load_nodes(text: str, offset: int) -> YamlDocument:
    first_line = offset + 1
    lines = _lines(text, offset)
    if "&" in text or "*" in text:
        _refuse_anchors(text, offset, lines)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = first_line, 1
        if mark is not None:
            line, col = _at(mark, offset, lines)
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        indented = _indentation_problem(text, mark.line, problem) if mark is not None else None
        if indented is not None:
            wrong, message = indented
            raise YamlProblem(message, wrong + 1 + offset,
                              _indent(text_lines(text)[wrong]) + 1) from None
        raise YamlProblem(f"malformed YAML: {problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {exc}", first_line, 1) from None
    finally:
        loader.dispose()
    document = YamlDocument(data)
    _index(node, document, offset, lines)
    return document


# --- bad indentation: which line is wrong ------------------------------------------------------
#
# PyYAML reports a key indented deeper than the `key: value` line above it where it finds the
# colon it cannot accept, which is often the line after the one whose indentation is wrong:
#
#     name:
#        type: string      <- 3 spaces where the document indents by 2: the wrong line
#       description: Who.  <- "mapping values are not allowed here" is reported on this one
#
# The document's own indentation step (how far a block's keys stand in from the key that opens
# it, most often) tells which of the two lines is out of line.

_INDENT_PROBLEMS = ("mapping values are not allowed", "did not find expected key",
                    "did not find expected '-' indicator", "expected <block end>")


def text_lines(text: str) -> list[str]:
    return _LINE_END.split(text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> int:
    """The column where a line's key starts: after its indentation and any ``- `` markers."""
    column = _indent(line)
    rest = line[column:]
    while rest.startswith("- "):
        stripped = rest[2:].lstrip(" ")
        column += len(rest) - len(stripped)
        rest = stripped
    return column


def _significant(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _opens_block(line: str) -> bool:
    return line.split(" #", 1)[0].rstrip().endswith(":")


def _step(lines: list[str]) -> int:
    """How far the document indents a block's keys from the key that opens it (most often)."""
    counts: dict[int, int] = {}
    previous: str | None = None
    for line in lines:
        if not _significant(line):
            continue
        if previous is not None and _opens_block(previous) and _indent(line) > _content(previous):
            step = _indent(line) - _content(previous)
            counts[step] = counts.get(step, 0) + 1
        previous = line
    return max(counts, key=lambda k: (counts[k], -abs(k - 2))) if counts else 2


def _allowed(lines: list[str], index: int, step: int) -> list[int]:
    """The indentations line ``index`` may have after the lines above it, the likeliest first:
    one step in from a line that opens a block, else a key column of a block still open."""
    above = [i for i in range(index) if _significant(lines[i])]
    if not above:
        return [0]
    previous = lines[above[-1]]
    if _opens_block(previous):
        return [_content(previous) + step]
    columns: list[int] = []
    limit = len(previous) + 1
    for i in reversed(above):
        line = lines[i]
        if _indent(line) < limit:
            columns.extend(c for c in (_content(line), _indent(line)) if c not in columns)
            limit = _indent(line)
            if limit == 0:
                break
    return columns


def _indentation_problem(text: str, index: int, problem: str) -> tuple[int, str] | None:
    """(the line, 0-based, whose indentation is wrong, a message that says so) for a problem
    PyYAML reports on line ``index``; None when indentation is not the problem or the wrong
    line cannot be told."""
    if not any(known in problem for known in _INDENT_PROBLEMS) or "\t" in text or any(
            b in text for b in _YAML11_BREAKS):
        return None
    lines = text_lines(text)
    if not 0 <= index < len(lines) or not _significant(lines[index]):
        return None
    step = _step(lines)
    above = [i for i in range(index) if _significant(lines[i])]
    # The line above first: when it is out of line, the reported one is only its victim.
    for wrong in ([above[-1]] if above else []) + [index]:
        allowed = _allowed(lines, wrong, step)
        have = _indent(lines[wrong])
        if have in allowed:
            continue
        key = lines[wrong].strip()
        shown = key if len(key) <= 40 else key[:40] + "..."
        others = " or ".join(str(c) for c in allowed[1:])
        alternatives = f" (or {others} to end the blocks above it)" if others else ""
        return wrong, (f"malformed YAML: bad indentation: {shown!r} is indented {have} "
                       f"space(s) where the lines around it take {allowed[0]}, so YAML cannot "
                       f"tell which key it belongs to ({problem}); indent it {allowed[0]} "
                       f"spaces{alternatives}")
    return None


def _refuse_anchors(text: str, offset: int, lines: _Lines | None) -> None:
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                line, col = _at(mark, offset, lines) if mark else (1, 1)
                raise YamlProblem(
                    "YAML anchors and aliases (&name, *name) are not allowed in prompt files; "
                    "write the value out in full",
                    line,
                    col,
                    code="yaml-alias",
                )
    except yaml.MarkedYAMLError:
        return  # malformed: load() reports it with its position


def _index(root: yaml.Node, document: YamlDocument, offset: int,
           lines: _Lines | None) -> None:
    """Record positions and refuse duplicate keys, non-string keys and deep nesting.

    Iterative, so that a hostile document cannot exhaust the interpreter's recursion limit.
    """
    stack: list[tuple[yaml.Node, DataPath, int, int]] = [
        (root, (), *_at(root.start_mark, offset, lines))
    ]
    while stack:
        node, path, key_line, key_col = stack.pop()
        line, col = _at(node.start_mark, offset, lines)
        if len(path) > MAX_DEPTH:
            raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels; flatten the structure",
                              line, col)
        if node.tag not in _JSON_TAGS:
            kind = node.tag.removeprefix("tag:yaml.org,2002:")
            raise YamlProblem(f"!!{kind} makes a value that JSON (which clients read) cannot "
                              "carry; drop the tag and write a string, number, true/false, list "
                              "or mapping", line, col, code="yaml-type")
        style = node.style if isinstance(node, yaml.ScalarNode) else None
        if node.tag == _FLOAT and isinstance(node, yaml.ScalarNode) and not math.isfinite(
                _CONSTRUCTOR.construct_yaml_float(node)):
            raise _not_finite(node.value, line, col)
        if style in ("|", ">"):
            line, col = line + 1, 1  # a block scalar's text starts after its indicator
        document.spans[path] = (key_line, key_col, line, col,
                                *_at(node.end_mark, offset, lines), style)
        children: list[tuple[yaml.Node, DataPath, int, int]] = []
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                where = _at(key_node.start_mark, offset, lines)
                is_text = key_node.tag == _STR
                if not isinstance(key_node, yaml.ScalarNode) or not is_text:
                    raise YamlProblem(
                        "mapping keys must be plain strings; quote the key", *where
                    )
                key = key_node.value
                if key in seen:
                    raise YamlProblem(
                        f"duplicate key {key!r}; a key may appear once in a mapping", *where,
                        code="yaml-duplicate-key",
                    )
                seen.add(key)
                children.append((value_node, (*path, key), *where))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                children.append((item, (*path, index), *_at(item.start_mark, offset, lines)))
        stack.extend(reversed(children))  # popped in document order: the first problem first
