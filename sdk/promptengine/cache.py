"""The client's disk cache: the server's last good answer per (server, key, prompt, version).

One small JSON file per entry under ``$XDG_CACHE_HOME/prompt-engine/client`` (``~/.cache`` by
default), written atomically (a temporary file, then a rename), so a crash never leaves half an
entry and several processes can share the folder. A file's modification time is when the
server last confirmed it (200, or 304 to ``If-None-Match``). The folder is bounded in bytes: a
write that takes it past ``max_bytes`` removes the least recently confirmed entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def default_directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prompt-engine" / "client"


def entry_key(base_url: str, api_key: str | None, ref: str, version: str | None) -> str:
    """File name of an entry: the key is hashed, never written (what one key sees is not what
    another sees, so each key has its own entries)."""
    who = hashlib.sha256((api_key or "").encode("utf-8")).hexdigest()
    text = "\0".join((base_url, who, ref, version or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stored:
    detail: dict[str, Any]  # the server's JSON for GET /api/v1/prompts/{id}
    etag: str | None
    confirmed: float  # Unix time the server last confirmed it


class DiskCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def read(self, key: str) -> Stored | None:
        path = self._path(key)
        try:
            confirmed = path.stat().st_mtime
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                path.unlink()  # unreadable or not ours: refetch
            return None
        if not (isinstance(data, dict) and data.get("format") == FORMAT
                and isinstance(data.get("detail"), dict)):
            return None
        etag = data.get("etag")
        return Stored(data["detail"], etag if isinstance(etag, str) else None, confirmed)

    def write(self, key: str, stored: Stored) -> None:
        """Best effort: a cache that cannot be written (read-only home, full disk) is skipped."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            body = json.dumps({"format": FORMAT, "etag": stored.etag, "detail": stored.detail},
                              ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(body)
                os.utime(temporary, (stored.confirmed, stored.confirmed))
                os.replace(temporary, self._path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self._bound()
        except OSError:
            return

    def confirm(self, key: str, when: float) -> None:
        """The server answered 304: the entry is current as of ``when``."""
        with contextlib.suppress(OSError):
            os.utime(self._path(key), (when, when))

    def forget(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()

    def _bound(self) -> None:
        entries = []
        total = 0
        for path in self.directory.glob("*.json"):
            try:
                info = path.stat()
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
            total += info.st_size
        if total <= self.max_bytes:
            return
        for _mtime, size, path in sorted(entries):
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
            if total <= self.max_bytes:
                return
