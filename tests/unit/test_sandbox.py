"""The rendering sandbox against known escape payloads, huge allocations and endless loops.

Templates come from reviewed pull requests, inputs from anyone who can call the API. A payload in a
template must be refused with one RenderError and never print an object, a class or a function;
the same payload given as an input value must come out as the text it is. See
docs/decisions/0002-rendering-bounds.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
import tracemalloc
from typing import Any

import pytest

from promptctl.errors import RenderError, RenderLimitExceeded
from promptctl.loader import load_prompt
from promptctl.model import Prompt
from promptctl.render import Renderer
from promptctl.sources import SourceFile
from tests.conftest import ROOT

FRONT = """\
---
title: Sandbox
description: A template under attack.
version: 1.0.0
status: active
owners: ["@acme/security"]
inputs:
  x: {type: string, default: text}
  items: {type: array, default: [1, 2, 3]}
  mapping: {type: object, default: {k: 1}}
{extra}---
"""

VALUES: dict[str, Any] = {"x": "text", "items": [1, 2, 3], "mapping": {"k": 1}}

# What must never reach a caller: an object's repr (<class ...>, <function ... at 0x...>),
# a module or the contents of a function's globals.
LEAK = re.compile(r"<[A-Za-z]|\bat 0x[0-9a-f]+|__builtins__|'__name__'|\bmodule\b")


def load(body: str, *, system: str | None = None) -> Prompt:
    """A prompt as the loader builds it: per-file checks only, so any name may be used."""
    extra = "" if system is None else f"system: {json.dumps(system)}\n"
    text = FRONT.replace("{extra}", extra) + body + "\n"
    result = load_prompt(SourceFile("prompts/sandbox/attack.prompt.md", text.encode()))
    assert result.problems == [], result.problems
    assert result.prompt is not None
    return result.prompt


def attempt(template: str, values: dict[str, Any]) -> tuple[bool, str]:
    """(whether the render raised RenderError, the text or the error's message)."""
    try:
        return False, Renderer({}).render(load(template), values).text
    except RenderError as exc:
        return True, exc.message


def refused(renderer: Renderer, prompt: Prompt, values: dict[str, Any]) -> RenderError:
    """The RenderError a render raises; fails, showing the output, if it returns instead."""
    try:
        rendered = renderer.render(prompt, values)
    except RenderError as exc:
        error = exc
    else:
        pytest.fail(f"rendered instead of refusing: {rendered.text[:300]!r}")
    assert not LEAK.search(error.message), error.message
    return error



ESCAPES = [
    pytest.param('{{ "{0.__class__}".format(x) }}', id="str-format-class"),
    pytest.param('{{ "{0.__class__.__mro__}".format(items) }}', id="str-format-mro"),
    pytest.param('{{ "{a.__class__.__mro__}".format_map({"a": x}) }}', id="format-map-mro"),
    pytest.param('{{ "{0.__class__}".format_map(mapping) }}', id="format-map-positional"),
    pytest.param('{{ "{0.__init__.__globals__}".format(lipsum) }}', id="str-format-globals"),
    pytest.param("{{ ''|attr('__class__') }}", id="attr-class"),
    pytest.param("{{ (''|attr('__class__'))|attr('__mro__') }}", id="attr-chain-mro"),
    pytest.param("{{ items|attr('__class__') }}", id="attr-class-of-input"),
    pytest.param("{{ ''|attr('format') }}", id="attr-format"),
    pytest.param("{{ x.upper }}", id="bound-method"),
    pytest.param("{{ cycler }}", id="global-class"),
    pytest.param("{{ lipsum }}", id="global-function"),
    pytest.param("{{ self }}", id="template-reference"),
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", id="subclasses"),
    pytest.param("{{ x.__class__.__base__.__subclasses__() }}", id="subclasses-of-input"),
    pytest.param("{{ ().__class__.__bases__[0].__subclasses__() }}", id="subclasses-of-tuple"),
    pytest.param("{{ cycler.__init__.__globals__ }}", id="cycler-globals"),
    pytest.param("{{ cycler.__init__.__globals__.os.popen('id').read() }}", id="cycler-popen"),
    pytest.param("{{ joiner.__init__.__globals__ }}", id="joiner-globals"),
    pytest.param("{{ lipsum.__globals__ }}", id="lipsum-globals"),
    pytest.param("{{ lipsum.__globals__['os'] }}", id="lipsum-globals-os"),
    pytest.param("{{ namespace.__init__.__globals__ }}", id="namespace-globals"),
    pytest.param("{{ range.__globals__ }}", id="range-globals"),
    pytest.param("{{ self._TemplateReference__context }}", id="self-context"),
    pytest.param("{{ self.__init__.__globals__ }}", id="self-globals"),
    pytest.param("{{ config }}", id="config"),
    pytest.param("{{ config.items() }}", id="config-items"),
    pytest.param("{{ request }}", id="request"),
    pytest.param("{{ request.application.__globals__ }}", id="request-application"),
    pytest.param("{{ items.append(1) }}", id="list-append"),
    pytest.param("{{ items.pop() }}", id="list-pop"),
    pytest.param("{% set _ = items.__setitem__(0, 9) %}{{ items }}", id="list-setitem"),
    pytest.param("{% set _ = mapping.update({'a': 1}) %}{{ mapping }}", id="dict-update"),
    pytest.param("{% set _ = mapping.setdefault('a', 1) %}{{ mapping }}", id="dict-setdefault"),
    pytest.param("{{ '%s' % x.__class__ }}", id="percent-class"),
    pytest.param("{{ '%s' % lipsum.__globals__ }}", id="percent-globals"),
    pytest.param("{{ '%(a)s' % {'a': cycler.__init__} }}", id="percent-mapping-init"),
]


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_payload_in_a_template_is_refused(template: str) -> None:
    refused(Renderer({}), load(template), VALUES)


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_payload_in_the_system_message_is_refused(template: str) -> None:
    # Every template of a prompt goes through the sandbox, the `system` field as well as the body.
    error = refused(Renderer({}), load("Hello.", system=template), VALUES)
    assert "(system)" in error.message


AS_INPUTS = [pytest.param(p.values[0], id=p.id) for p in ESCAPES]


@pytest.mark.parametrize("payload", [*AS_INPUTS, pytest.param("{{ 7*7 }}", id="arithmetic")])
def test_escape_payload_in_an_input_is_printed_as_text(payload: str) -> None:
    prompt = load("[{{ x }}] {{ items|join(',') }} {{ mapping['k'] }}")
    rendered = Renderer({}).render(prompt, {**VALUES, "x": payload,
                                            "items": [payload, "b"], "mapping": {"k": payload}})
    assert rendered.text == f"[{payload}] {payload},b {payload}"
    assert "49" not in rendered.text


def test_a_safe_template_renders_the_same_values() -> None:
    # The control for the payloads: the same prompt shape and values render normally.
    prompt = load("{{ x|upper }} {{ items|sum }} {{ mapping.k }} {{ '%s-%d' % (x, 2) }}")
    assert Renderer({}).render(prompt, VALUES).text == "TEXT 6 1 text-2"


MAX_PEAK_BYTES = 64 * 1024 * 1024


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{{ 'a' * 10**9 }}", id="string-repeat"),
        pytest.param("{{ [0] * 10**9 }}", id="list-repeat"),
        pytest.param("{{ 9**(9**9) }}", id="power"),
        pytest.param("{{ range(10**9)|list }}", id="range-list"),
        pytest.param("{% for i in range(10**9) %}{% endfor %}", id="range-loop"),
        pytest.param("{{ 'a' * 10**6 + 'a' * 10**6 }}", id="concatenation"),
        pytest.param("{{ '%0100000000d' % 1 }}", id="percent-width"),
        pytest.param("{{ '{:0100000000}'.format(1) }}", id="format-width"),
        pytest.param("{{ 'a'|center(100000000) }}", id="center-filter"),
    ],
)
def test_huge_allocation_is_refused_before_it_happens(template: str) -> None:
    prompt = load(template)
    tracemalloc.start()
    try:
        refused(Renderer({}), prompt, VALUES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES, f"{peak / 2**20:.0f} MiB allocated before the refusal"


def test_power_is_left_associative_and_small() -> None:
    # Jinja2 reads 9**9**9 as (9**9)**9, a 78-digit number: not the allocation Python's would be.
    rendered = Renderer({}).render(load("{{ 9**9**9 }}"), VALUES)
    assert rendered.text == str((9**9) ** 9)


NESTED = "{% for a in items %}{% for b in items %}{% for c in items %}{% endfor %}{% endfor %}" \
         "{% endfor %}done"


@pytest.mark.parametrize(
    "template",
    [
        pytest.param(NESTED, id="nested-input-array"),
        pytest.param("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}"
                     "{% endfor %}done", id="nested-range"),
        pytest.param("{% for a in items %}{% for b in items %}{{ a }}{% endfor %}{% endfor %}",
                     id="nested-with-output"),
    ],
)
def test_a_loop_that_would_take_minutes_is_stopped_by_the_time_bound(template: str) -> None:
    renderer = Renderer({}, timeout_seconds=0.2, max_output_bytes=10**9)
    values = {**VALUES, "items": list(range(2000))}
    started = time.monotonic()
    with pytest.raises(RenderLimitExceeded, match="longer than the time bound"):
        renderer.render(load(template), values)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"stopped after {elapsed:.1f} s"  # a bound, not a benchmark


# Run in a child process: if the bound does not hold, the loop runs for hours and only a process
# can be killed.
CHILD = textwrap.dedent(
    """\
    import json, sys, time
    from promptctl.errors import RenderLimitExceeded
    from promptctl.render import Renderer
    from tests.unit.test_sandbox import load
    template, values = json.loads(sys.argv[1])
    started = time.monotonic()
    try:
        Renderer({}, timeout_seconds=0.2).render(load(template), values)
        print("rendered", time.monotonic() - started)
    except RenderLimitExceeded:
        print("stopped", time.monotonic() - started)
    """
)


@pytest.mark.parametrize(
    ("template", "values"),
    [
        pytest.param(NESTED, {**VALUES, "items": list(range(2000))}, id="input-array"),
        pytest.param(NESTED.replace("items", "x"), {**VALUES, "x": "x" * 2000},
                     id="input-string"),
        pytest.param(NESTED.replace("items", "mapping"),
                     {**VALUES, "mapping": {str(i): i for i in range(2000)}},
                     id="input-object"),
    ],
)
def test_nested_loops_over_any_input_are_stopped_in_time(
    template: str, values: dict[str, Any],
) -> None:
    argument = json.dumps([template, values])
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, argument], check=False,
                              cwd=ROOT, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("the render was still running after 10 s with a 0.2 s time bound")
    assert proc.returncode == 0, proc.stderr
    outcome, seconds = proc.stdout.split()
    assert outcome == "stopped", proc.stdout
    assert float(seconds) < 5


