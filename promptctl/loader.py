"""Bytes -> a validated ``Prompt``, or the located problems that stop it.

One loader for both forms and every source: ``.prompt.md`` (YAML front matter between ``---``
lines, then the user message template) and ``.prompt.yaml`` (the same fields plus ``messages``).
Only per-file checks live here; checks that need the whole library (ids across files, partials,
template variables) are in ``promptctl.validate``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from promptctl import yamlload
from promptctl.model import (
    MD_SUFFIX,
    YAML_SUFFIX,
    Form,
    Prompt,
    Role,
    Template,
    prompt_id_for,
)
from promptctl.problems import Problem, error
from promptctl.schema import PROMPT_SCHEMA, located_errors
from promptctl.sources import MAX_FILE_BYTES, SourceFile

SEGMENT = re.compile(r"[a-z0-9][a-z0-9-]*")
_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*\r?$")
# What str.splitlines also ends a line at, and editors, Git and Jinja2 do not.
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")


def split_lines(text: str, *, keepends: bool = False) -> list[str]:
    """The lines of a file's text: ``str.splitlines``, except that only ``\\n``, ``\\r\\n`` and
    ``\\r`` end a line, as editors, Git and Jinja2 count them. U+2028, U+0085, a form feed and
    the like are characters of the line they stand in."""
    if not any(c in text for c in _OTHER_BREAKS):
        return text.splitlines(keepends)  # the same answer, several times faster
    if keepends:
        return _LINE.findall(text)
    lines = _LINE_END.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """A prompt's ``meta``: its front matter's fields over the optional fields' defaults."""
    return {"scope": "team", "channel": "stable", "tags": [], "aliases": [], "inputs": {},
            "tests": [], **data}


@dataclass
class LoadResult:
    prompt: Prompt | None
    problems: list[Problem] = field(default_factory=list)


def refusal(file: SourceFile) -> Problem | None:
    """The problem with a file the source did not read (a link, an oversize or special file)."""
    if file.kind == "symlink":
        return error(file.path, 1, 1, "symlink",
                     "symbolic links are not followed in prompts/; replace the link with the "
                     "file itself, or use {% include %} of a partial")
    if file.kind == "oversize":
        return error(file.path, 1, 1, "file-too-large",
                     f"file is {file.size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit; "
                     "split it, or move shared text into a partial")
    if file.kind == "special":
        return error(file.path, 1, 1, "not-a-file",
                     "not a regular file (a submodule, device or socket); remove it from prompts/")
    return None


def decode(path: str, data: bytes) -> tuple[str | None, Problem | None]:
    """UTF-8 text without NUL bytes, or the located reason it is not."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        return None, error(path, line, col, "encoding",
                           "file contains a NUL byte; prompt files are UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        return None, error(path, line, col, "encoding",
                           f"bytes that are not UTF-8 (0x{data[exc.start]:02x}); "
                           "save the file as UTF-8")
    return text.removeprefix("\ufeff"), None


def read_partial(file: SourceFile) -> tuple[str | None, Problem | None]:
    """A partial's text, or the problem that keeps it out of the library."""
    refused = refusal(file)
    if refused:
        return None, refused
    return decode(file.path, file.data)


def check_path(path: str) -> list[Problem]:
    """Id and file-name rules: lowercase segments of [a-z0-9-], no spaces, '..' or ':'."""
    prompt_id = prompt_id_for(path)
    if prompt_id is None:
        return [error(path, 1, 1, "file-name",
                      f"prompt files end in {MD_SUFFIX} or {YAML_SUFFIX}; rename the file")]
    problems = []
    for segment in prompt_id.split("/"):
        if SEGMENT.fullmatch(segment):
            continue
        if segment != segment.lower():
            why = "has upper case"
        elif " " in segment:
            why = "has a space"
        elif ".." in segment or "." in segment:
            why = "has a dot"
        elif ":" in segment:
            why = "has a colon (ids never contain ':')"
        else:
            why = "has characters outside a-z, 0-9 and -"
        suggestion = re.sub(r"[^a-z0-9-]+", "-", segment.lower()).strip("-") or "name"
        problems.append(error(path, 1, 1, "id",
                              f"path segment {segment!r} {why}; ids are lowercase segments "
                              f"of a-z, 0-9 and '-' (rename it to {suggestion!r})"))
    return problems


def load_prompt(file: SourceFile) -> LoadResult:
    path = file.path
    refused = refusal(file)
    if refused:
        return LoadResult(None, [refused])
    problems = check_path(path)
    if problems:
        return LoadResult(None, problems)
    if not file.data.strip():
        return LoadResult(None, [error(path, 1, 1, "empty",
                                       "empty file; run `promptctl new ID` for a valid skeleton")])
    text, bad = decode(path, file.data)
    if bad or text is None:
        return LoadResult(None, [bad] if bad else [])
    form: Form = "md" if path.endswith(MD_SUFFIX) else "yaml"
    try:
        if form == "md":
            document, templates, body_problems = _split_markdown(path, text)
            problems.extend(body_problems)
        else:
            document = yamlload.load(text)
            templates = []
    except yamlload.YamlProblem as exc:
        return LoadResult(None, [error(path, exc.line, exc.col, exc.code, exc.message)])
    if problems:
        return LoadResult(None, problems)

    data = document.data
    if data is None:
        data = {}
    for line, col, message in located_errors(PROMPT_SCHEMA, data, document):
        problems.append(error(path, line, col, "schema", message))
    if problems:
        return LoadResult(None, problems)

    problems.extend(_form_rules(path, form, data, document))
    if form == "md":
        system = data.get("system")
        if system is not None:
            templates.insert(0, _yaml_template("system", system, "system", ("system",),
                                               document))
    else:
        for index, message in enumerate(data.get("messages", [])):
            templates.append(_yaml_template(message["role"], message["content"],
                                            f"messages[{index}].content",
                                            ("messages", index, "content"), document))
    if problems:
        return LoadResult(None, problems)

    meta = with_defaults(data)
    prompt_id = prompt_id_for(path)
    assert prompt_id is not None  # check_path passed
    prompt = Prompt(
        id=prompt_id,
        path=path,
        form=form,
        meta=meta,
        templates=tuple(templates),
        digest=hashlib.sha256(file.data).hexdigest(),
        text=text,
        document=document,
    )
    return LoadResult(prompt, [])


