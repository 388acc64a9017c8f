"""The index builder: reloads and restarts examine only the files whose blobs changed and give the
same answers as a build from scratch; the index holds records, not prompts; the search index is
updated, not rebuilt, and an index being served keeps its own view of it."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from promptctl.errors import ConfigError
from promptctl.library import Library
from promptctl.sources import MAX_FILE_BYTES, GitTreeSource
from server import index as index_module
from server.cache import Lru
from server.index import Index, IndexBuilder
from server.records import SNIPPET_CHARS
from server.search import PromptSearch
from server.store import IndexStore, remove_stale
from server.workers import Cancelled, Workers
from tests.conftest import ROOT, RepoFactory, git
from tests.server.conftest import LIBRARY, commit_files, prompt


def test_reload_reuses_unchanged_prompts_and_matches_a_fresh_build(
        make_repo: RepoFactory) -> None:
    repo = make_repo({**LIBRARY, "prompts/_partials/sign.md": "-- {{ name }}"})
    builder = IndexBuilder(repo, "main")
    first = builder.build()
    commit_files(repo, {
        "prompts/demo/greet.prompt.md": prompt(version="1.1.0", title="Greeting two"),
        "prompts/ops/new.prompt.md": prompt(title="Pager duty"),
    })
    (repo / "prompts/demo/farewell.prompt.md").unlink()
    git(repo, "commit", "-qam", "remove farewell")
    second = builder.build(first)
    fresh_builder = IndexBuilder(repo, "main")
    fresh = fresh_builder.build()
    assert sorted(second.entries) == sorted(fresh.entries)
    assert second.views == fresh.views
    # Only the changed and the new file were examined; unchanged ones keep their records.
    assert builder.examined == 2
    assert second.entries["ops/runbook"].summary is first.entries["ops/runbook"].summary
    assert second.entries["demo/greet"].prompt.title == "Greeting two"
    for query in ("greeting", "pager", "farewell", "runbook"):
        got = [h.id for h in second.search(query, limit=10, allowed=None)]
        want = [h.id for h in fresh.search(query, limit=10, allowed=None)]
        assert got == want, query
    # The first index still answers as it did when it was built: farewell, and no pager.
    assert [h.id for h in first.search("farewell", limit=10, allowed=None)] == ["demo/farewell"]
    assert [h.id for h in first.search("pager", limit=10, allowed=None)] == []
    assert [h.id for h in second.search("farewell", limit=10, allowed=None)] == []
    builder.close()
    fresh_builder.close()


def test_the_index_reaches_the_verdicts_of_a_library_load(make_repo: RepoFactory) -> None:
    """Records instead of prompts: every problem, alias and prompt of ``Library.load``."""
    repo = make_repo(_mixed_library())
    builder = IndexBuilder(repo, "main")
    index = builder.build()
    library = Library.load(GitTreeSource(repo, "main"))
    found = sorted(p for e in index.errors for p in e.problems)
    assert found == sorted(p for p in library.problems if p.is_error)
    assert dict(index.aliases) == library.aliases
    invalid = {i for i, p in library.prompts.items()
               if any(problem.is_error for problem in library.errors_for(p.path))}
    assert sorted(index.entries) == sorted(set(library.prompts) - invalid)
    for prompt_id, entry in index.entries.items():
        assert entry.summary.summary() == library.prompts[prompt_id].summary()
        assert entry.prompt == library.prompts[prompt_id]
    builder.close()


def test_an_index_holds_records_and_loads_prompts_when_asked(make_repo: RepoFactory) -> None:
    repo = make_repo(LIBRARY)
    builder = IndexBuilder(repo, "main")
    builder.prompts = type(builder.prompts)(builder.git, size=2)
    index = builder.build()
    assert len(index.entries) == len(LIBRARY)
    assert builder.prompts._prompts._items == {}  # nothing loaded by the build itself
    prompts = [index.entries[i].prompt for i in sorted(index.entries)]
    assert [p.id for p in prompts] == sorted(index.entries)
    assert len(builder.prompts._prompts._items) == 2  # bounded
    assert index.entries["ops/runbook"].prompt is prompts[-1]  # the most recent, kept
    builder.close()


def test_partials_change_rechecks_the_prompts(make_repo: RepoFactory) -> None:
    uses = prompt(body='{% include "_partials/sign.md" %} Hello, {{ name }}'
                       "{% if excited %}!{% endif %}")
    repo = make_repo({"prompts/demo/greet.prompt.md": uses,
                      "prompts/demo/plain.prompt.md": prompt(title="Plain"),
                      "prompts/_partials/sign.md": "-- {{ name }}"})
    builder = IndexBuilder(repo, "main")
    first = builder.build()
    assert first.errors == ()
    commit_files(repo, {"prompts/_partials/sign.md": "-- {{ signature }}"})
    second = builder.build(first)
    assert builder.examined == 1  # greet includes it; plain does not
    assert [e.id for e in second.errors] == ["demo/greet"]
    assert second.entries["demo/greet"].stale
    assert [p.code for p in second.errors[0].problems] == ["undeclared-input"]
    builder.close()


def _mixed_library() -> dict[str, str]:
    """Valid prompts and every kind of failure a load or a check can find."""
    files = dict(LIBRARY)
    files["prompts/_partials/sign.md"] = "-- {{ name }}"
    for n in range(24):
        files[f"prompts/bulk/item-{n}.prompt.md"] = prompt(
            title=f"Bulk item {n}", body=f"Item {n} for {{{{ name }}}}"
            "{% if excited %}!{% endif %}{% include '_partials/sign.md' %}")
    files["prompts/bulk/bad-yaml.prompt.md"] = prompt().replace("title: Greeting",
                                                                "title: [unclosed")
    files["prompts/bulk/bad-template.prompt.md"] = prompt(body="Hi {% if name %}")
    files["prompts/bulk/undeclared.prompt.md"] = prompt(body="Hi {{ nobody }}")
    files["prompts/bulk/missing-partial.prompt.md"] = prompt(
        body="{{ name }}{% if excited %}{% endif %}{% include '_partials/none.md' %}")
    files["prompts/bulk/alias-clash.prompt.md"] = prompt(extra="\naliases: [hello]")
    files["prompts/top-level.prompt.md"] = prompt()
    files["prompts/bulk/huge.prompt.md"] = "x" * (MAX_FILE_BYTES + 1)
    return files


def _hits(index: Index, query: str) -> list[tuple[str, str]]:
    """The hits in order with their snippets. Not the scores: a first build's search index may
    hold a deleted document (a prompt that lost to an alias clash) until its segments merge, and
    bm25's statistics count it."""
    return [(h.id, h.snippet)
            for h in index.search(query, limit=50, allowed=None)]


