"""Git, read in one place: open a repository and a ref, walk a tree, read a blob, follow a path.

Everything that reads prompts from Git (the command line's Git source, ``history``, ``check``,
the server's index and its version resolver) asks this module, so a repository that does not
open and a ref that names no commit each have one message, and a file past the size bound is
refused before it is read, wherever it is read.

- ``GitRepository.tree_files`` lists the files under ``prompts/`` of a commit (path, blob id,
  kind) from tree objects alone; a ``TreeCache`` reuses the listing of every subtree whose
  object id it has seen, so successive commits of one branch cost what changed between them.
- ``GitRepository.read`` gives a ``SourceFile``: the blob's bytes, or "oversize" known from
  the object header, unread.
- ``GitRepository.path_log`` is the first-parent history of a path: the commits where its blob
  changed. It runs ``git log`` where Git is installed: libgit2 has no path-limited walk, and
  reading every commit's trees took 2.7 s over 5,000 commits of 10,000 prompts where
  ``git log`` takes 0.1-0.4 s (docs/decisions/0006-server-start.md). Without ``git`` it walks
  the first-parent line with pygit2, reusing each tree lookup by object id.
  ``start_path_log`` starts the same log at once, to be read later (a ``PathLog``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern
from typing import Any

from promptctl.errors import RepositoryError
from promptctl.model import PROMPTS_DIR
from promptctl.sources import MAX_FILE_BYTES, Kind, SourceFile, WorkTreeSource

GIT_LOG_TIMEOUT_SECONDS = 300  # for git to exit once its output is read


@dataclass(frozen=True)
class TreeFile:
    """A file of a tree: its path, its blob id (None for what is not a blob), its kind."""

    path: str
    blob: str | None
    kind: Kind = "file"  # "file", "symlink" or "special"


@dataclass(frozen=True)
class PathChange:
    """A commit of the first-parent line where ``path``'s blob changed (None: deleted)."""

    commit: str
    path: str
    blob: str | None


@dataclass
class TreeCache:
    """The listing of each subtree of the last walk, by (path, tree id): a later walk of the
    same branch reads only the subtrees that changed. One walk's subtrees are kept at a time."""

    subtrees: dict[tuple[str, str], list[TreeFile]] = field(default_factory=dict)


