"""Pull-request checks: the "Versions and lifecycle" rules of DESIGN.md, base commit against head.

``check`` compares the base commit (Git objects) with the head (a commit, or the work tree), loads
on each side only what the change touches (``promptctl.changeset``), and returns every breach of
the rules as a located ``Violation``, plus the list of changed prompts that ``promptctl
approvals`` needs. Rule codes are stable (see ``RULES``). A reused version is found in the log of
the prompt's own path (``promptctl.history``).

A prompt has changed when its file's bytes differ, or when a partial it includes (on base or head)
changed: the rendered text of the same version would differ, so it needs a new version too.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from promptctl.changeset import ChangeSet
from promptctl.gitreader import start_change_log
from promptctl.history import History, parse_version, prompt_paths
from promptctl.layout import classify
from promptctl.model import PROMPTS_DIR, Prompt, prompt_id_for
from promptctl.problems import Problem, error

if TYPE_CHECKING:
    from promptctl.gitreader import GitRepository, PathLog
    from promptctl.library import Library

# The loader, the library and the validator (Jinja2, jsonschema) are imported when a side is
# loaded, after the base's path log has started: git walks while they load.

RULES: dict[str, str] = {
    "validate": "the head must validate before its lifecycle can be checked",
    "version-bump": "a changed prompt needs a higher version",
    "partial-bump": "a prompt whose partial changed needs a higher version",
    "major-bump": "removing or retyping an input, or adding a required one, needs a new MAJOR "
                  "(a new MINOR while MAJOR is 0, as SemVer allows)",
    "version-reused": "a version once merged never comes back with different content",
    "status-move": "status moves draft -> active -> deprecated (and deprecated -> active) only",
    "delete-active": "an active prompt is deprecated before it is deleted",
    "replaced-by": "replaced_by names a prompt that exists",
}

ChangeKind = Literal["added", "modified", "deleted", "partial"]
_ALLOWED_MOVES = {("draft", "active"), ("active", "deprecated"), ("deprecated", "active")}


@dataclass(frozen=True)
class Violation:
    prompt: str  # the prompt id
    code: str  # a key of RULES
    message: str
    path: str
    line: int = 1
    base_version: str | None = None
    head_version: str | None = None

    def problem(self) -> Problem:
        return error(self.path, self.line, 1, self.code, self.message)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rule": RULES[self.code]}


@dataclass(frozen=True)
class Change:
    id: str
    change: ChangeKind  # "partial": the file is unchanged, a partial it includes changed
    path: str  # on head, or on base for a deleted prompt
    base_version: str | None
    head_version: str | None
    partials: tuple[str, ...] = ()  # changed partials it includes, as paths

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "partials": list(self.partials)}


@dataclass
class CheckResult:
    base: Library
    head: Library
    changes: list[Change] = field(default_factory=list)
    partials: dict[str, list[str]] = field(default_factory=dict)  # changed partial -> its users
    violations: list[Violation] = field(default_factory=list)
    valid: bool = True  # False: the head does not validate, nothing else was checked

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "base": self.base.source_name,
            "head": self.head.source_name,
            "changed": [c.as_dict() for c in self.changes],
            "partials": self.partials,
            "violations": [v.as_dict() for v in self.violations],
        }


def check(repo_root: Path, base_ref: str, head_ref: str | None = None) -> CheckResult:
    """Every lifecycle rule for the change from ``base_ref`` to ``head_ref`` (None: work tree).

    Only what the change touches is loaded (``promptctl.changeset``): the changed prompts, the
    users of changed partials, and what the head's cross-file rules need.
    """
    # git's log of the changed prompts on the base walks on the other core from the start,
    # while pygit2 lists the trees and both sides load (see _LazyHistory).
    early = (None if head_ref is None
             else start_change_log(repo_root, base_ref, head_ref, _log_paths))
    try:
        changes = ChangeSet.between(repo_root, base_ref, head_ref)
    except BaseException:
        if early is not None:
            early.close()
        raise
    history = _LazyHistory(changes, early)
    try:
        return _check(changes, history)
    finally:
        history.close()  # a log nobody read (the head did not validate, say) ends here


def _log_paths(changed: list[str]) -> list[str]:
    """The files whose base history the reused-version rule may read: both forms of every
    prompt among ``changed`` (on the head or not)."""
    ids = sorted({i for path in changed if classify(path) != "partial"
                  and (i := prompt_id_for(path)) is not None})
    return [path for prompt_id in ids for path in prompt_paths(prompt_id)]


def _check(changes: ChangeSet, history: _LazyHistory) -> CheckResult:
    _ = changes.base_side.config, changes.head_side.config  # promptctl.yaml's errors first
    base, head = changes.libraries()
    result = CheckResult(base, head)
    errors = [p for p in head.problems if p.is_error]
    if errors:
        first = errors[0]
        broken = {path: pid for pid, path in head.broken.items()}
        result.valid = False
        result.violations.append(Violation(
            broken.get(first.path, "") or _id_of(head, first.path), "validate",
            f"the head does not validate ({len(errors)} error(s)), first: {first.format_text()}; "
            "run `promptctl validate`, fix every error, then rerun `promptctl check`",
            first.path, first.line))
        return result

    via = _partial_changes(changes, base, head, result)
    # The reused-version rule reads the base's history of every prompt changed on the head:
    # one walk of the log for all of them.
    history.ids = [i for i in changes.changed_ids() if i in head.prompts]
    added = [head.prompts[i] for i in sorted(changes.changed_ids())
             if i in head.prompts and i not in base.prompts]
    for prompt_id in sorted(changes.changed_ids() | via.keys()):
        old, new = base.prompts.get(prompt_id), head.prompts.get(prompt_id)
        if old is None and new is None:
            continue  # not a prompt on either side (a file that does not load on the base)
        partials = tuple(via.get(prompt_id, ()))
        file_changed = old is None or new is None or old.digest != new.digest
        if not file_changed and not partials:
            continue
        kind: ChangeKind = ("added" if old is None else "deleted" if new is None
                            else "modified" if file_changed else "partial")
        where = new or old
        assert where is not None
        result.changes.append(Change(prompt_id, kind, where.path,
                                     old.version if old else None,
                                     new.version if new else None, partials))
        if new is None:
            assert old is not None
            result.violations.extend(_deleted(old, added))
            continue
        result.violations.extend(_replaced_by(new, head))
        if old is None:
            result.violations.extend(_reused(new, history, None))
            continue
        found = _status_move(old, new) + _breaking(old, new)
        if not any(v.code == "major-bump" for v in found):
            found += _version_up(old, new, partials, file_changed)
        if file_changed and not any(v.code in ("version-bump", "major-bump") for v in found):
            found += _reused(new, history, old)
        result.violations.extend(found)
    return result


def _id_of(library: Library, path: str) -> str:
    for prompt in library.prompts.values():
        if prompt.path == path:
            return prompt.id
    return ""


def _partial_changes(changes: ChangeSet, base: Library, head: Library,
                     result: CheckResult) -> dict[str, list[str]]:
    """Fill ``result.partials``; return prompt id -> the changed partials it includes."""
    from promptctl.validate import partial_users

    changed = sorted(name for name in base.partials.keys() | head.partials.keys()
                     if base.partials.get(name) != head.partials.get(name))
    if not changes.partials:
        return {}
    via: dict[str, list[str]] = {}
    if not changed:
        return via
    head_users, base_users = partial_users(head), partial_users(base)
    for name in changed:
        users = sorted(head_users.get(name, set()) | base_users.get(name, set()))
        result.partials[f"{PROMPTS_DIR}/{name}"] = users
        for user in users:
            via.setdefault(user, []).append(f"{PROMPTS_DIR}/{name}")
    return via


class _LazyHistory:
    """The base branch's history, read once and only if a rule needs it: the first use reads
    the versions of every prompt in ``ids`` from one walk of the log.

    That walk runs from the start, on the other core, while the sides load (which takes about
    as long): ``early``, started by git alone before the trees were listed, where it follows
    every changed prompt the head has a file for, or else one started now. ``close`` ends it
    unread where no rule needed it."""

    def __init__(self, changes: ChangeSet, early: PathLog | None = None) -> None:
        self.ids: list[str] = []
        self._history: History | None = None
        self._git: GitRepository | None = changes.git
        self._commit = changes.base_side.commit
        self._log: PathLog | None = None
        head = changes.head_side
        paths = [path for prompt_id in sorted(changes.changed_ids())
                 if head.has_prompt(prompt_id) for path in prompt_paths(prompt_id)]
        if (early is not None and paths and early.head == self._commit
                and set(paths) <= set(early.paths)):
            self._log = early
        else:
            if early is not None:
                early.close()
            if self._git is not None and self._commit is not None and paths:
                self._log = self._git.start_path_log(self._commit, paths)

    def get(self) -> History:
        if self._history is None:
            assert self._git is not None
            assert self._commit is not None
            self._history = History(self._git.path, self._commit, git=self._git)
            self._history.read_versions(self.ids, self._log)
        return self._history

    def close(self) -> None:
        if self._log is not None:
            self._log.close()


def _seen(old: Prompt | None, new: Prompt | None, *, status: bool = False) -> str:
    def one(prompt: Prompt | None, missing: str) -> str:
        if prompt is None:
            return missing
        return f"{prompt.version} {prompt.status}" if status else prompt.version

    return f"base {one(old, 'absent')}, head {one(new, 'deleted')}"


def _line(prompt: Prompt, key: str) -> int:
    return prompt.document.position((key,)).line


def _next_patch(version: str) -> str:
    major, minor, patch = parse_version(version)
    return f"{major}.{minor}.{patch + 1}"


def _violation(code: str, prompt: Prompt, message: str, key: str, old: Prompt | None,
               new: Prompt | None) -> Violation:
    return Violation(prompt.id, code, f"{prompt.id}: {message}", prompt.path, _line(prompt, key),
                     old.version if old else None, new.version if new else None)


def _version_up(old: Prompt, new: Prompt, partials: tuple[str, ...],
                file_changed: bool) -> list[Violation]:
    if parse_version(new.version) > parse_version(old.version):
        return []
    fix = f"set version: {_next_patch(old.version)} or higher"
    if file_changed:
        what = ("the file changed but its version did not go up"
                if new.version == old.version else "the file changed and its version went down")
        return [_violation("version-bump", new, f"{what} ({_seen(old, new)}); {fix}", "version",
                           old, new)]
    names = ", ".join(partials)
    return [_violation("partial-bump", new,
                       f"it includes {names}, which changed, so its version must go up "
                       f"({_seen(old, new)}); {fix}", "version", old, new)]


def _input_type(spec: dict[str, Any]) -> str:
    kind = spec.get("type")
    if kind is None:
        return "any"
    return "|".join(sorted(kind)) if isinstance(kind, list) else str(kind)


def _breaking_allowed(old: str, new: str) -> bool:
    """Whether going from version ``old`` to ``new`` may break callers: a new MAJOR, or while
    MAJOR is 0 (SemVer: anything may change in 0.x) a new MINOR."""
    old_major, old_minor, _patch = parse_version(old)
    new_major, new_minor, _patch = parse_version(new)
    if new_major != old_major:
        return new_major > old_major
    return old_major == 0 and new_minor > old_minor


def _breaking(old: Prompt, new: Prompt) -> list[Violation]:
    from promptctl.inputs import is_required

    if _breaking_allowed(old.version, new.version):
        return []
    breaches = []
    for name, spec in old.inputs.items():
        if name not in new.inputs:
            breaches.append(f"removing input {name!r}")
        elif _input_type(spec) != _input_type(new.inputs[name]):
            breaches.append(f"changing the type of input {name!r} from {_input_type(spec)} to "
                            f"{_input_type(new.inputs[name])}")
    for name, spec in new.inputs.items():
        if not is_required(spec):
            continue
        if name not in old.inputs:
            breaches.append(f"adding required input {name!r} without a default")
        elif not is_required(old.inputs[name]):
            breaches.append(f"making input {name!r} required without a default")
    major, minor, _patch = parse_version(old.version)
    if major == 0:
        needs = ("a new MINOR version (in 0.x, SemVer lets a MINOR break callers; from 1.0.0 on "
                 "it takes a MAJOR)")
        fix = f"0.{minor + 1}.0 (or 1.0.0 to release it as stable)"
    else:
        needs, fix = "a new MAJOR version", f"{major + 1}.0.0"
    return [_violation("major-bump", new,
                       f"{breach} breaks callers and needs {needs} ({_seen(old, new)}); "
                       f"set version: {fix}", "version", old, new)
            for breach in breaches]


def _status_move(old: Prompt, new: Prompt) -> list[Violation]:
    move = (old.status, new.status)
    if old.status == new.status or move in _ALLOWED_MOVES:
        return []
    if new.status == "draft":
        fix = f"a released prompt never returns to draft: keep status: {old.status}"
        if old.status == "active":
            fix += ", or set status: deprecated"
    else:  # draft -> deprecated
        fix = "a draft is never deprecated: delete it instead, or make it active first"
    return [_violation("status-move", new,
                       f"status may not move from {old.status} to {new.status} "
                       f"({_seen(old, new, status=True)}); {fix}", "status", old, new)]


def _deleted(old: Prompt, added: list[Prompt]) -> list[Violation]:
    if old.status != "active":
        return []
    fix = ("restore it, set status: deprecated (with replaced_by naming its successor) and a "
           f"higher version such as {_next_patch(old.version)}, merge that, then delete it in a "
           "later pull request")
    renamed = [p.id for p in added if p.digest == old.digest or p.title == old.title]
    if renamed:
        fix += (f"; a rename makes a new id, so keep {old.id} as a deprecated prompt with "
                f"replaced_by: {renamed[0]}")
    return [_violation("delete-active", old,
                       f"an active prompt was deleted without being deprecated first "
                       f"({_seen(old, None, status=True)}); {fix}", "status", old, None)]


def _replaced_by(new: Prompt, head: Library) -> list[Violation]:
    successor = new.replaced_by
    if successor is None or head.aliases.get(successor, successor) in head.prompts:
        return []
    return [_violation("replaced-by", new,
                       f"replaced_by names {successor!r}, which does not exist on head "
                       f"({_seen(None, new)}); name an existing prompt id", "replaced_by",
                       None, new)]


def _reused(new: Prompt, history: _LazyHistory, old: Prompt | None) -> list[Violation]:
    """The head's (id, version) must not have been merged before with other content."""
    repo = history.get()
    records = repo.versions(new.id)
    same = next((r for r in records if r.version == new.version), None)
    if same is None:
        return []
    if hashlib.sha256(repo.blob_data(same.blob)).hexdigest() == new.digest:
        return []
    highest = max((r.version for r in records), key=parse_version)
    return [_violation("version-reused", new,
                       f"version {new.version} was merged before with different content "
                       f"(commit {same.commit[:12]}, {same.date[:10]}) and a merged version never "
                       f"changes ({_seen(old, new)}); set version: {_next_patch(highest)} or "
                       "higher", "version", old, new)]

