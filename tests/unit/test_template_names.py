"""`referenced_names` against Jinja2's own analysis, which it skips for plain templates.

`meta.find_undeclared_variables` compiles the template to find the names it reads; the fast path
walks the tree once and must give the same answer wherever it answers at all. Each side gets its
own parse, since the compiler folds constants in the tree it is given.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta, nodes

from promptctl import render
from promptctl.library import Library
from promptctl.render import _fast_names, includes, referenced_names
from promptctl.sandbox import make_environment
from tests.conftest import CORPORA, ROOT

ENV = make_environment({})

# One or more templates per construct; the comment says which way they are expected to go.
TEMPLATES = [
    # plain: the fast path
    "",
    "just text, no tags",
    "{{ name }}",
    "Hello {{ name }}, you are {{ age }}.",
    "{{ a }}{{ a }}{{ b }}",
    "{% if flag %}yes{% endif %}",
    "{% if a %}A{% elif b %}B{% elif c %}C{% else %}{{ d }}{% endif %}",
    "{% if a %}{% if b %}{{ c }}{% else %}{{ d }}{% endif %}{% endif %}",
    "{{ text|upper }}",
    "{{ text|truncate(n, killwords=True) }}",
    "{{ items|join(sep) }}",
    "{{ items|map(attribute=field)|list }}",
    "{{ x|default(y) }}",
    "{{ x|default('fallback', true) }}",
    "{% if x is defined %}{{ x }}{% endif %}",
    "{% if x is not none and y is divisibleby(z) %}ok{% endif %}",
    "{{ user.name }} {{ user['email'] }} {{ rows[0][key] }}",
    "{{ items[1:n] }} {{ items[::step] }}",
    "{{ a if cond else b }} {{ c if d }}",
    "{{ a ~ b ~ 'c' }}",
    "{{ a + b - c * d / e // f % g ** h }}",
    "{{ -a }} {{ +b }} {{ not c }}",
    "{{ a and b or not c }}",
    "{{ a < b <= c == d != e > f >= g }}",
    "{{ a in b }} {{ c not in d }}",
    "{{ [a, b, 3] }} {{ (c, d) }} {{ {'k': e, f: 'v'} }}",
    "{{ f(a, b, key=c) }} {{ g(*args, **kwargs) }}",
    "{{ obj.method(arg) }}",
    "{{ range(n)|list }} {{ dict(a=b) }}",
    "{{ namespace(x=y) }}",
    "{{ 'x' if true else missing }}",
    "{{ false and missing }} {{ true or other }}",
    "{{ 'a'|upper ~ name }}",
    "{{ loop }} {{ caller }} {{ varargs }} {{ kwargs }} {{ super }}",
    "{% raw %}{{ not_a_name }}{% for x in y %}{% endraw %}{{ real }}",
    "{# a comment with {{ hidden }} #}{{ shown }}",
    "  {%- if a -%}  {{- b -}}  {%- endif -%}  ",
    "{% include '_partials/x.md' %}",
    "{% include name %}{% include ['a.md', other] %}",
    "{% include '_partials/x.md' ignore missing without context %}{{ after }}",
    # binding, shadowing or scoping: Jinja2's analysis
    "{% for item in items %}{{ item }}{{ loop.index }}{% else %}{{ empty }}{% endfor %}",
    "{% for name in names %}{{ name }}{% endfor %}{{ name }}",
    "{{ item }}{% for item in items %}{{ item }}{% endfor %}",
    "{% for k, v in mapping|dictsort %}{{ k }}={{ v }}{% endfor %}",
    "{% for x in xs if x > limit %}{{ x }}{% endfor %}",
    "{% for x in xs recursive %}{{ loop(x.children) }}{% endfor %}",
    "{% for x in xs %}{{ loop.index }}{% for y in x %}{{ loop.depth }}{{ y }}{% endfor %}"
    "{% endfor %}",
    "{% set a = 1 %}{{ a }}{{ b }}",
    "{{ a }}{% set a = 1 %}{{ a }}",
    "{% set a, b = pair %}{{ a }}{{ b }}",
    "{% if c %}{% set a = 1 %}{% endif %}{{ a }}",
    "{% set block %}{{ inner }}{% endset %}{{ block }}",
    "{% set text | upper %}{{ inner }}{% endset %}{{ text }}",
    "{% with a = b %}{{ a }}{{ c }}{% endwith %}{{ a }}",
    "{% with %}{% set a = 1 %}{{ a }}{% endwith %}{{ a }}",
    "{% macro m(x, y=default_y) %}{{ x }}{{ y }}{{ z }}{{ caller() }}{% endmacro %}"
    "{% call m(arg) %}{{ body }}{% endcall %}",
    "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, k=2) }}",
    "{% call(item) lister(items) %}{{ item }}{{ extra }}{% endcall %}",
    "{% filter upper %}{{ inside }}{% endfilter %}",
    "{% set ns = namespace(found=false) %}{% for x in xs %}{% set ns.found = true %}"
    "{% endfor %}{{ ns.found }}",
    "{% import '_partials/m.md' as mod %}{{ mod.f(x) }}",
    "{% from '_partials/m.md' import f, g as h %}{{ f(x) }}{{ h(y) }}",
    "{% extends '_partials/base.md' %}{% block body %}{{ x }}{{ super() }}{% endblock %}",
    "{% block body %}{{ x }}{{ self.other() }}{% endblock %}",
    "{{ self }}",
    "{% if x %}{{ self }}{% endif %}",
    # filters and tests the environment lacks: the compiler decides (and may refuse)
    "{% if a %}{{ b|no_such_filter }}{% endif %}",
    "{{ a if b is no_such_test else c }}",
]


def _expected(source: str) -> set[str]:
    ast = ENV.parse(source)
    return {n for n in meta.find_undeclared_variables(ast) if n not in ENV.globals}


def _agree(source: str) -> None:
    assert referenced_names(ENV.parse(source), ENV) == _expected(source), source


@pytest.mark.parametrize("source", TEMPLATES)
def test_same_names_as_jinja2(source: str) -> None:
    _agree(source)


@pytest.mark.parametrize("source", [
    "{{ x|no_such_filter }}",
    "{{ x is no_such_test }}",
])
def test_same_failure_as_jinja2(source: str) -> None:
    with pytest.raises(jinja2.TemplateAssertionError) as old:
        _expected(source)
    with pytest.raises(jinja2.TemplateAssertionError) as new:
        referenced_names(ENV.parse(source), ENV)
    assert str(new.value) == str(old.value)


def _meta_calls(source: str) -> tuple[set[str], int]:
    """(referenced_names of `source`, how many times it called meta.find_undeclared_variables)."""
    calls: list[nodes.Template] = []
    real = meta.find_undeclared_variables

    def spy(ast: nodes.Template) -> set[str]:
        calls.append(ast)
        return real(ast)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(meta, "find_undeclared_variables", spy)
        found = referenced_names(ENV.parse(source), ENV)
    return found, len(calls)


@pytest.mark.parametrize("source", [
    "",
    "text",
    "{{ a }}",
    "{% if a %}{{ b|upper }}{% else %}{{ c.d[e] }}{% endif %}",
    "{{ f(x, *y, k=z) }}{% include '_partials/x.md' %}",
    "{{ range(n)|list }}",
])
def test_fast_path_taken_for_plain_templates(source: str) -> None:
    assert _fast_names(ENV.parse(source)) is not None
    assert _meta_calls(source) == (_expected(source), 0)


def test_slow_path_taken_otherwise() -> None:
    # The spy does see the calls where there are some.
    assert _meta_calls("{% for x in xs %}{{ x }}{{ y }}{% endfor %}") == ({"xs", "y"}, 1)


def test_fast_names_keeps_globals_for_the_caller() -> None:
    # Like meta.find_undeclared_variables: the template environment's globals are left out.
    assert _fast_names(ENV.parse("{{ range(n) }}{{ dict(a=b) }}")) == {"n", "b"}


@pytest.mark.parametrize("source", [
    "{% for x in xs %}{{ x }}{% endfor %}",
    "{% set a = 1 %}{{ a }}",
    "{% set a %}x{% endset %}",
    "{% macro m() %}{% endmacro %}",
    "{% call m() %}{% endcall %}",
    "{% filter upper %}x{% endfilter %}",
    "{% with a = 1 %}{{ a }}{% endwith %}",
    "{% import 'm.md' as m %}",
    "{% from 'm.md' import f %}",
    "{% extends 'base.md' %}",
    "{% block b %}{% endblock %}",
    "{% if a %}{% set b = 1 %}{% endif %}",
    "{{ self }}",
    "{{ x|no_such_filter }}",
    "{{ x is no_such_test }}",
])
def test_fast_path_declines_scoping_templates(source: str) -> None:
    assert _fast_names(ENV.parse(source)) is None


def test_unknown_node_type_falls_back() -> None:
    ast = ENV.parse("{{ a }}")
    output = ast.body[0]
    assert isinstance(output, nodes.Output)
    output.nodes.append(nodes.ContextReference())
    assert _fast_names(ast) is None
    assert referenced_names(ast, ENV) == {"a"}


def test_tree_without_environment_falls_back() -> None:
    assert _fast_names(nodes.Template([])) is None


def test_deep_trees_fall_back() -> None:
    shallow = "{{ x" + ".a" * (render._MAX_DEPTH // 2) + " }}"
    deep = "{{ x" + ".a" * (render._MAX_DEPTH + 1) + " }}"
    assert _fast_names(ENV.parse(shallow)) == {"x"}
    assert _fast_names(ENV.parse(deep)) is None
    _agree(deep)


def test_globals_of_the_given_environment_are_left_out() -> None:
    env = make_environment({})
    env.globals["company"] = "Acme"
    ast = env.parse("{{ company }} {{ name }}")
    assert referenced_names(ast, env) == {"name"}
    assert referenced_names(ENV.parse("{{ company }} {{ name }}"), env) == {"name"}


def test_includes_unchanged() -> None:
    ast = ENV.parse("{% include 'a.md' %}\n{% if x %}{% include name %}{% endif %}\n"
                    "{% import 'm.md' as m %}{% from 'f.md' import g %}")
    assert includes(ast) == [("a.md", 1), (None, 2), ("m.md", 3), ("f.md", 3)]


def _starter_templates() -> Iterator[tuple[str, str]]:
    library = Library.from_work_tree(ROOT)
    for prompt in library.prompts.values():
        for template in prompt.templates:
            yield f"{prompt.id} ({template.field})", template.source
    yield from library.partials.items()


def test_starter_prompts() -> None:
    templates = list(_starter_templates())
    assert len(templates) >= 10
    for where, source in templates:
        try:
            ENV.parse(source)
        except jinja2.TemplateSyntaxError:
            continue
        assert referenced_names(ENV.parse(source), ENV) == _expected(source), where


def _corpus_templates(root: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        where = str(path.relative_to(root))
        yield where, text
        # The way bench/foundation.py's prompt_file wraps a corpus text.
        body = f"{{% raw %}}\n{text}\n{{% endraw %}}\n\nInput:\n{{{{ input }}}}\n"
        yield f"{where} (bench)", body


def test_corpora() -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent (the public corpora are kept outside the repository)")
    compared = 0
    for where, source in _corpus_templates(CORPORA):
        try:
            ENV.parse(source)
        except jinja2.TemplateSyntaxError:
            continue
        try:
            expected = _expected(source)
        except jinja2.TemplateError as exc:
            with pytest.raises(type(exc)):
                referenced_names(ENV.parse(source), ENV)
            continue
        assert referenced_names(ENV.parse(source), ENV) == expected, where
        compared += 1
    assert compared > 100


# --- plain_names: the same answer without parsing, for text, raw blocks and {{ name }} -------

PLAIN = {
    "": set(),
    "just text } { }} %} #}": set(),
    "{{ name }}": {"name"},
    "{{name}}{{\tother\n}}": {"name", "other"},
    "a {{ x }} b {{ x }} {{ y_2 }}": {"x", "y_2"},
    "{{ range }} {{ n }}": {"n"},  # globals left out, as referenced_names does
    "{% raw %}{{ not a name }}{% if %}{# #}{% endraw %}{{ real }}": {"real"},
    "{%raw%}x{%endraw%}{%  raw  %}{{ y }}{%\n endraw \n%}": set(),
    "{{ x }}}": {"x"},
    "text\r\n{{ x }}\r\n": {"x"},
    "{{ loop }} {{ caller }}": {"loop", "caller"},
}

NOT_PLAIN = [
    "{% if a %}{{ b }}{% endif %}",
    "{# comment #}{{ x }}",
    "{{ x|upper }}",
    "{{ x.y }}",
    "{{- x }}",
    "{{ x -}}",
    "{{+ x }}",
    "{{ 'x' }}",
    "{{ 1 }}",
    "{{ true }}",
    "{{ None }}",
    "{{ not }}",
    "{{ self }}",
    "{{ if }}",
    "{{ x",
    "{{ }}",
    "{{{ x }}",
    "{{ nämlich }}",
    "{%- raw %}x{% endraw %}",
    "{% raw -%}x{% endraw %}",
    "{% raw %}x{%- endraw %}",
    "{% raw %}x{% endraw -%}",
    "{% raw %}x{% endraw +%}",
    "{% raw %}never closed",
    "{% raw %}x{% endraw %}{% endraw %}",
    "{% rawx %}",
    "{% endraw %}",
]


@pytest.mark.parametrize(("source", "names"), PLAIN.items())
def test_plain_names_of_plain_templates(source: str, names: set[str]) -> None:
    assert render.plain_names(source, ENV) == names
    assert referenced_names(ENV.parse(source), ENV) == names


@pytest.mark.parametrize("source", NOT_PLAIN)
def test_plain_names_declines_the_rest(source: str) -> None:
    assert render.plain_names(source, ENV) is None


def _plain_agrees(where: str, source: str) -> bool:
    """Where plain_names answers, Jinja2 parses the template and finds the same names."""
    found = render.plain_names(source, ENV)
    if found is None:
        return False
    assert referenced_names(ENV.parse(source), ENV) == found, where
    return True


def test_plain_names_on_random_templates() -> None:
    # Fragments that sit on every edge of the lexer's rules; a fixed seed keeps runs equal.
    pieces = ["{", "}", "{{", "}}", "{%", "%}", "{#", "#}", "-", "+", " ", "\n", "\r", "\t",
              "raw", "endraw", "x", "y1", "_", "not", "true", "self", "'", "|", ".", "é", "a",
              "{% raw %}", "{%raw%}", "{% endraw %}", "{%endraw\n%}", "{%- endraw %}",
              "{% endraw -%}", "{{ x }}", "{{y1}}", "{{ not }}", "{{ x -}}", "{{- x }}",
              "{{ x.y }}", "{{ self }}"]
    rng = random.Random(20261128)
    answered = with_raw = with_names = 0
    for _ in range(20_000):
        source = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        if _plain_agrees(repr(source), source):
            answered += 1
            with_raw += "raw" in source and "{%" in source
            with_names += bool(render.plain_names(source, ENV))
    # The comparison ran often enough, over raw blocks and names too, to mean something.
    assert answered > 2_000
    assert with_raw > 100
    assert with_names > 300


def test_plain_names_on_the_starter_prompts_and_corpora() -> None:
    templates = list(_starter_templates())
    if CORPORA.is_dir():
        templates += list(_corpus_templates(CORPORA))
    answered = sum(_plain_agrees(where, source) for where, source in templates)
    assert answered >= (100 if CORPORA.is_dir() else 1)
