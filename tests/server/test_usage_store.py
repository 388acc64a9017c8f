"""The usage store: real SQLite files in tmp_path, the real writer thread, real faults."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from server.usage import UsageEvent, UsageStore, normalise_client_type

StoreFactory = Callable[..., UsageStore]


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[StoreFactory]:
    """Stores on files in tmp_path; all closed, and their writer threads gone, at teardown."""
    stores: list[UsageStore] = []

    def make(path: Path | None = None, *, start: bool = True, **options: Any) -> UsageStore:
        store = UsageStore(path or tmp_path / "usage.db", **options)
        stores.append(store)
        if start:
            store.start()
        return store

    yield make
    for store in stores:
        store.close()
    assert not [t for t in threading.enumerate() if t.name == "usage-writer"]


def event(prompt_id: str = "eng/review", kind: str = "get", *, ok: bool = True,
          team: str | None = "core", client_type: str = "web", at: float | None = None,
          version: str | None = "1.0.0") -> UsageEvent:
    if at is None:
        return UsageEvent(prompt_id, version, client_type, "ci-key", team, kind, ok)
    return UsageEvent(prompt_id, version, client_type, "ci-key", team, kind, ok, at)


def rows(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        count: int = conn.execute("SELECT COUNT(*) FROM usage_events").fetchone()[0]
        return count


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


@pytest.mark.parametrize(("header", "expected"), [
    ("desktop", "desktop"), ("Desktop", "desktop"), (" CLI ", "cli"), ("mcp", "mcp"),
    ("codex", "codex"), ("web", "web"), ("other", "other"), ("curl/8.0", "other"),
    ("", "other"), (None, "other"),
])
def test_normalise_client_type(header: str | None, expected: str) -> None:
    assert normalise_client_type(header) == expected


@pytest.mark.parametrize(("fields", "error", "message"), [
    ({"kind": "delete"}, ValueError, "kind must be one of"),
    ({"prompt_id": 3}, TypeError, "prompt_id and client_type must be strings"),
    ({"team": ["core"]}, TypeError, "team must be a string or None"),
    ({"at": "yesterday"}, TypeError, "POSIX timestamp"),
])
def test_malformed_events_are_refused_by_the_caller(fields: dict[str, Any],
                                                    error: type[Exception], message: str) -> None:
    base: dict[str, Any] = {"prompt_id": "a", "version": None, "client_type": "web",
                            "key_name": None, "team": None, "kind": "get"}
    with pytest.raises(error, match=message):
        UsageEvent(**{**base, **fields})


def test_events_from_many_threads_are_all_written(make_store: StoreFactory,
                                                  tmp_path: Path) -> None:
    store = make_store(flush_interval=0.05, batch_size=100)
    threads_n, per_thread = 8, 500

    def send(index: int) -> None:
        for i in range(per_thread):
            store.record(event(f"p/{index}", "render", ok=i % 10 != 0))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.flush(timeout=10)
    assert store.written == threads_n * per_thread
    assert rows(tmp_path / "usage.db") == threads_n * per_thread
    assert (store.dropped, store.failed, store.pending, store.healthy) == (0, 0, 0, True)


def test_writes_in_batches_of_batch_size_then_on_flush(make_store: StoreFactory) -> None:
    # A long interval: only a full batch (or a flush) makes the writer write.
    store = make_store(start=False, batch_size=10, flush_interval=30)
    for _ in range(25):
        store.record(event())
    store.start()
    seen = {store.written}
    deadline = time.monotonic() + 5
    while store.written < 20 and time.monotonic() < deadline:
        seen.add(store.written)
        time.sleep(0.001)
    time.sleep(0.2)  # the last 5 wait for the interval, not for us
    seen.add(store.written)
    assert seen <= {0, 10, 20}
    assert store.written == 20
    assert store.flush(timeout=5)
    assert store.written == 25


def test_writes_a_partial_batch_after_flush_interval(make_store: StoreFactory) -> None:
    store = make_store(batch_size=500, flush_interval=0.05)
    for _ in range(3):
        store.record(event())
    wait_until(lambda: store.written == 3)


def test_database_is_in_wal_mode_with_schema(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(flush_interval=0.05)
    store.record(event())
    assert store.flush()
    with closing(sqlite3.connect(tmp_path / "usage.db")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        indexes = {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_events'")}
        stored = conn.execute("SELECT prompt_id, version, client_type, key_name, team, kind, ok "
                              "FROM usage_events").fetchall()
    assert indexes == {"usage_events_at", "usage_events_prompt_id"}
    assert stored == [("eng/review", "1.0.0", "web", "ci-key", "core", "get", 1)]


# prompt, kind, ok, team, client type; event i happens at 1000 + i.
EVENTS: list[tuple[str, str, bool, str | None, str]] = [
    ("eng/review", "render", True, "core", "desktop"),
    ("eng/review", "render", False, "core", "desktop"),
    ("eng/review", "render", True, "ml", "web"),
    ("eng/review", "get", True, None, "CLI"),
    ("eng/review", "reported", True, "ml", "codex"),
    ("ml/eval", "render", False, "ml", "mcp"),
    ("ml/eval", "render", False, "ml", "bogus"),
    ("ml/eval", "get", True, "core", ""),
    ("docs/readme", "get", True, "ml", "web"),
]


@pytest.fixture
def known_store(make_store: StoreFactory) -> UsageStore:
    # A long interval: summary() must itself make the writer catch up.
    store = make_store(flush_interval=30)
    for i, (prompt_id, kind, ok, team, client) in enumerate(EVENTS):
        store.record(event(prompt_id, kind, ok=ok, team=team, client_type=client, at=1000 + i))
    return store


def test_summary_counts_what_was_sent(known_store: UsageStore) -> None:
    assert known_store.summary() == {
        "since": None,
        "total": 9,
        "top_prompts": [{"prompt_id": "eng/review", "count": 5},
                        {"prompt_id": "ml/eval", "count": 3},
                        {"prompt_id": "docs/readme", "count": 1}],
        "per_team": [{"team": "ml", "count": 5}, {"team": "core", "count": 3},
                     {"team": "unknown", "count": 1}],
        "per_client_type": [{"client_type": "desktop", "count": 2},
                            {"client_type": "other", "count": 2},
                            {"client_type": "web", "count": 2},
                            {"client_type": "cli", "count": 1},
                            {"client_type": "codex", "count": 1},
                            {"client_type": "mcp", "count": 1}],
        "per_client": [],
        "render_error_rates": [
            {"prompt_id": "ml/eval", "renders": 2, "errors": 2, "error_rate": 1.0},
            {"prompt_id": "eng/review", "renders": 3, "errors": 1, "error_rate": 1 / 3},
        ],
    }


def test_summary_since_and_limit(known_store: UsageStore) -> None:
    since = known_store.summary(since=1005)
    assert (since["since"], since["total"]) == (1005, 4)
    assert since["top_prompts"] == [{"prompt_id": "ml/eval", "count": 3},
                                    {"prompt_id": "docs/readme", "count": 1}]
    assert since["per_team"] == [{"team": "ml", "count": 3}, {"team": "core", "count": 1}]
    assert since["render_error_rates"] == [
        {"prompt_id": "ml/eval", "renders": 2, "errors": 2, "error_rate": 1.0}]
    assert known_store.summary(since=2000)["total"] == 0

    limited = known_store.summary(limit=1)
    assert limited["top_prompts"] == [{"prompt_id": "eng/review", "count": 5}]
    assert [r["prompt_id"] for r in limited["render_error_rates"]] == ["ml/eval"]
    with pytest.raises(ValueError, match="limit must be >= 1"):
        known_store.summary(limit=0)


def test_summary_of_an_empty_store(make_store: StoreFactory) -> None:
    assert make_store().summary(since=5) == {
        "since": 5, "total": 0, "top_prompts": [], "per_team": [], "per_client_type": [],
        "per_client": [], "render_error_rates": []}


def test_clients_that_name_themselves_are_counted_by_name(make_store: StoreFactory) -> None:
    store = make_store(flush_interval=30)
    for name in ["claude-code", "claude-code", "Codex\x1b[31m  CLI\n", "x" * 200, "  ", None]:
        store.record(UsageEvent("eng/review", "1.0.0", "mcp", "ci-key", "core", "get",
                                client_name=name))
    assert store.summary()["per_client"] == [
        {"client_type": "mcp", "client_name": "claude-code", "count": 2},
        {"client_type": "mcp", "client_name": "Codex [31m CLI", "count": 1},
        {"client_type": "mcp", "client_name": "x" * 64, "count": 1},
    ]
    with pytest.raises(TypeError, match="client_name"):
        UsageEvent("eng/review", None, "mcp", None, None, "get",
                   client_name=7)  # type: ignore[arg-type]


def test_a_file_of_the_first_schema_is_migrated_and_keeps_its_events(
        make_store: StoreFactory, tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    with closing(sqlite3.connect(path)) as conn:  # what a server of schema 1 wrote
        conn.execute("""CREATE TABLE usage_events (id INTEGER PRIMARY KEY, at REAL NOT NULL,
            prompt_id TEXT NOT NULL, version TEXT, client_type TEXT NOT NULL, key_name TEXT,
            team TEXT, kind TEXT NOT NULL, ok INTEGER NOT NULL)""")
        conn.execute("INSERT INTO usage_events (at, prompt_id, version, client_type, key_name,"
                     " team, kind, ok) VALUES (1000, 'eng/old', '1.0.0', 'web', 'k', 't', 'get',"
                     " 1)")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    reader = make_store(path, start=False)  # a summary before the writer opened it
    assert (reader.summary()["total"], reader.summary()["per_client"]) == (1, [])
    store = make_store(path, flush_interval=30)
    store.record(UsageEvent("eng/new", None, "mcp", None, None, "get", client_name="cursor"))
    summary = store.summary()
    assert summary["total"] == 2
    assert summary["per_client"] == [
        {"client_type": "mcp", "client_name": "cursor", "count": 1}]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_record_never_raises_while_failing_then_recovers(make_store: StoreFactory,
                                                         tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a regular file where the database's folder should be")
    store = make_store(blocker / "usage.db", flush_interval=0.02, max_attempts=2)
    for _ in range(5):
        store.record(event())  # must not raise
    assert store.flush(timeout=5)  # settled: given up after two attempts
    assert (store.healthy, store.written, store.failed, store.pending) == (False, 0, 5, 0)
    assert store.last_error is not None
    assert store.last_error.startswith("FileExistsError")
    assert "\n" not in store.last_error
    assert len(store.last_error) <= 200

    blocker.unlink()  # the fault goes away
    for _ in range(3):
        store.record(event())
    assert store.flush(timeout=5)
    assert (store.healthy, store.written, store.failed) == (True, 3, 5)
    assert rows(blocker / "usage.db") == 3


def test_failed_batch_is_retried_with_the_next_one(make_store: StoreFactory,
                                                   tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("not a folder")
    store = make_store(blocker / "usage.db", flush_interval=0.02, max_attempts=10_000)
    for _ in range(4):
        store.record(event())
    wait_until(lambda: not store.healthy)
    blocker.unlink()
    store.record(event())
    assert store.flush(timeout=5)
    assert (store.healthy, store.written, store.failed) == (True, 5, 0)


def test_database_replaced_by_a_directory_is_noticed(make_store: StoreFactory,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    store = make_store(path, flush_interval=0.02, max_attempts=10_000)
    store.record(event())
    assert store.flush()
    # Someone removes the database; writes must not vanish into the unlinked file.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.mkdir()
    store.record(event())
    store.record(event())
    wait_until(lambda: not store.healthy)
    assert store.last_error is not None
    assert store.last_error.startswith("OperationalError")
    shutil.rmtree(path)
    assert store.flush(timeout=5)
    assert (store.healthy, store.written, store.failed) == (True, 3, 0)
    assert rows(path) == 2  # the fresh file holds what came after the fault


def test_newer_schema_is_refused_not_overwritten(make_store: StoreFactory,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 7")
    store = make_store(path, flush_interval=0.02, max_attempts=1)
    store.record(event())
    assert store.flush(timeout=5)
    assert (store.healthy, store.failed) == (False, 1)
    assert store.last_error is not None
    assert "schema 7 is newer" in store.last_error


def test_full_queue_drops_at_once(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(start=False, max_queue=10)  # nothing drains the queue yet
    for _ in range(10):
        store.record(event())
    slowest = 0.0
    for _ in range(200):
        started = time.perf_counter()
        store.record(event())
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < 0.05
    assert (store.dropped, store.pending) == (200, 10)
    store.close()
    assert store.written == 10
    assert rows(tmp_path / "usage.db") == 10


def test_close_writes_what_was_recorded_right_before(make_store: StoreFactory,
                                                     tmp_path: Path) -> None:
    store = make_store(flush_interval=30, batch_size=500)
    for _ in range(7):
        store.record(event())
    store.close()
    assert rows(tmp_path / "usage.db") == 7
    store.close()  # idempotent
    assert store.written == 7
    store.record(event())  # after close: counted, not raised
    assert store.dropped == 1
    assert store.flush(timeout=0.1)  # nothing pending
    with pytest.raises(RuntimeError, match="closed"):
        store.start()


def test_close_of_a_never_started_store(make_store: StoreFactory, tmp_path: Path) -> None:
    idle = make_store(tmp_path / "idle.db", start=False)
    idle.close()
    assert not (tmp_path / "idle.db").exists()  # nothing recorded, nothing created

    store = make_store(start=False)
    store.record(event())
    assert not store.flush(timeout=0.1)  # no writer yet: flush says so instead of waiting
    store.close()
    assert rows(tmp_path / "usage.db") == 1


def test_context_manager_starts_and_closes(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "usage.db", flush_interval=30) as store:
        store.record(event())
        store.record(event("ml/eval", "render", ok=False))
    assert rows(tmp_path / "usage.db") == 2
    assert store.summary()["render_error_rates"] == [
        {"prompt_id": "ml/eval", "renders": 1, "errors": 1, "error_rate": 1.0}]
    assert not [t for t in threading.enumerate() if t.name == "usage-writer"]


def test_events_past_the_retention_are_deleted_in_chunks(make_store: StoreFactory,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "usage.db"
    now = time.time()
    with UsageStore(path) as old:  # events of a server that kept everything
        for days in (400, 200, 40, 40, 40, 40, 2, 0):
            old.record(event(at=now - days * 86400))
    assert rows(path) == 8
    monkeypatch.setattr("server.usage.PRUNE_CHUNK", 2)
    store = make_store(path, retention_days=30)
    store.record(event())
    assert store.flush()
    wait_until(lambda: store.pruned == 6)
    with closing(sqlite3.connect(path)) as conn:
        ages = sorted(round((now - at) / 86400) for (at,) in
                      conn.execute("SELECT at FROM usage_events"))
    assert ages == [0, 0, 2]
    assert store.healthy


def test_without_a_retention_every_event_is_kept(make_store: StoreFactory,
                                                 tmp_path: Path) -> None:
    store = make_store(tmp_path / "usage.db")
    store.record(event(at=1000.0))  # 1970
    assert store.flush()
    assert (rows(tmp_path / "usage.db"), store.pruned) == (1, 0)
    with pytest.raises(ValueError, match="retention_days"):
        UsageStore(tmp_path / "other.db", retention_days=0)


def _submitted(store: UsageStore, events: list[UsageEvent],
               timeout: float = 5.0) -> tuple[bool, list[bool]]:
    """Submit ``events`` from an event loop; whether they were taken and what each future said."""
    async def run() -> tuple[bool, list[bool]]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[bool]] = [loop.create_future() for _ in events]
        if not store.submit(list(zip(events, futures, strict=True))):
            return False, []
        return True, list(await asyncio.wait_for(asyncio.gather(*futures), timeout))
    return asyncio.run(run())


def test_a_submitted_event_is_committed_before_its_future_is_set(make_store: StoreFactory,
                                                                 tmp_path: Path) -> None:
    # A long interval: group commit must not wait for it while someone waits.
    store = make_store(flush_interval=30)
    store.record(event("eng/fetched"))  # not waited for: written with the next transaction
    started = time.monotonic()
    assert _submitted(store, [event(), event("ml/eval")]) == (True, [True, True])
    assert time.monotonic() - started < 5
    assert rows(tmp_path / "usage.db") == 3
    assert (store.written, store.pending) == (3, 0)


def test_a_submitted_event_that_cannot_be_written_is_answered_false(make_store: StoreFactory,
                                                                    tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a regular file where the database's folder should be")
    store = make_store(blocker / "usage.db", flush_interval=0.02, max_attempts=2)
    assert _submitted(store, [event(), event()]) == (True, [False, False])
    assert (store.failed, store.healthy) == (2, False)


def test_submit_is_refused_when_there_is_no_room_or_the_store_is_closed(
        make_store: StoreFactory) -> None:
    store = make_store(start=False, max_queue=3)
    assert _submitted(store, [event()] * 4) == (False, [])
    assert store.dropped == 4
    store.close()
    assert _submitted(store, [event()]) == (False, [])
    with pytest.raises(TypeError, match="UsageEvent"):
        store.submit([("not an event", None)])  # type: ignore[list-item]