@pytest.mark.parametrize(
    ("template", "system", "big", "small"),
    [
        pytest.param("{{ x }}", None, {"x": "a" * 5000}, {"x": "a" * 900}, id="big-input"),
        pytest.param("{% for i in items %}line {{ i }}\n{% endfor %}", None,
                     {"items": list(range(100000))}, {"items": [1, 2]}, id="template-loop"),
        # 600 UTF-8 bytes per message: each under the bound of 1,000, not both together.
        pytest.param("{{ x }}", "{{ x }}", {"x": "é" * 300}, {"x": "é" * 200},
                     id="budget-shared-by-messages"),
    ],
)
def test_output_over_the_size_bound_raises(
    template: str, system: str | None, big: dict[str, Any], small: dict[str, Any],
) -> None:
    renderer = Renderer({}, max_output_bytes=1000)
    prompt = load(template, system=system)
    with pytest.raises(RenderLimitExceeded, match="over the 1,000-byte bound"):
        renderer.render(prompt, {**VALUES, **big})
    within = renderer.render(prompt, {**VALUES, **small})
    assert 0 < len(within.text.encode()) <= 1000 + 2  # + the "\n\n" that joins the messages


def test_undefined_names_are_render_errors() -> None:
    error = refused(Renderer({}), load("{{ not_declared }}"), VALUES)
    assert "'not_declared' is undefined" in error.message


