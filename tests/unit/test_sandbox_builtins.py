"""Every Jinja2 builtin filter and test, and the payloads of Jinja2's own sandbox tests.

Each builtin either works or fails with the project's RenderError; none raises anything else
(which the command line reports as a bug in promptctl), prints an object's repr or changes an
input. See docs/decisions/0002-rendering-bounds.md.
"""

from __future__ import annotations

import copy
from typing import Any

import jinja2
import pytest

from promptctl.render import Renderer
from tests.unit.test_sandbox import LEAK, REPR, attempt, load

VALUES: dict[str, Any] = {"x": "a b-c\nd é <i>", "items": [3, 1, 2], "mapping": {"k": 1, "j": 2}}

# Values of every kind a template can hand a filter: inputs, literals, an iterator, a class.
SUBJECTS = ["x", "items", "mapping", "3", "-2.5", "none", "true", "[{'k': 1}, {'k': 2}]",
            "['b', 'a']", "(items|reverse)", "dict", "x.upper", "''"]

# Plausible arguments for the filters that take some (no arguments for the rest).
ARGUMENTS: dict[str, list[str]] = {
    "attr": ["('k')", "('upper')"], "batch": ["(2)", "(2, 0)"], "center": ["(9)"],
    "default": ["('d')", "('d', true)"], "d": ["('d')"], "dictsort": ["", "(by='value')"],
    "format": ["(1)", "('a', 'b')"], "groupby": ["('k')", "(0)"], "indent": ["(2)",
                                                                              "('> ', true, true)"],
    "join": ["", "(',')", "(',', 'k')"], "map": ["('string')", "(attribute='k')", "('upper')"],
    "replace": ["('a', 'A')", "('a', 'A', 1)"], "round": ["(1)", "(1, 'floor')"],
    "select": ["('odd')", ""], "reject": ["('odd')"], "selectattr": ["('k')", "('k', 'odd')"],
    "rejectattr": ["('k')"], "slice": ["(2)", "(2, 0)"], "sum": ["", "(start=[])",
                                                               "(attribute='k')"],
    "truncate": ["(5)", "(5, true, '~', 0)"], "wordwrap": ["(3)", "(3, false, '|')"],
    "urlize": ["", "(10, true, '_blank')"], "int": ["", "(0, 16)"], "float": ["", "(1.5)"],
    "tojson": ["", "(2)"], "sort": ["", "(true, true)", "(attribute='k')"], "unique": [""],
    "filesizeformat": ["", "(true)"], "xmlattr": ["", "(false)"], "min": ["", "(attribute='k')"],
    "max": ["", "(attribute='k')"], "items": [""], "first": [""], "last": [""],
    "random": [""], "list": [""], "string": [""], "pprint": [""], "length": [""],
    "count": [""], "reverse": [""], "urlencode": [""], "escape": [""], "forceescape": [""],
    "safe": [""], "e": [""], "striptags": [""], "wordcount": [""], "title": [""],
}