_QUERIES = ("bulk item", "greeting", "item 7", "runbook", "hello", "it")


def test_a_parallel_first_build_gives_the_index_of_a_single_process(
        make_repo: RepoFactory) -> None:
    repo = make_repo(_mixed_library())
    serial = IndexBuilder(repo, "main", workers=1)
    parallel = IndexBuilder(repo, "main", workers=2, parallel_min=1)
    one, two = serial.build(), parallel.build()
    # The workers examined every prompt file, the server none.
    assert (parallel.examined_by_workers, parallel.examined) == (len(two.entries) + 6, 0)
    assert serial.examined == len(one.entries) + 6  # and the 6 that failed
    assert sorted(one.entries) == sorted(two.entries)
    for prompt_id, entry in one.entries.items():
        assert two.entries[prompt_id].summary == entry.summary
        assert two.entries[prompt_id].prompt == entry.prompt
    assert [(e.path, e.problems) for e in one.errors] == [(e.path, e.problems) for e in two.errors]
    assert {e.path for e in two.errors} >= {
        "prompts/bulk/bad-yaml.prompt.md", "prompts/bulk/bad-template.prompt.md",
        "prompts/bulk/undeclared.prompt.md", "prompts/bulk/missing-partial.prompt.md",
        "prompts/demo/greet.prompt.md", "prompts/top-level.prompt.md"}
    assert one.views == two.views
    for query in _QUERIES:
        assert _hits(one, query) == _hits(two, query), query
    assert "demo/greet" not in two.entries  # it loaded clean but lost its alias to a clash
    assert len(two.searcher) == len(two.entries)
    # A reload after that works from the records the workers made, in this process.
    commit_files(repo, {"prompts/bulk/item-3.prompt.md": prompt(title="Renamed item")})
    three = parallel.build(two)
    assert parallel.examined == 1
    assert three.entries["bulk/item-3"].prompt.title == "Renamed item"
    assert three.entries["bulk/item-4"].summary is two.entries["bulk/item-4"].summary
    serial.close()
    parallel.close()


