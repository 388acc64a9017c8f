"""API keys and roles: who is calling, and which prompts they may see.

Keys live in a YAML file as a list of ``{name, role, team, sha256, created}``: only the SHA-256 of
a key is stored, and a presented key is hashed and compared with every stored hash in constant
time (``hmac.compare_digest``). The file has no FastAPI in it so that ``promptctl keys add``,
``list`` and ``revoke`` can use it. A running server re-reads the file when it changes (checked on
every request, by its mtime, size and inode), so a revoked key is refused from the next request.

When a key was last used is written by the server next to the keys file, in
``<keys file>.last-used.json`` (``{name: "2026-01-01T12:00:00Z"}``, at most once a second), so that
the keys file itself is only ever written by people; ``promptctl keys list`` reads both.

Roles: ``consumer`` sees prompts whose status is ``active`` and channel ``stable`` (DESIGN.md:
consumers see active only, so deprecated prompts are hidden from them too); ``contributor`` sees
every prompt (draft, deprecated, experimental); ``admin`` sees what a contributor sees and may
read usage summaries and trigger a refresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from promptctl.errors import UsageError
from promptctl.model import Prompt
from server.records import Summary

Role = Literal["consumer", "contributor", "admin"]
ROLES: tuple[Role, ...] = ("consumer", "contributor", "admin")


class KeysFileError(UsageError):
    """The keys file is missing, malformed, or the change asked of it is refused."""


@dataclass(frozen=True)
class Caller:
    name: str  # the key's name; "anonymous" without keys
    role: Role
    team: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


ANONYMOUS = Caller("anonymous", "consumer", None)


@dataclass(frozen=True)
class KeyRecord:
    name: str
    role: Role
    team: str | None
    sha256: str
    created: str | None = None  # UTC, ISO 8601; None for keys added before it was recorded

    def as_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "role": self.role, "team": self.team, "sha256": self.sha256}
        return data if self.created is None else {**data, "created": self.created}

    def public(self, last_used: str | None) -> dict[str, Any]:
        """What ``keys list`` shows: never the key or its hash."""
        return {"name": self.name, "role": self.role, "team": self.team,
                "created": self.created, "last_used": last_used}


def may_see(role: Role, prompt: Prompt | Summary) -> bool:
    if role == "consumer":
        return prompt.status == "active" and prompt.channel == "stable"
    return True


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """The keys of one file; ``find`` a presented key."""

    def __init__(self, records: list[KeyRecord]) -> None:
        self.records = records

    @classmethod
    def load(cls, path: Path) -> KeyStore:
        return cls(read_keys(path))

    def find(self, key: str) -> Caller | None:
        presented = hash_key(key)
        found: KeyRecord | None = None
        for record in self.records:  # no early exit: every comparison costs the same
            if hmac.compare_digest(presented, record.sha256) and found is None:
                found = record
        return None if found is None else Caller(found.name, found.role, found.team)


@dataclass
class UsageTimes:
    """When each key was last used, kept by the server and written to ``path`` at most once every
    ``interval`` seconds (and when it stops)."""

    path: Path
    interval: float = 1.0
    _pending: dict[str, str] = field(default_factory=dict)
    _written_at: float = float("-inf")
    _second: tuple[int, str] = (-1, "")  # ``now()`` of the last request: written once a second

    def used(self, name: str) -> None:
        second = int(time.time())
        if self._second[0] != second:
            self._second = (second, datetime.fromtimestamp(second, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"))
        self._pending[name] = self._second[1]
        if time.monotonic() - self._written_at >= self.interval:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        self._written_at = time.monotonic()
        merged = {**read_last_used(self.path), **pending}
        text = json.dumps(merged, indent=1, sort_keys=True) + "\n"
        _write_atomically(self.path, text, header=False, mode=0o644)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_used_path(keys_file: Path) -> Path:
    return keys_file.with_name(keys_file.name + ".last-used.json")


def read_last_used(path: Path) -> dict[str, str]:
    """``{key name: when}`` from a last-used file; empty when it is absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def list_keys(path: Path) -> list[dict[str, Any]]:
    """Every key of ``path`` with when it was created and last used (never the key or hash)."""
    used = read_last_used(last_used_path(path))
    return [record.public(used.get(record.name)) for record in read_keys(path)]