@pytest.mark.parametrize(
    "template",
    [
        "{{ x.upper ~ '' }}",
        "{{ (x.upper)|string }}",
        "{{ '%s' % x.upper }}",
        "{{ '{}'.format(range) }}",
        "{{ items|map(attribute='__len__')|join(',') }}",
    ],
    ids=["concat", "string-filter", "percent", "format", "map-attribute"],
)
def test_a_function_turned_into_text_shows_no_address(template: str) -> None:
    try:
        text = Renderer({}).render(load(template), VALUES).text
    except RenderError as exc:
        text = exc.message
    assert not re.search(r"0x[0-9a-f]{6,}|<built-in|<bound", text), text


@pytest.mark.parametrize("name", ["cycler", "joiner", "lipsum"])
def test_jinja_helpers_that_prompts_do_not_need_are_not_there(name: str) -> None:
    with pytest.raises(RenderError, match=f"'{name}' is undefined"):
        Renderer({}).render(load(f"{{{{ {name}() }}}}"), VALUES)


def test_the_globals_a_prompt_needs_still_work() -> None:
    template = (
        "{% set ns = namespace(total=0) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}"
        "{% endfor %}{{ ns.total }} {{ dict(a=1)['a'] }} {% for k, v in mapping.items() %}{{ k }}="
        "{{ v }}{% endfor %} {% for c in x %}{{ loop.index }}{% endfor %}"
    )
    assert Renderer({}).render(load(template), VALUES).text == "6 1 k=1 1234"


