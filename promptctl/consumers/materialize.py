"""The files of each target, as a function of the locked packages only (no clock, no host).

- ``raw``: the prompt file at ``<dir>/<id><suffix>`` and the partials it includes beside it
  (``<dir>/_partials/...``), a small prompt library;
- a format (``skills``, ``claude-commands``, ``copilot``, ...): what ``promptctl.formats``
  exports for the prompt, rendered with its own partials, under ``<dir>``.

Where a format cannot express a prompt faithfully, the prompt is skipped for that target (or
embedded, where the target says ``unfaithful: embed``) and a note says why; no file that means
something else is written. Two prompts that need one path with different bytes are an error.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from promptctl.consumers.files import write_atomic
from promptctl.consumers.packages import Package, sha256
from promptctl.consumers.references import Target
from promptctl.errors import PromptctlError
from promptctl.model import PROMPTS_DIR


class MaterializeError(PromptctlError):
    """Two prompts want one file with different contents, or a format is unavailable."""


@dataclass
class Materialized:
    files: dict[str, bytes] = field(default_factory=dict)  # repository-relative path -> bytes
    notes: list[str] = field(default_factory=list)  # prompts skipped or embedded, and why
    _owner: dict[str, str] = field(default_factory=dict)  # path -> the prompt that wrote it

    def add(self, path: str, data: bytes, owner: str) -> None:
        parts = path.split("/")
        if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
            raise MaterializeError(f"{owner}: {path[:200]!r} is not a path inside the "
                                   "repository; nothing was written")
        if path in self.files and self.files[path] != data:
            raise MaterializeError(
                f"{path}: {self._owner[path]} and {owner} need different contents here; lock "
                "them at versions that agree, or give one of the targets its own dir")
        self.files[path] = data
        self._owner.setdefault(path, owner)

    def digests(self) -> dict[str, str]:
        return {path: sha256(data) for path, data in sorted(self.files.items())}


def materialize(packages: list[Package], targets: tuple[Target, ...]) -> Materialized:
    out = Materialized()
    for target in targets:
        for package in sorted(packages, key=lambda p: p.id):
            owner = f"{package.id}@{package.version}"
            if target.format == "raw":
                _raw(out, target, package, owner)
            else:
                _exported(out, target, package, owner)
    return out


def _raw(out: Materialized, target: Target, package: Package, owner: str) -> None:
    relative = package.path.removeprefix(f"{PROMPTS_DIR}/")
    out.add(f"{target.dir}/{relative}", package.source.encode("utf-8"), owner)
    for name, text in package.partials.items():
        out.add(f"{target.dir}/{name}", text.encode("utf-8"), owner)


def _exported(out: Materialized, target: Target, package: Package, owner: str) -> None:
    try:
        from promptctl.formats import export_prompt
    except ImportError:
        raise MaterializeError(f"target {target.format}: this promptctl cannot write that "
                               "format; upgrade it, or use the raw target") from None
    exported = export_prompt(package.load(), target.format, renderer=package.renderer(),
                             unfaithful=target.unfaithful)
    if exported.problem is not None:
        done = "embedded with instructions" if exported.embedded else "skipped"
        if not exported.files:
            done = "skipped"
        out.notes.append(f"{owner}: {done} for {target.dir} ({target.format}): "
                         f"{exported.problem}")
    for relative, data in sorted(exported.files.items()):
        out.add(f"{target.dir}/{relative}", data, owner)


def write(root: Path, wanted: Materialized, previous: dict[str, str]) -> tuple[int, int]:
    """Write the files that differ and remove those a previous sync wrote that are no longer
    wanted (never any other file). Returns (written, removed)."""
    written = removed = 0
    for relative, data in sorted(wanted.files.items()):
        path = root / relative
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        write_atomic(path, data)
        written += 1
    for relative in sorted(set(previous) - set(wanted.files)):
        path = root / relative
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
        _prune(root, path.parent)
    return written, removed


def _prune(root: Path, folder: Path) -> None:
    """Remove folders left empty by a removal, up to (not including) the repository root."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def differences(root: Path, digests: dict[str, str]) -> list[str]:
    """Materialized files that are missing or differ from ``digests``."""
    found = []
    for relative, digest in sorted(digests.items()):
        try:
            if sha256((root / relative).read_bytes()) != digest:
                found.append(f"{relative}: changed since sync")
        except FileNotFoundError:
            found.append(f"{relative}: missing")
        except OSError as exc:
            found.append(f"{relative}: unreadable ({exc.strerror})")
    return found
