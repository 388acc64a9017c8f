"""What a server computed about its prompts, kept on disk so that a restart does not redo it.

A first build of a large library spends seconds parsing and checking prompts and indexing their
text. Both results depend only on the files (see ``promptctl.loadcache``), so the server keeps
them in a directory of its own:

- ``loaded.sqlite3``: the load cache, each file's result and each prompt's checks, as JSON rows
  keyed by path and content digest;
- ``search.sqlite3``: the search index itself, with the digest of each row's prompt, so that a
  restart re-indexes only the prompts whose files changed meanwhile;
- ``version``: which promptctl code wrote them. Any change to promptctl's sources, the schemas or
  the libraries that judge a prompt (PyYAML, jsonschema, Jinja2) empties the directory: a cached
  verdict is only reused by the code that reached it.

One server uses a directory at a time (an exclusive lock on ``lock``); a second one started on
it runs without, and says so. A file that cannot be read is removed and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import IO

from promptctl.loadcache import (
    CheckKey,
    LoadCache,
    problems_from_json,
    problems_to_json,
    result_from_json,
    result_to_json,
)
from promptctl.loader import LoadResult
from promptctl.problems import Problem
from promptctl.search import SearchIndex

log = logging.getLogger("promptctl.server.store")

FORMAT = "1"
_JUDGES = ("pyyaml", "jsonschema", "jsonschema-rs", "jinja2")


@functools.cache
def code_version() -> str:
    """A digest of the code and schemas that decide what a prompt file loads to."""
    import promptctl
    from promptctl.schema import schemas_dir

    digest = hashlib.sha256(FORMAT.encode())
    package = Path(promptctl.__file__).parent
    for path in sorted([*package.rglob("*.py"), *schemas_dir().glob("*.json")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _JUDGES:
        try:
            digest.update(f"{name}={importlib.metadata.version(name)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name}=none\0".encode())
    return digest.hexdigest()


class IndexStore:
    """The directory of one server's cached index; ``open`` returns None where it cannot be used."""

    def __init__(self, root: Path, lock: IO[bytes]) -> None:
        self.root = root
        self._lock = lock
        self.db = sqlite3.connect(root / "loaded.sqlite3", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS loaded (path TEXT, sha TEXT, result TEXT, "
                        "PRIMARY KEY (path, sha)) WITHOUT ROWID")
        self.db.execute("CREATE TABLE IF NOT EXISTS checked (path TEXT, digest TEXT, "
                        "partials TEXT, problems TEXT, PRIMARY KEY (path, digest, partials)) "
                        "WITHOUT ROWID")
        self._saved: set[tuple[str, str]] = set()
        self._saved_checks: set[CheckKey] = set()
        self.saved_commit: str | None = None  # the commit whose results were last written
        self.last_error: str | None = None

    @classmethod
    def open(cls, root: Path) -> IndexStore | None:
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock = (root / "lock").open("a+b")
        except OSError as exc:
            log.warning("index cache %s unusable, starting without it: %s", root, exc)
            return None
        if not _lock(lock):
            lock.close()
            log.warning("index cache %s is in use by another server; starting without it", root)
            return None
        for attempt in (1, 2):
            try:
                version_file = root / "version"
                found = version_file.read_text(encoding="utf-8") if version_file.exists() else ""
                if found != code_version():
                    _clear(root)
                    version_file.write_text(code_version(), encoding="utf-8")
                return cls(root, lock)
            except (OSError, sqlite3.Error) as exc:
                log.warning("index cache %s unusable (%s); clearing it", root, exc)
                with contextlib.suppress(OSError):
                    _clear(root)
                if attempt == 2:
                    lock.close()
        return None

    @property
    def search_path(self) -> Path:
        return self.root / "search.sqlite3"

    def search_index(self) -> SearchIndex:
        """The kept search index; a file that does not open as one is replaced."""
        try:
            return SearchIndex(str(self.search_path))
        except sqlite3.Error as exc:
            log.warning("search index %s unreadable (%s); rebuilding it", self.search_path, exc)
            _remove(self.search_path)
            return SearchIndex(str(self.search_path))

    def restore(self, cache: LoadCache) -> int:
        """Fill ``cache`` with what was kept; returns how many file results it had. Rows that
        do not read back are skipped (their files are simply loaded again)."""
        results: dict[tuple[str, str], LoadResult] = {}
        checks: dict[CheckKey, list[Problem]] = {}
        try:
            for path, sha, text in self.db.execute("SELECT path, sha, result FROM loaded"):
                try:
                    results[(path, sha)] = result_from_json(text)
                except (ValueError, KeyError, TypeError):
                    continue
            for path, digest, partials, text in self.db.execute(
                    "SELECT path, digest, partials, problems FROM checked"):
                try:
                    checks[(path, digest, partials)] = problems_from_json(text)
                except (ValueError, KeyError, TypeError):
                    continue
        except sqlite3.Error as exc:
            log.warning("index cache %s unreadable (%s); loading from scratch", self.root, exc)
            return 0
        cache.restore(results, checks)
        self._saved, self._saved_checks = set(results), set(checks)
        return len(results)

    def save(self, cache: LoadCache, commit: str) -> None:
        """Bring the kept load cache in line with ``cache`` (the load of ``commit``): new rows
        in, unused rows out."""
        results, checks = cache.export()
        new = [(path, sha, result_to_json(results[(path, sha)]))
               for path, sha in results.keys() - self._saved]
        gone = list(self._saved - results.keys())
        new_checks = [(*key, problems_to_json(checks[key]))
                      for key in checks.keys() - self._saved_checks]
        gone_checks = list(self._saved_checks - checks.keys())
        with self.db:
            self.db.executemany("DELETE FROM loaded WHERE path = ? AND sha = ?", gone)
            self.db.executemany("INSERT OR REPLACE INTO loaded VALUES (?, ?, ?)", new)
            self.db.executemany(
                "DELETE FROM checked WHERE path = ? AND digest = ? AND partials = ?", gone_checks)
            self.db.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?, ?, ?)", new_checks)
        self._saved, self._saved_checks = set(results), set(checks)
        self.saved_commit = commit
        self.last_error = None

    def close(self) -> None:
        self.db.close()
        self._lock.close()  # releases the flock


