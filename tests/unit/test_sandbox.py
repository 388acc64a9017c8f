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