def _run_script(script: Path, *args: Path) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter (a process of its own, as the server is)."""
    done = subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_a_head_start_forks_its_workers_and_keeps_its_index(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    """What `promptctl serve` does: the first build begun before anything else runs (so the
    workers are forked), its records and search index kept for the next start."""
    repo = make_repo(_mixed_library())
    cache = tmp_path / "cache"
    script = tmp_path / "serve_like.py"
    script.write_text(
        "import json, sys\n"
        "from pathlib import Path\n"
        "from server.index import IndexBuilder\n"
        "if __name__ == '__main__':\n"
        "    builder = IndexBuilder(Path(sys.argv[1]), 'main', workers=2, parallel_min=1)\n"
        "    builder.head_start(Path(sys.argv[2]))\n"
        "    method = builder._pool.method if builder._pool else None\n"
        "    index = builder.build()\n"
        "    builder.persist(index.commit)\n"
        f"    queries = {list(_QUERIES)!r}\n"
        "    print(json.dumps({'method': method, 'examined': builder.examined,\n"
        "        'entries': sorted(index.entries), 'errors': [e.path for e in index.errors],\n"
        "        'hits': {q: [[h.id, h.snippet] for h in\n"
        "                     index.search(q, limit=50, allowed=None)] for q in queries}}))\n"
        "    builder.close()\n",
        encoding="utf-8")
    got = json.loads(_run_script(script, repo, cache).stdout)
    serial = IndexBuilder(repo, "main", workers=1)
    expected = serial.build()
    assert got["method"] == ("fork" if sys.platform == "linux" else "spawn")
    assert got["examined"] == 0  # the workers examined every prompt file
    assert got["entries"] == sorted(expected.entries)
    assert got["errors"] == [e.path for e in expected.errors]
    assert got["hits"] == {q: [list(hit) for hit in _hits(expected, q)] for q in _QUERIES}
    # The next start reads the records and the search index back instead of building them.
    again = _kept_builder(repo, cache)
    index = again.build()
    assert (again.examined, again.examined_by_workers) == (0, 0)
    assert {q: _hits(index, q) for q in _QUERIES} == {q: _hits(expected, q) for q in _QUERIES}
    again.close()
    serial.close()


def test_small_first_builds_stay_in_one_process(make_repo: RepoFactory) -> None:
    repo = make_repo(LIBRARY)
    builder = IndexBuilder(repo, "main", workers=2)  # default threshold: far above 5 files
    builder.build()
    assert (builder.examined, builder.examined_by_workers) == (len(LIBRARY), 0)
    builder.close()


def _kept_builder(repo: Path, cache: Path) -> IndexBuilder:
    store = IndexStore.open(cache)
    assert store is not None
    return IndexBuilder(repo, "main", store=store)


def _search_ids(index: Index, query: str) -> list[str]:
    return [h.id for h in index.search(query, limit=50, allowed=None)]


def test_a_restart_reuses_the_kept_index_and_catches_up_with_new_commits(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo({**LIBRARY, "prompts/_partials/sign.md": "-- {{ name }}",
                      "prompts/demo/broken.prompt.md": prompt(body="Hi {{ nobody }}")})
    cache = tmp_path / "cache"
    first_builder = _kept_builder(repo, cache)
    first = first_builder.build()
    queries = ("greeting", "farewell", "runbook", "zanzibar")
    first_hits = {query: _search_ids(first, query) for query in queries}
    first_builder.persist(first.commit)
    first_builder.close()

    # Same commit: nothing is loaded or checked again, and the answers are the same.
    again_builder = _kept_builder(repo, cache)
    again = again_builder.build()
    assert again_builder.examined == 0
    assert sorted(again.entries) == sorted(first.entries)
    assert [(e.path, e.problems) for e in again.errors] == [
        (e.path, e.problems) for e in first.errors]
    assert {query: _search_ids(again, query) for query in queries} == first_hits
    assert first_hits["farewell"] == ["demo/farewell"]
    again_builder.persist(again.commit)
    again_builder.close()

    # Commits while the server was down: one prompt changed, one removed, one added.
    commit_files(repo, {
        "prompts/demo/greet.prompt.md": prompt(title="Salutation", extra="\naliases: [hello]"),
        "prompts/ops/pager.prompt.md": prompt(title="Pager duty"),
    })
    (repo / "prompts/demo/farewell.prompt.md").unlink()
    git(repo, "commit", "-qam", "remove farewell")
    later_builder = _kept_builder(repo, cache)
    later = later_builder.build()
    assert later_builder.examined == 2  # the changed and the new file
    fresh_builder = IndexBuilder(repo, "main")
    fresh = fresh_builder.build()
    assert sorted(later.entries) == sorted(fresh.entries)
    assert later.entries["demo/greet"].prompt.title == "Salutation"
    for query in ("greeting", "salutation", "farewell", "pager", "runbook", "zanzibar"):
        assert _search_ids(later, query) == _search_ids(fresh, query), query
    assert _search_ids(later, "farewell") == []
    # Reloads after the restart go on from the kept search index.
    commit_files(repo, {"prompts/ops/pager.prompt.md": prompt(title="Pager rota")})
    reloaded = later_builder.build(later)
    assert _search_ids(reloaded, "rota") == ["ops/pager"]
    assert _search_ids(later, "rota") == []
    later_builder.close()
    fresh_builder.close()


def test_a_kept_index_is_used_by_one_server_and_only_by_the_same_code(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo(LIBRARY)
    cache = tmp_path / "cache"
    holder = IndexStore.open(cache)
    assert holder is not None
    assert IndexStore.open(cache) is None  # locked by the first
    builder = IndexBuilder(repo, "main", store=holder)
    builder.persist(builder.build().commit)
    builder.close()
    # Written by other code: everything is dropped, and the build loads every file.
    (cache / "version").write_text("older promptctl", encoding="utf-8")
    builder = _kept_builder(repo, cache)
    builder.persist(builder.build().commit)
    assert builder.examined == len(LIBRARY)
    builder.close()
    # Damaged files are not trusted: they are replaced and the index is built from the files.
    (cache / "index.sqlite3").write_bytes(b"not a database" * 100)
    (cache / "index.sqlite3-wal").unlink(missing_ok=True)
    for file in (cache / "search").iterdir():
        if file.is_file():
            file.write_bytes(b"not an index" * 100)
    builder = _kept_builder(repo, cache)
    index = builder.build()
    assert builder.examined == len(LIBRARY)
    assert _search_ids(index, "runbook") == ["ops/runbook"]
    builder.close()


def test_a_kept_record_that_does_not_read_back_is_examined_again_alone(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    """The records are read back in one go; one damaged row costs its own file, not all."""
    repo = make_repo(LIBRARY)
    cache = tmp_path / "cache"
    builder = _kept_builder(repo, cache)
    builder.persist(builder.build().commit)
    builder.close()
    with sqlite3.connect(cache / "index.sqlite3") as db:
        db.execute("UPDATE records SET record = '[\"prompts/demo/greet' "
                   "WHERE path = 'prompts/demo/greet.prompt.md'")
    db.close()
    builder = _kept_builder(repo, cache)
    index = builder.build()
    assert builder.examined == 1
    assert sorted(index.entries) == sorted(IndexBuilder(repo, "main").build().entries)
    assert index.entries["demo/greet"].summary.path == "prompts/demo/greet.prompt.md"
    builder.close()


def test_the_collector_rests_from_the_head_start_until_the_first_index_is_kept(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    repo = make_repo({**LIBRARY, "promptctl.yaml": "approvals: [not, a, mapping]\n"})
    assert gc.isenabled()
    builder = IndexBuilder(repo, "main")
    builder.head_start(tmp_path / "cache")
    try:
        assert not gc.isenabled()
        with pytest.raises(ConfigError):  # a failed first build gives it back
            builder.build()
        assert gc.isenabled()
        commit_files(repo, {"promptctl.yaml": "approvals:\n  team: 1\n"})
        index = builder.build()
        assert not gc.isenabled()  # the index is served; its memory is settled once kept
        builder.persist(index.commit)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what the first build made lives on, frozen
    finally:
        builder.close()
        gc.unfreeze()
    assert gc.isenabled()
    # Without a cache to keep it in, the same.
    unkept = IndexBuilder(repo, "main")
    unkept.persist(unkept.build().commit)
    assert gc.isenabled()
    unkept.close()
    gc.unfreeze()
    unused = IndexBuilder(repo, "main")
    unused.head_start(tmp_path / "cache-2")
    unused.close()  # a head start whose build never came
    assert gc.isenabled()


def test_the_answer_cache_is_bounded_by_the_hits_it_holds(make_repo: RepoFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Distinct queries without end (a crawler, a benchmark) do not grow the server."""
    monkeypatch.setattr(index_module, "ANSWERS", 12)
    builder = IndexBuilder(make_repo(LIBRARY), "main")
    index = builder.build()
    for n in range(50):
        index.search(f"greeting farewell runbook demo {n}", limit=10, allowed=None)  # no hits
        index.search("zanzibar"[: 2 + n % 7], limit=10, allowed=None)
    assert index.search_cache._weight <= 12
    assert len(index.search_cache._items) <= 12
    builder.close()