# --- text is made from data only (decision 0002) ----------------------------------------------

# What no output and no error message may ever contain: an address or an object's repr.
REPR = re.compile(r"0x[0-9a-f]+|<class|<generator|<function|<built-in|<bound|object at|<Loop"
                  r"|<Namespace|<Macro|<TemplateReference")
REFUSED = "refused"

TO_TEXT = [
    # Non-data turned into text by |string, ~, %, str.format, pprint and the text filters.
    pytest.param("{{ items|map('string')|string }}", REFUSED, id="generator-string"),
    pytest.param("{{ items|select ~ '' }}", REFUSED, id="generator-concat"),
    pytest.param("{{ '%s' % (items|reverse) }}", REFUSED, id="iterator-percent"),
    pytest.param("{{ '{}'.format(items|reverse) }}", REFUSED, id="iterator-format"),
    pytest.param("{{ '{!r}'.format(items|reverse) }}", REFUSED, id="iterator-format-repr"),
    pytest.param("{{ '{a}'.format_map({'a': items|reverse}) }}", REFUSED, id="iterator-format-map"),
    pytest.param("{{ namespace|string }}", REFUSED, id="class-string"),
    pytest.param("{{ dict ~ '' }}", REFUSED, id="class-concat"),
    pytest.param("{{ '%r' % dict }}", REFUSED, id="class-percent-r"),
    pytest.param("{{ dict|pprint }}", REFUSED, id="class-pprint"),
    pytest.param("{% for i in items %}{{ loop|string }}{% endfor %}", REFUSED, id="loop-string"),
    pytest.param("{% for i in items %}{{ [loop]|join }}{% endfor %}", REFUSED, id="loop-join"),
    pytest.param("{% macro m() %}{% endmacro %}{{ m|string }}", REFUSED, id="macro-string"),
    pytest.param("{% macro m() %}{% endmacro %}{{ m ~ '' }}", REFUSED, id="macro-concat"),
    pytest.param("{% macro m() %}{{ caller|string }}{% endmacro %}{% call m() %}{% endcall %}",
                 REFUSED, id="caller-string"),
    pytest.param("{{ self|string }}", REFUSED, id="self-string"),
    pytest.param("{{ '%s' % self }}", REFUSED, id="self-percent"),
    pytest.param("{% set ns = namespace(a=1) %}{{ ns|string }}", REFUSED, id="namespace-string"),
    pytest.param("{{ range(3)|string }}", REFUSED, id="range-string"),
    pytest.param("{{ x.upper|string }}", REFUSED, id="method-string"),
    pytest.param("{{ x.upper ~ '' }}", REFUSED, id="method-concat"),
    pytest.param("{{ '%s' % x.upper }}", REFUSED, id="method-percent"),
    pytest.param("{{ '{0.upper}'.format(x) }}", REFUSED, id="method-format-field"),
    pytest.param("{{ mapping.items() }}", REFUSED, id="dict-view"),
    pytest.param("{{ items|map('string')|upper }}", REFUSED, id="generator-upper"),
    pytest.param("{{ 'a'|replace('a', items|reverse) }}", REFUSED, id="iterator-replace-arg"),
    pytest.param("{{ {'a': items|reverse}|xmlattr }}", REFUSED, id="iterator-xmlattr"),
    pytest.param("{{ (items|reverse)|e }}", REFUSED, id="iterator-escape"),
    pytest.param("{{ (items|reverse)|safe }}", REFUSED, id="iterator-safe"),
    pytest.param("{{ (items|reverse)|urlencode }}", REFUSED, id="iterator-urlencode"),
    pytest.param("{{ (items|reverse)|tojson }}", REFUSED, id="iterator-tojson"),
    pytest.param("{{ [items|reverse]|join(',') }}", REFUSED, id="iterator-join"),
    pytest.param("{{ ''.join([x.upper]) }}", REFUSED, id="method-str-join"),
    pytest.param("{{ (''|safe).join([items|reverse]) }}", REFUSED, id="iterator-markup-join"),
    pytest.param("{{ items|map('string')|format }}", REFUSED, id="generator-format-filter"),
    pytest.param("{{ '%s'|format(items|reverse) }}", REFUSED, id="iterator-format-filter-arg"),
    pytest.param("{{ (items|reverse) is lower }}", REFUSED, id="iterator-lower-test"),
    pytest.param("{% autoescape true %}{{ x.upper ~ '' }}{% endautoescape %}", REFUSED,
                 id="method-concat-autoescape"),
    pytest.param("{{ mapping[items|reverse] }}", REFUSED, id="iterator-in-error-message"),
    # Data still prints: the controls.
    pytest.param("{{ items ~ '' }}", "[1, 2, 3]", id="list-concat"),
    pytest.param("{{ items|map('string')|join('-') }}", "1-2-3", id="map-join"),
    pytest.param("{{ items|map('string')|list|string }}", "['1', '2', '3']", id="map-list-string"),
    pytest.param("{{ '%s|%r|%5d' % (x, x, 7) }}", "text|'text'|    7", id="percent"),
    pytest.param("{{ '{}-{!r}-{k}'.format(x, 1, k=2) }}", "text-1-2", id="format"),
    pytest.param("{{ mapping|pprint }} {{ items|tojson }}", "{'k': 1} [1, 2, 3]",
                 id="pprint-tojson"),
    pytest.param("{{ mapping.items()|list }}", "[('k', 1)]", id="dict-items-list"),
    pytest.param("{{ x ~ 1 ~ none ~ true ~ 1.5 }}", "text1NoneTrue1.5", id="scalars-concat"),
    pytest.param("{% macro m(s) %}<{{ s }}>{% endmacro %}{{ m(x) ~ '!' }}", "<text>!",
                 id="macro-call-concat"),
]


