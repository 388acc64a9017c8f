"""Checks that need the whole library: ids and aliases across files, partials and include cycles,
template syntax and variables, input defaults, and each prompt's own tests.

``check_library`` returns the located problems and the aliases that hold (alias -> id); it never
raises for bad content. It takes the prompts and partials, not a ``Library``: the library calls
it, and ``check`` calls it on the few prompts a pull request touches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import jinja2
from jinja2 import nodes

from promptctl import inputs as inputs_module
from promptctl.errors import InputError
from promptctl.loader import split_lines
from promptctl.model import PROMPTS_DIR, Prompt, Template
from promptctl.problems import Problem, error, warning
from promptctl.render import includes, plain_names, referenced_names
from promptctl.sandbox import make_environment
from promptctl.schema import check_input_schema, input_errors


class Claim(Protocol):
    """What the cross-file rules read of a prompt: a loaded ``Prompt``, or the server's summary
    of one (``server.records.Summary``), which keeps the positions these rules report."""

    @property
    def id(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def aliases(self) -> Sequence[str]: ...

    @property
    def replaced_by(self) -> str | None: ...

    def place(self, key: tuple[str | int, ...]) -> tuple[int, int]:
        """(line, col) of the front-matter value at ``key``: ("aliases", i) or ("replaced_by",)."""
        ...


class PromptSet(Protocol):
    """What ``partial_users`` reads of a library."""

    @property
    def prompts(self) -> Mapping[str, Prompt]: ...

    @property
    def partials(self) -> Mapping[str, str]: ...


class _Partials:
    """Parsed partials: the names each one reads and includes, computed once per library."""

    def __init__(self, sources: Mapping[str, str], env: jinja2.Environment) -> None:
        self.env = env
        self.sources = sources
        self.asts: dict[str, nodes.Template] = {}
        self.problems: list[Problem] = []
        for name, text in sorted(sources.items()):
            try:
                self.asts[name] = env.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                self.problems.append(error(f"{PROMPTS_DIR}/{name}", exc.lineno or 1, 1,
                                           "template", f"template syntax error: {exc.message}"))
        self._closure: dict[str, tuple[set[str], dict[str, str]]] = {}
        for name in sorted(self.asts):
            self._check_includes(name)
            self._check_cycle(name)

    def _check_includes(self, name: str) -> None:
        for target, line in includes(self.asts[name]):
            problem = _include_problem(target, self.sources)
            if problem:
                self.problems.append(error(f"{PROMPTS_DIR}/{name}", line, 1, "include", problem))

    def _check_cycle(self, start: str) -> None:
        # Depth-first walk from `start`; report a cycle once, at the partial that closes it.
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            name, trail = stack.pop()
            for target, line in includes(self.asts.get(name, nodes.Template([]))):
                if target is None or target not in self.asts:
                    continue
                if target == start:
                    cycle = " -> ".join([*trail, target])
                    self.problems.append(error(f"{PROMPTS_DIR}/{name}", line, 1, "include-cycle",
                                               f"include cycle: {cycle}; break it by moving the "
                                               "shared text into a third partial"))
                elif target not in trail:
                    stack.append((target, [*trail, target]))

    def names(self, name: str) -> tuple[set[str], dict[str, str]]:
        """(variables read by partial `name` and everything it includes, variable -> partial)."""
        if name in self._closure:
            return self._closure[name]
        self._closure[name] = (set(), {})  # guards against include cycles
        used: set[str] = set()
        origin: dict[str, str] = {}
        ast = self.asts.get(name)
        if ast is not None:
            for variable in referenced_names(ast, self.env):
                used.add(variable)
                origin.setdefault(variable, name)
            for target, _line in includes(ast):
                if target is not None and target in self.asts:
                    more, more_origin = self.names(target)
                    used |= more
                    for variable, where in more_origin.items():
                        origin.setdefault(variable, where)
        self._closure[name] = (used, origin)
        return used, origin

    def included_by(self, name: str) -> set[str]:
        """Every partial reached from `name` (itself excluded)."""
        seen: set[str] = set()
        stack = [name]
        while stack:
            ast = self.asts.get(stack.pop())
            if ast is None:
                continue
            for target, _line in includes(ast):
                if target and target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen


def partials_key(partials: Mapping[str, str]) -> str:
    """One digest of every partial's name and text (the checks of a prompt depend on them)."""
    digest = hashlib.sha256()
    for name, text in sorted(partials.items()):
        digest.update(name.encode("utf-8") + b"\x00" + text.encode("utf-8") + b"\x00")
    return digest.hexdigest()


