"""What the server keeps of each file of a commit: a small record, not the loaded prompt.

Loading a prompt (YAML, schema, templates) and checking it cost a few hundred microseconds, and
the loaded ``Prompt`` holds its text twice, its templates and the position of every YAML value:
tens of kilobytes a prompt. The index needs none of that to list, filter, count and check a
library across files, so each file is loaded once, reduced to a ``FileRecord`` (the prompt's
``Summary`` and the file's problems) and dropped. Records are keyed by path and blob id: a file
whose blob did not change keeps its record from build to build and from run to run (the index
cache keeps them, ``server.store``). A prompt itself is loaded again when a request needs it
(``PromptCache``, bounded).

A prompt's checks depend on its file and, where its templates include, import or extend
something, on the partials: a record says which partials its checks saw (``partials``, empty
where they cannot matter), and a change of partials re-checks only the prompts that use them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from sys import intern
from typing import Any

from promptctl.errors import RepositoryError
from promptctl.gitreader import GitRepository, TreeFile
from promptctl.loader import decode, load_prompt
from promptctl.model import Prompt, summary_of
from promptctl.problems import Problem
from promptctl.sources import SourceFile
from promptctl.validate import PromptChecks
from server.cache import Lru
from server.search import SearchDoc

# What lets a template reach a partial: `{% include %}`, `import`, `from` and `extends` tags.
# Snippets are cut from the first this many characters of a prompt's file (front matter included):
# a match further in gives the description as its snippet. Bounded, a text costs the same to read
# and scan whatever the prompt's length.
SNIPPET_CHARS = 12_000
_USES_PARTIALS = re.compile(r"\{%[-+]?\s*(?:include|import|from|extends)\b")


@dataclass(frozen=True, slots=True)
class Summary:
    """A prompt as lists, filters and the cross-file rules see it: its front matter's small
    fields, where its aliases and ``replaced_by`` stand, and which blob holds it."""

    id: str
    path: str
    blob: str
    digest: str  # sha256 of the file's bytes
    form: str
    title: str
    description: str
    version: str
    status: str
    scope: str
    channel: str
    tags: tuple[str, ...]
    owners: tuple[str, ...]
    aliases: tuple[str, ...]
    replaced_by: str | None
    places: tuple[tuple[int, int], ...]  # each alias's (line, col), then replaced_by's
    inputs_json: str  # the inputs as JSON text (a listing of MCP arguments reads them)

    @classmethod
    def of(cls, prompt: Prompt, blob: str) -> Summary:
        aliases = tuple(prompt.aliases)
        places = [prompt.place(("aliases", i)) for i in range(len(aliases))]
        places.append(prompt.place(("replaced_by",)))
        return cls(prompt.id, prompt.path, blob, prompt.digest, prompt.form, prompt.title,
                   prompt.description, prompt.version, prompt.status, prompt.scope,
                   prompt.channel, tuple(prompt.tags), tuple(prompt.owners),
                   aliases, prompt.replaced_by, tuple(places),
                   json.dumps(prompt.inputs, ensure_ascii=False, separators=(",", ":"),
                              default=str))

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = json.loads(self.inputs_json)
        return found

    @property
    def collection(self) -> str:
        return self.id.split("/", 1)[0]

    def place(self, key: tuple[str | int, ...]) -> tuple[int, int]:
        if key[0] == "aliases" and len(key) == 2 and isinstance(key[1], int) \
                and key[1] < len(self.aliases):
            return self.places[key[1]]
        return self.places[-1]

    def summary(self) -> dict[str, Any]:
        """What ``Prompt.summary`` gives for the same file."""
        return summary_of(self)

    def fields(self) -> list[Any]:
        return [self.id, self.path, self.blob, self.digest, self.form, self.title,
                self.description, self.version, self.status, self.scope, self.channel,
                list(self.tags), list(self.owners), list(self.aliases), self.replaced_by,
                [list(p) for p in self.places], self.inputs_json]

    @classmethod
    def from_fields(cls, fields: Sequence[Any]) -> Summary:
        """The summary ``fields`` gave (a worker's answer, a row of the index cache: both
        written by this code, so the types are not checked again one by one)."""
        (prompt_id, path, blob, digest, form, title, description, version, status, scope,
         channel, tags, owners, aliases, replaced_by, places, inputs_json) = fields
        # The small values most prompts share (a status, a team, a tag) are one string each,
        # not one per prompt: a tenth of what 10,000 records hold. The path and the blob id are
        # those of the record's key and of the tree's walk (``TreeFile``): one string each too.
        return cls(prompt_id, intern(path), intern(blob), digest, intern(form), title, description,
                   intern(version), intern(status), intern(scope), intern(channel),
                   tuple(map(intern, tags)), tuple(map(intern, owners)), tuple(aliases),
                   replaced_by, tuple(map(tuple, places)), inputs_json)


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One prompt file's verdict: its summary (None where it does not load) and its problems
    (loading, and the prompt's own checks; not the cross-file rules, which every build runs)."""

    path: str
    blob: str  # the blob id, or the kind of what is not a blob ("symlink", "special")
    summary: Summary | None
    problems: tuple[Problem, ...]
    partials: str  # the partials fingerprint its checks saw; "" where partials cannot matter

    def fresh(self, partials: str) -> bool:
        """Still the verdict with these partials."""
        return not self.partials or self.partials == partials

    def fields(self) -> list[Any]:
        return [self.path, self.blob, None if self.summary is None else self.summary.fields(),
                [problem_fields(p) for p in self.problems], self.partials]

    @classmethod
    def from_fields(cls, fields: Sequence[Any]) -> FileRecord:
        path, blob, summary, problems, partials = fields
        return cls(intern(str(path)), intern(str(blob)),
                   None if summary is None else Summary.from_fields(summary),
                   tuple(problem_from_fields(p) for p in problems), str(partials))


