"""Versions of a prompt from Git history (pygit2), and ``id@version`` resolution.

The rule (docs/decisions/0007-versions.md): a version is what the branch held. History reads the
branch's first-parent line only, the commits the branch itself moved through: a squash or rebase
merge is one commit on it, and a merge commit brings a pull request's final state, never a commit
made inside the pull request. A version is the content at the oldest commit of that line whose
tree holds the prompt file with that ``version``. ``id@<commit>`` accepts only commits reachable
from the ref. Renaming a file makes a new id, so history follows one path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from promptctl.errors import PromptNotFound
from promptctl.gitreader import GitRepository, PathLog
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX, Prompt
from promptctl.sources import SourceFile

if TYPE_CHECKING:
    from promptctl.library import Library

_VERSION = re.compile(r"^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?$")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
# The longest version a file may hold (schemas/prompt.schema.json) and the longest ``@spec``:
# past Python's digit limit ``int()`` fails, and no real version comes near either.
MAX_VERSION = 64
MAX_SPEC = 100
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class VersionRecord:
    id: str
    version: str
    status: str
    channel: str
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
    """Reads one repository's history; build once per command or per server index.

    A prompt's versions come from the first-parent log of its path alone
    (``GitRepository.path_log``): the commits where its file changed, each blob parsed once.
    """

    def __init__(self, repo_path: Path, ref: str = "HEAD", *,
                 git: GitRepository | None = None) -> None:
        self.git = git if git is not None else GitRepository(repo_path)
        self.repo = self.git.repo
        self.head_id = self.git.commit_id(ref)
        self.head = self.git.commit(self.head_id)
        self.ref = ref
        self._versions: dict[str, list[VersionRecord]] = {}  # prompt id -> its versions

    def blob_at_head(self, prompt_id: str) -> tuple[str, Any] | None:
        """(path, blob id) of the prompt's file at the ref, or None."""
        return self._blob_at(self.head_id, prompt_id)

    def _blob_at(self, commit_id: str, prompt_id: str) -> tuple[str, str] | None:
        for path in prompt_paths(prompt_id):
            found = self.git.entry(commit_id, path)
            if found is not None and found[1] == "file":
                return path, found[0]
        return None

    def versions(self, prompt_id: str) -> list[VersionRecord]:
        """Every version of ``prompt_id`` on the ref's first-parent line, oldest first (read
        once per History: ``resolve_in_repo`` asks before it resolves)."""
        self.read_versions([prompt_id])
        return list(self._versions[prompt_id])

    def read_versions(self, prompt_ids: Iterable[str], log: PathLog | None = None) -> None:
        """Read the versions of several prompts from one walk of the log (``check`` asks for
        every prompt a pull request changed: one walk, not one per prompt).

        ``log``: that walk, already started (``GitRepository.start_path_log``) on this ref's
        commit over at least these prompts' paths; another is started where it is not."""
        wanted = [i for i in dict.fromkeys(prompt_ids) if i not in self._versions]
        if not wanted:
            return
        owner = {path: prompt_id for prompt_id in wanted for path in prompt_paths(prompt_id)}
        if log is None or log.head != self.head_id or not owner.keys() <= set(log.paths):
            log = self.git.start_path_log(self.head_id, owner)
        # The log says where each path changed, newest first.
        by_commit: dict[str, dict[str, dict[str, str | None]]] = {i: {} for i in wanted}
        parsed: dict[str, tuple[str, str, str] | None] = {}  # blob id -> parsed once
        with log:
            for change in log.read(self.git):
                prompt_id = owner.get(change.path)
                if prompt_id is None:
                    continue  # a path of another prompt the started log also follows
                by_commit[prompt_id].setdefault(change.commit, {})[change.path] = change.blob
                if change.blob is not None and change.blob not in parsed:
                    # Read while git goes on walking (the log comes as it is found).
                    parsed[change.blob] = _version_status(change.path,
                                                          self.git.blob(change.blob))
        for prompt_id in wanted:
            self._versions[prompt_id] = self._records(prompt_id, by_commit[prompt_id], parsed)

    def _records(self, prompt_id: str, by_commit: dict[str, dict[str, str | None]],
                 parsed: dict[str, tuple[str, str, str] | None]) -> list[VersionRecord]:
        """The versions, from the commits where the prompt's paths changed (newest first):
        from the oldest on, the file at each is the .prompt.md where there is one, else the
        .prompt.yaml, and a version is its oldest commit."""
        paths = prompt_paths(prompt_id)
        held: dict[str, str | None] = dict.fromkeys(paths)
        first_commit: dict[str, tuple[str, str, str, str, str]] = {}  # version -> oldest
        for commit_id in reversed(by_commit):
            held.update(by_commit[commit_id])
            found = next(((path, held[path]) for path in paths if held[path] is not None), None)
            if found is None:
                continue
            path, blob_id = found
            assert blob_id is not None
            fields = parsed[blob_id]
            if fields is None:
                continue  # an invalid file at that commit: not a version
            version, status, channel = fields
            first_commit.setdefault(version, (commit_id, path, blob_id, status, channel))
        records = [
            _record(prompt_id, version, status, channel, self.git.commit(commit_id), path, blob)
            for version, (commit_id, path, blob, status, channel) in first_commit.items()
        ]
        records.sort(key=lambda r: (parse_version(r.version), r.date))
        return records

    def resolve(self, prompt_id: str, spec: str) -> tuple[VersionRecord, bytes]:
        """``1.2.3`` exactly, ``1`` / ``1.2`` the highest match, or a commit id (7-40 hex)."""
        check_spec(prompt_id, spec)
        if is_commit_spec(spec):
            return self._at_commit(prompt_id, spec)
        records = self.versions(prompt_id)
        if not records:
            raise PromptNotFound(f"{prompt_id} has no history on {self.ref}")
        chosen = pick_version(records, spec)
        if chosen is None:
            known = ", ".join(r.version for r in records)
            raise PromptNotFound(
                f"{prompt_id}@{spec}: no such version on {self.ref}; versions: {known}"
            )
        return chosen, self.blob_data(chosen.blob)

    def _at_commit(self, prompt_id: str, spec: str) -> tuple[VersionRecord, bytes]:
        commit = self.commit_of(spec)
        if commit is None:
            raise PromptNotFound(self.no_commit(prompt_id, spec, self.ref))
        found = self._blob_at(str(commit.id), prompt_id)
        prompt = _parse(found[0], self.blob_data(found[1])) if found else None
        if found is None or prompt is None:
            raise PromptNotFound(f"{prompt_id}@{spec}: the prompt is absent or invalid at "
                                 f"commit {str(commit.id)[:12]}")
        record = _record(prompt_id, prompt.version, prompt.status, prompt.channel, commit,
                         found[0], found[1])
        return record, self.blob_data(found[1])

    @staticmethod
    def no_commit(prompt_id: str, spec: str, ref: str) -> str:
        """The one answer for a commit that is unknown, unreachable, or hides the prompt."""
        return f"{prompt_id}@{spec}: no such version or commit on {ref}"

    def commit_of(self, spec: str) -> Any:
        """The commit that ``spec`` (7 to 40 hex digits) names, if the ref reaches it, else None.

        Only object ids are looked up, never branch or tag names, and a commit the ref does not
        reach (an unmerged pull request's, a fetched ``refs/pull/*``) is as absent as an unknown
        one: content nobody merged is never served as a version.
        """
        if not is_commit_spec(spec):
            return None
        found = self.git.find_commit(spec)
        if found is None or not self.git.reaches(self.head_id, str(found.id)):
            return None
        return found

    def blob_data(self, oid: Any) -> bytes:
        return self.git.blob(str(oid))