class PromptChecks:
    """The checks of one prompt against the library's partials (templates, inputs, tests).

    They depend only on the prompt and the partials (``fingerprint``), so the server keeps
    their results by file and computes them in worker processes too (``server.records``).
    """

    def __init__(self, partials: Mapping[str, str]) -> None:
        self.env = make_environment(partials)
        self.partials = _Partials(partials, self.env)
        self.fingerprint = partials_key(partials)

    def __call__(self, prompt: Prompt) -> list[Problem]:
        return _check_prompt(prompt, self.env, self.partials)


def check_library(prompts: Mapping[str, Prompt],
                  partials: Mapping[str, str]) -> tuple[list[Problem], dict[str, str]]:
    """(the problems of the prompts and partials taken together, the aliases: alias -> id)."""
    checks = PromptChecks(partials)
    problems = list(checks.partials.problems)
    id_problems, aliases = check_ids(prompts)
    problems.extend(id_problems)
    for prompt in prompts.values():
        problems.extend(checks(prompt))
    return problems, aliases


def check_ids(prompts: Mapping[str, Claim]) -> tuple[list[Problem], dict[str, str]]:
    """Aliases and ``replaced_by`` across the library: (their problems, alias -> id)."""
    problems = []
    owners: dict[str, str] = {}  # alias -> id that claims it
    for prompt in sorted(prompts.values(), key=lambda p: p.path):
        for index, alias in enumerate(prompt.aliases):
            line, col = prompt.place(("aliases", index))
            if alias == prompt.id:
                problems.append(error(prompt.path, line, col, "alias",
                                      f"alias {alias!r} is the prompt's own id; remove it"))
            elif alias in prompts:
                problems.append(error(prompt.path, line, col, "alias",
                                      f"alias {alias!r} is the id of "
                                      f"{prompts[alias].path}; ids and aliases must be "
                                      "unique across the repository"))
            elif alias in owners:
                problems.append(error(prompt.path, line, col, "alias",
                                      f"alias {alias!r} is already an alias of {owners[alias]}; "
                                      "ids and aliases must be unique across the repository"))
            else:
                owners[alias] = prompt.id
    for prompt in prompts.values():
        successor = prompt.replaced_by
        if successor is None:
            continue
        line, col = prompt.place(("replaced_by",))
        target_id = owners.get(successor, successor)
        target = prompts.get(target_id)
        if target is None:
            problems.append(error(prompt.path, line, col, "replaced-by",
                                  f"replaced_by names {successor!r}, which does not exist; name an "
                                  "existing prompt id"))
        elif target.id == prompt.id:
            problems.append(error(prompt.path, line, col, "replaced-by",
                                  "replaced_by names the prompt itself; name its successor"))
        elif target.status != "active":
            problems.append(warning(prompt.path, line, col, "replaced-by",
                                    f"replaced_by names {successor!r}, whose status is "
                                    f"{target.status}; point consumers at an active prompt"))
    return problems, owners


# Put in a template's set of used names when what it uses cannot be known (it does not parse).
_UNPARSED = "\0unparsed"


