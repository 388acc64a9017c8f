"""The index the read API serves: one commit's prompts, per-role views, search, and errors.

An ``Index`` is immutable once built. The reloader builds the next one off the request path and
swaps it in with one reference assignment; a request reads that reference once and uses the same
index to the end, so it never sees half of a reload.

The index holds a small record of each file (``server.records``), not the loaded prompts: a
prompt is loaded from its blob when a request needs it, through a bounded cache. ``IndexBuilder``
keeps the records of the last build by path and blob id, so a reload examines only the files
whose blobs changed; the index cache (``server.store``) keeps them between runs, with the search
index, so a restart examines only what changed while the server was down. A prompt that is
invalid on the branch keeps its entry from the previous index (its last good version) and is
listed in ``errors``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from promptctl import config as config_module
from promptctl.config import Config
from promptctl.errors import ConfigError, RepositoryError
from promptctl.gitreader import GitRepository, TreeCache, TreeFile
from promptctl.layout import PathKind, classify
from promptctl.library import Library, duplicate_id, misplaced
from promptctl.loader import decode
from promptctl.model import Prompt, prompt_id_for
from promptctl.problems import Problem
from promptctl.render import Renderer
from promptctl.search import Hit
from promptctl.sources import FileList, SourceFile
from promptctl.validate import PromptChecks, check_ids, partials_key
from server import workers as workers_module
from server.auth import Role, may_see
from server.cache import Lru
from server.records import (
    SNIPPET_CHARS,
    FileRecord,
    PromptCache,
    PromptUnavailable,
    Summary,
    blob_key,
    examine,
    search_doc,
)
from server.search import PromptSearch, SearchDoc, Searcher, committed_opstamp
from server.store import IndexStore
from server.workers import Cancelled, Workers

log = logging.getLogger("promptctl.server.index")

__all__ = ["Cancelled", "Entry", "Index", "IndexBuilder", "PromptErrors", "RoleView"]


@dataclass(frozen=True)
class Entry:
    """A prompt as served: its summary, the renderer of its commit's partials, and that commit.
    ``prompt`` loads the whole prompt (from a bounded cache)."""

    summary: Summary
    renderer: Renderer
    commit: str
    prompts: PromptCache = field(repr=False, compare=False)
    stale: bool = False  # invalid on the branch: this is its last good version

    @property
    def prompt(self) -> Prompt:
        return self.prompts.get(self.summary)


@dataclass(frozen=True)
class PromptErrors:
    """A file on the branch that does not load or validate, and what is served instead."""

    path: str
    id: str | None  # None for a file that is not a prompt (a partial, a misplaced file)
    problems: tuple[Problem, ...]
    serving: Entry | None  # the last good version, if there is one


@dataclass(frozen=True)
class RoleView:
    """What one role sees: ids in order, and the tag and collection counts over them."""

    ids: tuple[str, ...]
    allowed: frozenset[str]
    tags: tuple[tuple[str, int], ...]
    collections: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Index:
    commit: str
    ref: str
    built_at: float  # time.time()
    build_seconds: float
    entries: Mapping[str, Entry]
    aliases: Mapping[str, str]
    views: Mapping[str, RoleView]  # "consumer" and "all"
    searcher: Searcher  # this commit's search index, as it stood when the index was built
    errors: tuple[PromptErrors, ...]

    def view(self, role: Role) -> RoleView:
        return self.views["consumer" if role == "consumer" else "all"]

    def lookup(self, ref: str, role: Role) -> Entry | None:
        """The entry for an id or alias, or None where it does not exist or the role may not
        see it (the routes answer both with the same 404)."""
        entry = self.entries.get(self.aliases.get(ref, ref))
        if entry is None or not may_see(role, entry.summary):
            return None
        return entry

    # Search answers of this index; a new commit starts an empty cache.
    # Weighed by hits (a page of 20 hits with snippets is about 9 KiB): about 4 MiB at most.
    search_cache: Lru[list[Hit]] = field(default_factory=lambda: Lru(ANSWERS, weigh=_weight),
                                         compare=False, repr=False)

    def search(self, text: str, *, limit: int, allowed: frozenset[str] | None) -> list[Hit]:
        """Hits of this index; the same question is answered once per index (search-as-you-type
        sends the same prefixes over and over). Snippets come from the prompts' files."""
        hits = self.cached_search(text, limit=limit, allowed=allowed)
        if hits is None:
            hits = self.searcher.search(text, limit=limit, allowed=allowed,
                                        snippet_text=self._snippet_text)
            self.remember_search(text, hits, limit=limit, allowed=allowed)
        return hits

    def cached_search(self, text: str, *, limit: int,
                      allowed: frozenset[str] | None) -> list[Hit] | None:
        return self.search_cache.get((text, limit, allowed))

    def remember_search(self, text: str, hits: list[Hit], *, limit: int,
                        allowed: frozenset[str] | None) -> None:
        """Hits found elsewhere (a search worker, ``server.searchpool``), for the next ask."""
        self.search_cache.put((text, limit, allowed), hits)

    def _snippet_text(self, prompt_id: str) -> str | None:
        entry = self.entries.get(prompt_id)
        try:
            return None if entry is None else entry.prompts.text(entry.summary)
        except PromptUnavailable:  # the repository cannot be read now: hits without snippets
            return None