def problem_fields(problem: Problem) -> list[Any]:
    return [problem.path, problem.line, problem.col, problem.severity, problem.code,
            problem.message]


def problem_from_fields(fields: Sequence[Any]) -> Problem:
    path, line, col, severity, code, message = fields
    if severity not in ("error", "warning"):
        raise ValueError(f"not a severity: {severity!r}")
    return Problem(str(path), int(line), int(col), severity, str(code), str(message))


def blob_key(file: TreeFile) -> str:
    """What identifies a file's content in a record: its blob id, or its kind."""
    return file.blob if file.kind == "file" and file.blob is not None else file.kind


def search_doc(prompt: Prompt) -> SearchDoc:
    return SearchDoc(prompt.id, prompt.digest, prompt.status, prompt.title, prompt.description,
                     tuple(prompt.tags), "\n\n".join(t.source for t in prompt.templates))


def examine(file: SourceFile, blob: str, checks: PromptChecks) -> tuple[FileRecord,
                                                                           SearchDoc | None]:
    """Load and check one prompt file: its record, and its search document where it loaded."""
    result = load_prompt(file)
    prompt = result.prompt
    if prompt is None:
        return FileRecord(file.path, blob, None, tuple(result.problems), ""), None
    problems = (*result.problems, *checks(prompt))
    uses = any(_USES_PARTIALS.search(t.source) for t in prompt.templates)
    record = FileRecord(file.path, blob, Summary.of(prompt, blob), problems,
                        checks.fingerprint if uses else "")
    return record, search_doc(prompt)


class PromptUnavailable(RepositoryError):
    """A prompt the index lists whose blob cannot be read now (the repository was moved or is
    unreadable): the API answers 503 until the reloader reads it again."""


class PromptCache:
    """Prompts loaded again from their blobs when a request needs one; the most recently used
    ``size`` are kept (they stay served while the repository cannot be read). Safe to share
    between threads."""

    def __init__(self, open_repository: Callable[[], GitRepository], size: int = 256, *,
                 texts: Callable[[str], str | None] | None = None) -> None:
        self._open = open_repository
        self._texts = texts  # a blob's text kept elsewhere (the index cache), if any
        self._repo: GitRepository | None = None
        self._prompts: Lru[Prompt] = Lru(size)
        self._lock = threading.Lock()  # one reader of the repository at a time

    def file(self, path: str, blob: str) -> SourceFile:
        """``PromptUnavailable`` where the blob cannot be read."""
        with self._lock:
            try:
                if self._repo is None:
                    self._repo = self._open()
                return self._repo.read(TreeFile(path, blob))
            except Exception as exc:  # pygit2 raises KeyError, GitError, OSError and more
                self._repo = None  # open it again next time: it may be back
                raise PromptUnavailable(f"{path} cannot be read from the repository now "
                                        f"({exc}); retry shortly, and see /readyz") from None

    def get(self, summary: Summary) -> Prompt:
        key = (summary.path, summary.blob)
        found = self._prompts.get(key)
        if found is None:
            found = load_prompt(self.file(summary.path, summary.blob)).prompt
            if found is None:  # it loaded when its record was made, and a blob never changes
                raise RuntimeError(f"{summary.path} ({summary.blob}) no longer loads")
            self._prompts.put(key, found)
        return found

    def text(self, summary: Summary) -> str | None:
        """The start of the file's text (``SNIPPET_CHARS``), for search snippets, without
        loading the prompt."""
        found = self._prompts.get((summary.path, summary.blob))
        if found is not None:
            return found.text[:SNIPPET_CHARS]
        kept = self._texts(summary.blob) if self._texts is not None else None
        if kept is not None:
            return kept
        file = self.file(summary.path, summary.blob)
        text = decode(file.path, file.data)[0]
        return None if text is None else text[:SNIPPET_CHARS]