# One use of each filter that must work, and what it renders.
WORKS: dict[str, tuple[str, str]] = {
    "abs": ("{{ -3|abs }}", "3"),
    "attr": ("{{ ('ab'|attr('upper'))() }}", "AB"),
    "batch": ("{{ items|batch(2, 0)|list }}", "[[3, 1], [2, 0]]"),
    "capitalize": ("{{ 'ab'|capitalize }}", "Ab"),
    "center": ("{{ 'a'|center(3) }}|", "a |"),
    "count": ("{{ items|count }}", "3"),
    "d": ("{{ none|d('d', true) }}", "d"),
    "default": ("{{ ''|default('d', true) }}", "d"),
    "dictsort": ("{{ mapping|dictsort }}", "[('j', 2), ('k', 1)]"),
    "e": ("{{ '<'|e }}", "&lt;"),
    "escape": ("{{ '<'|escape }}", "&lt;"),
    "filesizeformat": ("{{ 2048|filesizeformat }}", "2.0 kB"),
    "first": ("{{ items|first }}", "3"),
    "float": ("{{ '1.5'|float }}", "1.5"),
    "forceescape": ("{{ '<'|forceescape }}", "&lt;"),
    "format": ("{{ '%s-%d'|format('a', 1) }}", "a-1"),
    "groupby": ("{% for k, g in [{'k': 1}, {'k': 1}]|groupby('k') %}{{ k }}{{ g|length }}"
                "{% endfor %}", "12"),
    "indent": ("{{ 'a\nb'|indent(2) }}", "a\n  b"),
    "int": ("{{ 'ff'|int(0, 16) }}", "255"),
    "items": ("{{ mapping|items|list }}", "[('k', 1), ('j', 2)]"),
    "join": ("{{ items|join(',') }}", "3,1,2"),
    "last": ("{{ items|last }}", "2"),
    "length": ("{{ items|length }}", "3"),
    "list": ("{{ 'ab'|list }}", "['a', 'b']"),
    "lower": ("{{ 'AB'|lower }}", "ab"),
    "map": ("{{ ['a', 'b']|map('upper')|join }}", "AB"),
    "max": ("{{ items|max }}", "3"),
    "min": ("{{ items|min }}", "1"),
    "pprint": ("{{ mapping|pprint }}", "{'j': 2, 'k': 1}"),
    "random": ("{{ [7]|random }}", "7"),
    "reject": ("{{ items|reject('odd')|list }}", "[2]"),
    "rejectattr": ("{{ [{'k': 1}, {'k': 0}]|rejectattr('k')|list }}", "[{'k': 0}]"),
    "replace": ("{{ 'aa'|replace('a', 'b', 1) }}", "ba"),
    "reverse": ("{{ items|reverse|list }}", "[2, 1, 3]"),
    "round": ("{{ 2.55|round(1, 'floor') }}", "2.5"),
    "safe": ("{{ '<b>'|safe }}", "<b>"),
    "select": ("{{ items|select('odd')|list }}", "[3, 1]"),
    "selectattr": ("{{ [{'k': 1}, {'k': 0}]|selectattr('k')|list }}", "[{'k': 1}]"),
    "slice": ("{{ items|slice(2)|list }}", "[[3, 1], [2]]"),
    "sort": ("{{ items|sort }}", "[1, 2, 3]"),
    "string": ("{{ items|string }}", "[3, 1, 2]"),
    "striptags": ("{{ '<b>a</b>  b'|striptags }}", "a b"),
    "sum": ("{{ items|sum }} {{ [[1], [2]]|sum(start=[]) }}", "6 [1, 2]"),
    "title": ("{{ 'a b'|title }}", "A B"),
    "tojson": ("{{ mapping|tojson }}", '{"j": 2, "k": 1}'),
    "trim": ("{{ ' a '|trim }}", "a"),
    "truncate": ("{{ 'abcdefghij'|truncate(5, true, '~', 0) }}", "abcd~"),
    "unique": ("{{ [1, 1, 2]|unique|list }}", "[1, 2]"),
    "upper": ("{{ 'ab'|upper }}", "AB"),
    "urlencode": ("{{ 'a b'|urlencode }}", "a%20b"),
    "urlize": ("{{ 'see https://example.com'|urlize }}",
               'see <a href="https://example.com" rel="noopener">https://example.com</a>'),
    "wordcount": ("{{ 'a b c'|wordcount }}", "3"),
    "wordwrap": ("{{ 'aa bb cc'|wordwrap(3, false, '|') }}", "aa|bb|cc"),
    "xmlattr": ("{{ {'a': 1}|xmlattr(false) }}", 'a="1"'),
}


def test_the_table_covers_every_builtin_filter() -> None:
    assert sorted(WORKS) == sorted(jinja2.filters.FILTERS)


@pytest.mark.parametrize("name", sorted(WORKS))
def test_each_builtin_filter_works(name: str) -> None:
    template, expected = WORKS[name]
    assert Renderer({}).render(load(template), VALUES).text == expected


def outcome(template: str, values: dict[str, Any]) -> str:
    """The text, or the RenderError's message; any other exception fails the test."""
    _, text = attempt(template, values)
    assert not REPR.search(text), f"{template}: {text}"
    return text


@pytest.mark.parametrize("name", sorted(jinja2.filters.FILTERS))
def test_each_builtin_filter_on_any_value_renders_or_is_a_render_error(name: str) -> None:
    values = copy.deepcopy(VALUES)
    for arguments in ARGUMENTS.get(name, [""]):
        for subject in SUBJECTS:
            outcome(f"{{{{ {subject}|{name}{arguments} }}}}", values)
            outcome(f"{{{{ ({subject}|{name}{arguments}) ~ '' }}}}", values)
            outcome(f"{{{{ {subject}|{name}{arguments}|list }}}}", values)
    assert values == VALUES, "a filter changed an input"


_TEST_ARGUMENTS = {"divisibleby": ["(2)", "(0)"], "sameas": ["(x)"], "in": ["(items)", "(x)"],
                   "filter": [""], "test": [""]}


