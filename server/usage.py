"""Usage events (which prompt, which version, which client, which team) written to SQLite.

Every get and render, and every event a client reports, becomes a ``UsageEvent``. Recording one
is on the request path, so ``UsageStore.record`` only puts it on a bounded in-memory queue: it
never waits and never raises. One background thread writes the queue to a SQLite file in WAL
mode in batches (one transaction per batch), which costs one commit per batch instead of one per
request and lets ``summary()`` read while the writer writes.

An event a client reports (``POST /api/v1/usage``) is acknowledged only once it is committed
(group commit): ``UsageStore.submit`` queues events with an asyncio future each, which the writer
resolves after the transaction that holds them, with one wake-up of their event loop per
transaction. The writer does not wait for more events while someone waits for one: it commits
what is queued at once, and what arrives meanwhile goes into the next transaction, so concurrent
reports share a commit. Gets and renders (not acknowledged to anyone) still wait up to
``flush_interval`` to fill a batch; a crash may lose those, never a reported event that was
answered 202.

The store is allowed to fail - a full disk, a removed file, a locked database - and the server
is not: a failing batch is kept and retried with the next one a bounded number of times, then
counted in ``failed``; ``healthy`` and ``last_error`` say so for ``/readyz`` and the metrics,
and the store recovers by itself once a write succeeds. Memory is bounded by ``max_queue``
(events beyond it are counted in ``dropped``) and each transaction by ``batch_size``; the file
by ``retention_days``: the writer deletes older events when it starts and every hour after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final, TypedDict, cast

from promptctl.errors import PromptctlError

log = logging.getLogger("promptctl.server.usage")

CLIENT_TYPES: Final = ("desktop", "web", "codex", "cli", "mcp", "sdk", "other")
KINDS: Final = ("get", "render", "reported")

SCHEMA_VERSION: Final = 2  # 2: client_name
MAX_CLIENT_NAME: Final = 64  # characters kept of a client's own name (MCP's clientInfo.name)
BUSY_TIMEOUT_MS: Final = 2000
MAX_ATTEMPTS: Final = 3  # writes tried per event before it is counted as failed
SUMMARY_FLUSH_TIMEOUT: Final = 2.0  # how long summary() waits for the writer to catch up
PRUNE_INTERVAL_SECONDS: Final = 3600.0  # how often events past the retention are deleted
PRUNE_CHUNK: Final = 5000  # rows deleted per transaction, so that writes are not held up

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS usage_events (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        prompt_id TEXT NOT NULL,
        version TEXT,
        client_type TEXT NOT NULL,
        key_name TEXT,
        team TEXT,
        kind TEXT NOT NULL,
        ok INTEGER NOT NULL,
        client_name TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS usage_events_at ON usage_events (at)",
    "CREATE INDEX IF NOT EXISTS usage_events_prompt_id ON usage_events (prompt_id)",
)
# What each schema version adds to the one before, for a file an older server wrote.
_MIGRATIONS: Final = {
    2: ("ALTER TABLE usage_events ADD COLUMN client_name TEXT",),
}
_INSERT: Final = (
    "INSERT INTO usage_events (at, prompt_id, version, client_type, key_name, team, kind, ok,"
    " client_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_WAKE: Final = object()  # put on the queue to wake the writer for a flush or a close

Row = tuple[float, str, str | None, str, str | None, str | None, str, int, str | None]
Waiter = asyncio.Future[bool]  # set True once its event is committed, False once given up


class PromptCount(TypedDict):
    prompt_id: str
    count: int


class TeamCount(TypedDict):
    team: str
    count: int


class ClientTypeCount(TypedDict):
    client_type: str
    count: int


class ClientCount(TypedDict):
    client_type: str
    client_name: str
    count: int


class RenderErrorRate(TypedDict):
    prompt_id: str
    renders: int
    errors: int
    error_rate: float


class UsageSummary(TypedDict):
    """What ``GET /api/v1/usage/summary`` answers; counts only events with ``at >= since``."""

    since: float | None
    total: int
    top_prompts: list[PromptCount]
    per_team: list[TeamCount]  # a null team (anonymous access) is "unknown"
    per_client_type: list[ClientTypeCount]
    per_client: list[ClientCount]  # events whose client said its name (MCP's initialize)
    render_error_rates: list[RenderErrorRate]


class UsageStoreError(PromptctlError):
    """The usage database cannot be read (for a summary) or has a schema this server can't use."""

    exit_code = 3


