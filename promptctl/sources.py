"""Where prompt files come from: a work tree on disk, or a commit's tree read with pygit2.

Both yield the same ``SourceFile`` records for everything under ``prompts/`` so that one loader
serves the command line (work tree) and the read API (Git objects, no checkout, bare clones too).
Symbolic links are reported, never followed; files over the size bound are reported, not read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from promptctl.model import PROMPTS_DIR

MAX_FILE_BYTES = 1024 * 1024

Kind = Literal["file", "symlink", "oversize", "special"]


@dataclass(frozen=True)
class SourceFile:
    path: str  # repository-relative, posix
    data: bytes  # empty unless kind == "file"
    kind: Kind = "file"
    size: int = 0


class Source(Protocol):
    """Anything that can list the files under prompts/ with their bytes."""

    def files(self) -> Iterator[SourceFile]: ...

    def describe(self) -> str: ...


class WorkTreeSource:
    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"work tree {self.root}"

    def files(self) -> Iterator[SourceFile]:
        base = self.root / PROMPTS_DIR
        if base.is_symlink():
            yield SourceFile(PROMPTS_DIR, b"", "symlink")
            return
        if not base.is_dir():
            return
        for directory, dirnames, filenames in os.walk(base, followlinks=False):
            dirnames.sort()
            rel_dir = Path(directory).relative_to(self.root).as_posix()
            for name in list(dirnames):
                if (Path(directory) / name).is_symlink():
                    dirnames.remove(name)
                    yield SourceFile(f"{rel_dir}/{name}", b"", "symlink")
            for name in sorted(filenames):
                yield self._read(Path(directory) / name, f"{rel_dir}/{name}")

    def read(self, rel: str) -> SourceFile:
        """One file, by its repository-relative path (what ``files`` yields for it)."""
        return self._read(self.root / rel, rel)

    def _read(self, full: Path, rel: str) -> SourceFile:
        info = full.lstat()
        if stat.S_ISLNK(info.st_mode):
            return SourceFile(rel, b"", "symlink")
        if not stat.S_ISREG(info.st_mode):
            return SourceFile(rel, b"", "special")
        if info.st_size > MAX_FILE_BYTES:
            return SourceFile(rel, b"", "oversize", info.st_size)
        data = full.read_bytes()
        return SourceFile(rel, data, "file", len(data))


class GitTreeSource:
    """The prompts/ tree of one commit, read from Git objects without a checkout (through
    ``promptctl.gitreader``, which every Git read goes through)."""

    def __init__(self, repo_path: Path, ref: str = "HEAD") -> None:
        from promptctl.gitreader import GitRepository

        self.repo_path = repo_path
        self.ref = ref
        self.git = GitRepository(repo_path)
        self.commit_id = self.git.commit_id(ref)

    def describe(self) -> str:
        return f"{self.ref} ({self.commit_id[:12]}) of {self.repo_path}"

    def read(self, path: str) -> bytes | None:
        """The bytes of one file of the commit (e.g. promptctl.yaml), or None if it has none."""
        return self.git.read_file(self.commit_id, path)

    def files(self) -> Iterator[SourceFile]:
        for file in self.git.tree_files(self.commit_id):
            yield self.git.read(file)


class FileList:
    """A source over files already read (``Library.load`` takes any source)."""

    def __init__(self, files: list[SourceFile], name: str) -> None:
        self._files = files
        self._name = name

    def files(self) -> Iterator[SourceFile]:
        return iter(self._files)

    def describe(self) -> str:
        return self._name