@pytest.mark.parametrize(("template", "expected"), TO_TEXT)
def test_only_data_is_turned_into_text(template: str, expected: str) -> None:
    was_refused, text = attempt(template, VALUES)
    assert not REPR.search(text), text
    assert (REFUSED if was_refused else text) == expected, text


# --- builtin filters that failed on the wrapper ------------------------------------------------

FILTER_USES = [
    pytest.param("{{ x|slice(2)|list }}", "[['t', 'e'], ['x', 't']]", id="slice"),
    pytest.param("{{ 'a b c'|wordwrap(1) }}", "a\nb\nc", id="wordwrap"),
    pytest.param("{{ mapping|dictsort }}", "[('k', 1)]", id="dictsort"),
    pytest.param("{{ x|dictsort }}", REFUSED, id="dictsort-of-a-string"),
    pytest.param("{{ items|dictsort }}", REFUSED, id="dictsort-of-a-list"),
    pytest.param("{{ items|indent(2) }}", "[1, 2, 3]", id="indent-of-a-list"),
    pytest.param("{{ items|xmlattr }}", REFUSED, id="xmlattr-of-a-list"),
]


@pytest.mark.parametrize(("template", "expected"), FILTER_USES)
def test_builtin_filters_work_or_fail_as_render_errors(template: str, expected: str) -> None:
    values = json.loads(json.dumps(VALUES))
    was_refused, text = attempt(template, values)
    assert (REFUSED if was_refused else text) == expected, text
    assert values == VALUES  # |indent used to extend an input list in place


