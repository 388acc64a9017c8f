"""What a server computed about its prompts, kept on disk so that a restart does not redo it.

A first build of a large library spends seconds loading and checking prompts and indexing their
text. Both results depend only on the files (see ``server.records``), so the server keeps them in
a directory of its own:

- ``index.sqlite3``: each prompt file's record (its summary and problems, a few hundred bytes
  of JSON), keyed by path and blob id; a restart reads these rows and examines only the files
  whose blobs it does not find;
- ``search/``: the search index itself (``server.search``), with the digest of each document's
  file, so that a restart re-indexes only the prompts whose files changed meanwhile;
- ``version``: which code wrote them. Any change to promptctl's sources, the schemas, the
  server's records and search, or the libraries that judge a prompt (PyYAML, jsonschema,
  Jinja2) empties the directory: a cached verdict is only reused by the code that reached it.

One server uses a directory at a time (an exclusive lock on ``lock``); a second one started on
it runs without, and says so. A row that cannot be read is dropped and its file examined again,
never trusted. JSON, not pickle: reading a pickle runs whatever it names, and the directory is
only as trusted as its permissions.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

import zstandard

from server.cache import Lru
from server.records import FileRecord

log = logging.getLogger("promptctl.server.store")

FORMAT = "3"  # 3: the texts compressed with zstd (2: zlib)
TEXT_LEVEL = 3  # zstd's default: zlib's size at a quarter of its time, decompressed 2.5x faster
_JUDGES = ("pyyaml", "jsonschema", "jsonschema-rs", "jinja2")


@functools.cache
def code_version() -> str:
    """A digest of the code and schemas that decide what a prompt file loads to."""
    import promptctl
    from promptctl.schema import schemas_dir

    digest = hashlib.sha256(FORMAT.encode())
    package = Path(promptctl.__file__).parent
    server = Path(__file__).parent
    judged = [*package.rglob("*.py"), *schemas_dir().glob("*.json"), server / "records.py",
              server / "search.py"]
    for path in sorted(judged):
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
        self.db = sqlite3.connect(root / "index.sqlite3", check_same_thread=False)
        # Pages freed by a save go back to the file (set before the first table exists).
        self.db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS records (path TEXT, blob TEXT, record TEXT, "
                        "PRIMARY KEY (path, blob)) WITHOUT ROWID")
        # Each prompt file's text, compressed (zstd: decision 0012), for search snippets: a
        # blob read from a packed repository costs 50-150 us (delta chains), a row here 15-20.
        # A rowid table: rows of a few kilobytes leave WITHOUT ROWID pages half empty.
        self.db.execute("CREATE TABLE IF NOT EXISTS texts (blob TEXT PRIMARY KEY, text BLOB)")
        # What the search index holds (id -> digest), as of its commit ``opstamp``.
        self.db.execute("CREATE TABLE IF NOT EXISTS searched (opstamp INTEGER, digests TEXT)")
        self._texts = {sys.intern(blob) for (blob,) in self.db.execute("SELECT blob FROM texts")}
        # Snippets are read on request threads while the reloader writes: a connection of
        # their own (WAL lets it read while the other writes).
        self._kept = KeptTexts(root)
        self._saved: Mapping[tuple[str, str], FileRecord] = {}  # the builder's, not a copy
        self.saved_commit: str | None = None  # the commit whose records were last written
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
        return self.root / "search"

    def restore(self) -> dict[tuple[str, str], FileRecord]:
        """The records kept: (path, blob) -> record. Rows that do not read back are left out
        (their files are simply examined again)."""
        records: dict[tuple[str, str], FileRecord] = {}
        try:
            for path, blob, text in self.db.execute("SELECT path, blob, record FROM records"):
                try:
                    # Interned, as the record's own (``FileRecord.from_fields``) and the walk's.
                    records[(sys.intern(path), sys.intern(blob))] = FileRecord.from_fields(
                        json.loads(text))
                except (ValueError, KeyError, TypeError):
                    continue
        except sqlite3.Error as exc:
            log.warning("index cache %s unreadable (%s); loading from scratch", self.root, exc)
            return {}
        self._saved = records  # not copied: the builder never changes a build's records
        return records

    def save(self, records: Mapping[tuple[str, str], FileRecord], commit: str) -> None:
        """Bring the kept records in line with ``records`` (the build of ``commit``): new rows
        in, unused rows out."""
        saved = self._saved
        new = [(path, blob, json.dumps(record.fields(), ensure_ascii=False,
                                       separators=(",", ":")))
               for (path, blob), record in records.items() if saved.get((path, blob)) is not record]
        gone = [key for key in saved if key not in records]
        with self.db:
            self.db.executemany("DELETE FROM records WHERE path = ? AND blob = ?", gone)
            self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", new)
        self._saved = records
        self.last_error = None

    def save_searched(self, opstamp: int, digests: Mapping[str, str]) -> None:
        """What the search index holds (id -> digest) at its commit ``opstamp``."""
        with self.db:
            self.db.execute("DELETE FROM searched")
            self.db.execute("INSERT INTO searched VALUES (?, ?)",
                            (opstamp, json.dumps(digests, separators=(",", ":"))))

    def searched(self, opstamp: int | None) -> dict[str, str] | None:
        """What ``save_searched`` kept, if the search index is still at ``opstamp``."""
        if opstamp is None:
            return None
        try:
            row = self.db.execute("SELECT digests FROM searched WHERE opstamp = ?",
                                  (opstamp,)).fetchone()
            found = None if row is None else json.loads(row[0])
        except (sqlite3.Error, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def text(self, blob: str) -> str | None:
        """The kept text of the prompt file ``blob``, or None."""
        return self._kept.text(blob) if blob in self._texts else None

    def keep_texts(self, blobs: Iterable[str], read: Callable[[str], str | None],
                   stop: threading.Event | None = None) -> int:
        """Keep the texts of ``blobs`` not kept yet (``read`` gives one), in small
        transactions; drop those of other blobs. Returns how many were added."""
        wanted = set(blobs)
        gone = [(blob,) for blob in self._texts - wanted]
        if gone:
            with self.db:
                self.db.executemany("DELETE FROM texts WHERE blob = ?", gone)
            self._texts -= {blob for (blob,) in gone}
        added = 0
        batch: list[tuple[str, bytes]] = []
        compressor = zstandard.ZstdCompressor(level=TEXT_LEVEL)  # one per call: not shared
        for blob in wanted - self._texts:
            if stop is not None and stop.is_set():
                break
            text = read(blob)
            if text is not None:
                batch.append((blob, compressor.compress(text.encode("utf-8"))))
            if len(batch) >= 500:
                added += self._add_texts(batch)
                batch = []
        return added + self._add_texts(batch)

    def compact(self) -> None:
        """Give the pages that saves freed back to the system, and fold the write-ahead log
        into the file."""
        self.db.execute("PRAGMA incremental_vacuum")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _add_texts(self, batch: list[tuple[str, bytes]]) -> int:
        if batch:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO texts VALUES (?, ?)", batch)
            self._texts.update(blob for blob, _text in batch)
        return len(batch)

    def close(self) -> None:
        self._kept.close()
        self.db.close()
        self._lock.close()  # releases the flock


class KeptTexts:
    """Reads the prompts' kept texts of the index cache in ``root``: for the server's store, and
    for the search workers (``server.searchpool``) in their own processes, read-only, while the
    server writes (WAL)."""

    # The texts read last, decoded (a row costs about 10 us, decompressing it 5-10 us): a
    # search typed a letter at a time returns the same prompts for several queries. Shared by
    # the readers of a process, as a blob id names its content; a few MiB at most.
    _recent: Lru[str] = Lru(4 << 20, weigh=sys.getsizeof)

    def __init__(self, root: Path) -> None:
        self._uri = (root.resolve() / "index.sqlite3").as_uri() + "?mode=ro"
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # request threads share the connection and decompressor
        self._decompressor = zstandard.ZstdDecompressor()  # reused: a new one costs ~10 us

    def text(self, blob: str) -> str | None:
        found = self._recent.get(blob)
        if found is not None:
            return found
        try:
            with self._lock:
                if self._db is None:
                    self._db = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
                row = self._db.execute("SELECT text FROM texts WHERE blob = ?",
                                       (blob,)).fetchone()
                data = None if row is None else self._decompressor.decompress(row[0])
            found = None if data is None else data.decode("utf-8")
        except (sqlite3.Error, zstandard.ZstdError, UnicodeDecodeError):
            return None
        if found is not None:
            self._recent.put(blob, found)
        return found

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


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
    # loaded.sqlite3 and search.sqlite3: what servers before FORMAT 2 kept
    for name in ("index.sqlite3", "loaded.sqlite3", "search.sqlite3", "version"):
        _remove(root / name)
    shutil.rmtree(root / "search", ignore_errors=True)
