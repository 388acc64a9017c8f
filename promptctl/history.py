"""Versions of a prompt from Git history (pygit2), and ``id@version`` resolution.

A version is attributed to the oldest commit on the branch whose tree holds the prompt file with
that ``version`` (the commit that introduced it). Renaming a file makes a new id, so history
follows one path.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from promptctl.errors import PromptNotFound, RepositoryError
from promptctl.loader import front_matter_end, load_prompt
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX, Prompt
from promptctl.sources import SourceFile

if TYPE_CHECKING:
    from promptctl.library import Library

_VERSION = re.compile(r"^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?$")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class VersionRecord:
    id: str
    version: str
    status: str
    commit: str
    author: str
    email: str
    date: str  # ISO 8601 with the author's offset
    message: str  # first line
    path: str
    blob: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


class History:
    """Reads one repository's history; build once per command or per server index."""

    def __init__(self, repo_path: Path, ref: str = "HEAD") -> None:
        import pygit2

        try:
            self.repo = pygit2.Repository(str(repo_path))
        except (pygit2.GitError, KeyError):
            raise RepositoryError(
                f"{repo_path} is not a Git repository; history needs one (pass --repo)"
            ) from None
        try:
            self.head = self.repo.revparse_single(ref).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            raise RepositoryError(
                f"{ref!r} names no commit in {repo_path}; pass an existing branch or commit"
            ) from None
        self.ref = ref
        self._walked: list[tuple[Any, Any]] | None = None  # (commit, its tree), newest first

    def _blob_at(self, commit: Any, prompt_id: str, tree: Any = None) -> tuple[str, Any] | None:
        tree = commit.tree if tree is None else tree
        for suffix in (MD_SUFFIX, YAML_SUFFIX):
            path = f"{PROMPTS_DIR}/{prompt_id}{suffix}"
            try:
                entry = tree[path]
            except KeyError:
                continue
            return path, entry
        return None

    def _commits(self) -> list[tuple[Any, Any]]:
        """Every commit reachable from the ref with its tree, newest first.

        Walked once per History: ``check`` asks for the versions of every changed prompt, and
        with the trees kept, each further prompt costs one path lookup per commit (about 1 ms
        per 2,000 commits) instead of a new walk that loads every tree again (about 15 ms).
        """
        import pygit2

        if self._walked is None:
            walker = self.repo.walk(self.head.id,
                                    pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
            self._walked = [(commit, commit.tree) for commit in walker]
        return self._walked

    def versions(self, prompt_id: str) -> list[VersionRecord]:
        """Every version of ``prompt_id`` reachable from the ref, oldest first."""
        seen_blobs: dict[str, str] = {}  # blob id -> version, parsed once
        first_commit: dict[str, tuple[Any, str, str, str]] = {}  # version -> oldest commit
        for commit, tree in self._commits():
            found = self._blob_at(commit, prompt_id, tree)
            if found is None:
                continue
            path, entry = found
            blob_id = str(entry.id)
            version_status = seen_blobs.get(blob_id)
            if version_status is None:
                version_status = _version_status(path, self.blob_data(entry.id))
                seen_blobs[blob_id] = version_status
            if not version_status:
                continue  # an invalid file at that commit: not a version
            version, status = version_status.split(" ", 1)
            # Walking newest to oldest, the last commit seen with a version introduced it.
            first_commit[version] = (commit, path, blob_id, status)
        records = [
            _record(prompt_id, version, status, commit, path, blob)
            for version, (commit, path, blob, status) in first_commit.items()
        ]
        records.sort(key=lambda r: (parse_version(r.version), r.date))
        return records

    def resolve(self, prompt_id: str, spec: str) -> tuple[VersionRecord, bytes]:
        """``1.2.3`` exactly, ``1`` / ``1.2`` the highest match, or a commit id (7-40 hex)."""
        records = self.versions(prompt_id)
        if not records:
            raise PromptNotFound(f"{prompt_id} has no history on {self.ref}")
        if is_commit_spec(spec):
            return self._at_commit(prompt_id, spec)
        chosen = pick_version(records, spec)
        if chosen is None:
            known = ", ".join(r.version for r in records)
            raise PromptNotFound(
                f"{prompt_id}@{spec}: no such version on {self.ref}; versions: {known}"
            )
        return chosen, self.blob_data(chosen.blob)

    def _at_commit(self, prompt_id: str, spec: str) -> tuple[VersionRecord, bytes]:
        import pygit2

        try:
            commit = self.repo.revparse_single(spec).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            raise PromptNotFound(f"{prompt_id}@{spec}: no such version or commit") from None
        found = self._blob_at(commit, prompt_id)
        prompt = _parse(found[0], self.blob_data(found[1].id)) if found else None
        if found is None or prompt is None:
            raise PromptNotFound(f"{prompt_id}@{spec}: the prompt is absent or invalid at "
                                 f"commit {str(commit.id)[:12]}")
        record = _record(prompt_id, prompt.version, prompt.status, commit, found[0],
                         str(found[1].id))
        return record, self.blob_data(found[1].id)

    def blob_data(self, oid: Any) -> bytes:
        import pygit2

        blob = self.repo[oid]
        if not isinstance(blob, pygit2.Blob):
            raise RepositoryError(f"{oid} is not a file in {self.repo.path}")
        return bytes(blob.data)


def is_commit_spec(spec: str) -> bool:
    """7 to 40 hex digits name a commit (even all-digit ones: ``1234567`` is not a version)."""
    return bool(_COMMIT.match(spec))


def is_version_spec(spec: str) -> bool:
    return bool(_VERSION.match(spec)) and not is_commit_spec(spec)


def pick_version(records: list[VersionRecord], spec: str) -> VersionRecord | None:
    """Among ``records``: ``1.2.3`` exactly, ``1`` / ``1.2`` the highest matching version."""
    match = _VERSION.match(spec)
    if match is None or is_commit_spec(spec):
        return None
    wanted = [int(g) for g in match.groups() if g is not None]
    candidates = [r for r in records if list(parse_version(r.version)[: len(wanted)]) == wanted]
    return max(candidates, key=lambda r: parse_version(r.version)) if candidates else None


def _version_status(path: str, data: bytes) -> str:
    """"<version> <status>" of a file in history, or "" when it is not a valid prompt there.

    A listing reads every distinct blob of the prompt, so the version and status are taken from
    the front matter alone; the full loader (schema, templates) is for the one version used.
    """
    try:
        text = data.decode("utf-8")
        if path.endswith(MD_SUFFIX):
            lines = text.removeprefix("\ufeff").splitlines(keepends=True)
            end = front_matter_end(lines)
            if not end:
                return ""
            front = "".join(lines[1:end])
        else:
            front = text
        meta = yaml.load(front, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except (UnicodeDecodeError, ValueError, yaml.YAMLError):
        return ""
    if not isinstance(meta, dict):
        return ""
    version, status = meta.get("version"), meta.get("status")
    if not (isinstance(version, str) and _SEMVER.match(version) and isinstance(status, str)):
        return ""
    return f"{version} {status}"


def _parse(path: str, data: bytes) -> Prompt | None:
    return load_prompt(SourceFile(path, bytes(data), "file", len(data))).prompt


def _record(prompt_id: str, version: str, status: str, commit: Any, path: str,
            blob: str) -> VersionRecord:
    author = commit.author
    offset = timezone(timedelta(minutes=author.offset))
    when = datetime.fromtimestamp(author.time, tz=UTC).astimezone(offset)
    return VersionRecord(
        id=prompt_id,
        version=version,
        status=status,
        commit=str(commit.id),
        author=author.name,
        email=author.email,
        date=when.isoformat(),
        message=(commit.message.splitlines() or [""])[0],
        path=path,
        blob=blob,
    )


@dataclass(frozen=True)
class Resolved:
    """A prompt at a version: the library it renders in (partials of that commit) and where."""

    library: Library
    prompt: Prompt
    commit: str | None  # None: the work tree


def split_ref(ref: str) -> tuple[str, str | None]:
    """``id@spec`` -> (id, spec); ``id`` -> (id, None)."""
    prompt_ref, sep, spec = ref.partition("@")
    if sep and not spec:
        raise PromptNotFound(f"{ref!r}: nothing after '@'; write ID@1.2.3, ID@1, or ID@<commit>")
    return prompt_ref, (spec if sep else None)


def resolve_in_repo(root: Path, ref: str, *, git_ref: str = "HEAD") -> Resolved:
    """The work tree's prompt, or the one at ``id@version`` / ``id@commit`` from history."""
    from promptctl.library import Library
    from promptctl.sources import GitTreeSource

    current = Library.from_work_tree(root)
    prompt_ref, spec = split_ref(ref)
    if spec is None:
        return Resolved(current, current.get(prompt_ref), None)
    prompt_id = current.aliases.get(prompt_ref, prompt_ref)
    if prompt_id in current.prompts and current.prompts[prompt_id].version == spec:
        return Resolved(current, current.prompts[prompt_id], None)
    record, _data = History(root, git_ref).resolve(prompt_id, spec)
    library = Library.load(GitTreeSource(root, record.commit), current.config)
    return Resolved(library, library.get(prompt_id), record.commit)