def front_matter_end(lines: list[str]) -> int | None:
    """Where the front matter of a .prompt.md file ends: the index of its closing '---' (or
    '...') line; 0 when the first line does not open it; None when nothing closes it."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    return next((i for i in range(1, len(lines)) if _FENCE.match(lines[i].rstrip("\n"))), None)


def _split_markdown(path: str, text: str) -> tuple[yamlload.YamlDocument, list[Template],
                                                   list[Problem]]:
    parts = _fenced(text)
    if parts is None:
        raise yamlload.YamlProblem(
            "unterminated front matter: no closing '---' line after the '---' on line 1; "
            "add one between the fields and the template",
            1, 1, code="front-matter",
        )
    if not isinstance(parts, tuple):
        raise yamlload.YamlProblem(
            "missing front matter: a .prompt.md file starts with a line '---', the YAML fields, "
            "and a closing '---' line before the template",
            1, 1, code="front-matter",
        )
    front, end, body, skipped = parts
    document = yamlload.load(front, first_line=2)
    first = end + 2 + skipped
    if not body:
        problem = error(path, end + 1, 1, "empty-body",
                        "no template after the front matter; write the user message below the "
                        "closing '---'")
        return document, [], [problem]
    return document, [Template("user", body, "body", first, 1)], []


_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def _fenced(text: str) -> tuple[str, int, str, int] | int | None:
    """A .prompt.md file's parts: (its front matter, the index of the closing '---' line, the
    body without its leading blank lines and trailing whitespace, how many blank lines it
    started with); 0 and None as ``front_matter_end`` says."""
    if "\r" in text:  # lines may end at a lone "\r": read them one by one
        lines = split_lines(text, keepends=True)
        end = front_matter_end(lines)
        if not end:
            return end
        body_lines = lines[end + 1 :]
        skipped = 0
        while body_lines and not body_lines[0].strip():
            body_lines.pop(0)
            skipped += 1
        return "".join(lines[1:end]), end, "".join(body_lines).rstrip(), skipped
    # Only "\n" ends a line: the closing fence is found without splitting the whole text.
    first = text.find("\n")
    if (text[: first + 1] if first >= 0 else text).rstrip() != "---":
        return 0
    if first < 0:
        return None
    fence = _CLOSING_FENCE.search(text, first + 1)
    if fence is None:
        return None
    after = text.find("\n", fence.end())
    position = len(text) if after < 0 else after + 1
    skipped = 0
    while position < len(text):
        after = text.find("\n", position)
        line_end = len(text) if after < 0 else after + 1
        if text[position:line_end].strip():
            break
        skipped += 1
        position = line_end
    return (text[first + 1 : fence.start()], text.count("\n", 0, fence.start()),
            text[position:].rstrip(), skipped)


def _yaml_template(role: Role, source: str, field_name: str, path: yamlload.DataPath,
                   document: yamlload.YamlDocument) -> Template:
    start = document.value_start(path)
    return Template(role, source, field_name, start.line, start.col,
                    exact=document.style(path) == "|", end_line=document.value_end(path).line)


def _form_rules(path: str, form: Form, data: dict[str, Any],
                document: yamlload.YamlDocument) -> list[Problem]:
    problems = []
    if form == "md" and "messages" in data:
        where = document.position(("messages",))
        problems.append(error(path, where.line, where.col, "form",
                              "`messages` belongs to .prompt.yaml files; in a .prompt.md file the "
                              "body is the user message and `system` the system message"))
    if form == "yaml" and "system" in data:
        where = document.position(("system",))
        problems.append(error(path, where.line, where.col, "form",
                              "`system` belongs to .prompt.md files; in a .prompt.yaml file add "
                              "{role: system, content: ...} as the first of `messages`"))
    if form == "yaml" and "messages" not in data:
        problems.append(error(path, 1, 1, "schema",
                              "missing required field 'messages': a .prompt.yaml file lists its "
                              "message templates as messages: [{role, content}]"))
    status = data.get("status")
    if data.get("replaced_by") is not None and status != "deprecated":
        where = document.position(("replaced_by",))
        problems.append(error(path, where.line, where.col, "lifecycle",
                              f"replaced_by is set but status is {status!r}; only a deprecated "
                              "prompt names a successor (set status: deprecated or remove it)"))
    return problems


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """The line and the column, in characters as an editor counts them, of byte ``offset``."""
    ends = list(_LINE_END_BYTES.finditer(data, 0, offset))
    line = len(ends) + 1
    start = ends[-1].end() if ends else 0
    before = data[start:offset].decode("utf-8", errors="replace")  # a bad byte: one character
    if start == 0:
        before = before.removeprefix("\ufeff")  # a byte-order mark is not shown
    return line, len(before) + 1
