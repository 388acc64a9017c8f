"""What a pull request changed, and the two sides' libraries loaded only as far as the rules need.

``check`` compares a base commit with a head (a commit, or the work tree). Loading both libraries
whole costs seconds and hundreds of MB at 10,000 prompts, for a change that usually touches one
file. A ``ChangeSet`` lists both sides' files with their blob ids (tree objects, or the work
tree's bytes hashed as Git would), and loads on each side only:

- the prompt files whose blob differs (added, modified, deleted), and every partial;
- the prompts that include a changed partial (their bytes name it, or a partial that includes
  it: a superset, narrowed by the ordinary partial analysis);
- for the cross-file rules on the head: the prompts whose bytes name an alias, an added or
  deleted id or a ``replaced_by`` target of a changed prompt, and the files at the paths those
  names give. Whoever could clash with or depend on the change is then in the loaded library,
  so its checks (ids, aliases, replaced_by, templates) reach the verdict the whole library
  would for what the change touched.

Files nothing links to the change are not read: an error already on the base in an unrelated
file is ``promptctl validate``'s to report, not ``check``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from promptctl.errors import RepositoryError
from promptctl.gitreader import GitRepository, TreeCache, TreeFile
from promptctl.layout import classify
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX, prompt_id_for
from promptctl.sources import FileList, SourceFile, WorkTreeSource

if TYPE_CHECKING:
    from promptctl.config import Config
    from promptctl.library import Library

# This module imports neither the loader nor the library (Jinja2, jsonschema) until a side is
# loaded: ``check`` lists both sides and starts the base's path log first, and those imports
# then happen while git walks.
CONFIG_FILE = "promptctl.yaml"  # promptctl.config.CONFIG_FILE (a test checks they agree)


@dataclass(frozen=True)
class _Entry:
    blob: str | None  # None: not a regular file, or too large to hash here
    file: TreeFile | None  # where a Git side reads it from


class Side:
    """One side of a pull request: its files under prompts/ (blob ids), read on demand."""

    def __init__(self, name: str, entries: dict[str, _Entry], config: bytes | None, *,
                 git: GitRepository | None = None, root: Path | None = None,
                 commit: str | None = None, config_name: str = CONFIG_FILE) -> None:
        """``config``: the bytes of promptctl.yaml (None: none), parsed when first asked for."""
        self.name = name
        self.entries = entries
        self.commit = commit  # None: the work tree
        self._config_data = config
        self._config_name = config_name
        self._config: Config | None = None
        self._git = git
        self._root = root

    @property
    def config(self) -> Config:
        """promptctl.yaml of this side; ``ConfigError`` where it is invalid."""
        if self._config is None:
            from promptctl import config as config_module

            self._config = config_module.parse(self._config_data, self._config_name)
        return self._config

    @classmethod
    def of_commit(cls, git: GitRepository, ref: str, cache: TreeCache | None = None) -> Side:
        """``cache``: shared by the two sides, whose unchanged folders are then read once."""
        commit = git.commit_id(ref)
        entries = {f.path: _Entry(f.blob, f) for f in git.tree_files(commit, cache=cache)}
        return cls(f"{ref} ({commit[:12]}) of {git.path}", entries,
                   git.read_file(commit, CONFIG_FILE), git=git, commit=commit,
                   config_name=f"{ref}:{CONFIG_FILE}")

    @classmethod
    def of_work_tree(cls, root: Path, git: GitRepository) -> Side:
        """The work tree's files, with the blob ids git status gives them (read from disk)."""
        entries = {f.path: _Entry(f.blob, None) for f in git.work_tree_files()}
        config_path = root / CONFIG_FILE
        return cls(WorkTreeSource(root).describe(), entries,
                   config_path.read_bytes() if config_path.is_file() else None, root=root)

    def read(self, path: str) -> SourceFile:
        entry = self.entries[path]
        if self._git is not None and entry.file is not None:
            return self._git.read(entry.file)
        assert self._root is not None
        return WorkTreeSource(self._root).read(path)

    def has_prompt(self, prompt_id: str) -> list[str]:
        """The paths of this side's files for ``prompt_id`` (two where both forms exist)."""
        return [path for suffix in (MD_SUFFIX, YAML_SUFFIX)
                if (path := f"{PROMPTS_DIR}/{prompt_id}{suffix}") in self.entries]

    def naming(self, needles: Iterable[str]) -> set[str]:
        """The prompt files whose bytes contain one of ``needles`` (read once, each)."""
        wanted = [n.encode("utf-8") for n in set(needles) if n]
        if not wanted:
            return set()
        found = set()
        for path in self.entries:
            if classify(path) != "prompt":
                continue
            data = self.read(path).data
            if any(needle in data for needle in wanted):
                found.add(path)
        return found

    def load(self, paths: Iterable[str]) -> Library:
        """The library of ``paths`` (those this side has) and every partial, checked together."""
        from promptctl.library import Library

        chosen = set(paths) | {p for p in self.entries if classify(p) == "partial"}
        files = [self.read(path) for path in sorted(chosen) if path in self.entries]
        return Library.load(FileList(files, self.name), self.config)