STALE_DAYS = 30.0  # a default cache directory unused this long is removed by the next server


def _lock(file: IO[bytes]) -> bool:
    """Take the exclusive lock of a cache directory; False when a server holds it. Without
    flock (not on POSIX) there is no lock: one server per directory is then on the user."""
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale(parent: Path, keep: Path, *, days: float = STALE_DAYS) -> list[Path]:
    """Remove the index caches under ``parent`` (the default location, one directory per
    repository and ref) that no server has written for ``days`` and none holds now; returns
    them. Directories that are not index caches (no ``version`` file) are left alone."""
    removed: list[Path] = []
    cutoff = time.time() - days * 86400
    try:
        candidates = [d for d in parent.iterdir() if d.is_dir() and not d.is_symlink()]
    except OSError:
        return removed
    for directory in candidates:
        if directory.resolve() == keep.resolve() or not (directory / "version").is_file():
            continue
        try:
            newest = max(f.stat().st_mtime for f in directory.iterdir())
            if newest > cutoff:
                continue
            with (directory / "lock").open("a+b") as lock:
                if not _lock(lock):
                    continue  # a server uses it
                shutil.rmtree(directory)
        except OSError as exc:
            log.warning("could not remove the stale index cache %s: %s", directory, exc)
            continue
        log.info("removed the index cache %s: no server has used it for %g days", directory,
                 days)
        removed.append(directory)
    return removed


def _remove(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path.parent / name)


def _clear(root: Path) -> None:
    for name in ("loaded.sqlite3", "search.sqlite3", "version"):
        _remove(root / name)
