"""Search workers (``server.searchpool``): real worker processes over a real index cache answer
exactly what the server process answers, for the index they were given and no other, and a
worker that stops costs nothing but its share of the work."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from promptctl.search import Hit
from server.index import Index, IndexBuilder
from server.searchpool import SearchPool
from server.store import IndexStore
from tests.conftest import ROOT, RepoFactory
from tests.server.conftest import LIBRARY, Keys, ServerFactory, commit_files, prompt

QUERIES = ("greet", "greeting", "zanzibar", "farewell good", "runbook", "demo",
           "ops runbook", "goo", "hello", "nothing-like-it", "'); DROP TABLE x; --",
           "title:zanzibar", "*", "OR AND NOT", "Grüße", "x" * 300)


def _library() -> dict[str, str]:
    long_body = " ".join(f"filler{n}" for n in range(400)) + " Goodbye at last, {{ name }}"
    return {**LIBRARY,
            "prompts/demo/long.prompt.md": prompt(title="Long one", tags="[demo]",
                                                  body=long_body),
            "prompts/ops/old.prompt.md": prompt(title="Old runbook", status="deprecated",
                                                tags="[ops]")}


def _kept_index(repo: Path, cache: Path) -> tuple[IndexBuilder, Index]:
    store = IndexStore.open(cache)
    assert store is not None
    builder = IndexBuilder(repo, "main", store=store)
    index = builder.build()
    builder.persist(index.commit)
    return builder, index


def _publish(pool: SearchPool, index: Index) -> None:
    pool.publish(index, index.view("consumer").allowed,
                 {i: e.summary.blob for i, e in index.entries.items()})
    if not pool.running:
        pool.start()  # the server starts them on its first search, answered in process


def _with_pool(repo: Path, cache: Path,
               body: Callable[[SearchPool, IndexBuilder, Index], Awaitable[None]]) -> None:
    """``body`` with one search worker serving the index of ``repo`` kept in ``cache``."""
    builder, index = _kept_index(repo, cache)

    async def run() -> None:
        pool = SearchPool(cache, repo, 1)
        pool.bind(asyncio.get_running_loop())
        try:
            _publish(pool, index)
            await body(pool, builder, index)
        finally:
            pool.close()

    try:
        asyncio.run(run())
    finally:
        builder.close()


def _as_tuples(hits: list[Hit] | None) -> list[tuple[str, float, str, tuple[str, ...]]] | None:
    return None if hits is None else [(h.id, h.score, h.snippet, h.matched) for h in hits]


def test_a_search_worker_answers_as_the_server_process_does(make_repo: RepoFactory,
                                                            tmp_path: Path) -> None:
    repo = make_repo(_library())

    async def compare(pool: SearchPool, builder: IndexBuilder, index: Index) -> None:
        consumer_ids = index.view("consumer").allowed
        assert "demo/secret-draft" not in consumer_ids
        for query in QUERIES:
            for consumer in (True, False):
                found = await pool.search(index, query, limit=10, consumer=consumer)
                wanted = index.searcher.search(
                    query, limit=10, allowed=consumer_ids if consumer else None,
                    snippet_text=index._snippet_text)
                assert _as_tuples(found) == _as_tuples(wanted), (query, consumer)
        assert pool.answered == 2 * len(QUERIES)
        # What consumers may not see never comes back to them.
        hidden = await pool.search(index, "zanzibar", limit=10, consumer=True)
        assert hidden == []
        everyone = await pool.search(index, "zanzibar", limit=10, consumer=False)
        assert {h.id for h in everyone or []} == {"demo/secret-draft",
                                                  "labs/secret-experiment"}

    _with_pool(repo, tmp_path / "cache", compare)


def test_a_worker_serves_only_the_index_it_was_given(make_repo: RepoFactory,
                                                     tmp_path: Path) -> None:
    repo = make_repo(_library())

    async def run(pool: SearchPool, builder: IndexBuilder, first: Index) -> None:
        assert await pool.search(first, "pager", limit=5, consumer=True) == []
        commit_files(repo, {"prompts/ops/pager.prompt.md": prompt(title="Pager duty")})
        second = builder.build(first)
        builder.persist(second.commit)
        # Not published yet: the server process answers (None), for either index.
        assert await pool.search(second, "pager", limit=5, consumer=True) is None
        _publish(pool, second)
        found = await pool.search(second, "pager", limit=5, consumer=True)
        assert [h.id for h in found or []] == ["ops/pager"]
        # A request that began on the old index is answered by the server process.
        assert await pool.search(first, "pager duty", limit=5, consumer=True) is None

    _with_pool(repo, tmp_path / "cache", run)


def test_a_worker_that_stops_leaves_the_searches_to_the_server(make_repo: RepoFactory,
                                                               tmp_path: Path) -> None:
    repo = make_repo(_library())

    async def run(pool: SearchPool, builder: IndexBuilder, index: Index) -> None:
        assert await pool.search(index, "runbook", limit=5, consumer=True)
        (worker,) = pool._workers
        worker.process.kill()
        worker.process.join(timeout=10)
        started = time.monotonic()
        assert await pool.search(index, "farewell", limit=5, consumer=True) is None
        assert time.monotonic() - started < 5
        for _ in range(100):  # the event loop reads the closed pipe
            if not pool.running:
                break
            await asyncio.sleep(0.05)
        assert pool.running == 0
        assert await pool.search(index, "greeting", limit=5, consumer=True) is None

    _with_pool(repo, tmp_path / "cache", run)


def test_a_worker_that_does_not_answer_in_time_is_not_waited_for(make_repo: RepoFactory,
                                                                  tmp_path: Path) -> None:
    repo = make_repo(_library())

    async def run(pool: SearchPool, builder: IndexBuilder, index: Index) -> None:
        assert await pool.search(index, "runbook", limit=5, consumer=True)  # warm, in time
        pool.answer_seconds = 0.5
        (worker,) = pool._workers
        os.kill(worker.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            assert await pool.search(index, "farewell", limit=5, consumer=True) is None
            assert time.monotonic() - started < 3
        finally:
            os.kill(worker.process.pid, signal.SIGCONT)
        # Its late answer is dropped; it goes on answering.
        found = await pool.search(index, "greeting", limit=5, consumer=True)
        assert [h.id for h in found or []] == ["demo/greet"]

    _with_pool(repo, tmp_path / "cache", run)


def test_the_server_hands_searches_to_its_workers_when_it_has_more_to_do(
        library_repo: Path, tmp_path: Path, start_server: ServerFactory, keys: Keys) -> None:
    running = start_server(library_repo, keys_file=keys.path, index_cache=tmp_path / "cache",
                           search_workers=1)
    consumer = running.client(keys.headers("consumer"))
    admin = running.client(keys.headers("admin"))
    # One search at a time: answered in process, sooner than by a hop to a worker.
    for n in range(8):
        assert consumer.get("/api/v1/search", params={"q": f"greeting {n}"}).status_code == 200
    assert _answers(admin) == {"server": 8}

    # Many at once: the worker takes its share; consumers still see only what they may.
    stop = threading.Event()
    found: list[list[dict[str, object]]] = []

    def search_hard(client_number: int) -> None:
        with httpx.Client(base_url=running.url, headers=keys.headers("consumer"),
                          timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                hidden = "zanzibar"[: 4 + n % 5]  # prefixes of what only staff may see
                for query in (f"greeting {client_number} {n}", hidden):
                    answer = client.get("/api/v1/search", params={"q": query})
                    assert answer.status_code == 200
                    if query == hidden:
                        found.append(answer.json()["hits"])

    with ThreadPoolExecutor(8) as pool:
        running_searches = [pool.submit(search_hard, number) for number in range(8)]
        deadline = time.monotonic() + 30
        while _answers(admin).get("worker", 0) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        for future in running_searches:
            future.result()
    assert _answers(admin).get("worker", 0) >= 5, "no search was answered by a worker"
    assert found
    assert all(hits == [] for hits in found)  # drafts and experiments: never for consumers
    staff = admin.get("/api/v1/search", params={"q": "zanzibar"}).json()["hits"]
    assert {h["id"] for h in staff} == {"demo/secret-draft", "labs/secret-experiment"}
    assert "promptctl_search_workers 1" in admin.get("/metrics").text.splitlines()


def _answers(client: httpx.Client) -> dict[str, int]:
    """promptctl_search_answers_total by who answered."""
    found = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("promptctl_search_answers_total{by="):
            found[line.split('"')[1]] = int(float(line.split()[-1]))
    return found


def test_search_workers_need_the_index_cache(library_repo: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "promptctl", "serve", "--repo",
                           str(library_repo), "--no-index-cache", "--search-workers", "2",
                           "--port", "0"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert "--search-workers needs the index cache" in done.stderr