def read_keys(path: Path) -> list[KeyRecord]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeysFileError(f"keys file {path} does not exist; create it with "
                            "`promptctl keys add NAME --role consumer --team TEAM --keys "
                            f"{path}`") from None
    except OSError as exc:
        raise KeysFileError(f"cannot read keys file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KeysFileError(f"keys file {path} is not valid YAML ({exc}); fix it or recreate "
                            "it with `promptctl keys add`") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise KeysFileError(f"keys file {path} must be a list of {{name, role, team, sha256}}")
    records = []
    for number, item in enumerate(data, start=1):
        records.append(_record(path, number, item))
    names = [r.name for r in records]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise KeysFileError(f"keys file {path}: name(s) used twice: {', '.join(duplicates)}; "
                            "key names are unique")
    return records


def _record(path: Path, number: int, item: object) -> KeyRecord:
    where = f"keys file {path}, entry {number}"
    if not isinstance(item, dict):
        raise KeysFileError(f"{where}: expected a mapping with name, role, team and sha256")
    name, role, team, digest, created = (item.get(k) for k in ("name", "role", "team", "sha256",
                                                                "created"))
    if not isinstance(name, str) or not name:
        raise KeysFileError(f"{where}: `name` must be a non-empty string")
    if role not in ROLES:
        raise KeysFileError(f"{where} ({name}): `role` must be one of {', '.join(ROLES)}")
    if team is not None and not isinstance(team, str):
        raise KeysFileError(f"{where} ({name}): `team` must be a string")
    if not isinstance(digest, str) or len(digest) != 64 or not _is_hex(digest):
        raise KeysFileError(f"{where} ({name}): `sha256` must be the 64-hex-digit SHA-256 of the "
                            "key; add keys with `promptctl keys add`, never the key itself")
    if isinstance(created, datetime):  # YAML reads an unquoted timestamp as one
        created = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    if created is not None and not isinstance(created, str):
        raise KeysFileError(f"{where} ({name}): `created` must be a date-time like "
                            "2026-01-01T12:00:00Z, or be left out")
    return KeyRecord(name, role, team, digest.lower(), created)


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def add_key(path: Path, name: str, role: str, team: str | None) -> str:
    """Create a key, store its hash in ``path`` (created if absent), return the key itself."""
    if role not in ROLES:
        raise KeysFileError(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
    records = read_keys(path) if path.exists() else []
    if any(r.name == name for r in records):
        raise KeysFileError(f"a key named {name!r} already exists in {path}; pick another name, "
                            "or remove that entry from the file first to replace it")
    key = "pe_" + secrets.token_urlsafe(32)
    records.append(KeyRecord(name, role, team, hash_key(key), now()))
    _write_keys(path, records)
    return key


def revoke_key(path: Path, name: str) -> KeyRecord:
    """Remove the key called ``name`` from ``path``; a server using the file refuses it from its
    next request."""
    records = read_keys(path)
    kept = [r for r in records if r.name != name]
    if len(kept) == len(records):
        known = ", ".join(r.name for r in records) or "none"
        raise KeysFileError(f"keys file {path} has no key named {name!r} (its keys: {known}); "
                            "`promptctl keys list` shows them")
    _write_keys(path, kept)
    return next(r for r in records if r.name == name)


def _write_keys(path: Path, records: list[KeyRecord]) -> None:
    _write_atomically(path, yaml.safe_dump([r.as_dict() for r in records], sort_keys=False))


def _write_atomically(path: Path, text: str, *, header: bool = True, mode: int = 0o600) -> None:
    """Write next to the target and rename over it: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if header:
                handle.write("# API keys of the prompt server: SHA-256 hashes only.\n")
                handle.write("# Add keys with `promptctl keys add NAME --role R --team T`.\n")
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
