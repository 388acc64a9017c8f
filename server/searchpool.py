"""Searches answered by worker processes, so that a search uses a second core.

A search is mostly Python: the search index answers in a tenth of a millisecond, then the hits'
snippets are cut from the prompts' texts. One server process answers on one core, so the read
API's searches per second stop at what one core does. The workers of a ``SearchPool`` open the
kept index (``server.store``: the search index and the prompts' texts, on disk) read-only and
answer searches the server process sends them; the server process does the rest (HTTP, keys,
roles, filters, the answer cache, usage and metrics), so nothing about sessions, limits or
counters is split between processes.

The workers start on the first search: a server nobody searches runs none, and a start or
restart does not share its cores with them. A worker answers
for one index at a time. After every build, the reloader *publishes* the
index: the search index's commit (its opstamp), the ids consumers may see and each prompt's
blob id. A worker reloads the search index and serves that index only if it finds the same
commit; until then, and for a search of any other index (a request that began before a reload),
it says so and the server searches in process, as it does without workers. It does the same
when every worker is busy with ``QUEUE`` searches, when a worker stops answering, for searches
with filters (their allowed ids change with every request), and for a search that is the only
request under way (``others_under_way``): the workers are for a server with more to do than
one core does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import os
import pickle
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptctl.search import Hit
from server.search import committed_opstamp

if TYPE_CHECKING:
    from server.index import Index

log = logging.getLogger("promptctl.server.search")

QUEUE = 8  # searches waiting at each worker before the server process searches one itself
ANSWER_SECONDS = 10.0  # a worker that takes longer is given up on (the search runs in process)

# Messages, as tuples: ("view", generation, opstamp, consumer ids, {id: blob}) and
# ("search", request, generation, text, limit, consumer?) to a worker; (request, hits or None)
# back, a hit as (id, score, snippet, matched).
_View = tuple[str, int, int, frozenset[str], dict[str, str]]


def others_under_way() -> bool:
    """Whether this event loop serves another HTTP request than the caller's (uvicorn runs each
    as a task of ``run_asgi``, from the moment its bytes are read). A search with nothing else
    to do is answered sooner in process: the hop to a worker and back is two wake-ups."""
    current = asyncio.current_task()
    return any(task is not current
               and getattr(task.get_coro(), "__qualname__", "").endswith(".run_asgi")
               for task in asyncio.all_tasks())


@dataclass(eq=False)
class _Worker:
    process: Any  # multiprocessing's SpawnProcess
    requests: Connection  # ours to write, blocking
    answers: Connection  # ours to read, on the event loop (non-blocking once it watches it)
    sending: threading.Lock = field(default_factory=threading.Lock)
    waiting: dict[int, asyncio.Future[list[Any] | None]] = field(default_factory=dict)
    received: bytearray = field(default_factory=bytearray)
    alive: bool = True


class SearchPool:
    """``workers`` processes searching the kept index in ``store_root``. ``bind`` is called on
    the server's event loop, ``publish`` by the reloader after each build, ``search`` by the
    search route (the first search starts the workers: a server nobody searches runs none);
    ``search`` answering None means "search in process"."""

    def __init__(self, store_root: Path, repo_path: Path, workers: int, *,
                 answer_seconds: float = ANSWER_SECONDS) -> None:
        self.store_root = store_root
        self.answer_seconds = answer_seconds
        self.repo_path = repo_path
        self.size = workers
        self._workers: list[_Worker] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._published: tuple[Index, int] | None = None  # the index the workers serve
        self._generation = itertools.count(1)
        self._requests = itertools.count(1)
        self._started = False
        self._closing = False
        self._lock = threading.Lock()  # the view published, and who has been sent it
        self._view: _View | None = None
        self.answered = 0  # searches the workers answered

    @property
    def running(self) -> int:
        return sum(1 for w in self._workers if w.alive)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop that sends searches and awaits the answers."""
        self._loop = loop

    def publish(self, index: Index, consumer_ids: frozenset[str],
                blobs: dict[str, str]) -> None:
        """Have the workers serve ``index`` (called right after it was built, by the thread
        that builds: the search index cannot move on before the workers hear of it)."""
        stamp = committed_opstamp(self.store_root / "search")
        with self._lock:
            self._published = None  # until the workers have it
            self._view = None
            if stamp is None:
                return
            generation = next(self._generation)
            self._view = ("view", generation, stamp, consumer_ids, blobs)
            for worker in self._workers:
                with worker.sending:  # searches skip a worker that is being sent a view
                    self._send(worker, self._view)
            self._published = (index, generation)

    async def search(self, index: Index, text: str, *, limit: int,
                     consumer: bool) -> list[Hit] | None:
        """The hits a worker found for ``index`` (all prompts, or only those consumers may see),
        or None where the server process should search (see the module's docstring)."""
        published = self._published
        if published is None or published[0] is not index or self._loop is None:
            return None
        if not self._started:
            self.start_soon()
            return None
        live = [w for w in self._workers if w.alive and len(w.waiting) < QUEUE]
        if not live:
            return None
        worker = min(live, key=lambda w: len(w.waiting))
        if not worker.sending.acquire(blocking=False):
            return None
        request = next(self._requests)
        answer: asyncio.Future[list[Any] | None] = self._loop.create_future()
        worker.waiting[request] = answer
        try:
            sent = self._send(worker, ("search", request, published[1], text, limit, consumer))
        finally:
            worker.sending.release()
        if not sent:
            return None
        timer = self._loop.call_later(self.answer_seconds, self._late, worker, request)
        try:
            found = await answer
        finally:
            timer.cancel()
        if found is None:
            return None
        self.answered += 1
        return [Hit(hit_id, score, snippet, tuple(matched))
                for hit_id, score, snippet, matched in found]

    def close(self) -> None:
        """Stop the workers (on the event loop, as the server stops)."""
        with self._lock:
            self._closing = True
            self._published = None
            workers = self._workers
        for worker in workers:
            with worker.sending:
                self._send(worker, ("stop",))
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.terminate()
            self._detach(worker)
            worker.requests.close()
            worker.answers.close()
        self._workers = []

    # --- starting, and sending from any thread ------------------------------------------------

    def start_soon(self) -> None:
        """Start the workers on a thread of their own, once (the first search calls it: a
        server nobody searches runs none)."""
        if not self._started:
            self._started = True
            threading.Thread(target=self.start, name="search-workers-start",
                             daemon=True).start()

    def start(self) -> None:
        """Start the workers and send them the index published. The first search calls it on
        a thread of its own (a worker reads its first message once it has imported what it
        needs); it blocks until then."""
        self._started = True
        loop = self._loop
        if loop is None or self._closing:
            return
        context = multiprocessing.get_context("spawn")  # the server runs threads: no fork
        workers = []
        for number in range(self.size):
            requests_in, requests = context.Pipe(duplex=False)
            answers, answers_out = context.Pipe(duplex=False)
            process = context.Process(
                target=work, name=f"promptctl-search-{number + 1}", daemon=True,
                args=(requests_in, answers_out, str(self.store_root), str(self.repo_path)))
            try:
                process.start()
            except OSError as exc:
                log.warning("cannot start search worker processes (%s); searching in the "
                            "server process", exc)
                for end in (requests_in, requests, answers, answers_out):
                    end.close()
                break
            requests_in.close()
            answers_out.close()
            worker = _Worker(process, requests, answers)
            workers.append(worker)
            loop.call_soon_threadsafe(loop.add_reader, answers.fileno(), self._readable, worker)
        with self._lock:
            self._workers = workers
            for worker in workers:
                with worker.sending:
                    if self._closing:
                        self._send(worker, ("stop",))
                    elif self._view is not None:
                        self._send(worker, self._view)

    def _send(self, worker: _Worker, message: tuple[Any, ...]) -> bool:
        """Send with ``worker.sending`` held; False (and the worker lost) where it fails."""
        if not worker.alive:
            return False
        try:
            worker.requests.send(message)
        except (OSError, ValueError) as exc:
            self._lost(worker, exc)
            return False
        return True

    # --- the event loop -----------------------------------------------------------------------

    def _readable(self, worker: _Worker) -> None:
        """Take in what the worker wrote: ``Connection.send``'s frames, a 4-byte length then
        the pickle, read here without blocking the loop."""
        try:
            data = os.read(worker.answers.fileno(), 1 << 16)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(worker, exc)
            return
        if not data:
            self._lost(worker, EOFError("the worker closed its pipe"))
            return
        received = worker.received
        received += data
        while len(received) >= 4:
            (size,) = struct.unpack("!i", received[:4])
            if len(received) < 4 + size:
                break
            # From our own worker, over a pipe only it and this process hold.
            request, hits = pickle.loads(received[4:4 + size])  # noqa: S301
            del received[:4 + size]
            answer = worker.waiting.pop(request, None)
            if answer is not None and not answer.done():
                answer.set_result(hits)

    def _late(self, worker: _Worker, request: int) -> None:
        answer = worker.waiting.pop(request, None)
        if answer is not None and not answer.done():
            log.warning("search worker %s did not answer in %.1f s; searching in process",
                        worker.process.name, self.answer_seconds)
            answer.set_result(None)

    def _lost(self, worker: _Worker, exc: BaseException) -> None:
        if worker.alive and not self._closing:
            log.warning("search worker %s stopped (%s); searching in the server process",
                        worker.process.name, str(exc) or type(exc).__name__)
        worker.alive = False
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                loop.call_soon_threadsafe(self._detach, worker)

    def _detach(self, worker: _Worker) -> None:
        if self._loop is not None and not worker.answers.closed:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(worker.answers.fileno())
        for answer in worker.waiting.values():
            if not answer.done():
                answer.set_result(None)
        worker.waiting.clear()