def normalise_client_type(value: str | None) -> str:
    """Map an ``X-Client-Type`` header to one of CLIENT_TYPES; anything else is ``other``.

    Clients send what they like, and the value becomes a summary row and a metric label, so it
    must come from a closed set.
    """
    if value is None:
        return "other"
    lowered = value.strip().lower()
    return lowered if lowered in CLIENT_TYPES else "other"


def normalise_client_name(value: str | None) -> str | None:
    """A client's own name as a summary row shows it: printable characters, spaces collapsed, at
    most MAX_CLIENT_NAME of them; None when nothing is left. Clients choose it, so it is only
    ever shown, never a metric label."""
    if value is None:
        return None
    kept = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return kept[:MAX_CLIENT_NAME] or None


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """One use of a prompt: fetched (``get``), rendered (``render``) or reported by a client."""

    prompt_id: str
    version: str | None
    client_type: str
    key_name: str | None
    team: str | None
    kind: str
    ok: bool = True
    at: float = field(default_factory=time.time)
    client_name: str | None = None  # what the client calls itself, e.g. MCP's clientInfo.name

    def __post_init__(self) -> None:
        # Checked here, in the caller, because one malformed event would fail its whole batch.
        if self.kind not in KINDS:
            raise ValueError(f"usage event kind must be one of {KINDS}, not {self.kind!r}")
        if not isinstance(self.prompt_id, str) or not isinstance(self.client_type, str):
            raise TypeError("usage event prompt_id and client_type must be strings")
        for name in ("version", "key_name", "team", "client_name"):
            if not isinstance(getattr(self, name), str | None):
                raise TypeError(f"usage event {name} must be a string or None")
        if not isinstance(self.at, int | float):
            raise TypeError("usage event at must be a POSIX timestamp")

    def row(self) -> Row:
        return (self.at, self.prompt_id, self.version, normalise_client_type(self.client_type),
                self.key_name, self.team, self.kind, int(self.ok),
                normalise_client_name(self.client_name))