# --- single operations that would build a huge value --------------------------------------------

BIG = "('a'*1000000)"
HUGE = [
    pytest.param("{{ (['a'*1000000]*3000)|join|length }}", id="join-filter"),
    pytest.param("{{ ('a'*1000000).join(['x']*3000)|length }}", id="str-join"),
    pytest.param("{{ '-'.join(['a'*1000000]*1000)|length }}", id="str-join-items"),
    pytest.param(f"{{{{ {BIG}|replace('a','a'*3000)|length }}}}", id="replace-filter"),
    pytest.param(f"{{{{ {BIG}.replace('a','a'*3000)|length }}}}", id="replace-method"),
    pytest.param("{{ (['a'*1000000]*1000)|tojson|length }}", id="tojson"),
    pytest.param("{% set a = [1]*1000 %}{% set b = [a]*1000 %}{{ [b, b, b]|tojson|length }}",
                 id="tojson-shared-nested"),
    pytest.param("{{ ([[1]*100]*1000)|tojson(1000)|length }}", id="tojson-indent"),
    pytest.param("{% set a = 'a'*1000 %}" + "{% set a = a ~ a %}" * 40 + "{{ a|length }}",
                 id="concat-doubling"),
    pytest.param("{% set ns = namespace(a='a') %}{% for i in range(64) %}"
                 "{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a|length }}",
                 id="concat-doubling-loop"),
    pytest.param(f"{{{{ ({BIG} ~ {BIG})|length }}}}", id="concat"),
    pytest.param("{{ ('x\\n'*500000)|indent(10000)|length }}", id="indent"),
    pytest.param("{{ ('x\\n'*500000)|indent('-'*10000)|length }}", id="indent-string"),
    pytest.param("{{ ([[1]*1048576]*1048576)|string|length }}", id="nested-repeat"),
    pytest.param("{% set a = [1]*1000 %}{% set b = [a]*1000 %}{{ [b, b, b]|string|length }}",
                 id="nested-literal-string"),
    pytest.param("{% set a = [1]*1000 %}{% set b = [a]*1000 %}{{ ([b, b, b] ~ '')|length }}",
                 id="nested-literal-concat"),
    pytest.param("{% set a = [1]*1000 %}{% set b = [a]*1000 %}{{ [b, b]|pprint|length }}",
                 id="nested-literal-pprint"),
    pytest.param("{{ ((('9'*4000)|int)**128)**64 }}", id="int-power"),
    pytest.param("{% set n = ('9'*4000)|int %}{{ (n*n*n*n*n*n*n*n*n*n*n*n*n*n*n*n*n*n)|length }}",
                 id="int-product"),
    pytest.param("{{ ('1'*100000)|int(base=2) }}", id="int-filter"),
    pytest.param("{{ (1).to_bytes(10**9, 'big')|length }}", id="int-to-bytes"),
    pytest.param("{{ (x.encode()*10**9)|length }}", id="bytes-repeat"),
    pytest.param(f"{{{{ ('%s'*1000) % ({BIG},)*1000 }}}}", id="percent-many"),
    pytest.param(f"{{{{ ('%(a)s'*1000) % {{'a': {BIG}}} }}}}", id="percent-mapping-reuse"),
    pytest.param(f"{{{{ ('{{0}}'*1000).format({BIG})|length }}}}", id="format-reuse"),
    pytest.param(f"{{{{ ('{{a}}'*1000).format_map({{'a': {BIG}}})|length }}}}",
                 id="format-map-reuse"),
    pytest.param(f"{{{{ ('%(a)s'*1000)|format(a={BIG})|length }}}}", id="format-filter"),
    pytest.param("{% macro m(s) %}{% for i in range(1000) %}{{ s }}{% endfor %}{% endmacro %}"
                 f"{{{{ m({BIG})|length }}}}", id="macro-body"),
    pytest.param(f"{{% set b %}}{{% for i in range(1000) %}}{{{{ {BIG} }}}}{{% endfor %}}"
                 "{% endset %}{{ b|length }}", id="set-block"),
    pytest.param(f"{{% filter upper %}}{{% for i in range(1000) %}}{{{{ {BIG} }}}}"
                 "{% endfor %}{% endfilter %}", id="filter-block"),
    pytest.param("{{ ([[0]*1000]*2000)|sum(start=[])|length }}", id="sum-lists"),
    pytest.param("{{ ('\\t'*1000000).expandtabs(10000)|length }}", id="expandtabs"),
    pytest.param("{{ x.translate({116: 'a'*1000000})|length }}", id="translate"),
    pytest.param("{{ ('a '*500000)|wordwrap(1, wrapstring='x'*1000)|length }}", id="wordwrap"),
    pytest.param("{{ ('a.com '*100000)|urlize(target='x'*100000)|length }}", id="urlize"),
    pytest.param("{{ items|batch(10**9, 0)|list|length }}", id="batch-fill"),
    pytest.param("{{ ('&'*200000)|forceescape|forceescape|length }}", id="escape-chain"),
    pytest.param(f"{{{{ [{BIG}, {BIG}] }}}}", id="print-list"),
]


