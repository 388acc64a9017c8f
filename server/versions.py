"""``?version=`` and ``:versions``: a prompt's history from Git, cached per indexed commit.

The version rule is promptctl.history's: a version is the content the branch's first-parent line
held where the version first appears, and a commit id names content only when the indexed commit
reaches it. Walking the history of a prompt reads every commit of that line, so results are
cached by (indexed commit, prompt id): a new commit starts a new cache key, old keys age out of a
bounded LRU. A consumer sees the versions that were ``active`` on the ``stable`` channel; any
other version, and any commit where the prompt was hidden from it, answers as one that does not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from promptctl.errors import PromptNotFound
from promptctl.history import (
    History,
    VersionRecord,
    check_spec,
    is_commit_spec,
    is_version_spec,
    pick_version,
)
from promptctl.loader import load_prompt
from promptctl.model import Prompt
from promptctl.render import Renderer
from promptctl.sources import SourceFile
from server.auth import Role, may_see
from server.cache import Lru
from server.index import Entry, IndexBuilder

CACHE_SIZE = 2048


@dataclass(frozen=True)
class Version:
    prompt: Prompt
    renderer: Renderer
    commit: str


class VersionResolver:
    def __init__(self, repo_path: Path, builder: IndexBuilder) -> None:
        self.repo_path = repo_path
        self.builder = builder
        self._histories: Lru[list[VersionRecord]] = Lru(CACHE_SIZE)
        self._resolved: Lru[Version] = Lru(CACHE_SIZE)
        self._renderers: Lru[Renderer] = Lru(64)

    def versions(self, head: str, prompt_id: str, role: Role) -> list[VersionRecord]:
        key = (head, prompt_id)
        records = self._histories.get(key)
        if records is None:
            records = History(self.repo_path, head).versions(prompt_id)
            self._histories.put(key, records)
        if role == "consumer":
            return [r for r in records if r.status == "active" and r.channel == "stable"]
        return list(records)

    def resolve(self, head: str, entry: Entry, spec: str, role: Role) -> Version:
        """``1.2.3`` exactly, ``1`` / ``1.2`` the highest visible match, or a commit id.

        ``PromptNotFound`` where there is no such version or the role may not see it.
        """
        prompt = entry.prompt
        check_spec(prompt.id, spec)
        if spec == entry.commit:
            return Version(prompt, entry.renderer, entry.commit)
        key = (head, prompt.id, spec, role == "consumer")
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(head, prompt.id, spec, role)
            self._resolved.put(key, found)
        if not may_see(role, found.prompt):  # hidden at that commit: as if it named nothing
            raise PromptNotFound(History.no_commit(prompt.id, spec, head))
        return found

    def _resolve(self, head: str, prompt_id: str, spec: str, role: Role) -> Version:
        if is_commit_spec(spec):
            record, data = History(self.repo_path, head).resolve(prompt_id, spec)
        elif is_version_spec(spec):
            records = self.versions(head, prompt_id, role)
            picked = pick_version(records, spec)
            if picked is None:
                known = ", ".join(r.version for r in records) or "none"
                raise PromptNotFound(f"{prompt_id}@{spec}: no such version; versions: {known}")
            record, data = picked, self._blob(picked.blob)
        else:
            raise PromptNotFound(f"{prompt_id}@{spec}: a version is 1.2.3, 1.2, 1 or a commit id")
        prompt = load_prompt(SourceFile(record.path, data, "file", len(data))).prompt
        if prompt is None:
            raise PromptNotFound(f"{prompt_id}@{spec}: that version does not load")
        return Version(prompt, self._renderer(record.commit), record.commit)

    def _blob(self, blob_id: str) -> bytes:
        repo = self.builder.open()
        return bytes(repo[blob_id].data)

    def _renderer(self, commit: str) -> Renderer:
        found = self._renderers.get(commit)
        if found is None:
            found = self.builder.partials_at(commit)
            self._renderers.put(commit, found)
        return found
