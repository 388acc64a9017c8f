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
from typing import Any, Literal, Protocol

from promptctl.errors import RepositoryError
from promptctl.model import PROMPTS_DIR

MAX_FILE_BYTES = 1024 * 1024

Kind = Literal["file", "symlink", "oversize", "special"]


@dataclass(frozen=True)
class SourceFile:
    path: str  # repository-relative, posix
    data: bytes  # empty unless kind == "file"
    kind: Kind = "file"
    size: int = 0


def blob_file(rel: str, odb: Any, blob_id: Any) -> SourceFile:
    """The ``SourceFile`` of the blob ``blob_id`` of a pygit2 object database (``repo.odb``) at
    ``rel``: its bytes, or "oversize" past the bound (known from the header, before reading).

    Read from the database straight, without a ``Blob`` object: half the time of
    ``repo[blob_id].data``, which counts over a library of thousands of prompts."""
    _kind, size = odb.read_header(blob_id)
    if size > MAX_FILE_BYTES:
        return SourceFile(rel, b"", "oversize", size)
    return SourceFile(rel, odb.read(blob_id)[1], "file", size)


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
    """The prompts/ tree of one commit, read from Git objects without a checkout."""

    def __init__(self, repo_path: Path, ref: str = "HEAD") -> None:
        import pygit2  # imported here: the work-tree path of the CLI never needs it

        self.repo_path = repo_path
        self.ref = ref
        try:
            self.repo = pygit2.Repository(str(repo_path))
        except (pygit2.GitError, KeyError) as exc:
            raise RepositoryError(
                f"{repo_path} is not a Git repository ({exc}); pass --repo with a clone's path"
            ) from None
        try:
            commit = self.repo.revparse_single(ref).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            raise RepositoryError(
                f"{ref!r} names no commit in {repo_path}; pass an existing branch, tag or commit"
            ) from None
        self.commit_id = str(commit.id)
        self.tree = commit.tree

    def describe(self) -> str:
        return f"{self.ref} ({self.commit_id[:12]}) of {self.repo_path}"

    def read(self, path: str) -> bytes | None:
        """The bytes of one file of the commit (e.g. promptctl.yaml), or None if it has none."""
        import pygit2

        if path not in self.tree:
            return None
        blob = self.repo[self.tree[path].id]
        return bytes(blob.data) if isinstance(blob, pygit2.Blob) else None

    def files(self) -> Iterator[SourceFile]:
        import pygit2

        if PROMPTS_DIR not in self.tree:
            return
        top = self.tree[PROMPTS_DIR]
        if top.filemode == pygit2.enums.FileMode.LINK:
            yield SourceFile(PROMPTS_DIR, b"", "symlink")
            return
        if not isinstance(top, pygit2.Tree):
            return
        stack: list[tuple[str, pygit2.Tree]] = [(PROMPTS_DIR, top)]
        while stack:
            prefix, tree = stack.pop()
            entries = sorted(tree, key=lambda e: e.name or "")
            for entry in entries:
                rel = f"{prefix}/{entry.name}"
                mode = entry.filemode
                if mode == pygit2.enums.FileMode.TREE:
                    subtree = self.repo[entry.id]
                    assert isinstance(subtree, pygit2.Tree)
                    stack.append((rel, subtree))
                elif mode == pygit2.enums.FileMode.LINK:
                    yield SourceFile(rel, b"", "symlink")
                elif mode in (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE):
                    yield blob_file(rel, self.repo.odb, entry.id)
                else:  # a submodule (commit entry): nothing to read
                    yield SourceFile(rel, b"", "special")