def git_blob_id(data: bytes) -> str:
    """The object id Git gives a blob of ``data`` (SHA-1 repositories)."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


def bound_pack_maps(window: int = 2 << 20, total: int = 16 << 20) -> None:
    """Map packs ``window`` bytes at a time and keep ``total`` bytes mapped at most, in this
    process. libgit2 maps a pack 1 GiB at a time and unmaps nothing below 8 GiB: a process that
    reads every blob once (a server keeping its prompts' texts) goes on holding the whole pack
    in its resident memory (22 MiB for 10,000 prompts and 5,000 commits). Reads are as fast."""
    import pygit2

    pygit2.settings.mwindow_size = window
    pygit2.settings.mwindow_mapped_limit = total


class GitRepository:
    """One repository, opened with pygit2 (bare clones too)."""

    def __init__(self, path: Path) -> None:
        import pygit2

        self.path = path
        try:
            self.repo = pygit2.Repository(str(path))
        except (pygit2.GitError, KeyError, OSError) as exc:
            raise RepositoryError(f"{path} is not a readable Git repository ({exc}); check "
                                  "that the path exists and is a clone, or pass --repo PATH"
                                  ) from None

    @property
    def workdir(self) -> Path | None:
        found = self.repo.workdir
        return Path(found) if found else None

    def commit_id(self, ref: str) -> str:
        """The commit ``ref`` (a branch, tag, commit id or expression) names now."""
        import pygit2

        try:
            return str(self.repo.revparse_single(ref).peel(pygit2.Commit).id)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError, OSError):
            raise RepositoryError(f"{ref!r} names no commit in {self.path}; pass an existing "
                                  "branch, tag or commit (fetch it first if it is remote)"
                                  ) from None

    def commit(self, commit_id: str) -> Any:
        return self.repo[commit_id]

    def find_commit(self, spec: str) -> Any:
        """The commit an object id or unique prefix names, or None (ambiguous, not a commit)."""
        import pygit2

        try:
            found = self.repo.get(spec)
        except (ValueError, pygit2.GitError):
            return None
        return found if isinstance(found, pygit2.Commit) else None

    def reaches(self, head: str, commit: str) -> bool:
        """Whether ``commit`` is ``head`` or one of its ancestors."""
        import pygit2

        return head == commit or bool(self.repo.descendant_of(pygit2.Oid(hex=head),
                                                               pygit2.Oid(hex=commit)))

    # --- trees and blobs ----------------------------------------------------------------------

    def entry(self, commit_id: str, path: str) -> tuple[str, Kind] | None:
        """(object id, kind) of ``path`` in the commit's tree, or None where it has none."""
        import pygit2

        try:
            found = self.repo[commit_id].tree[path]
        except KeyError:
            return None
        return str(found.id), _kind(found.filemode, pygit2)

    def tree_files(self, commit_id: str, top: str = PROMPTS_DIR,
                   cache: TreeCache | None = None) -> list[TreeFile]:
        """Every file under ``top`` in the commit, sorted by path within each folder. With
        ``cache``, subtrees seen by its last walk are not read again, and it then holds this
        walk's subtrees only."""
        import pygit2

        tree = self.repo[commit_id].tree
        if top not in tree:
            return []
        entry = tree[top]
        if entry.filemode == pygit2.enums.FileMode.LINK:
            return [TreeFile(top, None, "symlink")]
        if entry.filemode != pygit2.enums.FileMode.TREE:
            return []
        fresh: dict[tuple[str, str], list[TreeFile]] = {}
        files = self._walk(top, str(entry.id), cache.subtrees if cache else {}, fresh)
        if cache is not None:
            cache.subtrees = fresh
        return files

    def _walk(self, prefix: str, tree_id: str, known: dict[tuple[str, str], list[TreeFile]],
              fresh: dict[tuple[str, str], list[TreeFile]]) -> list[TreeFile]:
        key = (prefix, tree_id)
        found = known.get(key) or fresh.get(key)
        if found is not None:
            fresh[key] = found
            self._keep_subtrees(prefix, found, known, fresh)
            return found
        walked: list[TreeFile] = []
        # Git keeps a tree's entries sorted by name, a folder's as if it ended in "/": sorted
        # again by name alone, as the work tree lists them.
        tree: Any = self.repo[tree_id]
        for item in sorted(tree, key=lambda e: e.name or ""):
            rel = f"{prefix}/{item.name}"
            mode = item.filemode
            if mode == _TREE:
                walked.extend(self._walk(rel, str(item.id), known, fresh))
            elif mode in _BLOB_MODES:
                # Interned: a server's records and summaries of these files hold the same path
                # and blob id (100,000 prompts held each three times, 30 MiB).
                walked.append(TreeFile(intern(rel), intern(str(item.id))))
            else:
                walked.append(TreeFile(rel, None, "symlink" if mode == _LINK else "special"))
        fresh[key] = walked
        return walked

    @staticmethod
    def _keep_subtrees(prefix: str, files: list[TreeFile],
                       known: dict[tuple[str, str], list[TreeFile]],
                       fresh: dict[tuple[str, str], list[TreeFile]]) -> None:
        """A reused subtree keeps its own subtrees in the cache too (the next walk may find one
        of them unchanged where this one changed)."""
        start = prefix + "/"
        for key, listing in known.items():
            if key[0].startswith(start) and key not in fresh:
                fresh[key] = listing

    def read(self, file: TreeFile) -> SourceFile:
        """The file's bytes, or what it is where it is not read: a link, a special file, a
        blob over ``MAX_FILE_BYTES`` (its size from the object header)."""
        if file.kind != "file" or file.blob is None:
            return SourceFile(file.path, b"", file.kind)
        import pygit2

        oid = pygit2.Oid(hex=file.blob)
        _type, size = self.repo.odb.read_header(oid)
        if size > MAX_FILE_BYTES:
            return SourceFile(file.path, b"", "oversize", size)
        return SourceFile(file.path, self.repo.odb.read(oid)[1], "file", size)

    def blob(self, blob_id: str, *, limit: int = MAX_FILE_BYTES) -> bytes:
        """A blob's bytes; ``RepositoryError`` for what is not a blob or is over ``limit``."""
        import pygit2

        try:
            oid = pygit2.Oid(hex=blob_id)
            kind, size = self.repo.odb.read_header(oid)
        except (ValueError, KeyError, pygit2.GitError):
            raise RepositoryError(f"{blob_id} is not a file in {self.path}") from None
        if kind != pygit2.enums.ObjectType.BLOB:
            raise RepositoryError(f"{blob_id} is not a file in {self.path}")
        if size > limit:
            raise RepositoryError(f"{blob_id} in {self.path} is {size:,} bytes, over the "
                                  f"{limit:,}-byte limit")
        return bytes(self.repo.odb.read(oid)[1])

    def read_file(self, commit_id: str, path: str) -> bytes | None:
        """The bytes of one file of a commit (e.g. promptctl.yaml), or None where it has none."""
        found = self.entry(commit_id, path)
        if found is None or found[1] != "file":
            return None
        return self.blob(found[0])

    def work_tree_files(self, top: str = PROMPTS_DIR) -> list[TreeFile]:
        """The work tree's files under ``top`` with their blob ids, as ``git status`` sees
        them: the index's id for a file whose stat data says it is unchanged, the bytes on disk
        hashed for a file that is modified, untracked or ignored. Reading and hashing every file
        instead took 3.4 s at 10,000 prompts on a loaded machine; this takes a tenth of that."""
        import pygit2

        root = self.workdir
        if root is None:
            raise RepositoryError(f"{self.path} is a bare repository: it has no work tree; "
                                  "pass --head REF")
        prefix = top + "/"
        files: dict[str, TreeFile] = {}
        for entry in self.repo.index:
            if entry.path.startswith(prefix):
                mode = entry.mode
                files[entry.path] = (TreeFile(entry.path, str(entry.id)) if mode in _BLOB_MODES
                                     else TreeFile(entry.path, None,
                                                   "symlink" if mode == _LINK else "special"))
        statuses = self.repo.status(untracked_files="all", ignored=True)
        on_disk = (pygit2.enums.FileStatus.WT_NEW | pygit2.enums.FileStatus.WT_MODIFIED
                   | pygit2.enums.FileStatus.WT_TYPECHANGE | pygit2.enums.FileStatus.IGNORED
                   | pygit2.enums.FileStatus.CONFLICTED | pygit2.enums.FileStatus.WT_UNREADABLE)
        disk = WorkTreeSource(root)
        for path, flags in statuses.items():
            if not (path.startswith(prefix) or path.rstrip("/") == top):
                continue
            if flags & pygit2.enums.FileStatus.WT_DELETED:
                files.pop(path, None)
            elif flags & on_disk:
                if path.endswith("/"):  # a folder git does not look into (ignored)
                    found = [f for f in disk.files() if f.path.startswith(path)]
                else:
                    found = [disk.read(path)]
                for file in found:
                    files[file.path] = TreeFile(
                        file.path, git_blob_id(file.data) if file.kind == "file" else None,
                        file.kind)
        if (root / top).is_symlink():
            return [TreeFile(top, None, "symlink")]
        return sorted(files.values(), key=lambda f: f.path)

    # --- history -----------------------------------------------------------------------------

    def first_parents(self, head: str) -> Iterator[Any]:
        """The commits of ``head``'s first-parent line, newest first."""
        import pygit2

        walker = self.repo.walk(pygit2.Oid(hex=head), pygit2.enums.SortMode.NONE)
        walker.simplify_first_parent()
        return iter(walker)

    def path_log(self, head: str, paths: Iterable[str]) -> Iterator[PathChange]:
        """The commits of ``head``'s first-parent line where one of ``paths`` changed, newest
        first, each with the path's new blob id (None where it was deleted). The changes come
        as ``git log`` finds them, so the caller's work on each overlaps with the walk."""
        with self.start_path_log(head, paths) as log:
            yield from log.read(self)

    def start_path_log(self, head: str, paths: Iterable[str]) -> PathLog:
        """``path_log``'s answer, its ``git log`` started now and read later (``read``): git
        walks the history on another core while the caller goes on."""
        return PathLog(["--git-dir", self.repo.path], head, paths)

    def _walk_log(self, head: str, paths: list[str]) -> Iterator[PathChange]:
        """The same answer as ``git log``, from a pygit2 walk: each commit's entry for each
        path, looked up through trees remembered by object id."""
        lookups: dict[tuple[str, str], str | None] = {}

        def entry_id(tree_id: str, parts: list[str]) -> str | None:
            current: str | None = tree_id
            for part in parts:
                if current is None:
                    return None
                key = (current, part)
                if key not in lookups:
                    try:
                        tree: Any = self.repo[current]
                        lookups[key] = str(tree[part].id)
                    except (KeyError, TypeError, ValueError):
                        lookups[key] = None
                current = lookups[key]
            return current

        split = [(path, path.split("/")) for path in paths]
        states: list[tuple[str, list[str | None]]] = []
        for commit in self.first_parents(head):
            tree_id = str(commit.tree_id)
            states.append((str(commit.id), [entry_id(tree_id, parts) for _path, parts in split]))
        for position, (commit_id, blobs) in enumerate(states):
            before = states[position + 1][1] if position + 1 < len(states) else [None] * len(blobs)
            for (path, _parts), blob, old in zip(split, blobs, before, strict=True):
                if blob != old:
                    yield PathChange(commit_id, path, blob)


class PathLog:
    """A path log being read: ``git log`` runs from the moment this is made, ``read`` gives its
    changes (a pygit2 walk where git is missing or fails before printing). Read it once;
    ``close`` (or leaving a ``with`` block) ends a git that is still walking."""

    def __init__(self, where: list[str], head: str, paths: Iterable[str]) -> None:
        """``where``: git's options naming the repository (``--git-dir DIR`` or ``-C ROOT``)."""
        self.head = head
        self.paths = list(dict.fromkeys(paths))
        self._process = _start_git(
            [*where, "--literal-pathspecs", "-c", "log.showRoot=true",
             "-c", "log.showSignature=false", "-c", "core.quotePath=false",
             "-c", f"core.deltaBaseCacheLimit={_LOG_CACHE}",
             "log", "--first-parent", "--diff-merges=first-parent", "--raw", "-z",
             "--no-renames", "--no-abbrev", "--format=%x01%H", head, "--", *self.paths])
        self._read = False

    def __enter__(self) -> PathLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def read(self, git: GitRepository) -> Iterator[PathChange]:
        """The changes, as git prints them (``git``: the repository the log is of, walked with
        pygit2 where git cannot answer)."""
        if self._read:
            raise RuntimeError("a path log is read once")
        self._read = True
        if self._process is not None:
            try:
                yield from self._read_git(self._process, git.path)
                return
            except _GitLogFailed:
                pass  # nothing was yielded: git fails before it prints
        yield from git._walk_log(self.head, self.paths)

    def _read_git(self, process: subprocess.Popen[bytes], where: Path) -> Iterator[PathChange]:
        """The changes ``git log`` prints, as it prints them; ``_GitLogFailed`` where git cannot
        answer (too old for ``--diff-merges``, or failing), so that the caller walks instead."""
        assert process.stdout is not None
        commit = ""
        pending = b""
        status: bytes | None = None  # a raw line whose path token is still to come
        try:
            while True:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                tokens = (pending + chunk).split(b"\0")
                pending = tokens.pop()  # the last one may be cut short
                for raw in tokens:
                    if status is not None:
                        new = status.split()[3].decode("ascii")
                        yield PathChange(commit, raw.decode("utf-8", "surrogateescape"),
                                         None if set(new) == {"0"} else new)
                        status = None
                        continue
                    token = raw.lstrip(b"\n")
                    if token.startswith(b"\x01"):
                        commit = token[1:].decode("ascii").strip()
                    elif token.startswith(b":"):  # ":100644 100644 <old> <new> M", then the path
                        status = token
        finally:
            process.stdout.close()
            try:
                code = process.wait(timeout=GIT_LOG_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        if code != 0:
            if not commit:  # it failed before printing: walk instead
                raise _GitLogFailed
            # It failed half-way: what it printed is part of the history, never all of it.
            raise RepositoryError(f"git log failed (exit {code}) while reading the history of "
                                  f"{', '.join(self.paths)} in {where}; run it again")

    def close(self) -> None:
        """End git's walk if it is still going (nobody needed the log), and reap it."""
        self._read = True
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if process.poll() is None:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()
        process.wait()


def start_change_log(root: Path, base_ref: str, head_ref: str,
                     paths_for: Callable[[list[str]], list[str]]) -> PathLog | None:
    """The base's log of the files that differ between two commits, started by git alone,
    before pygit2 is imported and the trees are listed (about 0.15 s at 10,000 prompts):
    ``rev-parse`` names the commits, ``diff-tree`` the files under prompts/ that differ, and
    ``paths_for`` turns those into the paths to follow. None where git cannot say (no git, a
    ref that names no commit: the caller's own reading reports it) or there is nothing to
    follow. The caller compares the log's commit and paths with its own reading."""
    if base_ref.startswith("-") or head_ref.startswith("-"):
        return None  # never an option to git
    location = ["-C", str(root)]
    found = _git_output([*location, "rev-parse", f"{base_ref}^{{commit}}",
                         f"{head_ref}^{{commit}}", "--"])
    commits = [line for line in (found or "").splitlines() if _is_object_id(line)]
    if len(commits) != 2:
        return None
    listed = _git_output([*location, "-c", "core.quotePath=false", "diff-tree", "-r", "-z",
                          "--no-renames", "--name-only", *commits, "--", PROMPTS_DIR])
    if listed is None:
        return None
    paths = paths_for([p for p in listed.split("\0") if p])
    return PathLog(location, commits[0], paths) if paths else None


class _GitLogFailed(Exception):
    """``git log`` could not answer; the history is walked with pygit2 instead."""


_TREE, _LINK, _BLOB_MODES = 0o040000, 0o120000, (0o100644, 0o100755)  # Git's file modes


def _kind(filemode: int, pygit2: Any) -> Kind:
    if filemode == pygit2.enums.FileMode.LINK:
        return "symlink"
    if filemode in (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE):
        return "file"
    return "special"


# git's log of one path reads a commit's trees for each commit of the line, and a folder of
# thousands of prompts is a tree of hundreds of KB. glibc's malloc gives the memory of each freed
# tree buffer back to the kernel (4,700 brk calls shrinking and growing the heap in one log, or an
# munmap each), and git faults fresh pages in for the next; the default 96 MiB cache of delta
# bases is touched page by page too. Both thresholds set (either alone is worse: it turns off
# glibc's own adjustment of the other) and a 16 MiB cache took the log of a prompt of 10,000
# (5,000 commits) from 1.0 s (0.55 s of it in the kernel) and 114 MiB to 0.35 s and 31 MiB.
# The variables are glibc's (ignored elsewhere); a value already set is kept.
_LOG_CACHE = "16m"
_LOG_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(16 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


def _start_git(args: list[str]) -> subprocess.Popen[bytes] | None:
    """``git ARGS`` started, its output piped (tuned for a log, see above); None where git is
    not installed or does not start."""
    if shutil.which("git") is None:
        return None
    try:
        return subprocess.Popen(["git", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env={**_LOG_MALLOC, **_plain_git_env()})
    except OSError:
        return None


def _git_output(args: list[str]) -> str | None:
    """What ``git ARGS`` prints, or None where it fails or is missing."""
    process = _start_git(args)
    if process is None:
        return None
    try:
        out, _err = process.communicate(timeout=GIT_LOG_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return out.decode("utf-8", "surrogateescape") if process.returncode == 0 else None


def _is_object_id(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _plain_git_env() -> dict[str, str]:
    """The environment without what would point git elsewhere than ``--git-dir`` (a hook's
    GIT_DIR, GIT_INDEX_FILE...), and without a pager or a prompt."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k in ("GIT_EXEC_PATH", "GIT_CONFIG_NOSYSTEM")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_PAGER"] = "cat"
    return env