# --- the worker process -----------------------------------------------------------------------


def work(requests: Connection, answers: Connection, store_root: str, repo_path: str) -> None:
    """A worker's life: answer the messages of ``requests`` on ``answers`` until it is told to
    stop or the pipe closes (Ctrl-C in a terminal reaches the whole process group: the server
    stops it as it stops)."""
    import signal

    import tantivy

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from server.search import Searcher

    root = Path(store_root)
    search_dir = root / "search"
    texts = _Texts(root, Path(repo_path))
    index: Any = None
    generation, searcher, consumer_ids = 0, None, frozenset[str]()
    while True:
        try:
            message = requests.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        if message[0] == "view":
            _kind, generation, wanted, consumer_ids, blobs = message
            texts.blobs = blobs
            searcher = None
            try:
                if index is None:
                    index = tantivy.Index.open(str(search_dir))
                before = committed_opstamp(search_dir)
                index.reload()
                found = index.searcher()
                if before == committed_opstamp(search_dir) == wanted:  # no commit in between
                    searcher = Searcher(found)
            except (OSError, ValueError) as exc:  # tantivy raises ValueError for its errors
                log.warning("search worker cannot open %s: %s", search_dir, exc)
            continue
        _kind, request, asked, text, limit, consumer = message
        hits = None
        if searcher is not None and asked == generation:
            try:
                found_hits = searcher.search(text, limit=limit,
                                             allowed=consumer_ids if consumer else None,
                                             snippet_text=texts.text)
                hits = [(h.id, h.score, h.snippet, h.matched) for h in found_hits]
            except Exception:  # the server process searches instead, and logs what it meets
                log.exception("search worker failed on %r", text)
        try:
            answers.send((request, hits))
        except (OSError, ValueError):
            return


class _Texts:
    """A prompt's text for its snippet, as the server process gives it: the index cache's kept
    text, else the blob's."""

    def __init__(self, store_root: Path, repo_path: Path) -> None:
        from server.store import KeptTexts

        self.blobs: Mapping[str, str] = {}
        self._kept = KeptTexts(store_root)
        self._repo_path = repo_path
        self._repo: Any = None

    def text(self, prompt_id: str) -> str | None:
        blob = self.blobs.get(prompt_id)
        if blob is None:
            return None
        kept = self._kept.text(blob)
        if kept is not None:
            return kept
        return self._blob_text(blob)

    def _blob_text(self, blob: str) -> str | None:
        from promptctl.errors import RepositoryError
        from promptctl.gitreader import GitRepository
        from promptctl.loader import decode
        from server.records import SNIPPET_CHARS

        try:
            if self._repo is None:
                self._repo = GitRepository(self._repo_path)
            text = decode("", self._repo.blob(blob))[0]
        except RepositoryError:
            self._repo = None
            return None
        return None if text is None else text[:SNIPPET_CHARS]