class ChangeSet:
    """The files that differ between two sides, and the libraries the rules need of each."""

    def __init__(self, base: Side, head: Side, git: GitRepository | None = None) -> None:
        self.base_side, self.head_side = base, head
        self.git = git
        paths = base.entries.keys() | head.entries.keys()
        self.changed = sorted(p for p in paths if _differs(base.entries.get(p),
                                                            head.entries.get(p)))
        self.partials = [p for p in self.changed if classify(p) == "partial"]

    @classmethod
    def between(cls, repo_root: Path, base_ref: str, head_ref: str | None) -> ChangeSet:
        """The two sides' listings; promptctl.yaml of each is read, parsed when first used."""
        git = GitRepository(repo_root)
        cache = TreeCache()
        base = Side.of_commit(git, base_ref, cache)
        try:
            head = (Side.of_work_tree(repo_root, git) if head_ref is None
                    else Side.of_commit(git, head_ref, cache))
        except RepositoryError:
            _ = base.config  # an invalid promptctl.yaml on the base is still the error shown
            raise
        return cls(base, head, git)

    def changed_ids(self) -> set[str]:
        return {i for p in self.changed if classify(p) != "partial"
                and (i := prompt_id_for(p)) is not None}

    def libraries(self) -> tuple[Library, Library]:
        """(base, head): each with the changed prompts, the users of changed partials, and what
        the cross-file rules on the head need (see the module's docstring)."""
        prompt_paths = {p for p in self.changed if classify(p) != "partial"}
        partial_names = {p[len(PROMPTS_DIR) + 1 :] for p in self.partials}
        base_paths = prompt_paths | self._users(self.base_side, partial_names)
        head_paths = prompt_paths | self._users(self.head_side, partial_names)
        base = self.base_side.load(base_paths)
        head = self.head_side.load(head_paths)
        # The head's cross-file rules: load whoever the change may clash with or depend on,
        # until nothing new is named (a step or two); each name is searched for once.
        searched: set[str] = set()
        while True:
            paths, needles = self._related(base, head)
            paths |= self.head_side.naming(needles - searched)
            searched |= needles
            if paths <= head_paths:
                return base, head
            head_paths |= paths
            head = self.head_side.load(head_paths)

    def _users(self, side: Side, partial_names: set[str]) -> set[str]:
        """Prompt files that may include one of the changed partials, directly or through
        other partials: those whose bytes name one of them."""
        if not partial_names:
            return set()
        names = set(partial_names)
        sources = {p[len(PROMPTS_DIR) + 1 :]: side.read(p).data for p in side.entries
                   if classify(p) == "partial"}
        while True:  # partials that include a named partial are named too
            more = {name for name, data in sources.items()
                    if name not in names and any(n.encode() in data for n in names)}
            if not more:
                break
            names |= more
        return side.naming(names)

    def _related(self, base: Library, head: Library) -> tuple[set[str], set[str]]:
        """(paths to load, names to search the head's prompt files for)."""
        side = self.head_side
        needles: set[str] = set()
        paths: set[str] = set()
        changed = self.changed_ids()
        for prompt_id in changed:
            new, old = head.prompts.get(prompt_id), base.prompts.get(prompt_id)
            paths.update(side.has_prompt(prompt_id))  # both forms of one id
            if new is not None:
                for alias in new.aliases:  # an alias may be an id or another's alias
                    needles.add(alias)
                    paths.update(side.has_prompt(alias))
                if old is None:
                    needles.add(prompt_id)  # a new id may be another prompt's alias
            if old is not None:  # a name that went away: who pointed at it
                gone = {prompt_id} if new is None else set()
                gone |= set(old.aliases) - set(new.aliases if new is not None else ())
                needles |= gone
        for prompt in head.prompts.values():  # every loaded prompt's successor must be seen
            target = prompt.replaced_by
            if target is not None:
                found = side.has_prompt(target)
                paths.update(found)
                if not found:
                    needles.add(target)  # an alias, or nothing
        return paths, needles


def _differs(old: _Entry | None, new: _Entry | None) -> bool:
    if old is None or new is None:
        return old is not new
    return old.blob is None or new.blob is None or old.blob != new.blob