def prompt_paths(prompt_id: str) -> tuple[str, str]:
    """The two files a prompt id may be: its .prompt.md and its .prompt.yaml."""
    return f"{PROMPTS_DIR}/{prompt_id}{MD_SUFFIX}", f"{PROMPTS_DIR}/{prompt_id}{YAML_SUFFIX}"


def check_spec(prompt_id: str, spec: str) -> None:
    """Refuse a ``@spec`` that can name nothing: too long, or neither a version nor a commit."""
    if len(spec) > MAX_SPEC:
        raise PromptNotFound(f"{prompt_id}@{spec[:20]}...: a version spec is at most {MAX_SPEC} "
                             "characters; write ID@1.2.3, ID@1.2, ID@1 or ID@<commit>")


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


def _version_status(path: str, data: bytes) -> tuple[str, str, str] | None:
    """(version, status, channel) of a file in history, or None when it is not a valid prompt.

    A listing reads every distinct blob of the prompt, so the version and status are taken from
    the front matter alone; the full loader (schema, templates) is for the one version used.
    """
    from promptctl.loader import front_matter_end, split_lines

    try:
        text = data.decode("utf-8")
        if path.endswith(MD_SUFFIX):
            lines = split_lines(text.removeprefix("\ufeff"), keepends=True)
            end = front_matter_end(lines)
            if not end:
                return None
            front = "".join(lines[1:end])
        else:
            front = text
        meta = yaml.load(front, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except (UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(meta, dict):
        return None
    version, status = meta.get("version"), meta.get("status")
    channel = meta.get("channel", "stable")
    if not (isinstance(version, str) and len(version) <= MAX_VERSION and _SEMVER.match(version)
            and status in ("draft", "active", "deprecated")
            and channel in ("stable", "experimental")):
        return None
    return version, status, channel


def _parse(path: str, data: bytes) -> Prompt | None:
    from promptctl.loader import load_prompt

    return load_prompt(SourceFile(path, bytes(data), "file", len(data))).prompt


def _record(prompt_id: str, version: str, status: str, channel: str, commit: Any, path: str,
            blob: str) -> VersionRecord:
    author = commit.author
    offset = timezone(timedelta(minutes=author.offset))
    when = datetime.fromtimestamp(author.time, tz=UTC).astimezone(offset)
    return VersionRecord(
        id=prompt_id,
        version=version,
        status=status,
        channel=channel,
        commit=str(commit.id),
        author=author.name,
        email=author.email,
        date=when.isoformat(),
        message=commit.message.split("\n", 1)[0].rstrip("\r"),
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
    """``id``: the work tree's prompt; ``id@version`` / ``id@commit``: the branch's history only.

    A version never comes from the work tree, even where it carries the same version number:
    uncommitted edits are not that version. The prompt at a version renders with the partials
    and ``promptctl.yaml`` of the commit it was read from.
    """
    from promptctl.library import Library

    prompt_ref, spec = split_ref(ref)
    if spec is None:
        current = Library.from_work_tree(root)
        return Resolved(current, current.get(prompt_ref), None)
    history = History(root, git_ref)
    check_spec(prompt_ref, spec)
    prompt_id = prompt_ref
    if history.blob_at_head(prompt_ref) is None and not history.versions(prompt_ref):
        # Not an id on the branch: an alias there, or a typo ("did you mean" from get()).
        at_ref = Library.from_commit(root, git_ref)
        prompt_id = at_ref.aliases.get(prompt_ref) or at_ref.get(prompt_ref).id
    record, _data = history.resolve(prompt_id, spec)
    library = Library.from_commit(root, record.commit)
    return Resolved(library, library.get(prompt_id), record.commit)