class _Submitted:
    """Events someone waits for (``UsageStore.submit``), as they stand on the queue."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[UsageEvent, Waiter]]) -> None:
        self.items = items


# An event in the writer's hands: the event, the writes tried so far, who waits for it.
Pending = tuple[UsageEvent, int, Waiter | None]


def _short(exc: BaseException) -> str:
    """A one-line, bounded description of a write failure for /readyz (no data, no traceback)."""
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text}"[:200]


class UsageStore:
    """Usage events in a SQLite file, written in batches by one background thread.

    Call ``start()`` when the server starts and ``close()`` when it stops (or use it as a
    context manager); ``record()`` from request handlers; ``summary()`` for admins.
    """

    def __init__(self, path: str | Path, *, batch_size: int = 500, flush_interval: float = 1.0,
                 max_queue: int = 100_000, max_attempts: int = MAX_ATTEMPTS,
                 retention_days: float | None = None) -> None:
        if batch_size < 1 or max_queue < 1 or max_attempts < 1 or flush_interval <= 0:
            raise ValueError("batch_size, max_queue and max_attempts must be >= 1 and "
                             "flush_interval > 0")
        if retention_days is not None and retention_days <= 0:
            raise ValueError("retention_days must be > 0 (None keeps every event)")
        self.path = Path(path)
        self.retention_days = retention_days
        self._next_prune = 0.0  # time.monotonic() of the next deletion of old events
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_attempts = max_attempts
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._cond = threading.Condition()  # guards the counters below and the lifecycle flags
        self._wake = threading.Event()  # a flush or close wants the current batch written now
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stopping = False
        self._recorded = 0  # accepted into the queue
        self._settled = 0  # written or given up: flush() waits for settled >= recorded
        self._written = 0
        self._failed = 0
        self._dropped = 0
        self._pruned = 0
        self._healthy = True
        self._last_error: str | None = None
        # Owned by the writer thread only.
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None

    # -- what the server reads (for /readyz and /metrics) ----------------------------------

    @property
    def healthy(self) -> bool:
        """False from a failed write until the next successful one."""
        with self._cond:
            return self._healthy

    @property
    def last_error(self) -> str | None:
        """The most recent write failure, kept after recovery for the record."""
        with self._cond:
            return self._last_error

    @property
    def written(self) -> int:
        with self._cond:
            return self._written

    @property
    def failed(self) -> int:
        """Events given up after ``max_attempts`` failed writes (or a failed write on close)."""
        with self._cond:
            return self._failed

    @property
    def dropped(self) -> int:
        """Events refused because the queue was full or the store was closed."""
        with self._cond:
            return self._dropped

    @property
    def pruned(self) -> int:
        """Events deleted for being older than the retention."""
        with self._cond:
            return self._pruned

    @property
    def pending(self) -> int:
        """Events recorded but not yet written or given up."""
        with self._cond:
            return self._recorded - self._settled

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread (once; later calls do nothing)."""
        with self._cond:
            if self._closed:
                raise RuntimeError("usage store is closed; create a new one")
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what was recorded, stop the writer and wait for it (idempotent).

        Events recorded before the call are written; while closing, one failed write gives up
        the rest (counted in ``failed``) so a broken disk cannot hold the shutdown.
        """
        with self._cond:
            if self._closed:
                return
            self._closed = True
            if self._thread is None and self._recorded > self._settled:
                # Recorded but never started: start so that close still keeps its promise.
                self._thread = threading.Thread(target=self._run, name="usage-writer",
                                                daemon=True)
                self._thread.start()
            self._stopping = True
            thread = self._thread
        self._kick()
        if thread is not None:
            thread.join(timeout)

    def __enter__(self) -> UsageStore:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- request path ----------------------------------------------------------------------

    def record(self, event: UsageEvent) -> None:
        """Queue ``event`` for writing; never blocks, never raises (full queue: dropped)."""
        with self._cond:
            if self._closed or not isinstance(event, UsageEvent):
                self._dropped += 1
                return
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self._dropped += 1
                return
            self._recorded += 1

    def submit(self, items: Sequence[tuple[UsageEvent, Waiter]]) -> bool:
        """Queue events whose futures are to be resolved: True once the event is committed,
        False once it is given up (on the futures' event loops, with one call per loop and
        transaction). Never blocks. False when refused (closed store, no room for them all):
        then no future is touched.
        """
        if not items:
            return True
        if not all(isinstance(event, UsageEvent) for event, _ in items):
            raise TypeError("submit() takes (UsageEvent, asyncio.Future) pairs")
        with self._cond:
            room = self._queue.maxsize - (self._recorded - self._settled)
            if self._closed or len(items) > room:
                self._dropped += len(items)
                return False
            try:
                self._queue.put_nowait(_Submitted(list(items)))
            except queue.Full:
                self._dropped += len(items)
                return False
            self._recorded += len(items)
            return True

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything recorded so far is written or given up; False on timeout."""
        with self._cond:
            target = self._recorded
            if self._settled >= target:
                return True
            if self._thread is None or not self._thread.is_alive():
                return False  # nobody would write it
        self._kick()
        with self._cond:
            return self._cond.wait_for(lambda: self._settled >= target, timeout)

    def _kick(self) -> None:
        self._wake.set()
        # Wakes a writer blocked on an empty queue; a full queue never blocks the writer, and it
        # checks _wake before it waits.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_WAKE)

    # -- writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        # Events from failed writes with the number of attempts so far; at most batch_size.
        carry: list[Pending] = []
        try:
            while True:
                with self._cond:
                    stopping = self._stopping
                # A retry has already backed off and a close wants everything now: no waiting.
                events = self._collect(self._batch_size - len(carry),
                                       wait=not carry and not stopping)
                with self._cond:
                    stopping = self._stopping
                batch = carry + events
                carry = self._write(batch, final=stopping) if batch else []
                if stopping and not carry and self._queue.empty():
                    return
                if not carry:
                    self._prune_if_due()
                if carry and not stopping:
                    self._wake.wait(self._flush_interval)  # back off before retrying
        finally:
            self._disconnect()

    def _collect(self, room: int, *, wait: bool) -> list[Pending]:
        """Take up to ``room`` queued events, for at most flush_interval if ``wait``.

        Stops early when a flush or close asks for it, and as soon as the queue is empty once
        it holds an event someone waits for (group commit: no waiting while a client waits).
        An idle writer comes back empty-handed every flush_interval, which is when it notices a
        close whose wake-up was lost.
        """
        events: list[Pending] = []
        deadline = time.monotonic() + (self._flush_interval if wait else 0.0)
        urgent = False
        while len(events) < room:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                if self._wake.is_set():
                    self._wake.clear()
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or urgent:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is _WAKE:
                # Write what we have now; with nothing in hand, return so the loop re-reads
                # the stopping flag a close may just have set.
                self._wake.clear()
                break
            if type(item) is _Submitted:
                # Taken whole, even past room: its futures are answered per transaction.
                events.extend((event, 0, waiter) for event, waiter in item.items)
                urgent = True
            else:
                events.append((cast(UsageEvent, item), 0, None))  # _put queues only these
        return events

    def _write(self, batch: list[Pending], *, final: bool) -> list[Pending]:
        """Insert ``batch`` in one transaction; return what is left to retry."""
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_INSERT, [event.row() for event, _, _ in batch])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except Exception as exc:
            # Whatever went wrong, reopen next time: the file may have been replaced.
            self._disconnect()
            keep = [] if final else [(event, attempts + 1, waiter)
                                     for event, attempts, waiter in batch
                                     if attempts + 1 < self._max_attempts]
            given_up = [waiter for _event, attempts, waiter in batch
                        if final or attempts + 1 >= self._max_attempts]
            if final:
                given_up.extend(self._drain_queue())
            with self._cond:
                if self._healthy:  # the full text for the operators; /readyz shows it to admins
                    log.error("usage database %s cannot be written: %s", self.path, _short(exc))
                self._healthy = False
                self._last_error = _short(exc)
                self._failed += len(given_up)
                self._settled += len(given_up)
                self._cond.notify_all()
            _tell(given_up, ok=False)
            return keep
        with self._cond:
            self._healthy = True
            self._written += len(batch)
            self._settled += len(batch)
            self._cond.notify_all()
        _tell([waiter for _, _, waiter in batch], ok=True)
        return []

    def _prune_if_due(self) -> None:
        """Delete the events older than the retention, a chunk per transaction, at most once
        every ``PRUNE_INTERVAL_SECONDS`` (and first when the writer starts)."""
        if self.retention_days is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_INTERVAL_SECONDS
        cutoff = time.time() - self.retention_days * 86400
        try:
            conn = self._connection()
            while not self._stopping:
                deleted = conn.execute(
                    "DELETE FROM usage_events WHERE id IN (SELECT id FROM usage_events "
                    "WHERE at < ? ORDER BY at LIMIT ?)", (cutoff, PRUNE_CHUNK)).rowcount
                with self._cond:
                    self._pruned += deleted
                if deleted < PRUNE_CHUNK:
                    return
        except Exception as exc:  # a write will find the same fault; try again next interval
            self._disconnect()
            with self._cond:
                self._last_error = _short(exc)

    def _drain_queue(self) -> list[Waiter | None]:
        """Empty the queue when giving up on close; returns who waits for each event it held."""
        waiting: list[Waiter | None] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return waiting
            if type(item) is _Submitted:
                waiting.extend(waiter for _, waiter in item.items)
            elif item is not _WAKE:
                waiting.append(None)

    def _connection(self) -> sqlite3.Connection:
        """The writer's connection, reopened if the file at ``path`` is no longer the one open.

        A deleted or replaced file would otherwise swallow every write into an unlinked inode
        while ``healthy`` stayed True.
        """
        if self._conn is not None:
            try:
                stat = os.stat(self.path)
                current: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
            except OSError:
                current = None
            if current != self._identity:
                self._disconnect()
        if self._conn is None:
            self._conn = _open(self.path)
            stat = os.stat(self.path)
            self._identity = (stat.st_dev, stat.st_ino)
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
            self._identity = None

    # -- admin summary ---------------------------------------------------------------------

    def summary(self, since: float | None = None, limit: int = 10) -> UsageSummary:
        """Top prompts, per team, per client type and render error rates since ``since``.

        Waits (boundedly) for the writer first, so a summary counts what was sent before it.
        Blocking: call it from a worker thread, not the event loop.
        """
        if limit < 1:
            raise ValueError(f"limit must be >= 1, not {limit}")
        if self.healthy:
            self.flush(SUMMARY_FLUSH_TIMEOUT)
        result: UsageSummary = {"since": since, "total": 0, "top_prompts": [], "per_team": [],
                                "per_client_type": [], "per_client": [],
                                "render_error_rates": []}
        if not self.path.is_file():
            return result  # nothing written yet
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise UsageStoreError(f"cannot open the usage database {self.path}: {_short(exc)}; "
                                  "check the file exists and is readable") from exc
        try:
            schema = conn.execute("PRAGMA user_version").fetchone()[0]
            if schema == 0:
                return result  # created but the schema is not there yet
            _fill_summary(conn, result, since, limit, client_names=schema >= 2)
        except sqlite3.Error as exc:
            raise UsageStoreError(f"cannot read the usage database {self.path}: "
                                  f"{_short(exc)}") from exc
        finally:
            conn.close()
        return result