def _check_prompt(prompt: Prompt, env: jinja2.Environment, partials: _Partials) -> list[Problem]:
    problems: list[Problem] = []
    used: set[str] = set()
    for template in prompt.templates:
        problems.extend(_check_template(prompt, template, env, partials, used))
    declared = prompt.inputs
    # A template that does not parse (or includes a partial that does not) uses what nobody can
    # tell: its syntax error is the problem to report, not every input as unused.
    unknown = _UNPARSED in used
    for name in sorted(declared.keys() - used if not unknown else ()):
        where = prompt.document.position(("inputs", name))
        problems.append(warning(prompt.path, where.line, where.col, "unused-input",
                                f"input {name!r} is declared but no template uses it; use it or "
                                "remove it (removing an input needs a new MAJOR version, or a new "
                                "MINOR while MAJOR is 0)"))
    problems.extend(_check_inputs(prompt))
    problems.extend(_check_tests(prompt))
    return problems


def _check_template(prompt: Prompt, template: Template, env: jinja2.Environment,
                    partials: _Partials, used: set[str]) -> list[Problem]:
    path = prompt.path
    plain = plain_names(template.source, env)
    if plain is not None and plain <= prompt.inputs.keys():
        used |= plain  # text, raw blocks and declared {{ name }}s: nothing to report
        return []
    try:
        ast = env.parse(template.source)
    except jinja2.TemplateSyntaxError as exc:
        used.add(_UNPARSED)
        line, col = _syntax_error_position(env, prompt, template, exc)
        return [error(path, line, col, "template",
                      f"template syntax error in {template.field}: {exc.message}")]
    located = _located_ast(env, prompt, template, ast)

    def file_line(lineno: int) -> int:
        return template.line + lineno - 1 if located is not None else template.line

    problems: list[Problem] = []
    direct = referenced_names(ast, env)
    through: dict[str, tuple[str, int]] = {}  # variable -> (partial that reads it, include line)
    for target, lineno in includes(located if located is not None else ast):
        problem = _include_problem(target, partials.sources)
        if problem:
            problems.append(error(path, file_line(lineno), 1, "include", problem))
            continue
        assert target is not None
        if any(name not in partials.asts for name in (target, *partials.included_by(target))
               if name in partials.sources):
            used.add(_UNPARSED)  # the partial's own syntax error is reported on the partial
        names, where = partials.names(target)
        for variable in names - direct:
            through.setdefault(variable, (where.get(variable, target), lineno))
    used |= direct | through.keys()
    for name in sorted((direct | through.keys()) - prompt.inputs.keys()):
        if name in through:
            partial, lineno = through[name]
            via = f" (through {PROMPTS_DIR}/{partial})"
        else:
            via, lineno = "", _first_use(located, name)
        problems.append(error(path, file_line(lineno), 1, "undeclared-input",
                              f"{template.field} uses {name!r}{via}, which `inputs` does not "
                              f"declare; add it under inputs: with its type"))
    return problems


def _include_problem(target: str | None, sources: Mapping[str, str]) -> str | None:
    if target is None:
        return "include names must be literal strings such as \"_partials/name.md\""
    if target not in sources:
        known = ", ".join(sorted(sources)) or "none"
        return (f"partial {target!r} does not exist (name it by its path under prompts/; "
                f"partials: {known})")
    return None


def _raw_text(prompt: Prompt, template: Template) -> str:
    """The value's text as it stands in the file, from its first character to its end."""
    lines = split_lines(prompt.text)[template.line - 1 : max(template.end_line, template.line)]
    if lines:
        lines[0] = lines[0][template.col - 1 :]
    return "\n".join(lines)


def _located_ast(env: jinja2.Environment, prompt: Prompt, template: Template,
                 ast: nodes.Template) -> nodes.Template | None:
    """An AST whose line numbers count from ``template.line`` in the file.

    The template's own AST where its text stands in the file as it is. A folded, plain or
    quoted YAML value joins or escapes lines, but Jinja2 sees the same tokens in the value's raw
    text, so that text parses to an AST with the file's lines. None if it does not parse.
    """
    if template.exact:
        return ast
    try:
        return env.parse(_raw_text(prompt, template))
    except jinja2.TemplateSyntaxError:
        return None


