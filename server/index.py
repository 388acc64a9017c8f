"""The index the read API serves: one commit's prompts, per-role views, search, and errors.

An ``Index`` is immutable once built. The reloader builds the next one off the request path and
swaps it in with one reference assignment; a request reads that reference once and uses the same
index to the end, so it never sees half of a reload.

``IndexBuilder`` makes reloads cheap: it walks the commit's ``prompts/`` tree and reuses the files
of every subtree whose Git tree id is unchanged, and hands ``Library.load`` a ``LoadCache`` so
that unchanged blobs are neither parsed nor checked again. A prompt that is invalid on the branch
keeps its entry from the previous index (its last good version) and is listed in ``errors``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from promptctl import config as config_module
from promptctl import prefill
from promptctl.config import Config
from promptctl.errors import ConfigError
from promptctl.gitreader import GitRepository, TreeCache, TreeFile
from promptctl.layout import classify
from promptctl.library import Library
from promptctl.loadcache import LoadCache, partials_key
from promptctl.model import Prompt, prompt_id_for
from promptctl.prefill import BlobKey, Cancelled, Prefill
from promptctl.problems import Problem
from promptctl.render import Renderer
from promptctl.search import Hit, SearchIndex
from promptctl.sources import FileList, SourceFile
from server.auth import Role, may_see
from server.cache import Lru
from server.store import IndexStore

log = logging.getLogger("promptctl.server.index")


@dataclass(frozen=True)
class Entry:
    """A prompt as served: the renderer of its commit's partials, and that commit."""

    prompt: Prompt
    renderer: Renderer
    commit: str
    stale: bool = False  # invalid on the branch: this is its last good version


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
    search_index: SearchIndex  # shared by successive indexes: see ``generation``
    generation: int  # the rows of search_index this index sees
    errors: tuple[PromptErrors, ...]

    def view(self, role: Role) -> RoleView:
        return self.views["consumer" if role == "consumer" else "all"]

    def lookup(self, ref: str, role: Role) -> Entry | None:
        """The entry for an id or alias, or None where it does not exist or the role may not
        see it (the routes answer both with the same 404)."""
        entry = self.entries.get(self.aliases.get(ref, ref))
        if entry is None or not may_see(role, entry.prompt):
            return None
        return entry

    # Search answers of this index; a new commit starts an empty cache.
    search_cache: Lru[list[Hit]] = field(default_factory=lambda: Lru(4096), compare=False,
                                         repr=False)

    def search(self, text: str, *, limit: int, allowed: frozenset[str] | None) -> list[Hit]:
        """Hits of this index's generation; the same question is answered once per index
        (search-as-you-type sends the same prefixes over and over)."""
        key = (text, limit, allowed)
        hits = self.search_cache.get(key)
        if hits is None:
            # The role's frozenset as it is: a copy cost 0.5 ms a query at 10,000 prompts.
            hits = self.search_index.search(text, limit=limit, generation=self.generation,
                                            allowed=allowed)
            self.search_cache.put(key, hits)
        return hits


def _views(entries: Mapping[str, Entry]) -> dict[str, RoleView]:
    ids = sorted(entries)
    consumer_ids = []
    # Every tag and collection once per prompt, counted at the end (one Counter per list is
    # much cheaper than 10,000 updates: this runs on every reload).
    tags: tuple[list[str], list[str]] = ([], [])
    collections: tuple[list[str], list[str]] = ([], [])
    for prompt_id in ids:
        prompt = entries[prompt_id].prompt
        prompt_tags = set(prompt.meta["tags"])
        collection = prompt_id.split("/", 1)[0]
        tags[1].extend(prompt_tags)
        collections[1].append(collection)
        if may_see("consumer", prompt):
            consumer_ids.append(prompt_id)
            tags[0].extend(prompt_tags)
            collections[0].append(collection)

    def view(chosen: list[str], which: int) -> RoleView:
        return RoleView(tuple(chosen), frozenset(chosen),
                        tuple(sorted(Counter(tags[which]).items())),
                        tuple(sorted(Counter(collections[which]).items())))

    return {"consumer": view(consumer_ids, 0), "all": view(ids, 1)}