def _tell(waiting: list[Waiter | None], *, ok: bool) -> None:
    """Resolve the futures of a batch's events: one call into each event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Waiter]] = {}
    for waiter in waiting:
        if waiter is not None:
            by_loop.setdefault(waiter.get_loop(), []).append(waiter)
    for loop, waiters in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, waiters, ok)


def _resolve(waiters: list[Waiter], ok: bool) -> None:
    for waiter in waiters:
        if not waiter.done():  # its caller may have stopped waiting (a timeout)
            waiter.set_result(ok)


def _open(path: Path) -> sqlite3.Connection:
    """Open the writer's connection: WAL, NORMAL sync, a busy timeout and the schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL lets summary() read while the writer writes; NORMAL sync is safe with WAL and
        # syncs at checkpoints only - a power cut may lose the last batches, never corrupt.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageStoreError(f"usage database schema {version} is newer than this server's "
                                  f"({SCHEMA_VERSION}); upgrade the server or use another file")
        if version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            statements = _SCHEMA if version == 0 else tuple(
                statement for step in range(version + 1, SCHEMA_VERSION + 1)
                for statement in _MIGRATIONS[step])
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    return conn


def _fill_summary(conn: sqlite3.Connection, result: UsageSummary, since: float | None,
                  limit: int, *, client_names: bool = True) -> None:
    where = "WHERE at >= ?" if since is not None else ""
    args: tuple[float, ...] = (since,) if since is not None else ()
    result["total"] = conn.execute(f"SELECT COUNT(*) FROM usage_events {where}",  # noqa: S608
                                   args).fetchone()[0]
    result["top_prompts"] = [
        {"prompt_id": prompt_id, "count": count}
        for prompt_id, count in conn.execute(
            f"SELECT prompt_id, COUNT(*) AS n FROM usage_events {where} "  # noqa: S608
            "GROUP BY prompt_id ORDER BY n DESC, prompt_id LIMIT ?", (*args, limit))
    ]
    result["per_team"] = [
        {"team": team, "count": count}
        for team, count in conn.execute(
            "SELECT COALESCE(team, 'unknown') AS t, COUNT(*) AS n "  # noqa: S608
            f"FROM usage_events {where} GROUP BY t ORDER BY n DESC, t", args)
    ]
    result["per_client_type"] = [
        {"client_type": client_type, "count": count}
        for client_type, count in conn.execute(
            f"SELECT client_type, COUNT(*) AS n FROM usage_events {where} "  # noqa: S608
            "GROUP BY client_type ORDER BY n DESC, client_type", args)
    ]
    if client_names:  # a file of schema 1 that this server has not opened for writing yet
        named = f"{where} AND client_name IS NOT NULL" if where else \
            "WHERE client_name IS NOT NULL"
        result["per_client"] = [
            {"client_type": client_type, "client_name": name, "count": count}
            for client_type, name, count in conn.execute(
                "SELECT client_type, client_name, COUNT(*) AS n "  # noqa: S608
                f"FROM usage_events {named} GROUP BY client_type, client_name "
                "ORDER BY n DESC, client_type, client_name LIMIT ?", (*args, limit))
        ]
    render_where = f"{where} AND kind = 'render'" if where else "WHERE kind = 'render'"
    result["render_error_rates"] = [
        {"prompt_id": prompt_id, "renders": renders, "errors": errors,
         "error_rate": errors / renders}
        for prompt_id, renders, errors in conn.execute(
            "SELECT prompt_id, COUNT(*) AS renders, SUM(1 - ok) AS errors "  # noqa: S608
            f"FROM usage_events {render_where} GROUP BY prompt_id "
            "ORDER BY errors DESC, CAST(errors AS REAL) / renders DESC, renders DESC, prompt_id "
            "LIMIT ?", (*args, limit))
    ]