def _syntax_error_position(env: jinja2.Environment, prompt: Prompt, template: Template,
                           exc: jinja2.TemplateSyntaxError) -> tuple[int, int]:
    lineno = exc.lineno or 1
    if not template.exact:
        try:
            env.parse(_raw_text(prompt, template))
        except jinja2.TemplateSyntaxError as raw_exc:
            lineno = raw_exc.lineno or 1
        else:
            return template.line, template.col
    return template.line + lineno - 1, template.col if lineno == 1 else 1


def _first_use(ast: nodes.Template | None, name: str) -> int:
    if ast is not None:
        for node in ast.find_all(nodes.Name):
            if node.name == name and node.ctx == "load":
                return int(node.lineno)
    return 1


def _check_inputs(prompt: Prompt) -> list[Problem]:
    found = _input_findings(prompt)
    if not found:
        return []
    problems = []
    for name, code, message in found:
        if code == "input-default":
            at = prompt.document.position(("inputs", name, "default"))
            problems.append(error(prompt.path, at.line, at.col, code, message))
            continue
        where = prompt.document.position(("inputs", name))
        if code == "input-required":
            problems.append(warning(prompt.path, where.line, where.col, code, message))
        else:
            problems.append(error(prompt.path, where.line, where.col, code, message))
    return problems


def _input_findings(prompt: Prompt) -> list[tuple[str, str, str]]:
    """(input, code, message) of each problem with the declared inputs, in the order reported:
    positions are looked up only for these (most prompts have none)."""
    findings: list[tuple[str, str, str]] = []
    for name, spec in prompt.inputs.items():
        schema = inputs_module.value_schema(spec)
        for message in check_input_schema(schema):
            findings.append((name, "input-schema", f"input {name!r}: {message}"))
        if "default" in spec:
            for err in input_errors(schema, spec["default"]):
                findings.append((name, "input-default",
                                 f"default of input {name!r} is invalid: {err.message}"))
            if spec.get("required") is True:
                findings.append((name, "input-required",
                                 f"input {name!r} has a default, so `required: true` has no "
                                 "effect; drop one of them"))
    return findings


def _check_tests(prompt: Prompt) -> list[Problem]:
    problems = []
    names: set[str] = set()
    for index, test in enumerate(prompt.tests):
        name = test["name"]
        if name in names:
            where = prompt.document.position(("tests", index))
            problems.append(error(prompt.path, where.line, where.col, "test",
                                  f"test name {name!r} is used twice; test names are unique"))
        names.add(name)
        given: dict[str, Any] = test.get("inputs") or {}
        try:
            inputs_module.resolve(prompt, given)
        except InputError as exc:
            at = prompt.document.position(("tests", index, "inputs"))
            for field, why in sorted(exc.fields.items()):
                problems.append(error(prompt.path, at.line, at.col, "test-inputs",
                                      f"test {name!r}: input {field!r}: {why}"))
        pattern = test["expect"].get("matches")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                at = prompt.document.position(("tests", index, "expect", "matches"))
                problems.append(error(prompt.path, at.line, at.col, "test",
                                      f"test {name!r}: matches is not a valid regular expression: "
                                      f"{exc}"))
    return problems


def partial_users(library: PromptSet) -> dict[str, set[str]]:
    """Partial name (under prompts/) -> ids of the prompts that include it, directly or not."""
    env = make_environment(library.partials)
    partials = _Partials(library.partials, env)
    users: dict[str, set[str]] = {name: set() for name in library.partials}
    for prompt in library.prompts.values():
        for template in prompt.templates:
            try:
                ast = env.parse(template.source)
            except jinja2.TemplateSyntaxError:
                continue
            for target, _line in includes(ast):
                if target is None or target not in library.partials:
                    continue
                for name in (target, *partials.included_by(target)):
                    users.setdefault(name, set()).add(prompt.id)
    return users
