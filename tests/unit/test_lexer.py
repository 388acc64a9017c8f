"""The sandbox's lexer skips one pass of Jinja2's (newline normalising of text that has none to
normalise); token for token it must give what Jinja2's own lexer gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2.lexer import Lexer

from promptctl.sandbox import make_environment
from tests.conftest import CORPORA

SOURCES = [
    "",
    "plain text",
    "line one\nline two\n",
    "windows\r\nlines\r\n{{ name }}\r\n",
    "old mac\rlines\r{{ name }}\r",
    "mixed\r\n\r\n\n\rend",
    "{{ 'a string\r\nwith newlines' }} and {{ \"another\rone\" }}",
    "{% raw %}\r\n{{ not parsed }}\r\n{% endraw %}\n{{ input }}",
    "{# a comment\r\nover lines #}text",
    "{%- if x -%}\r\n  trimmed\r\n{%- endif -%}\n",
    "{% for i in items %}{{ i }}\n{% endfor %}",
    "trailing newline kept or not\n\n",
    "unicode \u2028 line separator and \x85 next line",
]


def _tokens(lexer: Lexer, source: str) -> list[tuple[int, str, Any]]:
    return [(t.lineno, t.type, t.value) for t in lexer.tokenize(source)]


def _outcome(lexer: Lexer, source: str) -> list[tuple[int, str, Any]] | tuple[str, int]:
    """The tokens, or the syntax error's message and line."""
    try:
        return _tokens(lexer, source)
    except jinja2.TemplateSyntaxError as exc:
        return exc.message or "", exc.lineno


def _sources() -> Iterator[str]:
    yield from SOURCES
    if CORPORA.is_dir():
        for path in sorted(CORPORA.rglob("*.md"))[:400]:
            text = path.read_text(encoding="utf-8", errors="replace")
            yield f"{{% raw %}}\n{text}\n{{% endraw %}}\n{{{{ input }}}}\n"
            yield text.replace("\n", "\r\n")


def test_the_same_tokens_as_jinja2() -> None:
    env = make_environment({})
    ours, theirs = env.lexer, Lexer(env)
    assert type(ours) is not Lexer
    compared = 0
    for source in _sources():
        expected = _outcome(theirs, source)
        assert _outcome(ours, source) == expected, source[:80]
        compared += isinstance(expected, list)
    assert compared >= len(SOURCES)


def test_another_newline_sequence_is_still_applied() -> None:
    env = make_environment({})
    env.newline_sequence = "\r\n"
    assert env.lexer.newline_sequence == "\r\n"
    assert _tokens(env.lexer, "a\nb\rc") == _tokens(Lexer(env), "a\nb\rc") == [
        (1, "data", "a\r\nb\r\nc")]
