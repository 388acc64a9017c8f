"""A first build's prompts read, loaded and checked over several processes.

With nothing kept from an earlier run, a server must load and check every prompt once before it
is ready: a few hundred microseconds of pure Python each, seconds for 10,000 prompts on one core.
Worker processes examine disjoint chunks of files (``records.examine``: the same code a build
runs in process) and send back each file's record and search document as plain lists; the
server then holds records only.

Workers read their files' blobs from the repository themselves, given the blob ids of the tree.
They are forked where that is safe (Linux, and this process runs a single thread: ``promptctl
serve`` starts them before it imports its web stack) and spawned otherwise: a forked child of a
process with other threads would inherit their locks.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import marshal
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from promptctl.gitreader import GitRepository, TreeFile
from promptctl.validate import PromptChecks
from server.records import FileRecord, examine
from server.search import SearchDoc

# Below this many prompt files, one process is faster than starting workers.
MIN_FILES = 1500
CHUNK_FILES = 200
MAX_WORKERS = 8

Examined = tuple[FileRecord, SearchDoc | None]


class Cancelled(Exception):
    """``results`` was told to stop (the server is shutting down)."""


def worker_count() -> int:
    """Processes worth starting: the CPUs this process may run on (at most ``MAX_WORKERS``)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def start_method() -> str:
    """"fork" where it is safe and faster, else "spawn" (see the module's docstring)."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


class Workers:
    """A pool of worker processes for one first build: ``start``, ``results``, ``close``."""

    def __init__(self, workers: int, repo_path: Path) -> None:
        self.workers = workers
        self.repo_path = repo_path
        self.method = start_method()
        context = multiprocessing.get_context(self.method)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                         initializer=_init_worker, initargs=(os.getpid(),))
        self._chunks: list[Future[bytes]] = []
        # Start every worker now (a fork happens here, before any other thread exists), so that
        # a spawned worker's imports overlap with the caller's reading of the tree.
        for _ in range(workers):
            self._pool.submit(_ready)

    def start(self, files: Sequence[TreeFile], partials: Mapping[str, str]) -> None:
        """Hand the workers the prompt ``files`` in chunks, with the library's partials."""
        repo = str(self.repo_path)
        for first in range(0, len(files), CHUNK_FILES):
            chunk = [(f.path, f.blob) for f in files[first : first + CHUNK_FILES]
                     if f.blob is not None]
            self._chunks.append(self._pool.submit(_examine_chunk, repo, chunk, dict(partials)))

    def results(self, stop: threading.Event | None = None) -> Iterator[Examined]:
        """Each file's record and search document, chunk by chunk as the workers finish;
        ``Cancelled`` once ``stop`` is set.

        The garbage collector waits until they are all read (and taken in by the caller): the
        records live on, and each collection their growing number set off walked the whole heap
        again, 0.4-0.6 s of a 10,000-prompt first start. The build collects once at its end."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            for future in as_completed(self._chunks):
                if stop is not None and stop.is_set():
                    raise Cancelled
                for record, doc in marshal.loads(future.result()):  # noqa: S302 - ours
                    yield FileRecord.from_fields(record), None if doc is None else SearchDoc(
                        doc[0], doc[1], doc[2], doc[3], doc[4], tuple(doc[5]), doc[6])
        finally:
            if collecting:
                gc.enable()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --- in the workers ---------------------------------------------------------------------------


def _init_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the server stops its workers itself, and a
    # worker interrupted mid-prompt would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with(parent)
    gc.freeze()  # the objects inherited from the caller are not garbage: never walk them


def _end_with(parent: int) -> None:
    """Linux: this worker is killed when the server process ends, however it ends. A forked
    worker holds both ends of the pool's pipes, so it never reads an end of file from them: a
    server stopped during its first build left its workers waiting for ever."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before that took effect
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _ready() -> None:
    """Nothing: importing this module (and the loader) is the work."""


@functools.lru_cache(maxsize=1)
def _checks(partials: tuple[tuple[str, str], ...]) -> PromptChecks:
    """Per process: the checks of the partials the chunks come with (the same for a build)."""
    return PromptChecks(dict(partials))


@functools.lru_cache(maxsize=1)
def _repository(path: str) -> GitRepository:
    """Per process: the repository opened once for reading blobs."""
    return GitRepository(Path(path))


def _examine_chunk(repo_path: str, chunk: list[tuple[str, str]],
                   partials: dict[str, str]) -> bytes:
    repo = _repository(repo_path)
    checks = _checks(tuple(sorted(partials.items())))
    out: list[Any] = []
    for path, blob in chunk:
        record, doc = examine(repo.read(TreeFile(path, blob)), blob, checks)
        out.append((record.fields(), None if doc is None else (
            doc.id, doc.digest, doc.status, doc.title, doc.description, list(doc.tags),
            doc.body)))
    return marshal.dumps(out)
