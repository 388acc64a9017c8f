"""``prompt-engine.yaml``: the prompts a consuming repository uses, and where they come from.

    source:
      server: https://prompts.example.com   # a read API ...
      key_env: PROMPT_ENGINE_KEY            # ... and the variable that holds its key
      # git: https://github.com/acme/prompts.git   # or a Git repository (URL or path)
      # ref: main
    targets: [skills, claude-commands]      # where sync writes them (default: raw)
    prompts:
      - engineering/code-review@1           # an id or an alias, with a range: @1, @1.2, exact
      - {tag: python}                       # every prompt with the tag (a range applies to each)

Errors name the file, the line and the fix (``ReferencesError``, exit 1). ``add`` inserts one
line into the ``prompts`` list and keeps the rest of the file as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from promptctl import yamlload
from promptctl.consumers.files import write_atomic
from promptctl.errors import PromptctlError, UsageError

FILE = "prompt-engine.yaml"
DEFAULT_KEY_ENV = "PROMPT_ENGINE_KEY"
RANGE = re.compile(r"(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,2}")
REF = re.compile(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*")
TAG = re.compile(r"[a-z0-9][a-z0-9-]*")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Where each target's files go by default (a mapping {format, dir} names another folder).
TARGET_DIRS = {
    "raw": ".prompt-engine/prompts",
    "skills": ".agents/skills",
    "claude-commands": ".claude/commands",
    "copilot": ".github/prompts",
}
OTHER_FORMATS = ("github-models", "prompty", "dotprompt")  # no folder a tool reads: give `dir`

HEADER = """\
# The prompts this repository uses, resolved by `promptctl sync` into prompt-engine.lock.
# Commit both files. See `promptctl add --help` and `promptctl sync --help`.
"""


class ReferencesError(PromptctlError):
    """The references file is malformed (exit 1): the message names the line and the fix."""


@dataclass(frozen=True)
class Reference:
    """One entry of ``prompts``: an id or alias (``ref``) or a ``tag``, with an optional range."""

    ref: str | None = None
    tag: str | None = None
    range: str | None = None  # "1", "1.2", "1.2.3" or None (the newest)
    line: int = 0

    @property
    def text(self) -> str:
        """As ``add`` takes it and the lock records it: ``id@1``, ``tag:python@1``."""
        name = self.ref if self.ref is not None else f"tag:{self.tag}"
        return f"{name}@{self.range}" if self.range else name


@dataclass(frozen=True)
class Source:
    server: str | None = None
    key_env: str = DEFAULT_KEY_ENV
    git: str | None = None
    ref: str = "main"

    @property
    def text(self) -> str:
        """How the lock records it."""
        return self.server if self.server else f"git+{self.git}#{self.ref}"


@dataclass(frozen=True)
class Target:
    format: str  # "raw" or one of promptctl.formats.FORMATS
    dir: str  # relative to the repository root, posix
    unfaithful: Literal["skip", "embed"] = "skip"  # a prompt the format cannot express


@dataclass(frozen=True)
class References:
    path: Path
    source: Source | None
    targets: tuple[Target, ...]
    prompts: tuple[Reference, ...] = field(default=())


def parse_reference(text: str) -> Reference:
    """``ID[@RANGE]`` or ``tag:TAG[@RANGE]`` as typed; ``UsageError`` naming the fix."""
    name, sep, spec = text.strip().partition("@")
    if sep and not RANGE.fullmatch(spec):
        raise UsageError(f"{text!r}: a range is 1, 1.2 or 1.2.3 (the highest matching version "
                         "is locked); write e.g. engineering/code-review@1")
    if name.startswith("tag:"):
        tag = name[4:]
        if not TAG.fullmatch(tag):
            raise UsageError(f"{text!r}: a tag is lowercase letters, digits and -, e.g. "
                             "tag:python")
        return Reference(tag=tag, range=spec or None)
    if not REF.fullmatch(name):
        raise UsageError(f"{text!r} is not a prompt id or alias: lowercase segments of a-z, "
                         "0-9 and -, separated by /, e.g. engineering/code-review@1")
    return Reference(ref=name, range=spec or None)


def load(root: Path) -> References:
    path = root / FILE
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no references file; add a prompt first with `promptctl add "
                         "ID@RANGE`") from None
    except UnicodeDecodeError:
        raise ReferencesError(f"{FILE}: not UTF-8 text; save it as UTF-8") from None
    try:
        document = yamlload.load(text)
    except yamlload.YamlProblem as exc:
        raise ReferencesError(f"{FILE}:{exc.line}:{exc.col}: {exc.message}") from None
    return _parse(path, document)


def _fail(document: yamlload.YamlDocument, where: tuple[Any, ...], message: str) -> None:
    position = document.position(where)
    raise ReferencesError(f"{FILE}:{position.line}:{position.col}: {message}")


def _parse(path: Path, document: yamlload.YamlDocument) -> References:
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        _fail(document, (), "expected a mapping with source, targets and prompts")
    for key in data:
        if key not in ("source", "targets", "prompts"):
            _fail(document, (key,), f"unknown key {key!r}; the keys are source, targets and "
                                    "prompts")
    source = _source(document, data.get("source"))
    targets = _targets(document, data.get("targets"))
    prompts = _prompts(document, data.get("prompts"))
    return References(path, source, targets, prompts)


def _source(document: yamlload.YamlDocument, raw: Any) -> Source | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        _fail(document, ("source",), "source is a mapping: `server: URL` (and `key_env: NAME`) "
                                     "or `git: URL-or-path` (and `ref: BRANCH`)")
    for key in raw:
        if key not in ("server", "key_env", "git", "ref"):
            _fail(document, ("source", key), f"unknown key {key!r}; source takes server and "
                                             "key_env, or git and ref")
        if not isinstance(raw[key], str) or not raw[key].strip():
            _fail(document, ("source", key), f"{key} is a non-empty string")
    server, git = raw.get("server"), raw.get("git")
    if (server is None) == (git is None):
        _fail(document, ("source",), "give one of server (a read API URL) or git (a Git "
                                     "repository URL or path)")
    if server is not None and not server.startswith(("http://", "https://")):
        _fail(document, ("source", "server"), f"{server!r} is not a URL; write "
                                              "https://prompts.example.com")
    key_env = raw.get("key_env", DEFAULT_KEY_ENV)
    if not ENV_NAME.fullmatch(key_env):
        _fail(document, ("source", "key_env"), f"{key_env!r} is not an environment variable "
                                               "name (the key itself never goes in this file)")
    if git is None and "ref" in raw:
        _fail(document, ("source", "ref"), "ref goes with git; a server serves its own branch")
    return Source(server=server.rstrip("/") if server else None, key_env=key_env, git=git,
                  ref=raw.get("ref", "main"))


def _targets(document: yamlload.YamlDocument, raw: Any) -> tuple[Target, ...]:
    if raw is None:
        return (Target("raw", TARGET_DIRS["raw"]),)
    if not isinstance(raw, list):
        _fail(document, ("targets",), "targets is a list, e.g. [skills, claude-commands]")
    known = [*TARGET_DIRS, *OTHER_FORMATS]
    found: list[Target] = []
    for index, item in enumerate(raw):
        where = ("targets", index)
        if isinstance(item, str):
            if item not in TARGET_DIRS:
                hint = (f"; {item} has no folder a tool reads: write {{format: {item}, dir: "
                        "FOLDER}") if item in OTHER_FORMATS else f"; choose {', '.join(known)}"
                _fail(document, where, f"unknown target {item!r}{hint}")
            found.append(Target(item, TARGET_DIRS[item]))
            continue
        if not isinstance(item, dict) or set(item) - {"format", "dir", "unfaithful"} or (
                "format" not in item):
            _fail(document, where, "a target is a name (skills) or {format: NAME, dir: FOLDER, "
                                   "unfaithful: skip|embed}")
        fmt, folder = item["format"], item.get("dir", TARGET_DIRS.get(str(item["format"])))
        if fmt not in known:
            _fail(document, (*where, "format"), f"unknown format {fmt!r}; choose "
                                                f"{', '.join(known)}")
        if not isinstance(folder, str) or not _safe_dir(folder):
            _fail(document, (*where, "dir"), "dir is a folder inside this repository, e.g. "
                                             ".claude/skills (no .., no absolute path)")
        unfaithful = item.get("unfaithful", "skip")
        if unfaithful not in ("skip", "embed"):
            _fail(document, (*where, "unfaithful"), "unfaithful is skip (write nothing for a "
                                                    "prompt the format cannot express) or "
                                                    "embed (the template, with instructions)")
        found.append(Target(fmt, folder.strip("/"), unfaithful))
    dirs = [t.dir for t in found]
    for index, target in enumerate(found):
        if dirs.index(target.dir) != index:
            _fail(document, ("targets", index), f"two targets write to {target.dir}; give "
                                                "each its own dir")
    return tuple(found)


def _safe_dir(folder: str) -> bool:
    parts = folder.strip("/").split("/")
    return bool(folder.strip("/")) and not folder.startswith("/") and all(
        part not in ("", ".", "..") for part in parts) and ".git" not in parts


def _prompts(document: yamlload.YamlDocument, raw: Any) -> tuple[Reference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        _fail(document, ("prompts",), "prompts is a list of `- ID@RANGE` or `- {tag: TAG}`")
    found: list[Reference] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = ("prompts", index)
        line = document.position(where).line
        if isinstance(item, str):
            try:
                reference = parse_reference(item)
            except UsageError as exc:
                _fail(document, where, exc.message)
        elif isinstance(item, dict) and set(item) <= {"id", "tag", "version"} and (
                ("id" in item) != ("tag" in item)):
            version = item.get("version")
            if version is not None and not (isinstance(version, str)
                                            and RANGE.fullmatch(version)):
                _fail(document, (*where, "version"), "version is a quoted range: \"1\", "
                                                     "\"1.2\" or \"1.2.3\"")
            name = f"tag:{item['tag']}" if "tag" in item else str(item["id"])
            try:
                reference = parse_reference(name if version is None else f"{name}@{version}")
            except UsageError as exc:
                _fail(document, where, exc.message)
        else:
            _fail(document, where, "an entry is `ID@RANGE` or {id: ID, version: RANGE} or "
                                   "{tag: TAG, version: RANGE}")
        key = reference.ref or f"tag:{reference.tag}"
        if key in seen:
            _fail(document, where, f"{key} is listed already (line {seen[key]}); keep one")
        seen[key] = line
        found.append(Reference(reference.ref, reference.tag, reference.range, line))
    return tuple(found)


# --- add ------------------------------------------------------------------------------------


def add(root: Path, references: list[Reference], source: Source | None = None) -> list[str]:
    """Insert ``references`` into the file (created when missing, with ``source``); returns
    what was done, one line each. A reference already listed with the same range is left as
    it is; with another range it is a ``UsageError`` naming its line (edit that line)."""
    path = root / FILE
    if path.exists():
        current = load(root)
        if source is not None:
            raise UsageError(f"{FILE} exists: edit its source: section instead of passing "
                             "--server or --git")
        text = path.read_bytes().decode("utf-8")
    else:
        current = References(path, source, ())
        text = HEADER + _source_text(source)
    done: list[str] = []
    new_lines: list[str] = []
    listed = {r.ref or f"tag:{r.tag}": r for r in current.prompts}
    for reference in references:
        key = reference.ref or f"tag:{reference.tag}"
        found = listed.get(key)
        if found is not None:
            if found.range == reference.range:
                done.append(f"{reference.text}: listed already ({FILE}:{found.line})")
                continue
            raise UsageError(f"{FILE}:{found.line}: {key} is listed already as {found.text}; "
                             f"edit that line to change its range")
        listed[key] = reference
        new_lines.append(_item_text(reference))
        done.append(f"added {reference.text}")
    if new_lines:
        write_atomic(path, _insert(text, new_lines).encode("utf-8"))
    return done


def _source_text(source: Source | None) -> str:
    if source is None:
        return ("# source:\n#   server: https://prompts.example.com  # a read API, its key in "
                f"${DEFAULT_KEY_ENV}\n#   # or git: URL-or-path, and ref: main\n")
    if source.server:
        return f"source:\n  server: {source.server}\n  key_env: {source.key_env}\n"
    return f"source:\n  git: {_scalar(source.git or '')}\n  ref: {_scalar(source.ref)}\n"


def _scalar(text: str) -> str:
    try:
        if yamlload.load(text).data == text and ": " not in text and " #" not in text:
            return text
    except yamlload.YamlProblem:
        pass
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _item_text(reference: Reference) -> str:
    if reference.tag is not None:
        if reference.range:
            return f'{{tag: {reference.tag}, version: "{reference.range}"}}'
        return f"{{tag: {reference.tag}}}"
    return reference.text


def _insert(text: str, items: list[str]) -> str:
    """``items`` as new lines at the end of the block list ``prompts`` (created when absent)."""
    document = yamlload.load(text)
    data = document.data if isinstance(document.data, dict) else {}
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    prompts = data.get("prompts")
    if not prompts:
        if "prompts" in data:  # `prompts:` or `prompts: []`: replace that line
            line = document.position(("prompts",)).line
            lines[line - 1] = "prompts:\n"
            return "".join(lines[:line] + [f"  - {i}\n" for i in items] + lines[line:])
        return "".join(lines) + "prompts:\n" + "".join(f"  - {i}\n" for i in items)
    last = ("prompts", len(prompts) - 1)
    first = document.position(("prompts", 0))
    if document.position(("prompts",)).line == first.line:
        raise ReferencesError(f"{FILE}:{first.line}: prompts is written on one line; write "
                              "it as a list, one `- ID@RANGE` line each, so add can extend it")
    end = document.value_end(last)
    # A value ends where the next token starts; a block mapping item may end on a later line.
    end_line = end.line if end.col > 1 else end.line - 1
    prefix = re.match(r"[ \t]*-[ \t]*", lines[first.line - 1])
    indent = prefix[0] if prefix else "  - "
    insert = [f"{indent}{i}\n" for i in items]
    return "".join(lines[:end_line] + insert + lines[end_line:])
