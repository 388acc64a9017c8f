"""The Jinja2 environment prompts render in: the immutable sandbox, with bounds on time and memory.

What the immutable sandbox already gives: no access to internals (``__class__``, ``__globals__``),
a sandboxed ``str.format``, no mutation of lists and dicts. What this module adds, because
callers' inputs feed the templates (docs/decisions/0002-rendering-bounds.md):

- time: a deadline checked at every loop iteration (each ``{% for %}`` is rewritten to iterate
  through a ticking filter), every call, every filter and every intercepted operator;
- memory: every operation that can build a large value is refused before it runs when size
  arithmetic puts its result past the bound (the renderer's output limit for text, 1 Mi items
  for lists, 65,536 bits for integers), and every filter and ``str`` method result is checked
  against the same bounds;
- text from data only: ``{{ }}``, ``~``, ``%``, ``str.format``, ``|string``, ``|join`` and every
  filter that turns its value into text accept strings, numbers, booleans, none and lists,
  tuples and dicts of those, found by a walk that gives up past the bound. Anything else (a
  function, a class, a generator, a macro, ``loop``, ``self``, a namespace) is refused, so no
  object's repr or address is ever printed.
"""

from __future__ import annotations

import contextvars
import functools
import operator
import re
import string
import time
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from typing import Any, AnyStr

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.lexer import Lexer, get_lexer
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from markupsafe import Markup

MAX_SEQUENCE = 1024 * 1024  # most items one list may hold, counting nested lists' items
MAX_TEXT = 1024 * 1024  # longest text one operation may build (the renderer's output limit)
MAX_WIDTH = 10_000  # largest padding or format width
MAX_EXPONENT = 128
MAX_INT_BITS = 65_536  # a 19,729-digit number; Python prints at most 4,300 digits anyway
_CACHE_SIZE = 4096

# Globals a prompt needs; Jinja2's cycler, joiner and lipsum are left out (no use in a prompt,
# and lipsum can spin for seconds on one call).
_GLOBALS = ("range", "dict", "namespace")
_WIDE_FILTERS = frozenset({"center", "indent", "wordwrap", "slice", "tojson"})
_WIDE_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
# Filters that turn their value (and arguments) into text: both must be data.
_TEXT_FILTERS = frozenset({
    "string", "upper", "lower", "title", "capitalize", "trim", "striptags", "center", "indent",
    "wordwrap", "truncate", "wordcount", "replace", "format", "urlize", "escape", "e",
    "forceescape", "safe", "pprint", "tojson", "xmlattr", "urlencode",
})
# Filters on a text that take any value but use it as the text it is (|indent would extend a
# list in place with `s += "\n"`): a value that is not a text is given as its text.
_STR_FILTERS = frozenset({
    "upper", "lower", "title", "capitalize", "trim", "striptags", "center", "indent", "wordwrap",
    "truncate", "wordcount", "replace",
})
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]?")
_DIGITS = re.compile(r"\d+")

deadline: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=0.0)


class TimeBoundExceeded(SecurityError):
    """The render ran past its deadline."""


class SizeBoundExceeded(SecurityError):
    """One operation would build a value past the size bounds."""


def check_deadline() -> None:
    limit = deadline.get()
    if limit and time.monotonic() > limit:
        raise TimeBoundExceeded("rendering took longer than the time bound")


