"""Reading, loading and checking many prompts over several processes, to fill a ``LoadCache`` fast.

Loading a prompt (YAML, schema) and checking it (template parsing, inputs, tests) costs a few
hundred microseconds of pure Python, so a library of 10,000 prompts takes seconds on one core.
Both results depend only on the file and the library's partials (see ``promptctl.loadcache``),
so worker processes can compute them for disjoint chunks of files; the caller seeds its cache
with the answers and then runs the ordinary ``Library.load``, which finds every file already
done. The library that comes out is the one a single process would have built: the only code
that decides anything is the same ``load_prompt`` and ``PromptChecks``.

Workers read their files' blobs from the repository themselves, given the blob ids of the tree,
so the caller only walks tree objects and the blob reads are spread over the workers too.

Workers are forked where that is safe (Linux, and this process runs a single thread: the server
starts them before anything else, so they start at once and need no imports) and spawned
otherwise: a forked child of a process with other threads would inherit their locks. A spawned
worker imports the loader on start (about a third of a second), so the pool is started before
the caller reads Git and the imports overlap with that read.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from promptctl.gitreader import GitRepository, TreeFile
from promptctl.layout import classify, is_prompt_file
from promptctl.loadcache import (
    LoadCache,
    check_key,
    partials_key,
    problem_fields,
    problem_from_fields,
    prompt_from_fields,
    template_fields,
)
from promptctl.loader import LoadResult, decode, load_prompt, read_partial
from promptctl.model import PROMPTS_DIR, Prompt, Template
from promptctl.problems import Problem
from promptctl.sources import SourceFile
from promptctl.validate import PromptChecks

# Below this many files to load, one process is faster than starting workers.
MIN_FILES = 1500
CHUNK_FILES = 200
MAX_WORKERS = 8
WORKER_NICENESS = 10

BlobKey = tuple[str, str]  # (path in the repository, blob id)


class Cancelled(Exception):
    """``collect`` was told to stop (the server is shutting down)."""


_Done = tuple[SourceFile, LoadResult, list[Problem] | None]


def worker_count() -> int:
    """Processes worth starting: the CPUs this process may run on (at most ``MAX_WORKERS``)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def is_prompt_path(path: str) -> bool:
    """A path ``Library.load`` hands to ``load_prompt`` when it is a regular file."""
    return is_prompt_file(path)


def partials_of(files: Sequence[SourceFile]) -> dict[str, str]:
    """The partials ``Library.load`` will find among ``files``: name under prompts/ -> text."""
    found: dict[str, str] = {}
    for file in files:
        if classify(file.path) == "partial":
            text, _bad = read_partial(file)
            if text is not None:
                found[file.path[len(PROMPTS_DIR) + 1 :]] = text
    return found