class IndexBuilder:
    """Builds indexes of one repository and ref; one builder per server, used by one thread."""

    def __init__(self, repo_path: Path, ref: str, *, workers: int | None = None,
                 parallel_min: int = prefill.MIN_FILES, store: IndexStore | None = None) -> None:
        self.repo_path = repo_path
        self.ref = ref
        self.store = store
        # id -> digest of the search rows a kept index holds, until the first build diffs them
        self._restored: dict[str, str] | None = None
        self._started = False
        self.workers = prefill.worker_count() if workers is None else workers
        self.parallel_min = parallel_min
        self._load_cache = LoadCache()
        self._trees = TreeCache()
        self._renderers: dict[tuple[str, int, float], Renderer] = {}
        self._lock = threading.Lock()
        self._blobs: dict[tuple[str, str], SourceFile] = {}  # (path, blob id) of the last build
        self._search: SearchIndex | None = None  # made by the first build (not by create_app)
        self.generation = 0
        self._indexed: dict[str, Prompt] = {}  # the prompts whose search rows are alive
        # The search rows a first build added while its workers were still loading: id -> the
        # prompt a row was made from (see ``_index_search``).
        self._provisional: dict[str, Prompt] | None = None
        self._store_tried = store is not None
        self._store_read = False  # the store's kept index has been read back
        self._fill: Prefill | None = None  # a first build's work, started by ``head_start``
        self._head_blobs: tuple[str, list[BlobKey]] | None = None  # (commit, blobs) it walked
        self._search_unsaved = False  # an in-memory search index still to move into the store
        self._search_unmerged = False  # a first build's search rows, still to merge
        self._cancel = threading.Event()

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
        stack and binds its port: the workers of a large first build are forked while the
        process still runs one thread, and read and load the prompts meanwhile. The first
        ``build`` collects their work."""
        git = self.git()
        commit_id = self.head(git)
        blobs = _tree_blobs(git, commit_id)
        self._head_blobs = (commit_id, blobs)  # the first build's, unless the ref moves
        if len(blobs) >= self.parallel_min:
            gc.disable()  # as during the first build itself (see ``build``), which resumes it
        # Workers first: a forked worker then inherits none of the index cache's open files.
        pool = self._pool_for(len(blobs))
        if cache_dir is not None:
            self.open_store(cache_dir)
        self._restore()
        if pool is not None:
            self._fill = self._start_fill(pool, git, blobs)

    def build(self, previous: Index | None = None) -> Index:
        started = time.perf_counter()
        git = self.git()
        commit_id = self.head(git)
        first = not self._started
        self._started = True
        blobs: list[BlobKey] = []
        if first:
            walked, self._head_blobs = self._head_blobs, None
            if walked is not None and walked[0] == commit_id:
                blobs = walked[1]
            else:
                blobs = _tree_blobs(git, commit_id)
        large_first = len(blobs) >= self.parallel_min
        if large_first:
            # The first build of a large library creates millions of objects that live as long
            # as the server: the cyclic garbage collector would walk them over and over (it
            # doubles the time of reading a kept index back), so it pauses, and afterwards
            # leaves them out of its walks for good (gc.freeze). Reference counting still
            # frees each of them when a reload replaces it.
            gc.disable()
        try:
            return self._build(started, git, commit_id, previous, first,
                               blobs if large_first else [])
        finally:
            if large_first:
                gc.freeze()
                gc.enable()

    def _build(self, started: float, git: GitRepository, commit_id: str,
               previous: Index | None, first: bool, blobs: list[BlobKey]) -> Index:
        if first:
            self._restore()
        # A first build of a large library reads, loads and checks its prompts in worker
        # processes (``head_start`` may have started them already).
        fill, self._fill = self._fill, None
        if fill is None and blobs:
            pool = self._pool_for(len(blobs))
            fill = self._start_fill(pool, git, blobs) if pool is not None else None
        if fill is not None:
            self._collect(fill, previous)
        files = self._walk_commit(git, commit_id)
        config = _config(git, commit_id)
        library = Library.load(FileList(files, f"{self.ref} ({commit_id[:12]})"), config,
                               cache=self._load_cache)
        renderer = self._renderer(library)
        errors_by_path: dict[str, list[Problem]] = {}
        for problem in library.problems:
            if problem.is_error:
                errors_by_path.setdefault(problem.path, []).append(problem)

        entries: dict[str, Entry] = {}
        invalid: dict[str, str] = dict(library.broken)  # id -> path
        for prompt_id, prompt in library.prompts.items():
            if prompt.path in errors_by_path:
                invalid[prompt_id] = prompt.path
            else:
                entries[prompt_id] = Entry(prompt, renderer, commit_id)
        aliases = dict(library.aliases)
        errors: list[PromptErrors] = []
        for prompt_id, path in sorted(invalid.items()):
            old = previous.entries.get(prompt_id) if previous is not None else None
            if old is not None:
                old = replace(old, stale=True)
                entries[prompt_id] = old
                for alias in old.prompt.aliases:
                    if alias not in entries:
                        aliases.setdefault(alias, prompt_id)
            errors.append(PromptErrors(path, prompt_id, tuple(errors_by_path.get(path, ())), old))
        prompt_paths = set(invalid.values())
        for path, problems in sorted(errors_by_path.items()):
            if path not in prompt_paths:
                errors.append(PromptErrors(path, prompt_id_for(path), tuple(problems), None))

        views = _views(entries)
        generation = self._index_search(entries)  # last: nothing after it can fail
        return Index(commit=commit_id, ref=self.ref, built_at=time.time(),
                     build_seconds=time.perf_counter() - started, entries=entries,
                     aliases=aliases, views=views, search_index=self.search_index,
                     generation=generation, errors=tuple(errors))

    # --- a first build in worker processes ------------------------------------------------------

    def _pool_for(self, files: int) -> Prefill | None:
        """Workers for a first build of ``files`` files, where they are worth starting."""
        if self.workers < 2 or files < self.parallel_min or not self._load_cache.empty:
            return None
        try:
            return Prefill(self.workers, self.repo_path)
        except Exception as exc:  # no processes here (limits, no semaphores): one process then
            _workers_failed("cannot start worker processes", exc)
            return None

    def _start_fill(self, pool: Prefill, git: GitRepository,
                    blobs: list[BlobKey]) -> Prefill | None:
        """Hand the workers the prompt files of ``blobs``, with the partials read here."""
        if not self._load_cache.empty:  # a kept index was restored: little is left to load
            pool.close()
            return None
        partials = []
        for path, blob_id in blobs:
            if classify(path) == "partial":
                file = git.read(TreeFile(path, blob_id))
                self._blobs[(path, blob_id)] = file
                partials.append(file)
        try:
            pool.start([b for b in blobs if prefill.is_prompt_path(b[0])],
                       prefill.partials_of(partials))
        except Exception as exc:
            pool.close()
            _workers_failed("worker processes failed", exc)
            return None
        return pool

    def _collect(self, fill: Prefill, previous: Index | None) -> None:
        """Take the workers' results into the load cache, and their files into the walk. While
        they arrive, the search rows of the prompts that loaded clean are added (this process
        is otherwise idle meanwhile); ``_index_search`` corrects them against the entries."""
        provisional = previous is None and not self._restored
        if provisional:
            self._restored = None  # an empty kept index: nothing to compare with
            self._provisional = {}
            if self.store is not None:
                # Built in memory, where it is faster, and moved into the index cache after
                # the server is ready (``persist``).
                self.search_index.close()
                self._search = SearchIndex()
                self._search_unsaved = True
            self.search_index.merging(False)  # until _index_search; merged by persist
            self._search_unmerged = True
        try:
            self._blobs.update(fill.collect(
                self._load_cache, self._add_provisional if provisional else None,
                self._cancel))
        except Cancelled:
            raise
        except Exception as exc:
            _workers_failed("worker processes failed", exc)
        finally:
            fill.close()

    def _add_provisional(self, prompts: list[Prompt]) -> None:
        assert self._provisional is not None
        fresh = []
        for prompt in prompts:
            if prompt.id not in self._provisional:  # a duplicate id gets one row at most
                self._provisional[prompt.id] = prompt
                fresh.append(prompt)
        self.search_index.add(fresh, generation=self.generation + 1)

    def _restore(self) -> None:
        """Start from what an earlier run of this server kept (see ``server.store``), once."""
        store = self.store
        if store is None or self._store_read:
            return
        started = time.perf_counter()
        self._store_read = True
        files = store.restore(self._load_cache)
        self.generation, self._restored = self.search_index.alive()
        log.info("index cache %s: %d files and %d search rows kept, read in %.0f ms",
                 store.root, files, len(self._restored), (time.perf_counter() - started) * 1000)

    def persist(self, commit: str) -> None:
        """Keep what the build of ``commit`` computed for the next start (off the request
        path): the load cache, and the search index where it was built in memory. The
        segments a first build left unmerged are merged here first."""
        if self._search_unmerged:
            self.search_index.merge()
            self._search_unmerged = False
        if self.store is not None:
            if self._search_unsaved:
                self.search_index.move_to(str(self.store.search_path))
                self._search_unsaved = False
            self.store.save(self._load_cache, commit)

    def _index_search(self, entries: dict[str, Entry]) -> int:
        """Replace the rows of changed prompts at a new generation. Loaded prompts of unchanged
        files are the same objects from one build to the next (the load cache), so identity
        tells what changed; the first build over a kept search index compares file digests."""
        old, purge = self._indexed, False
        if self._provisional is not None:
            # Rows added while the workers ran, at this build's generation: no index before
            # this one can see them, so those of prompts that did not make it are deleted.
            old, purge, self._provisional = self._provisional, True, None
        if self._restored is not None:
            kept, self._restored = self._restored, None
            gone = [i for i, d in kept.items() if i not in entries or entries[i].prompt.digest != d]
            added = [e.prompt for i, e in entries.items() if kept.get(i) != e.prompt.digest]
        else:
            gone = [i for i, p in old.items() if i not in entries or entries[i].prompt is not p]
            added = [e.prompt for i, e in entries.items() if old.get(i) is not e.prompt]
        generation = self.generation + 1
        self.search_index.update(added, gone, generation=generation)
        if purge:
            if gone:
                self.search_index.purge(generation)
            self.search_index.merging(True)
        self.generation = generation
        self._indexed = {i: e.prompt for i, e in entries.items()}
        return generation

    @property
    def search_index(self) -> SearchIndex:
        if self._search is None:
            self._search = self.store.search_index() if self.store is not None else SearchIndex()
        return self._search

    def purge(self, oldest_live_generation: int) -> None:
        """Search rows that no live index can see any more are dropped."""
        if self._search is not None:
            self._search.purge(oldest_live_generation)

    def cancel(self) -> None:
        """Stop a first build that is waiting for its workers (the server is stopping): the
        build raises ``prefill.Cancelled``."""
        self._cancel.set()

    def close(self) -> None:
        if self._fill is not None:  # begun by head_start, never collected
            self._fill.close()
            self._fill = None
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

    # --- reading the tree -------------------------------------------------------------------

    def _walk_commit(self, git: GitRepository, commit_id: str) -> list[SourceFile]:
        """The commit's files under prompts/: subtrees unchanged since the last build are not
        walked again, and blobs it read are not read again (the same bytes objects, which the
        load cache knows)."""
        blobs: dict[tuple[str, str], SourceFile] = {}
        files = []
        for entry in git.tree_files(commit_id, cache=self._trees):
            if entry.blob is None:
                files.append(git.read(entry))
                continue
            key = (entry.path, entry.blob)
            known = self._blobs.get(key)
            if known is None:
                known = git.read(entry)
            blobs[key] = known
            files.append(known)
        self._blobs = blobs  # only the blobs of the latest build are kept
        return files


def _workers_failed(what: str, exc: Exception) -> None:
    """Workers that cannot start or that die cost time, not the build: what they finished is in
    the load cache, and ``Library.load`` does the rest in this process."""
    log.warning("%s (%s: %s); loading in the server process", what, type(exc).__name__, exc)


def _tree_blobs(git: GitRepository, commit_id: str) -> list[BlobKey]:
    """(path, blob id) of the regular files under prompts/, from tree objects alone."""
    return [(f.path, f.blob) for f in git.tree_files(commit_id) if f.blob is not None]


def _config(git: GitRepository, commit_id: str) -> Config:
    """``promptctl.yaml`` of the commit; a broken one is a failed build (the old index stays)."""
    try:
        return config_module.parse(git.read_file(commit_id, config_module.CONFIG_FILE))
    except ConfigError as exc:
        raise ConfigError(f"{exc}; the server keeps the previous index until it is fixed") from None