ANSWERS = 8192  # hits kept in an index's answer cache (an answer without hits counts one)


def _weight(hits: list[Hit]) -> int:
    return len(hits) + 1


def _views(entries: Mapping[str, Entry]) -> dict[str, RoleView]:
    ids = sorted(entries)
    consumer_ids = []
    # Every tag and collection once per prompt, counted at the end (one Counter per list is
    # much cheaper than 10,000 updates: this runs on every reload).
    tags: tuple[list[str], list[str]] = ([], [])
    collections: tuple[list[str], list[str]] = ([], [])
    for prompt_id in ids:
        summary = entries[prompt_id].summary
        prompt_tags = set(summary.tags)
        collection = summary.collection
        tags[1].extend(prompt_tags)
        collections[1].append(collection)
        if may_see("consumer", summary):
            consumer_ids.append(prompt_id)
            tags[0].extend(prompt_tags)
            collections[0].append(collection)

    def view(chosen: list[str], which: int) -> RoleView:
        return RoleView(tuple(chosen), frozenset(chosen),
                        tuple(sorted(Counter(tags[which]).items())),
                        tuple(sorted(Counter(collections[which]).items())))

    return {"consumer": view(consumer_ids, 0), "all": view(ids, 1)}


RecordKey = tuple[str, str]  # (path, blob id or kind)