def start_method() -> str:
    """"fork" where it is safe and faster, else "spawn" (see the module's docstring)."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


class Prefill:
    """A pool of worker processes for one fill: ``start`` it, ``collect`` it, ``close`` it."""

    def __init__(self, workers: int, repo_path: Path) -> None:
        self.workers = workers
        self.repo_path = repo_path
        self.method = start_method()
        context = multiprocessing.get_context(self.method)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                         initializer=_init_worker)
        self._chunks: dict[Future[bytes], list[BlobKey]] = {}
        self._fingerprint = ""
        # Start every worker now (a fork happens here, before any other thread exists), so that
        # a spawned worker's imports overlap with the caller's reading of the tree.
        for _ in range(self.workers):
            self._pool.submit(_ready)

    def start(self, blobs: Sequence[BlobKey], partials: Mapping[str, str]) -> None:
        """Hand the workers ``blobs`` (prompt files by path and blob id) in chunks."""
        self._fingerprint = partials_key(partials)
        repo = str(self.repo_path)
        for first in range(0, len(blobs), CHUNK_FILES):
            chunk = list(blobs[first : first + CHUNK_FILES])
            future = self._pool.submit(_read_load_check, repo, chunk, dict(partials))
            self._chunks[future] = chunk

    def collect(self, cache: LoadCache,
                clean: Callable[[list[Prompt]], None] | None = None,
                stop: threading.Event | None = None) -> dict[BlobKey, SourceFile]:
        """Seed ``cache`` with the workers' results as they come, and return the files they
        read. ``clean`` is called with each chunk's prompts that loaded and checked without an
        error, while the other chunks are still being worked on. ``Cancelled`` once ``stop``
        is set."""
        files: dict[BlobKey, SourceFile] = {}
        for future in as_completed(self._chunks):
            if stop is not None and stop.is_set():
                raise Cancelled
            found: list[Prompt] = []
            written = future.result()  # by _read_load_check, in our own worker
            done = [_decode(fields) for fields in marshal.loads(written)]  # noqa: S302
            for key, (file, result, checks) in zip(self._chunks[future], done, strict=True):
                files[key] = file
                cache.seed(file, result)
                if result.prompt is not None and checks is not None:
                    cache.seed_checks(check_key(result.prompt, self._fingerprint), checks)
                    if not any(p.is_error for p in (*result.problems, *checks)):
                        found.append(result.prompt)
            if clean is not None and found:
                clean(found)
        return files

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --- in the workers ---------------------------------------------------------------------------


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group: the server stops its workers itself, and a
    # worker interrupted mid-prompt would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits a paused collector (see server.index); it runs its own.
    gc.enable()
    gc.freeze()  # the objects inherited from the caller are not garbage: never walk them
    # Below the caller: the server answers requests and indexes each chunk as it comes back
    # meanwhile, and a build ends when the last chunk is indexed, so workers that took the
    # cores from it would only make it end later (a tenth sooner with this than without).
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def _ready() -> None:
    """Nothing: importing this module (and the loader) is the work."""


_CHECKS: dict[str, PromptChecks] = {}  # per process: the checks of the last partials seen
_REPOS: dict[str, GitRepository] = {}  # per process: the repository opened for reading blobs


def _checks_for(partials: Mapping[str, str]) -> PromptChecks:
    key = partials_key(partials)
    checks = _CHECKS.get(key)
    if checks is None:
        _CHECKS.clear()
        checks = _CHECKS[key] = PromptChecks(partials)
    return checks


def _repository(path: str) -> GitRepository:
    repo = _REPOS.get(path)
    if repo is None:
        repo = _REPOS[path] = GitRepository(Path(path))
    return repo


def _read_load_check(repo_path: str, blobs: list[BlobKey], partials: dict[str, str]) -> bytes:
    repo = _repository(repo_path)
    checks = _checks_for(partials)
    out = []
    for path, blob_id in blobs:
        file = repo.read(TreeFile(path, blob_id))
        result = load_prompt(file)  # an oversize file too: its result is the problem
        out.append(_encode((file, result,
                            checks(result.prompt) if result.prompt is not None else None)))
    return marshal.dumps(out)


# --- what a worker sends back ------------------------------------------------------------------
#
# One marshal string per chunk, of plain tuples: a pickle of the same objects costs about four
# times as much to write and to read (dataclasses, and a prompt's text that the file's bytes
# already hold), and the reading happens in the server while it indexes what came before.


def _encode(done: _Done) -> tuple[Any, ...]:
    file, result, checks = done
    prompt = result.prompt
    fields = None
    if prompt is not None:
        # Not the text (decoded again from the file's bytes) nor ``meta`` (the data with the
        # defaults, applied again); the positions as one marshal string, read on first use.
        fields = (prompt.id, prompt.form, prompt.document.data,
                  [_template(t, prompt.text) for t in prompt.templates], prompt.digest,
                  marshal.dumps(prompt.document.spans))
    return (file.path, file.data, file.kind, file.size,
            [problem_fields(p) for p in result.problems], fields,
            None if checks is None else [problem_fields(p) for p in checks])


def _decode(fields: tuple[Any, ...]) -> _Done:
    path, data, kind, size, problems, prompt_fields, checks = fields
    file = SourceFile(path, data, kind, size)
    prompt = None
    if prompt_fields is not None:
        prompt_id, form, document_data, templates, digest, spans = prompt_fields
        text, _bad = decode(path, data)  # it decoded in the worker
        text = text or ""
        for template in templates:
            if type(template[1]) is tuple:  # a slice of the text, which decodes here as there
                template[1] = text[template[1][0] : template[1][1]]
        prompt = prompt_from_fields(path, prompt_id, form, document_data, templates, digest,
                                    text, spans)
    return (file, LoadResult(prompt, [problem_from_fields(p) for p in problems]),
            None if checks is None else [problem_from_fields(p) for p in checks])


def _template(template: Template, text: str) -> list[Any]:
    # A template that stands in the text as it is (a .prompt.md body: half of what a prompt
    # sends) goes as the slice of the text it is.
    fields = template_fields(template)
    start = text.find(template.source) if template.exact else -1
    if start >= 0:
        fields[1] = (start, start + len(template.source))
    return fields