def _tick(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        check_deadline()
        yield item


class _Guarded:
    """A callable reached from a template: callable as before, printed without an address."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return "<function>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "<function>"


def _guard(value: Any) -> Any:
    if callable(value) and not isinstance(value, jinja2.Undefined | _Guarded | type):
        return _Guarded(value)
    return value


def _too_big(what: str, size: int, limit: int, unit: str = "characters") -> SizeBoundExceeded:
    return SizeBoundExceeded(f"{what} would be {size:,} {unit} or more, over the bound of "
                             f"{limit:,}")


def _not_data(value: Any) -> SecurityError:
    if isinstance(value, _Guarded | types.FunctionType | types.BuiltinFunctionType
                  | types.MethodType | jinja2.runtime.Macro):
        kind = "macro" if isinstance(value, jinja2.runtime.Macro) else "function"
    elif isinstance(value, type):
        kind = "class"
    else:
        kind = type(value).__name__
    hint = "; use |list or |join" if isinstance(value, Iterator | range) else ""
    return SecurityError(f"cannot turn a {kind} into text: only strings, numbers, booleans, none "
                         f"and lists or mappings of those can be printed{hint}")


_SCALARS = frozenset({bool, float, type(None)})


def text_size(value: Any, limit: int, depth_cost: int = 0, what: str = "the text",
              start: int = 0) -> int:
    """``start`` plus an upper estimate of ``len(str(value))``, for plain data only.

    Raises SecurityError for anything that is not data (its text would be a repr) and
    SizeBoundExceeded as soon as the estimate passes ``limit``; so the walk itself stops after
    about ``limit`` items, however nested or shared the structure is. ``depth_cost`` adds that
    many characters per nesting level to each item (the indentation of pprint and tojson).
    """
    kind = type(value)
    if kind is str:
        size = start + len(value)
    elif kind is int:
        size = start + (value.bit_length() * 1233 >> 12) + 2
    elif kind in _SCALARS:
        size = start + 24
    else:
        return _walk_size(value, limit, depth_cost, what, start)
    if size > limit:
        raise _too_big(what, size, limit)
    return size


def _walk_size(value: Any, limit: int, depth_cost: int, what: str, size: int) -> int:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str or isinstance(item, str):
            size += len(item) + 2
        elif kind is int:
            size += (item.bit_length() * 1233 >> 12) + 2
        elif kind is bool or item is None:
            size += 5
        elif kind is float:
            size += 24
        elif kind is list or kind is tuple:
            size += 2 + 2 * len(item)
            stack.extend([(child, depth + 1) for child in item])
        elif kind is dict:
            size += 2 + 4 * len(item)
            for key, child in item.items():
                stack.append((key, depth + 1))
                stack.append((child, depth + 1))
        elif isinstance(item, jinja2.Undefined):
            size += len(str(item))  # StrictUndefined raises its own error here
        else:
            raise _not_data(item)
        size += depth_cost * depth
        if size > limit:
            raise _too_big(what, size, limit)
    return size


def _expanded_items(seq: list[Any] | tuple[Any, ...], limit: int) -> int:
    """Items of ``seq`` counting those of nested lists, tuples and dicts; stops past ``limit``."""
    count = 0
    stack: list[Any] = [seq]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if type(item) is list or type(item) is tuple:
            stack.extend(item)
        elif type(item) is dict:
            stack.extend(item.values())
    return count


def _bounded_result(value: Any, limit: int) -> Any:
    """A value one operation made, checked against the bounds (an allocation of a constant
    factor of the bound has happened by then; this stops the next one from growing it)."""
    kind = type(value)
    if kind is str or isinstance(value, str | bytes):
        if len(value) > limit:
            raise _too_big("the text", len(value), limit)
    elif kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise _too_big("a number", value.bit_length(), MAX_INT_BITS, "bits")
    elif (kind is list or kind is tuple) and len(value) > MAX_SEQUENCE:
        raise _too_big("a list", len(value), MAX_SEQUENCE, "items")
    return value


def _check_width(what: str, value: Any) -> None:
    if isinstance(value, int) and value > MAX_WIDTH:
        raise SecurityError(f"{what}: a width of {value:,} is over the bound of {MAX_WIDTH:,}")


def _check_percent_format(template: str) -> tuple[int, int]:
    """(number of conversions, sum of their widths and precisions) of a ``%`` format."""
    specs = widths = 0
    for match in _PERCENT_SPEC.finditer(template):
        if match.group(0) == "%%":
            continue
        specs += 1
        for number in match.groups():
            if number == "*":
                raise SecurityError("'%*d' widths are not allowed; write the width in the format")
            if number is not None:
                _check_width("% format", int(number))
                widths += int(number)
    return specs, widths


def _percent_size(template: str, arguments: Any, limit: int) -> int:
    specs, widths = _check_percent_format(template)
    # Each conversion prints at most all of the arguments (``%s`` of a mapping prints it whole).
    size = len(template) + widths + specs * text_size(arguments, limit)
    if size > limit:
        raise _too_big("the % format", size, limit)
    return size


def _check_brace_format(template: str) -> None:
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format itself reports the malformed format
    for _literal, _field, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            raise SecurityError("nested replacement fields in a format spec are not allowed")
        for number in _DIGITS.findall(spec):
            _check_width("format spec", int(number))


def _line_count(text: str) -> int:
    return 1 + sum(text.count(mark) for mark in _LINE_BREAKS)


def _replace_size(text: AnyStr, old: AnyStr, new: AnyStr, count: int | None = None) -> int:
    occurrences = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * max(len(new) - len(old), 0)


class _BoundedFields:
    """``str.format`` fields: data only, and the formatted fields' total within the bound."""

    _size = 0

    @property
    def _limit(self) -> int:
        env: BoundedSandbox = self._env  # type: ignore[attr-defined]
        return env.max_text

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        text_size(value, self._limit, what="a format field")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        limit = self._limit
        text_size(value, limit, what="the formatted text", start=self._size)
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        self._size += len(text)
        if self._size > limit:
            raise _too_big("the formatted text", self._size, limit)
        return text


class _BoundedFormatter(_BoundedFields, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_BoundedFields, SandboxedEscapeFormatter):
    pass


class _Lexer(Lexer):
    """Jinja2's lexer, less one regular expression pass over every text token.

    ``tokeniter`` has already split the source at every newline form and joined it again with
    "\n", so with the default newline sequence ``_normalize_newlines`` returns its text
    unchanged; yet that pass is about a fifth of parsing a 6 KB prompt. Here a text without
    "\r" is returned as it is, and anything else goes through Jinja2's own code.
    """

    def _normalize_newlines(self, value: str) -> str:
        if self.newline_sequence == "\n" and "\r" not in value:
            return value
        return super()._normalize_newlines(value)


# Jinja2 caches its lexers by the environment's syntax settings; ours follow those, one each.
_LEXERS: weakref.WeakKeyDictionary[Lexer, _Lexer] = weakref.WeakKeyDictionary()


class _TextBuffer(list[str]):
    """The output a macro, a ``{% set %}`` block, a ``{% filter %}`` block or a call block
    collects: each part's length counted as it comes, so a loop that outputs a large text many
    times is refused at the part that passes the bound, not after all of them are made."""

    __slots__ = ("limit", "size")

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.size = 0
        self.limit = limit

    def append(self, part: str) -> None:
        self.size += len(part)
        if self.size > self.limit:
            raise _too_big("the text of a block or macro", self.size, self.limit)
        super().append(part)

    def extend(self, parts: Iterable[str]) -> None:
        for part in parts:
            self.append(part)


class _CodeGenerator(CodeGenerator):
    """Jinja2's code generator, with ``~`` compiled to the environment's bounded ``join_text``
    instead of ``str_join``, which would turn any object into its repr and build any length,
    and with bounded buffers for the output of macros and blocks."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        # Jinja2 evaluates constant expressions while compiling, where ``~`` is its own
        # ``str()`` join: ``(3|batch(2)) ~ ''`` became the generator's repr. Only literal text
        # and constants are folded here (the environment also turns the optimizer off).
        if type(node) is not nodes.TemplateData and type(node) is not nodes.Const:
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.text_buffer()")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_text((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        if frame.eval_ctx.volatile:
            self.write("), context.eval_ctx.autoescape)")
        else:
            self.write(f"), {bool(frame.eval_ctx.autoescape)!r})")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with bounds on time, memory and what can be printed."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CodeGenerator
    max_text = MAX_TEXT

    @property
    def lexer(self) -> Lexer:
        jinja_lexer = get_lexer(self)  # the one for this environment's current settings
        lexer = _LEXERS.get(jinja_lexer)
        if lexer is None:
            lexer = _LEXERS[jinja_lexer] = _Lexer(self)
        return lexer

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Every {% for %} iterates through `_tick`, which checks the deadline at each item, so
        # nested loops over inputs stop in time whatever they iterate over.
        ast = super()._parse(source, name, filename)
        for loop in ast.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_tick", [], [], None, None,
                                     lineno=loop.iter.lineno)
        return ast

    def print_value(self, value: Any) -> Any:
        """The ``finalize`` hook: what ``{{ }}`` prints must be data (its size is the
        renderer's business)."""
        kind = type(value)
        if kind is str or kind is int or kind in _SCALARS or \
                isinstance(value, jinja2.Undefined):
            return value
        text_size(value, self.max_text, what="the printed value")
        return value

    def join_text(self, parts: tuple[Any, ...], autoescape: bool) -> str:
        """``a ~ b``: data only, and the joined length checked before it is built."""
        check_deadline()
        limit = self.max_text
        size = 0
        for part in parts:
            size = text_size(part, limit, what="the joined text", start=size)
        return markup_join(parts) if autoescape else str_join(parts)

    def text_buffer(self) -> _TextBuffer:
        return _TextBuffer(self.max_text)

    def concat(self, parts: Iterable[str]) -> str:
        """The body of a macro, a ``{% set %}`` block, a ``{% filter %}`` block or a call block,
        joined only if its total length is within the bound."""
        limit = self.max_text
        kept: list[str] = []
        size = 0
        for part in parts:
            size += len(part)
            if size > limit:
                raise _too_big("the text of a block or macro", size, limit)
            kept.append(part)
        return "".join(kept)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        check_deadline()
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"an exponent over {MAX_EXPONENT} is refused")
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                bits = left.bit_length() * right
                if bits > MAX_INT_BITS:
                    raise _too_big("a power", bits, MAX_INT_BITS, "bits")
            return operator.pow(left, right)
        if operator_name == "*":
            self._check_repeat(left, right)
            self._check_repeat(right, left)
            return operator.mul(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _percent_size(left, right, self.max_text)
            return operator.mod(left, right)
        if isinstance(left, str | bytes) and isinstance(right, str | bytes):
            if len(left) + len(right) > self.max_text:
                raise _too_big("the text", len(left) + len(right), self.max_text)
        elif isinstance(left, list | tuple) and isinstance(right, list | tuple) and \
                len(left) + len(right) > MAX_SEQUENCE:
            raise _too_big("a list", len(left) + len(right), MAX_SEQUENCE, "items")
        return _bounded_result(operator.add(left, right), self.max_text)

    def _check_repeat(self, seq: Any, count: Any) -> None:
        if not isinstance(count, int):
            return
        if isinstance(seq, int):
            bits = seq.bit_length() + count.bit_length()
            if bits > MAX_INT_BITS:
                raise _too_big("a product", bits, MAX_INT_BITS, "bits")
        elif isinstance(seq, str | bytes):
            if len(seq) * count > self.max_text:
                raise _too_big("repeating a text", len(seq) * count, self.max_text)
        elif isinstance(seq, list | tuple) and count > 0:
            # Counting nested items: [[1] * 1024] * 1024 holds a million items to print.
            items = _expanded_items(seq, MAX_SEQUENCE // count) if count > 1 else len(seq)
            if items * count > MAX_SEQUENCE:
                raise _too_big("repeating a list", items * count, MAX_SEQUENCE, "items")

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _guard(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _guard(super().getitem(obj, argument))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja2's own wrapper, with a formatter whose fields must be data and stay in bounds.
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or \
                value.__name__ not in ("format", "format_map"):
            return None
        f_self = value.__self__
        if not isinstance(f_self, str):
            return None
        _check_brace_format(f_self)
        str_type = type(f_self)
        is_format_map = value.__name__ == "format_map"
        formatter: _BoundedFormatter | _BoundedEscapeFormatter
        if isinstance(f_self, Markup):
            formatter = _BoundedEscapeFormatter(self, escape=f_self.escape)
        else:
            formatter = _BoundedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs = args[0]
                args = ()
            formatter._size = 0
            return str_type(formatter.vformat(f_self, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        if isinstance(obj, _Guarded):
            obj = obj.fn
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str | bytes | int) and not isinstance(owner, bool):
            args = self._check_method(obj.__name__, owner, args, kwargs)
        return _bounded_result(super().call(context, obj, *args, **kwargs), self.max_text)

    def _check_method(self, name: str, owner: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """Size arithmetic for the methods of str, bytes and int that can build a large value;
        returns the arguments (an iterable given to ``join`` is read into a list first)."""
        limit = self.max_text
        if isinstance(owner, int):
            if name == "to_bytes":
                length = args[0] if args else kwargs.get("length", 1)
                if isinstance(length, int) and length > limit:
                    raise _too_big("int.to_bytes", length, limit, "bytes")
            return args
        if name in ("format", "format_map"):
            return args  # the formatter checks each field
        if name == "join" and len(args) == 1 and not kwargs:
            items = list(args[0])
            size = len(owner) * max(len(items) - 1, 0)
            for item in items:
                size = text_size(item, limit, what="the joined text", start=size) \
                    if not isinstance(item, bytes) else size + len(item)
                if size > limit:
                    raise _too_big("the joined text", size, limit)
            return (items,)
        size = len(owner)
        for value in (*args, *kwargs.values()):
            if not isinstance(value, bytes):
                size += text_size(value, limit, what="an argument")
        if name in _WIDE_METHODS:
            for value in (*args, *kwargs.values()):
                _check_width(f"str.{name}", value)
            if name == "expandtabs":
                tabsize = args[0] if args else kwargs.get("tabsize", 8)
                if isinstance(tabsize, int):
                    tab = b"\t" if isinstance(owner, bytes) else "\t"
                    size = len(owner) + owner.count(tab) * tabsize
        elif name == "replace" and len(args) >= 2 and all(
                isinstance(a, str if isinstance(owner, str) else bytes) for a in args[:2]):
            size = _replace_size(owner, args[0], args[1], args[2] if len(args) > 2 else None)
        elif name == "translate" and args and isinstance(args[0], dict):
            longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
            size = len(owner) * max(longest, 1)
        if size > limit:
            raise _too_big(f"str.{name}", size, limit)
        return args


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


# --- size arithmetic of the filters that can grow a text by more than a constant factor -------
# Each takes the filter's own arguments (value first) and the bound; each returns an upper
# estimate of the result's length, or raises.


def _indent_size(limit: int, s: Any, width: int | str = 4, first: bool = False,
                 blank: bool = False) -> int:
    text = str(s)
    indention = len(width) if isinstance(width, str) else max(int(width), 0)
    return len(text) + (_line_count(text) + 1) * (indention + 1)


def _wordwrap_size(limit: int, s: Any, width: int = 79, break_long_words: bool = True,
                   wrapstring: str | None = None, break_on_hyphens: bool = True) -> int:
    text = str(s)
    joint = 1 if wrapstring is None else len(str(wrapstring))
    # Every wrapped line holds at least one word or `width` characters of one.
    breaks = len(text) // max(int(width), 1) + sum(text.count(c) for c in " \t-") \
        + _line_count(text)
    return len(text) + breaks * joint


def _replace_filter_size(limit: int, s: Any, old: Any, new: Any, count: int | None = None) -> int:
    return _replace_size(str(s), str(old), str(new), count)


def _format_filter_size(limit: int, value: Any, *args: Any, **kwargs: Any) -> int:
    return _percent_size(str(value), kwargs or args, limit)


def _urlize_size(limit: int, value: Any, trim_url_limit: int | None = None,
                 nofollow: bool = False, target: str | None = None, rel: str | None = None,
                 extra_schemes: Iterable[str] | None = None) -> int:
    text = str(value)
    words = 1 + sum(text.count(c) for c in " \t\n\r\x0b\x0c")
    extra = len(str(target or "")) + len(str(rel or "")) + 64
    return 3 * len(text) + words * extra


def _pprint_size(limit: int, value: Any) -> int:
    return text_size(value, limit, depth_cost=1)


def _tojson_size(limit: int, value: Any, indent: int | str | None = None) -> int:
    step = len(indent) if isinstance(indent, str) else (indent or 0)
    return text_size(value, limit, depth_cost=step + 1 if indent is not None else 0)


def _batch_size(limit: int, value: Any, linecount: Any, fill_with: Any = None) -> int:
    if isinstance(linecount, int) and linecount > MAX_SEQUENCE:
        raise _too_big("a batch", linecount, MAX_SEQUENCE, "items")
    return 0


_SIZES: dict[str, Callable[..., int]] = {
    "indent": _indent_size,
    "wordwrap": _wordwrap_size,
    "replace": _replace_filter_size,
    "format": _format_filter_size,
    "urlize": _urlize_size,
    "pprint": _pprint_size,
    "tojson": _tojson_size,
    "batch": _batch_size,
}


def _bounded_filter(env: BoundedSandbox, name: str, original: Callable[..., Any]
                    ) -> Callable[..., Any]:
    """A builtin filter with the deadline, data-only text and size bounds applied.

    ``functools.wraps`` keeps Jinja2's ``jinja_pass_arg`` marker, so a filter that takes the
    environment or context still gets it (first argument; the value comes after it).
    """
    offset = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0
    text = name in _TEXT_FILTERS
    as_str = name in _STR_FILTERS
    wide = name in _WIDE_FILTERS
    size_of = _SIZES.get(name)

    @functools.wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        check_deadline()
        limit = env.max_text
        if wide:
            for value in (*args[offset + 1:], *kwargs.values()):
                _check_width(f"|{name}", value)
        if text:
            for value in (*args[offset:], *kwargs.values()):
                text_size(value, limit, what=f"the text of |{name}")
            if as_str and len(args) > offset and not isinstance(args[offset], str):
                args = (*args[:offset], str(args[offset]), *args[offset + 1:])
        if size_of is not None:
            size = size_of(limit, *args[offset:], **kwargs)
            if size > limit:
                raise _too_big(f"the result of |{name}", size, limit)
        return _bounded_result(original(*args, **kwargs), limit)

    return bounded


def _join_filter(env: BoundedSandbox, original: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(original)
    def join(eval_ctx: Any, value: Iterable[Any], d: str = "",
             attribute: str | int | None = None) -> str:
        check_deadline()
        limit = env.max_text
        items = list(value)
        if attribute is not None:
            items = list(map(make_attrgetter(env, attribute), items))
        size = text_size(d, limit, what="the joined text") * max(len(items) - 1, 0)
        for item in items:
            size = text_size(item, limit, what="the joined text", start=size)
        if size > limit:
            raise _too_big("the joined text", size, limit)
        return original(eval_ctx, items, d)

    return join


def _sum_filter(env: BoundedSandbox, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def total(environment: Any, iterable: Iterable[Any], attribute: str | int | None = None,
              start: Any = 0) -> Any:
        check_deadline()
        if type(start) not in (list, tuple):
            return _bounded_result(original(environment, iterable, attribute, start),
                                   env.max_text)
        # Python adds lists one by one, copying the total each time: quadratic. Summed here as
        # one concatenation, after the length is known.
        items = list(iterable)
        if attribute is not None:
            items = list(map(make_attrgetter(env, attribute), items))
        size = len(start)
        for item in items:
            if type(item) is not type(start):
                raise TypeError(f"can only concatenate {type(start).__name__} (not "
                                f"\"{type(item).__name__}\") to {type(start).__name__}")
            size += len(item)
            if size > MAX_SEQUENCE:
                raise _too_big("the sum", size, MAX_SEQUENCE, "items")
        return type(start)(chain(start, *items))

    return total


def _text_test(env: BoundedSandbox, original: Any) -> Callable[..., bool]:
    @functools.wraps(original)
    def test(value: Any) -> bool:
        text_size(value, env.max_text)
        return bool(original(value))

    return test


def make_environment(partials: Mapping[str, str], *, max_text: int = MAX_TEXT) -> BoundedSandbox:
    """The environment; ``max_text`` bounds every text one operation builds (the renderer
    passes its output limit)."""
    env = BoundedSandbox(
        loader=PartialLoader(partials),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=_CACHE_SIZE,
        optimized=False,  # no constant folding: see _CodeGenerator._output_child_to_const
    )
    env.max_text = max_text
    env.finalize = env.print_value
    env.globals = {name: _guard(env.globals[name]) for name in _GLOBALS}
    env.filters = {name: _bounded_filter(env, name, original)
                   for name, original in env.filters.items()}
    env.filters["join"] = _join_filter(env, jinja2.filters.FILTERS["join"])
    env.filters["sum"] = _sum_filter(env, jinja2.filters.FILTERS["sum"])
    env.filters["_tick"] = _tick
    for name in ("lower", "upper"):
        env.tests[name] = _text_test(env, env.tests[name])
    return env