class IndexBuilder:
    """Builds indexes of one repository and ref; one builder per server, used by one thread."""

    def __init__(self, repo_path: Path, ref: str, *, workers: int | None = None,
                 parallel_min: int = workers_module.MIN_FILES,
                 store: IndexStore | None = None) -> None:
        self.repo_path = repo_path
        self.ref = ref
        self.store = store
        self._store_tried = store is not None
        self._store_read = False
        self.workers = workers_module.worker_count() if workers is None else workers
        self.parallel_min = parallel_min
        self._records: dict[RecordKey, FileRecord] = {}  # of the last build, or kept
        self._trees = TreeCache()
        self._kinds: dict[str, PathKind] = {}  # classify() of the last walk's paths
        self._partials: dict[RecordKey, SourceFile] = {}  # the partial files of the last build
        self._checks: PromptChecks | None = None
        self._renderers: dict[tuple[str, int, float], Renderer] = {}
        self._lock = threading.Lock()
        self._search: PromptSearch | None = None
        self._searched: dict[str, str] | None = None  # id -> digest the search index holds
        self.prompts = PromptCache(self.git, texts=self._kept_text)
        self._pool: Workers | None = None  # a first build's workers, begun by ``head_start``
        self._head: tuple[str, list[TreeFile]] | None = None  # (commit, files) it walked
        self._cancel = threading.Event()
        # Of the last build: prompt files examined in this process, and by worker processes.
        self.examined = 0
        self.examined_by_workers = 0
        self._built = False
        self._collector_paused = False
        self._unsettled: bool | None = None  # a first build to settle: whether to collect

    def git(self) -> GitRepository:
        """The repository, opened afresh: a reload sees objects and refs written since."""
        return GitRepository(self.repo_path)

    def open(self) -> Any:
        """The pygit2 repository (the version resolver reads blobs from it)."""
        return self.git().repo

    def head(self, git: GitRepository | None = None) -> str:
        """The commit the ref names now; ``RepositoryError`` when it cannot be read."""
        return (git if git is not None else self.git()).commit_id(self.ref)

    def open_store(self, root: Path) -> None:
        """Keep the index in the cache directory ``root`` between runs (see ``server.store``);
        the first call decides, and a directory that cannot be used is done without."""
        if not self._store_tried:
            self._store_tried = True
            self.store = IndexStore.open(root)

    def head_start(self, cache_dir: Path | None = None) -> None:
        """Begin the first build now. ``promptctl serve`` calls this before it imports its web
        stack and binds its port: the workers of a first build with nothing kept are forked
        while the process still runs one thread, and examine the prompts meanwhile. The first
        ``build`` collects their work."""
        self._pause_collector()
        git = self.git()
        commit_id = self.head(git)
        files = self._walk(git, commit_id)
        self._head = (commit_id, files)
        if cache_dir is not None:
            self.open_store(cache_dir)
        self._restore()
        partials = self._partial_texts(git, files)
        self._pool = self._start_workers(self._to_examine(files, partials_key(partials)),
                                         partials)

    def build(self, previous: Index | None = None) -> Index:
        first = not self._built
        if first:
            self._pause_collector()
        else:
            self.settle()  # a first build whose index was never kept
        try:
            return self._build(previous)
        except BaseException:
            if first:
                self._resume_collector()
            raise

    def _pause_collector(self) -> None:
        """No garbage collection until the first index is built and kept: the records it makes
        (or reads back) are objects that live on, and each collection they set off walked the
        whole heap again (about 0.5 s of CPU of a first start at 10,000 prompts). ``settle``
        collects once, after the server is ready (``persist`` calls it)."""
        if not self._collector_paused and gc.isenabled():
            gc.disable()
            self._collector_paused = True

    def _resume_collector(self) -> None:
        if self._collector_paused:
            self._collector_paused = False
            gc.enable()

    def settle(self) -> None:
        """After the first build: one collection (where it examined many files), what lives on
        frozen out of the collector's walks, the heap trimmed, and the collector back. Not in
        the build itself: 80 ms of a first start at 10,000 prompts, before it is ready."""
        if self._unsettled is not None:
            _settle_memory(collect=self._unsettled)
            self._unsettled = None
        self._resume_collector()

    def _build(self, previous: Index | None) -> Index:
        started = time.perf_counter()
        git = self.git()
        commit_id = self.head(git)
        self._restore()
        walked, self._head = self._head, None
        if walked is not None and walked[0] == commit_id:
            files = walked[1]
        else:
            files = self._walk(git, commit_id)
        config = _config(git, commit_id)
        partial_files = self._partial_files(git, files)
        library = Library.load(FileList(partial_files, f"{self.ref} ({commit_id[:12]})"), config)
        checks = self._checks_for(library.partials)
        pool, self._pool = self._pool, None
        records, docs = self._examine_all(git, files, checks, pool)

        # The library as ``Library.load`` sees it, from the records: in tree order, the first
        # file of an id wins, then the rules across files.
        problems: list[Problem] = list(library.problems)
        summaries: dict[str, Summary] = {}
        broken: dict[str, str] = {}  # id -> path of a file that did not load
        kinds = self._kinds
        for file in files:
            kind = kinds[file.path]
            record = records.get((file.path, blob_key(file)))
            if record is None:
                found = misplaced(file.path, kind)
                if found is not None:
                    problems.append(found)
                continue
            problems.extend(record.problems)
            summary = record.summary
            if summary is None:
                broken_id = prompt_id_for(file.path)
                if broken_id is not None:
                    broken.setdefault(broken_id, file.path)
            elif summary.id in summaries:
                problems.append(duplicate_id(file.path, summary.id, summaries[summary.id].path))
            else:
                summaries[summary.id] = summary
        id_problems, aliases = check_ids(summaries)
        problems.extend(id_problems)
        errors_by_path: dict[str, list[Problem]] = {}
        for problem in sorted(problems):
            if problem.is_error:
                errors_by_path.setdefault(problem.path, []).append(problem)

        renderer = self._renderer(library)
        entries: dict[str, Entry] = {}
        invalid: dict[str, str] = broken  # id -> path
        for prompt_id, summary in summaries.items():
            if summary.path in errors_by_path:
                invalid[prompt_id] = summary.path
            else:
                entries[prompt_id] = Entry(summary, renderer, commit_id, self.prompts)
        errors: list[PromptErrors] = []
        for prompt_id, path in sorted(invalid.items()):
            old = previous.entries.get(prompt_id) if previous is not None else None
            if old is not None:
                old = replace(old, stale=True)
                entries[prompt_id] = old
                for alias in old.summary.aliases:
                    if alias not in entries:
                        aliases.setdefault(alias, prompt_id)
            errors.append(PromptErrors(path, prompt_id, tuple(errors_by_path.get(path, ())), old))
        prompt_paths = set(invalid.values())
        for path, found_problems in sorted(errors_by_path.items()):
            if path not in prompt_paths:
                errors.append(PromptErrors(path, prompt_id_for(path), tuple(found_problems),
                                           None))

        views = _views(entries)
        searcher = self._index_search(entries, docs)  # last: nothing after it can fail
        self._records = records
        if not self._built:
            self._unsettled = self.examined + self.examined_by_workers >= self.parallel_min
        self._built = True
        return Index(commit=commit_id, ref=self.ref, built_at=time.time(),
                     build_seconds=time.perf_counter() - started, entries=entries,
                     aliases=aliases, views=views, searcher=searcher, errors=tuple(errors))

    # --- examining files ------------------------------------------------------------------------

    def _walk(self, git: GitRepository, commit_id: str) -> list[TreeFile]:
        """The commit's files (unchanged folders from the last walk), each path classified
        once: a path keeps its kind from one walk to the next."""
        files = list(git.tree_files(commit_id, cache=self._trees))
        known = self._kinds
        self._kinds = {f.path: known.get(f.path) or classify(f.path) for f in files}
        return files

    def _is_prompt_file(self, file: TreeFile) -> bool:
        """A file ``Library.load`` would load as a prompt (a misplaced one gets a problem
        instead)."""
        kind = self._kinds[file.path]
        return kind == "prompt" or (file.kind == "symlink" and kind not in ("partial", "loose"))

    def _to_examine(self, files: Iterable[TreeFile], partials: str) -> list[TreeFile]:
        """The prompt files whose records this builder does not hold (or holds for other
        partials, where those matter)."""
        todo = []
        for file in files:
            if self._is_prompt_file(file):
                record = self._records.get((file.path, blob_key(file)))
                if record is None or not record.fresh(partials):
                    todo.append(file)
        return todo

    def _examine_all(self, git: GitRepository, files: list[TreeFile], checks: PromptChecks,
                     pool: Workers | None) -> tuple[dict[RecordKey, FileRecord],
                                                    dict[str, SearchDoc]]:
        """The records of this commit's prompt files (``misplaced`` files have none), and the
        search documents of those examined now."""
        records: dict[RecordKey, FileRecord] = {}
        docs: dict[str, SearchDoc] = {}
        todo = self._to_examine(files, checks.fingerprint)
        if pool is None:
            pool = self._start_workers(todo, checks.partials.sources)
        fresh: dict[RecordKey, FileRecord] = {}
        self.examined = self.examined_by_workers = 0
        if pool is not None:
            try:
                self._index_from_workers(pool, fresh)
            except Cancelled:
                raise
            except Exception as exc:
                _workers_failed("worker processes failed", exc)
            finally:
                pool.close()
        for file in files:
            if not self._is_prompt_file(file):
                continue
            key = (file.path, blob_key(file))
            known = fresh.get(key) or self._records.get(key)
            if known is None or not known.fresh(checks.fingerprint):
                if self._cancel.is_set():
                    raise Cancelled
                known, doc = examine(git.read(file), key[1], checks)
                self.examined += 1
                if doc is not None:
                    docs[doc.id] = doc
            records[key] = known
        return records, docs

    def _index_from_workers(self, pool: Workers, fresh: dict[RecordKey, FileRecord]) -> None:
        """Take the workers' records into ``fresh`` as they come, and meanwhile add the search
        documents of the prompts that loaded without an error: the search index is built while
        the workers examine the next chunks, rather than after them. ``_index_search`` then
        corrects it against the entries (a prompt that loses its id or alias to another file)."""
        search = self.search
        held = self._held(search)

        def clean() -> Iterator[SearchDoc]:
            for record, doc in pool.results(self._cancel):
                fresh[(record.path, record.blob)] = record
                self.examined_by_workers += 1
                if doc is not None and not any(p.is_error for p in record.problems):
                    held[doc.id] = doc.digest
                    yield doc

        try:
            search.update(clean(), ())
        except BaseException:
            self._searched = None  # the update was rolled back: ask the index what it holds
            raise

    def _start_workers(self, todo: list[TreeFile], partials: Mapping[str, str]) -> Workers | None:
        """Workers for a first build of ``todo``, where they are worth starting."""
        todo = [file for file in todo if file.kind == "file"]  # links are read in process
        if self._built or self.workers < 2 or len(todo) < self.parallel_min:
            return None  # a reload examines a few files: in process
        try:
            pool = Workers(self.workers, self.repo_path)
            pool.start(todo, partials)
        except Exception as exc:  # no processes here (limits, no semaphores): one process then
            _workers_failed("cannot start worker processes", exc)
            return None
        return pool

    def _checks_for(self, partials: Mapping[str, str]) -> PromptChecks:
        if self._checks is None or self._checks.partials.sources != partials:
            self._checks = PromptChecks(partials)
        return self._checks

    def _partial_files(self, git: GitRepository, files: Iterable[TreeFile]) -> list[SourceFile]:
        """The partials' files, read once per blob."""
        found: dict[RecordKey, SourceFile] = {}
        for file in files:
            if self._kinds[file.path] == "partial":
                key = (file.path, blob_key(file))
                found[key] = self._partials.get(key) or git.read(file)
        self._partials = found
        return list(found.values())

    def _partial_texts(self, git: GitRepository, files: Iterable[TreeFile]) -> dict[str, str]:
        library = Library.load(FileList(self._partial_files(git, files), self.ref))
        return library.partials

    # --- the index kept between runs, and search ------------------------------------------------

    def _kept_text(self, blob: str) -> str | None:
        return self.store.text(blob) if self.store is not None else None

    def _restore(self) -> None:
        """Start from the records an earlier run of this server kept, once."""
        store = self.store
        if store is None or self._store_read:
            return
        self._store_read = True
        started = time.perf_counter()
        self._records = store.restore()
        log.info("index cache %s: %d file records kept, read in %.0f ms", store.root,
                 len(self._records), (time.perf_counter() - started) * 1000)

    @property
    def search(self) -> PromptSearch:
        if self._search is None:
            self._search = PromptSearch.open(self.store.search_path if self.store else None)
        return self._search

    def _held(self, search: PromptSearch) -> dict[str, str]:
        """What the search index holds (id -> digest): as the last run kept it, where the index
        is still at that commit, else read from its documents (30 ms at 10,000 prompts)."""
        if self._searched is None:
            kept = None
            if self.store is not None:
                kept = self.store.searched(committed_opstamp(self.store.search_path))
            self._searched = kept if kept is not None else search.kept()
        return self._searched

    def _index_search(self, entries: Mapping[str, Entry],
                      docs: Mapping[str, SearchDoc]) -> Searcher:
        """Bring the search index in line with ``entries``: the documents whose prompt file
        changed are replaced; a prompt examined in an earlier run is loaded for its text."""
        search = self.search
        held = self._held(search)
        wanted = {i: e.summary.digest for i, e in entries.items()}
        removed = [i for i, digest in held.items() if wanted.get(i) != digest]
        added = []
        for prompt_id, digest in wanted.items():
            if held.get(prompt_id) != digest:
                doc = docs.get(prompt_id)
                if doc is None or doc.digest != digest:
                    doc = search_doc(entries[prompt_id].prompt)
                added.append(doc)
        searcher = search.update(added, removed) if added or removed else search.searcher()
        self._searched = wanted
        return searcher

    def persist(self, commit: str) -> None:
        """``_persist``, then a first build's memory settled (``settle``), whatever happens."""
        try:
            self._persist(commit)
        finally:
            self.settle()

    def _persist(self, commit: str) -> None:
        """Keep the records of the build of ``commit`` for the next start, and the texts of its
        prompts for search snippets (off the request path); the search index keeps itself."""
        store = self.store
        if store is None:
            return
        store.save(self._records, commit)
        stamp = committed_opstamp(store.search_path)
        if self._searched is not None and stamp is not None:
            store.save_searched(stamp, self._searched)
        git = self.git()

        def read(blob: str) -> str | None:
            try:
                text = decode("", git.blob(blob))[0]
            except RepositoryError:
                return None
            return None if text is None else text[:SNIPPET_CHARS]

        store.keep_texts((r.summary.blob for r in self._records.values() if r.summary),
                         read, self._cancel)
        store.compact()
        store.saved_commit = commit  # /readyz: the cache holds this commit's index, texts too
        _trim_heap()  # the texts read and compressed for it

    def cancel(self) -> None:
        """Stop a first build that is waiting for its workers (the server is stopping): the
        build raises ``Cancelled``."""
        self._cancel.set()

    def close(self) -> None:
        self.settle()  # a head start whose build never came, or an index never kept
        if self._pool is not None:  # begun by head_start, never collected
            self._pool.close()
            self._pool = None
        if self._search is not None:
            self._search.close()
        if self.store is not None:
            self.store.close()

    def partials_at(self, commit_id: str) -> Renderer:
        """The renderer of the partials of another commit (rendering an old version)."""
        git = self.git()
        partials = [git.read(f) for f in git.tree_files(commit_id)
                    if classify(f.path) == "partial"]
        library = Library.load(FileList(partials, commit_id), _config(git, commit_id))
        return self._renderer(library)

    def _renderer(self, library: Library) -> Renderer:
        # Unchanged partials and bounds: keep the renderer and its compiled templates warm.
        key = (partials_key(library.partials), library.config.max_output_bytes,
               library.config.timeout_seconds)
        with self._lock:  # request threads render old versions while the reloader builds
            found = self._renderers.get(key)
            if found is None:
                if len(self._renderers) > 16:
                    self._renderers.clear()
                found = self._renderers[key] = library.renderer
            return found


def _settle_memory(*, collect: bool) -> None:
    """After a first build: what it made that lives on (the records) is left out of the garbage
    collector's walks for good, and the C heap's free pages go back to the system (the build
    read and dropped every prompt's text, tens of megabytes for 10,000 prompts). ``collect``
    first where the build examined many files: after a restart that read its records back, a
    full collection finds little and costs 0.1 s at 10,000 prompts."""
    if collect:
        gc.collect()
    gc.freeze()
    _trim_heap()


def _trim_heap() -> None:
    """Return the C heap's free pages to the system (glibc keeps them otherwise)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _workers_failed(what: str, exc: Exception) -> None:
    """Workers that cannot start or that die cost time, not the build: what they finished is
    kept, and the rest is examined in the server process."""
    log.warning("%s (%s: %s); loading in the server process", what, type(exc).__name__, exc)


def _config(git: GitRepository, commit_id: str) -> Config:
    """``promptctl.yaml`` of the commit; a broken one is a failed build (the old index stays)."""
    try:
        return config_module.parse(git.read_file(commit_id, config_module.CONFIG_FILE))
    except ConfigError as exc:
        raise ConfigError(f"{exc}; the server keeps the previous index until it is fixed") from None