@pytest.mark.parametrize("template", HUGE)
def test_an_operation_past_the_size_bound_is_refused_before_it_allocates(template: str) -> None:
    prompt = load(template)
    tracemalloc.start()
    try:
        error = refused(Renderer({}), prompt, VALUES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES, f"{peak / 2**20:.0f} MiB allocated before the refusal"
    assert "MemoryError" not in error.message


def test_text_within_the_bound_still_builds() -> None:
    template = ("{{ (['ab']*1000)|join|length }} {{ ('a'*1000).replace('a', 'bb')|length }} "
                "{{ ('x\\n'*100)|indent(4)|length }} {{ (('9'*100)|int)**2 > 0 }} "
                "{% set a = 'a' %}{% for i in range(10) %}{% set a = a ~ a %}{% endfor %}"
                "{{ a|length }}")
    assert Renderer({}).render(load(template), VALUES).text == "2000 2000 596 True 1"


# A child process with its address space capped: the worst payloads end in a RenderError, not a
# MemoryError, a crash or a hang.
CAPPED_CHILD = textwrap.dedent(
    """\
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
    from promptctl.errors import RenderError
    from promptctl.render import Renderer
    from tests.unit.test_sandbox import load, VALUES
    for template in json.loads(sys.argv[1]):
        started = time.monotonic()
        try:
            Renderer({}).render(load(template), VALUES)
            print("rendered", time.monotonic() - started)
        except RenderError:
            print("refused", time.monotonic() - started)
    """
)


def test_the_worst_payloads_end_in_a_render_error_under_a_memory_cap() -> None:
    templates = [p.values[0] for p in HUGE]
    try:
        proc = subprocess.run([sys.executable, "-c", CAPPED_CHILD, json.dumps(templates)],
                              check=False, cwd=ROOT, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the payloads were still rendering after 20 s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcomes = [line.split() for line in proc.stdout.splitlines()]
    assert [outcome for outcome, _ in outcomes] == ["refused"] * len(templates), proc.stdout
    assert max(float(seconds) for _, seconds in outcomes) < 2