@pytest.mark.parametrize("name", sorted(jinja2.tests.TESTS))
def test_each_builtin_test_renders_or_is_a_render_error(name: str) -> None:
    values = copy.deepcopy(VALUES)
    for subject in SUBJECTS:
        if name.isidentifier():
            for arguments in _TEST_ARGUMENTS.get(name, ["", "(1)"]):
                outcome(f"{{{{ {subject} is {name}{arguments} }}}}", values)
        else:
            outcome(f"{{{{ {subject} {name} 1 }}}}", values)
    assert values == VALUES


# Jinja2's tests/test_security.py (3.1), as templates over this project's inputs: refused, or the
# harmless output Jinja2's tests expect.
REFUSED = None
JINJA_SECURITY: list[Any] = [
    pytest.param("{{ x.__class__ }}", REFUSED, id="class-attribute"),
    pytest.param("{{ x.func_code }}", REFUSED, id="func-code"),
    pytest.param("{{ x.__class__.__subclasses__() }}", REFUSED, id="subclasses"),
    pytest.param("{{ [].append(23) }}", REFUSED, id="immutable-list"),
    pytest.param("{{ {1: 2}.clear() }}", REFUSED, id="immutable-dict"),
    pytest.param("{{ x|attr('__class__')|attr('__subclasses__')() }}", REFUSED,
                 id="attr-filter-subclasses"),
    pytest.param('{{ "a{0.__class__}b".format(42) }}', REFUSED, id="format-class"),
    pytest.param('{{ "a{0.foo}b".format({"foo": 42}) }}', "a42b", id="format-item-okay"),
    pytest.param('{{ ("a{0.__class__}b{1}"|safe).format(42, "<foo>") }}', REFUSED,
                 id="markup-format-class"),
    pytest.param('{{ ("a{0.foo}b{1}"|safe).format({"foo": 42}, "<foo>") }}', "a42b&lt;foo&gt;",
                 id="markup-format-okay"),
    pytest.param('{{ ("a{}b{}").format("foo", "42") }}', "afoob42", id="empty-braces"),
    pytest.param('{{ ("a{}b{}"|safe).format("<foo>", "42") }}', "a&lt;foo&gt;b42",
                 id="markup-empty-braces"),
    pytest.param('{{ "a{x.__class__}b".format_map({"x": 42}) }}', REFUSED, id="format-map-class"),
    pytest.param('{{ "a{x.foo}b".format_map({"x": {"foo": 42}}) }}', "a42b",
                 id="format-map-okay"),
    pytest.param('{{ ("a{x.__class__}b{y}"|safe).format_map({"x": {"foo": 42}, "y": "<foo>"}) }}',
                 REFUSED, id="markup-format-map-class"),
    pytest.param('{{ ("a{x.foo}b{y}"|safe).format_map({"x": {"foo": 42}, "y": "<foo>"}) }}',
                 "a42b&lt;foo&gt;", id="markup-format-map-okay"),
    pytest.param("{{ '{0.__call__.__builtins__[__import__]}'|attr('format')(x) }}", REFUSED,
                 id="attr-format"),
    pytest.param('{% set ns = namespace(run="{0.__call__.__builtins__[__import__]}".format) %}'
                 "{{ ns.run(x) }}", REFUSED, id="indirect-format-call"),
    pytest.param("{% set f = '{0.__class__}'.format %}{{ f(x) }}", REFUSED, id="format-stored"),
    pytest.param("{{ ''.format_map.__self__ }}", REFUSED, id="format-map-self"),
    pytest.param("{% for item.attribute in items %}{% endfor %}", REFUSED, id="for-attribute"),
    pytest.param("{% for a, b.c in items %}{% endfor %}", REFUSED, id="for-tuple-attribute"),
    pytest.param("{{ ('<b>%s</b>'|safe) % '<i>' }}", "<b>&lt;i&gt;</b>", id="markup-percent"),
]


@pytest.mark.parametrize(("template", "expected"), JINJA_SECURITY)
def test_jinja2_security_payload_in_a_template(template: str, expected: str | None) -> None:
    was_refused, text = attempt(template, VALUES)
    assert (REFUSED if was_refused else text) == expected, text
    assert not LEAK.search(text) or not was_refused, text


@pytest.mark.parametrize("payload", [p.values[0] for p in JINJA_SECURITY])
def test_jinja2_security_payload_in_an_input_is_text(payload: str) -> None:
    template = ("{{ x }}|{{ [x]|join }}|{{ x ~ '' }}|{{ '%s' % x }}|{{ '{}'.format(x) }}|"
                "{{ x|string }}")
    text = Renderer({}).render(load(template), {**VALUES, "x": payload}).text
    assert text == "|".join([payload] * 6)