def test_a_restart_takes_what_the_search_index_holds_from_the_last_run(
        make_repo: RepoFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not read from the index's documents again, while the index is at the same commit."""
    repo = make_repo(LIBRARY)
    cache = tmp_path / "cache"
    first = _kept_builder(repo, cache)
    first.persist(first.build().commit)
    first.close()
    read_back: list[int] = []
    kept = PromptSearch.kept

    def counted(self: PromptSearch) -> dict[str, str]:
        read_back.append(1)
        return kept(self)

    monkeypatch.setattr(PromptSearch, "kept", counted)
    again = _kept_builder(repo, cache)
    commit_files(repo, {"prompts/ops/pager.prompt.md": prompt(title="Pager duty")})
    index = again.build()
    assert read_back == []
    assert _search_ids(index, "pager") == ["ops/pager"]
    assert _search_ids(index, "runbook") == ["ops/runbook"]
    again.persist(index.commit)
    again.close()
    # The search index moved on without this cache knowing (a crash before it was written):
    # what it holds is read from it.
    store = IndexStore.open(cache)
    assert store is not None
    with store.db:
        store.db.execute("UPDATE searched SET opstamp = opstamp - 1")
    later = IndexBuilder(repo, "main", store=store)
    later_index = later.build()
    assert read_back == [1]
    assert _search_ids(later_index, "pager") == ["ops/pager"]
    later.close()


def test_a_first_build_without_working_worker_processes_loads_in_process(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    """Workers that cannot start (here: their interpreter does not exist) cost time only. A
    second thread makes the pool spawn its workers, as it does in a running server."""
    repo = make_repo(_mixed_library())
    script = tmp_path / "build.py"
    script.write_text(
        "import logging, multiprocessing, sys, threading\n"
        "from pathlib import Path\n"
        "from server.index import IndexBuilder\n"
        "if __name__ == '__main__':\n"
        "    logging.basicConfig(level=logging.WARNING)\n"
        "    done = threading.Event()\n"
        "    threading.Thread(target=done.wait, daemon=True).start()\n"
        "    multiprocessing.set_executable(str(Path(sys.argv[2]) / 'no-such-python'))\n"
        "    builder = IndexBuilder(Path(sys.argv[1]), 'main', workers=2, parallel_min=1)\n"
        "    index = builder.build()\n"
        "    print(len(index.entries), len(index.errors), builder.examined)\n",
        encoding="utf-8")
    done = _run_script(script, repo, tmp_path)
    serial = IndexBuilder(repo, "main", workers=1)
    expected = serial.build()
    serial.close()
    entries, errors, misses = map(int, done.stdout.split())
    assert (entries, errors) == (len(expected.entries), len(expected.errors))
    assert misses == entries + 6  # every prompt file examined in the process itself
    assert "loading in the server process" in done.stderr


def test_workers_leave_ctrl_c_to_the_server_and_a_stopping_server_cancels_its_build(
        make_repo: RepoFactory) -> None:
    """Ctrl-C reaches every process of the group: a worker interrupted mid-prompt printed a
    traceback, and the server then waited for a build nobody would use."""
    import signal

    repo = make_repo(_mixed_library())
    pool = Workers(2, repo)
    assert pool._pool.submit(signal.getsignal, signal.SIGINT).result(timeout=60) == \
        signal.SIG_IGN
    pool.close()
    builder = IndexBuilder(repo, "main", workers=2, parallel_min=1)
    builder.head_start()
    builder.cancel()
    with pytest.raises(Cancelled):
        builder.build()
    builder.close()


def test_workers_freeze_what_they_inherit(make_repo: RepoFactory) -> None:
    """What a forked worker inherits from the server is never garbage: its collector skips it."""
    import gc

    pool = Workers(1, make_repo(LIBRARY))
    try:
        frozen = pool._pool.submit(gc.get_freeze_count).result(timeout=60)
    finally:
        pool.close()
    assert frozen > 0


def _aged(directory: Path, days: float) -> Path:
    """An index cache directory whose files were last written ``days`` ago."""
    directory.mkdir(parents=True)
    (directory / "version").write_text("some promptctl", encoding="utf-8")
    (directory / "index.sqlite3").write_bytes(b"rows")
    when = time.time() - days * 86400
    for file in directory.iterdir():
        os.utime(file, (when, when))
    return directory


def test_index_caches_unused_for_a_month_are_removed_unless_held(tmp_path: Path) -> None:
    parent = tmp_path / "promptctl" / "index"
    mine = _aged(parent / "mine", 90)  # the one being opened: old, but kept
    stale = _aged(parent / "stale", 31)
    recent = _aged(parent / "recent", 5)
    held = _aged(parent / "held", 60)
    other = parent / "not-a-cache"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    store = IndexStore.open(held)  # a running server holds it
    assert store is not None
    assert remove_stale(parent, mine) == [stale]
    assert not stale.exists()
    assert all(d.is_dir() for d in (mine, recent, held, other))
    store.close()
    # Opening it rewrote its version file: it counts as used today.
    assert remove_stale(parent, mine) == []


def test_texts_read_last_stay_decoded_but_only_for_blobs_the_store_keeps(
        tmp_path: Path) -> None:
    """A kept text read once is served from memory (its row may be gone), never for a blob
    whose text the store dropped or, in another store of the process, never kept."""
    store = IndexStore.open(tmp_path / "cache")
    other = IndexStore.open(tmp_path / "other")
    assert store is not None
    assert other is not None
    first, second = "e7a1" * 10, "e7a2" * 10  # made up: no other test reads them
    texts = {first: "first text", second: "second text"}
    assert store.keep_texts(texts, texts.get) == 2
    assert store.text(first) == "first text"
    with store.db:
        store.db.execute("DELETE FROM texts")  # behind its back: the text read stays in memory
    assert store.text(first) == "first text"
    assert store.text(second) is None  # never read: the row is gone
    assert other.text(first) is None
    store.keep_texts([], texts.get)  # the prompt is gone: so is its text
    assert store.text(first) is None
    store.close()
    other.close()


def test_an_lru_by_weight_keeps_the_latest_values_within_its_size() -> None:
    kept: Lru[str] = Lru(10, weigh=len)
    kept.put("a", "1234")
    kept.put("b", "1234")
    assert kept.get("a") == "1234"  # now the latest
    kept.put("c", "1234")  # 12 > 10: the least recently used goes
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == ("1234", None, "1234")
    kept.put("a", "1")  # replaced: its old weight no longer counts
    kept.put("d", "12345")
    assert [kept.get(k) for k in "acd"] == ["1", "1234", "12345"]
    kept.put("e", "x" * 11)  # heavier than the whole: not kept, and nothing goes for it
    assert kept.get("e") is None
    assert [kept.get(k) for k in "acd"] == ["1", "1234", "12345"]
    counted: Lru[int] = Lru(2)
    for number in range(3):
        counted.put(number, number)
    assert [counted.get(n) for n in range(3)] == [None, 1, 2]


def test_the_index_cache_keeps_the_prompts_texts_for_snippets(
        make_repo: RepoFactory, tmp_path: Path) -> None:
    """Snippets are cut from the prompts' texts: kept compressed in the index cache (a row
    costs less than a blob of a packed repository), the same snippets as from Git."""
    repo = make_repo(_mixed_library())
    builder = _kept_builder(repo, tmp_path / "cache")
    index = builder.build()
    from_git = {q: _hits(index, q) for q in _QUERIES}
    builder.persist(index.commit)
    store = builder.store
    assert store is not None
    for entry in index.entries.values():
        assert store.text(entry.summary.blob) == entry.prompt.text[:SNIPPET_CHARS]
    # Each row is a zstd frame (decision 0012: zlib's size, decompressed 2.5 times faster).
    rows = store.db.execute("SELECT text FROM texts").fetchall()
    assert len(rows) >= len(index.entries)
    assert all(row[0][:4] == b"\x28\xb5\x2f\xfd" for row in rows)
    builder.close()
    again = _kept_builder(repo, tmp_path / "cache")
    kept = again.build()
    # Every text comes from the index cache: the repository is not even readable.
    repo.rename(repo.with_name("elsewhere"))
    try:
        assert {q: _hits(kept, q) for q in _QUERIES} == from_git
    finally:
        repo.with_name("elsewhere").rename(repo)
    # A commit that removes a prompt drops its text at the next persist.
    gone = kept.entries["bulk/item-5"].summary.blob
    (repo / "prompts/bulk/item-5.prompt.md").unlink()
    git(repo, "commit", "-qam", "remove item 5")
    again.persist(again.build(kept).commit)
    assert again.store is not None
    assert again.store.text(gone) is None
    again.close()


def test_a_restart_holds_each_path_and_blob_id_once(make_repo: RepoFactory,
                                                      tmp_path: Path) -> None:
    """The walk's files, the records kept and their summaries share one string for each path
    and each blob id (at 100,000 prompts, three copies of each took 50 MiB)."""
    repo = make_repo(_mixed_library())
    first = _kept_builder(repo, tmp_path / "cache")
    first.persist(first.build().commit)
    first.close()
    again = _kept_builder(repo, tmp_path / "cache")
    index = again.build()
    walked = {f.path: f for f in again.git().tree_files(index.commit)}
    assert index.entries
    for entry in index.entries.values():
        summary = entry.summary
        record = again._records[(summary.path, summary.blob)]
        assert record.summary is summary
        tree_file = walked[summary.path]
        assert summary.path is record.path is tree_file.path
        assert summary.blob is record.blob is tree_file.blob
    again.close()
