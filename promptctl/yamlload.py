"""Safe YAML loading that remembers where every key and value stands.

Front matter is parsed into plain JSON-like data (dicts, lists, str, int, float, bool, None) and a
map from each data path to its position, so a schema error can name the line of the offending key.

Refused on purpose, with a located error:
- anchors and aliases: a small file of nested aliases expands to gigabytes once serialised
  ("billion laughs"), and prompt files have no need for them;
- duplicate keys, which YAML parsers silently resolve to the last one;
- keys that are not strings, and nesting deeper than ``MAX_DEPTH``.
Dates stay strings (no timestamp resolver), so the data is always JSON-serialisable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_DEPTH = 64

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader without the timestamp resolver: `2024-01-01` stays the string it looks like."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

DataPath = tuple[str | int, ...]


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


@dataclass
class YamlDocument:
    data: Any
    # Path -> position of the key that names it (for mapping entries) or of the item itself.
    keys: dict[DataPath, Position] = field(default_factory=dict)
    # Path -> where the value's text starts (for block scalars, the line after the indicator).
    values: dict[DataPath, Position] = field(default_factory=dict)
    # Path -> where the value's text ends, and the style of scalars ("|", ">", '"', "'" or None).
    ends: dict[DataPath, Position] = field(default_factory=dict)
    styles: dict[DataPath, str | None] = field(default_factory=dict)

    def position(self, path: DataPath) -> Position:
        """The nearest known position for ``path``, walking up to its parents."""
        probe = tuple(path)
        while probe:
            if probe in self.keys:
                return self.keys[probe]
            probe = probe[:-1]
        return Position(1, 1)


def load(text: str, *, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document; positions count from ``first_line`` (front matter offset)."""
    offset = first_line - 1
    if "&" in text or "*" in text:
        _refuse_anchors(text, offset)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = first_line, 1
        if mark is not None:
            line, col = mark.line + 1 + offset, mark.column + 1
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YamlProblem(f"malformed YAML: {problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {exc}", first_line, 1) from None
    finally:
        loader.dispose()
    document = YamlDocument(data=data)
    _index(node, document, offset)
    return document


def _refuse_anchors(text: str, offset: int) -> None:
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                line, col = (mark.line + 1 + offset, mark.column + 1) if mark else (1, 1)
                raise YamlProblem(
                    "YAML anchors and aliases (&name, *name) are not allowed in prompt files; "
                    "write the value out in full",
                    line,
                    col,
                    code="yaml-alias",
                )
    except yaml.MarkedYAMLError:
        return  # malformed: load() reports it with its position


def _index(root: yaml.Node, document: YamlDocument, offset: int) -> None:
    """Record positions and refuse duplicate keys, non-string keys and deep nesting.

    Iterative, so that a hostile document cannot exhaust the interpreter's recursion limit.
    """
    stack: list[tuple[yaml.Node, DataPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            mark = node.start_mark
            raise YamlProblem(
                f"nested deeper than {MAX_DEPTH} levels; flatten the structure",
                mark.line + 1 + offset,
                mark.column + 1,
            )
        document.values[path] = _value_start(node, offset)
        document.ends[path] = Position(node.end_mark.line + 1 + offset, node.end_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            document.styles[path] = node.style
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key_mark = key_node.start_mark
                where = (key_mark.line + 1 + offset, key_mark.column + 1)
                is_text = key_node.tag == "tag:yaml.org,2002:str"
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
                child = (*path, key)
                document.keys[child] = Position(*where)
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                mark = item.start_mark
                document.keys[child] = Position(mark.line + 1 + offset, mark.column + 1)
                stack.append((item, child))


def _value_start(node: yaml.Node, offset: int) -> Position:
    mark = node.start_mark
    line = mark.line + 1 + offset
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        # A block scalar's text starts on the line after its `|` or `>` indicator.
        return Position(line + 1, 1)
    return Position(line, mark.column + 1)
