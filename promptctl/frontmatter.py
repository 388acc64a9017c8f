"""A reader of the YAML that front matter is written in, several times faster than PyYAML.

Prompt files use a small part of YAML: block mappings and sequences, one-line plain and quoted
scalars, literal and folded block scalars, one-line flow sequences of scalars, and comments.
``parse`` reads that part in pure Python, line by line, and gives what ``yamlload`` gives from
PyYAML's events for it: the same data (plain scalars are resolved by the caller, with PyYAML's
YAML 1.1 rules) and the same span of every value, down to where PyYAML's marks put the end of a
block scalar or of a collection. Anything else is "not mine" (``NotMine``): anchors, tags, flow
mappings, multi-line plain or quoted scalars, tabs, carriage returns and other line breaks,
document markers, escapes outside the common ones, and every error or oddity. The caller then
reads the document with PyYAML, so every error message and every refusal stays PyYAML's.

How PyYAML places what it reports, on which this module's spans rely:

- A collection ends where the next token starts: the first character of the next line that is
  neither blank nor a comment (its indentation), or, at the end of the text, column 0 of the
  line after the last line break (of the line after the last line, when the text does not end
  with one).
- A value left empty (``key:`` or ``-`` and nothing more) is a null that starts and ends just
  after its ``:`` or ``-``.
- A block scalar ends at column 0 of the line after the last line break it consumed (its
  trailing empty lines included), or at the end of the text's last line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

DataPath = tuple[str | int, ...]
# As ``yamlload.Span``: key line, key col, value line, value col, end line, end col, style.
Span = tuple[int, int, int, int, int, int, str | None]

MAX_DEPTH = 32  # deeper is left to PyYAML (which refuses beyond its own limit)
MAX_KEY = 1000  # PyYAML looks at most 1024 characters ahead for a key's ':'


class NotMine(Exception):
    """The text is outside the subset: read it with PyYAML."""


# Characters outside the subset anywhere in the text: tabs, carriage returns and YAML 1.1's
# other line breaks (U+0085, U+2028, U+2029), control characters, surrogates, a byte-order mark
# and the non-characters PyYAML refuses.
_OUTSIDE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                      "\U00010000-\U0010ffff]")
# Where a one-line plain scalar stops: a ": " or a final ":" (a key's end), or a comment.
_PLAIN_STOP = re.compile(r": |:$| #")
# What may not start a plain scalar (with "-", "?" and ":", only when a space or the end follows).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# A plain scalar inside a flow sequence, kept to the plainest: no character that could end it,
# start a mapping or a comment there.
_FLOW_PLAIN = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ][^,\[\]{}#:?]*|-[0-9.][^,\[\]{}#:?]*")
# `key: value` with a plain key and a one-line plain value that holds no ':' or '#', or `key:`
# and nothing after it.
_SIMPLE_ENTRY = re.compile(
    r"([A-Za-z_][\w-]*):(?:$| +([^-?:,\[\]{}#&*!|>'\"%@` ][^#:]*?) *$)")
_FLOW_STOP = re.compile(r" *([,\]])")
# The front matter's own keys, which every reading of YAML reads as strings (asking ``plain`` is
# for the others: `yes`, `null` and the like are not).
_STRING_KEYS = frozenset({"title", "description", "version", "status", "owners", "tags",
                          "scope", "channel", "aliases", "replaced_by", "inputs", "tests",
                          "system", "messages", "model", "role", "content", "type", "required",
                          "default", "enum", "name", "expect", "contains", "matches"})
_ESCAPES = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "n": "\n", "v": "\x0b",
            "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def parse(text: str, offset: int,
          plain: Callable[[str], Any]) -> tuple[Any, dict[DataPath, Span]]:
    """The data and spans of ``text`` (lines counted from ``offset`` + 1); ``plain`` gives a
    plain scalar's value and raises ``NotMine`` for one outside JSON's types. ``NotMine`` where
    the text is outside the subset."""
    if _OUTSIDE.search(text) is not None:
        raise NotMine
    return _Reader(text, offset, plain).document()


class _Reader:
    __slots__ = ("eof", "indents", "lines", "n", "offset", "plain", "significant", "spans")

    def __init__(self, text: str, offset: int, plain: Callable[[str], Any]) -> None:
        self.lines = lines = text.split("\n")
        self.n = len(lines)
        self.offset = offset + 1  # 0-based line -> the file's 1-based line
        self.plain = plain
        self.spans: dict[DataPath, Span] = {}
        contents = [line.lstrip(" ") for line in lines]
        indents = list(map(int.__sub__, map(len, lines), map(len, contents)))
        significant = [content[:1] not in ("#", "") for content in contents]
        if text.startswith(("---", "...", "%")) or "\n---" in text or "\n..." in text \
                or "\n%" in text:
            for line in lines:
                if (line.startswith(("---", "...")) and line[3:4] in ("", " ")) \
                        or line.startswith("%"):
                    raise NotMine  # a document marker or a directive
        self.indents = indents
        self.significant = significant
        # The end of the text, as PyYAML's marks place it (see the module's docstring).
        last = lines[-1]
        if last and (not significant[-1]):
            raise NotMine  # a final comment or blank without a line break: marks differ
        self.eof = (self.n - 1 if not last else self.n) + self.offset, 1

    # --- lines -------------------------------------------------------------------------------

    def next_significant(self, index: int) -> int:
        significant = self.significant
        n = self.n
        while index < n and not significant[index]:
            index += 1
        return index

    def at(self, index: int) -> tuple[int, int]:
        """Where the next token stands: line ``index``'s first character, or the text's end."""
        if index >= self.n:
            return self.eof
        return index + self.offset, self.indents[index] + 1

    def is_entry(self, index: int) -> bool:
        """Line ``index`` starts a sequence entry ("-" then a space or the end)."""
        line = self.lines[index]
        indent = self.indents[index]
        return line[indent] == "-" and line[indent + 1 : indent + 2] in ("", " ")

    # --- nodes -------------------------------------------------------------------------------

    def document(self) -> tuple[Any, dict[DataPath, Span]]:
        first = self.next_significant(0)
        if first == self.n:
            return None, self.spans  # comments and blank lines only: no document
        where = (first + self.offset, self.indents[first] + 1)
        root: Any
        if self.is_entry(first):
            root, end = self.sequence(first, self.indents[first], (), where, indentless=False)
        else:
            root, end = self.mapping(first, self.indents[first], (), where)
        if self.next_significant(end) != self.n:
            raise NotMine  # a line indented less than the first one
        return root, self.spans

    def mapping(self, index: int, indent: int, path: DataPath,
                key_at: tuple[int, int]) -> tuple[dict[str, Any], int]:
        """The block mapping whose first key starts at column ``indent`` of line ``index``;
        (the mapping, the first line after it)."""
        if len(path) > MAX_DEPTH:
            raise NotMine
        found: dict[str, Any] = {}
        offset = self.offset
        start = (index + offset, indent + 1)
        lines = self.lines
        indents = self.indents
        significant = self.significant
        spans = self.spans
        plain = self.plain
        last = self.n - 1
        while True:
            line = lines[index]
            simple = _SIMPLE_ENTRY.match(line, indent)
            if simple is not None:
                key, text = simple.groups()
            if simple is not None and text is None:
                # `key:` and a block below it (or null), the next most common.
                if key in found or (key not in _STRING_KEYS and type(plain(key)) is not str):
                    raise NotMine
                found[key], index = self.below(index, simple.end(), indent, (*path, key),
                                               (index + offset, indent + 1), mapping_value=True)
            elif simple is not None and (index == last or (significant[index + 1]
                                                           and indents[index + 1] <= indent)):
                # The most common line, `key: value` with a one-line plain value, at once.
                if key in found or (key not in _STRING_KEYS and type(plain(key)) is not str):
                    raise NotMine
                row = index + offset
                begins, ends = simple.span(2)
                spans[(*path, key)] = (row, indent + 1, row, begins + 1, row, ends + 1, "")
                found[key] = plain(text)
                index += 1
            else:
                key, after = self.key(line, indent)
                if key in found:
                    raise NotMine  # PyYAML's event path words the refusal
                found[key], index = self.value(index, after, indent, (*path, key),
                                               (index + offset, indent + 1), mapping_value=True)
            if index <= last and not significant[index]:
                index = self.next_significant(index)
            if index > last or indents[index] < indent:
                break
            if indents[index] > indent or (lines[index][indent] == "-"
                                           and self.is_entry(index)):
                raise NotMine  # a continued scalar, or a malformed block
        spans[path] = (*key_at, *start, *self.at(index), None)
        return found, index

    def key(self, line: str, column: int) -> tuple[str, int]:
        """The mapping key that starts at ``column`` of ``line`` and the column after its ':'."""
        char = line[column]
        if char in ("'", '"'):
            key, end = self.quoted(line, column)
            colon = end
            while line[colon : colon + 1] == " ":
                colon += 1
            if line[colon : colon + 1] != ":" or line[colon + 1 : colon + 2] not in ("", " "):
                raise NotMine
            return key, colon + 1
        self.plain_start(line, column)
        stop = _PLAIN_STOP.search(line, column)
        if stop is None or stop.group() == " #" or stop.start() - column > MAX_KEY:
            raise NotMine
        key = line[column : stop.start()].rstrip(" ")
        if type(self.plain(key)) is not str:
            raise NotMine  # a key that YAML reads as a number, a boolean or null
        return key, stop.start() + 1

    @staticmethod
    def plain_start(line: str, column: int) -> None:
        char = line[column]
        if char in _INDICATORS and (char not in "-?:" or line[column + 1 : column + 2]
                                    in ("", " ")):
            raise NotMine

    def value(self, index: int, column: int, indent: int, path: DataPath,
              key_at: tuple[int, int] | None, *, mapping_value: bool) -> tuple[Any, int]:
        """The value after a ':' or a '-' at ``column`` of line ``index``, in a block whose
        keys or entries stand at ``indent``; (the value, the line to go on from). ``key_at``
        is where its key starts (None in a sequence: the value's own start then)."""
        line = self.lines[index]
        start = column
        while line[start : start + 1] == " ":
            start += 1
        if start == len(line) or line[start] == "#":
            return self.below(index, column, indent, path, key_at, mapping_value=mapping_value)
        offset = self.offset
        at = (index + offset, start + 1)
        if key_at is None:
            key_at = at
        char = line[start]
        if char in ("|", ">"):
            return self.block_scalar(index, start, indent, path, key_at)
        if char == "[":
            items, end = self.flow_sequence(index, start, path)
            self.spans[path] = (*key_at, *at, index + offset, end + 1, None)
            self.line_end(line, end)
            return items, index + 1
        if char in ("'", '"'):
            if line.find(char, start + 1) > start:
                text, end = self.quoted(line, start)
                if not mapping_value and self.colon_follows(line, end):
                    return self.mapping(index, start, path, key_at)
                row = index
            else:
                text, row, end = self.quoted_lines(index, start, indent)
            self.line_end(self.lines[row], end)
            self.spans[path] = (*key_at, *at, row + offset, end + 1, char)
            return text, row + 1
        self.plain_start(line, start)
        stop = _PLAIN_STOP.search(line, start)
        row = index
        if stop is None:
            end = len(line.rstrip(" "))
            following = index + 1
            if following == self.n or (self.significant[following]
                                       and self.indents[following] <= indent):
                value = line[start:end]  # nothing below goes on with it (``plain_lines``)
            else:
                value, row, end = self.plain_lines(index, start, end, indent)
        elif stop.group() == " #":
            end = len(line[: stop.start()].rstrip(" "))
            value = line[start:end]
        elif mapping_value:
            raise NotMine  # "a: b: c"
        else:
            return self.mapping(index, start, path, key_at)  # "- key: value"
        self.spans[path] = (*key_at, *at, row + offset, end + 1, "")
        return self.plain(value), row + 1

    def plain_lines(self, index: int, start: int, end: int, indent: int) -> tuple[str, int, int]:
        """A plain scalar from ``start`` to ``end`` of line ``index`` and on the lines below
        indented more than ``indent`` (a line break between two of its lines reads as a space,
        empty lines as line breaks): (its text, the line and the column where it ends)."""
        lines = self.lines
        indents = self.indents
        n = self.n
        parts = [lines[index][start:end]]
        row = index + 1
        while True:
            empty = 0
            while row < n and not lines[row].strip(" "):
                empty += 1
                row += 1
            if row == n:
                break
            text = lines[row]
            at = indents[row]
            if at <= indent or text[at] == "#":
                break
            stop = _PLAIN_STOP.search(text, at)
            if stop is not None and stop.group() != " #":
                raise NotMine
            parts.append("\n" * empty if empty else " ")
            parts.append(text[at:].rstrip(" ") if stop is None
                         else text[at : stop.start()].rstrip(" "))
            index, end = row, at + len(parts[-1])
            if stop is not None:
                break  # a comment ends it
            row += 1
        return "".join(parts), index, end

    def quoted_lines(self, index: int, start: int, indent: int) -> tuple[str, int, int]:
        """A quoted scalar that goes on below line ``index`` (its lines indented more than
        ``indent``, no escapes in a double-quoted one): (its text, the line and the column after
        its closing quote). Spaces around a line break go; the break reads as a space, empty
        lines as line breaks."""
        lines = self.lines
        indents = self.indents
        n = self.n
        quote = lines[index][start]
        parts: list[str] = []
        row, position = index, start + 1
        while True:
            text = lines[row]
            if quote == '"' and "\\" in text:
                raise NotMine
            close = text.find(quote, position)
            if close >= 0:
                if quote == '"':
                    parts.append(text[position:close])
                    return "".join(parts), row, close + 1
                segment, end = self.quoted(quote + text[position:], 0)
                parts.append(segment)
                return "".join(parts), row, position + end - 1
            parts.append(text[position:].rstrip(" "))
            row += 1
            if row == n:
                raise NotMine  # the end of the text
            empty = 0
            while row < n - 1 and not lines[row].strip(" "):
                empty += 1
                row += 1
            if (row >= n - 1 and not lines[row].strip(" ")) or indents[row] <= indent:
                raise NotMine  # the end of the text, or a line not indented under the key
            parts.append("\n" * empty if empty else " ")
            position = indents[row]

    def below(self, index: int, column: int, indent: int, path: DataPath,
              key_at: tuple[int, int] | None, *, mapping_value: bool) -> tuple[Any, int]:
        """A value that is not on its key's (or its '-''s) line: a block below, or null."""
        following = self.next_significant(index + 1)
        if following < self.n:
            deeper = self.indents[following]
            entry = self.is_entry(following)
            if deeper > indent or (mapping_value and deeper == indent and entry):
                where = (following + self.offset, deeper + 1)
                if entry:
                    return self.sequence(following, deeper, path, key_at or where,
                                         indentless=deeper == indent)
                return self.mapping(following, deeper, path, key_at or where)
        at = (index + self.offset, column + 1)
        self.spans[path] = (*(key_at or at), *at, *at, "")
        return None, index + 1

    def sequence(self, index: int, indent: int, path: DataPath, key_at: tuple[int, int], *,
                 indentless: bool) -> tuple[list[Any], int]:
        """The block sequence whose entries' '-' stand at column ``indent``, from line
        ``index``; an indentless one is a mapping's value with its '-' under the keys."""
        if len(path) > MAX_DEPTH:
            raise NotMine
        items: list[Any] = []
        start = (index + self.offset, indent + 1)
        indents = self.indents
        while True:
            item, index = self.value(index, indent + 1, indent, (*path, len(items)), None,
                                     mapping_value=False)
            items.append(item)
            index = self.next_significant(index)
            if index == self.n or indents[index] < indent:
                break
            if indents[index] == indent and self.is_entry(index):
                continue
            if indentless and indents[index] == indent:
                break  # the next key of the mapping
            raise NotMine
        self.spans[path] = (*key_at, *start, *self.at(index), None)
        return items, index

    # --- scalars -----------------------------------------------------------------------------

    @staticmethod
    def colon_follows(line: str, column: int) -> bool:
        while line[column : column + 1] == " ":
            column += 1
        return line[column : column + 1] == ":" and line[column + 1 : column + 2] in ("", " ")

    @staticmethod
    def line_end(line: str, column: int) -> None:
        """Nothing but spaces and a comment may follow a value on its line."""
        rest = line[column:]
        stripped = rest.lstrip(" ")
        if stripped and not (stripped[0] == "#" and len(stripped) < len(rest)):
            raise NotMine

    @staticmethod
    def quoted(line: str, column: int) -> tuple[str, int]:
        """The one-line quoted scalar at ``column``: (its text, the column after it)."""
        quote = line[column]
        if quote == "'":
            parts: list[str] = []
            position = column + 1
            while True:
                close = line.find("'", position)
                if close < 0:
                    raise NotMine  # it goes on to the next line
                parts.append(line[position:close])
                if line[close + 1 : close + 2] != "'":
                    return "'".join(parts), close + 1
                position = close + 2
        close = line.find('"', column + 1)
        if close < 0:
            raise NotMine
        body = line[column + 1 : close]
        if "\\" not in body:
            return body, close + 1
        out: list[str] = []
        position = column + 1
        length = len(line)
        while True:
            if position >= length:
                raise NotMine
            char = line[position]
            if char == '"':
                return "".join(out), position + 1
            if char != "\\":
                out.append(char)
                position += 1
                continue
            code = line[position + 1 : position + 2]
            simple = _ESCAPES.get(code)
            if simple is not None:
                out.append(simple)
                position += 2
                continue
            width = _HEX_ESCAPES.get(code)
            digits = line[position + 2 : position + 2 + width] if width else ""
            if not width or len(digits) != width or not all(
                    c in "0123456789abcdefABCDEF" for c in digits):
                raise NotMine
            point = int(digits, 16)
            if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF:
                raise NotMine
            out.append(chr(point))
            position += 2 + width

    def flow_sequence(self, index: int, column: int, path: DataPath) -> tuple[list[Any], int]:
        """The one-line flow sequence of scalars at ``column`` of line ``index``: (its items,
        the column after its ']')."""
        if len(path) >= MAX_DEPTH:
            raise NotMine
        line = self.lines[index]
        row = index + self.offset
        items: list[Any] = []
        position = column + 1
        while line[position : position + 1] == " ":
            position += 1
        if line[position : position + 1] == "]":
            return items, position + 1
        spans = self.spans
        while True:
            char = line[position : position + 1]
            value: Any
            if char in ("'", '"'):
                value, end = self.quoted(line, position)
                style = char
            else:
                match = _FLOW_PLAIN.match(line, position)
                if match is None:
                    raise NotMine
                end = position + len(match.group().rstrip(" "))
                value = self.plain(line[position:end])
                style = ""
            spans[(*path, len(items))] = (row, position + 1, row, position + 1, row, end + 1,
                                          style)
            items.append(value)
            stop = _FLOW_STOP.match(line, end)
            if stop is None:
                raise NotMine
            position = stop.end()
            if stop.group(1) == "]":
                return items, position
            while line[position : position + 1] == " ":
                position += 1
            if line[position : position + 1] in ("]", ""):
                raise NotMine  # a trailing comma, or the sequence goes on to the next line

    def block_scalar(self, index: int, column: int, indent: int, path: DataPath,
                     key_at: tuple[int, int]) -> tuple[str, int]:
        """The literal or folded block scalar whose indicator is at ``column`` of line
        ``index``, in a block at ``indent``: (its text, the first line after it). PyYAML's
        scanner, step by step, for lines of spaces and text."""
        lines = self.lines
        n = self.n
        line = lines[index]
        folded = line[column] == ">"
        position = column + 1
        chomping = ""
        increment = 0
        for _ in range(2):
            char = line[position : position + 1]
            if char and char in "+-" and not chomping:
                chomping = char
                position += 1
            elif char and char in "123456789" and not increment:
                increment = int(char)
                position += 1
        rest = line[position:]
        if rest and (rest[0] != " " or rest.lstrip(" ")[:1] not in ("", "#")):
            raise NotMine
        if index == n - 1:
            raise NotMine  # no line break after the indicator
        row = index + 1
        if increment:
            block = indent + increment
            row, breaks, end, at = self.empty_lines(row, block)
        else:
            # The first line that is not empty sets the indentation (at least one more than
            # the block's); empty lines before it count with as many spaces as they hold.
            widest = 0
            breaks = 0
            end = row
            while True:
                text = lines[row]
                at = len(text) - len(text.lstrip(" "))
                widest = max(widest, at)
                if at == len(text) and row < n - 1:
                    breaks += 1
                    row += 1
                    end = row
                    continue
                break
            block = max(widest, indent + 1)
        end_col = 0
        chunks: list[str] = []
        line_break = ""
        while at == block and not (row == n - 1 and at >= len(lines[row])):
            if breaks:
                chunks.append("\n" * breaks)
            text = lines[row]
            content = text[block:]
            chunks.append(content)
            if row == n - 1:  # the text's last line, without a line break
                line_break = ""
                breaks = 0
                end, end_col = row, len(text)
                row = n
                break
            line_break = "\n"
            row, breaks, end, at = self.empty_lines(row + 1, block)
            if at != block or (row == n - 1 and at >= len(lines[row])):
                break
            if folded and content[0] != " " and lines[row][block] != " ":
                if not breaks:
                    chunks.append(" ")
            else:
                chunks.append("\n")
        if chomping != "-":
            chunks.append(line_break)
        if chomping == "+" and breaks:
            chunks.append("\n" * breaks)
        if row == n - 1 and at >= len(lines[row]):
            row = n
        offset = self.offset
        self.spans[path] = (*key_at, index + offset + 1, 1, end + offset, end_col + 1,
                            "|" if not folded else ">")
        return "".join(chunks), row

    def empty_lines(self, row: int, block: int) -> tuple[int, int, int, int]:
        """From line ``row``: the empty lines of a block scalar at ``block`` (their indentation
        up to ``block`` eaten); (the first line that is not empty, how many were, the line
        after the last one, the column reached in the first line that is not)."""
        lines = self.lines
        last = self.n - 1
        end = row
        breaks = 0
        while True:
            text = lines[row]
            at = min(len(text) - len(text.lstrip(" ")), block)
            if at == len(text) and row < last:
                breaks += 1
                row += 1
                end = row
                continue
            return row, breaks, end, at
