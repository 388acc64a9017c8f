"""The Jinja2 environment prompts render in: the immutable sandbox, with bounds on time and memory.

What the immutable sandbox already gives: no access to internals (``__class__``, ``__globals__``),
a sandboxed ``str.format``, no mutation of lists and dicts. What this module adds, because
callers' inputs feed the templates:

- time: a deadline checked at every loop iteration (each ``{% for %}`` is rewritten to iterate
  through a ticking filter), every call and every intercepted operator;
- memory: ``*``, ``**``, ``+`` and ``%`` on sequences and format widths are bounded before they
  allocate, and so are the width arguments of ``center``, ``indent``, ``wordwrap`` and the
  ``str`` padding methods;
- no object reprs: functions and methods reached from a template are wrapped so that printing
  one shows ``<function>`` instead of an address, and ``{{ }}`` prints only data (strings,
  numbers, booleans, none, and lists and mappings of those).
"""

from __future__ import annotations

import contextvars
import operator
import re
import string
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.lexer import Lexer, get_lexer
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SEQUENCE = 1024 * 1024  # longest string or list one operation may build
MAX_WIDTH = 10_000  # largest padding or format width
MAX_EXPONENT = 128
_CACHE_SIZE = 4096

# Globals a prompt needs; Jinja2's cycler, joiner and lipsum are left out (no use in a prompt,
# and lipsum can spin for seconds on one call).
_GLOBALS = ("range", "dict", "namespace")
_WIDE_FILTERS = ("center", "indent", "wordwrap", "slice")
_WIDE_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")

deadline: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=0.0)


class TimeBoundExceeded(SecurityError):
    """The render ran past its deadline."""


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


def _check_width(what: str, value: Any) -> None:
    if isinstance(value, int) and value > MAX_WIDTH:
        raise SecurityError(f"{what}: a width of {value:,} is over the bound of {MAX_WIDTH:,}")


def _check_percent_format(template: str) -> None:
    for match in _PERCENT_SPEC.finditer(template):
        for number in match.groups():
            if number == "*":
                raise SecurityError("'%*d' widths are not allowed; write the width in the format")
            if number is not None:
                _check_width("% format", int(number))


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


def _plain(value: Any) -> bool:
    """Data that prints without leaking anything: scalars and containers of them."""
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_SEQUENCE:
            return False
        if isinstance(item, str | int | float | bool) or item is None:
            continue
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            return False
    return True


def _finalize(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined) or _plain(value):
        return value
    kind = "function" if isinstance(value, _Guarded) else type(value).__name__
    hint = "; use |join or |list" if isinstance(value, Iterator | range) else ""
    raise SecurityError(f"cannot print a {kind}: print strings, numbers or lists{hint}")


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


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with bounds on time, memory and what can be printed."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

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

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        check_deadline()
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"an exponent over {MAX_EXPONENT} is refused")
            return operator.pow(left, right)
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                sequence = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sequence and len(seq) * count > MAX_SEQUENCE:
                    raise SecurityError("repeating a sequence that far is refused")
            return operator.mul(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _check_percent_format(left)
            return operator.mod(left, right)
        result = operator.add(left, right)
        if isinstance(result, str | list | tuple) and len(result) > MAX_SEQUENCE:
            raise SecurityError("building a sequence that long is refused")
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _guard(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _guard(super().getitem(obj, argument))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is not None:
            _check_brace_format(value.__self__)
        return wrapper

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        if isinstance(obj, _Guarded):
            obj = obj.fn
        name = getattr(obj, "__name__", "")
        if name in _WIDE_METHODS and isinstance(getattr(obj, "__self__", None), str):
            for value in (*args, *kwargs.values()):
                _check_width(f"str.{name}", value)
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


def _bounded_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args[1:], *kwargs.values()):
            _check_width(f"|{name}", value)
        return original(*args, **kwargs)

    return bounded


def _format_filter(original: Callable[..., str]) -> Callable[..., str]:
    def bounded(value: Any, *args: Any, **kwargs: Any) -> str:
        _check_percent_format(str(value))
        return original(value, *args, **kwargs)

    return bounded


def make_environment(partials: Mapping[str, str]) -> BoundedSandbox:
    env = BoundedSandbox(
        loader=PartialLoader(partials),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=_CACHE_SIZE,
        finalize=_finalize,
    )
    env.globals = {name: _guard(env.globals[name]) for name in _GLOBALS}
    env.filters["_tick"] = _tick
    for name in _WIDE_FILTERS:
        env.filters[name] = _bounded_filter(name, env.filters[name])
    env.filters["format"] = _format_filter(env.filters["format"])
    return env
