"""Where references are resolved: a read API, or a Git repository (a remote URL or a path).

Both answer the same questions with the same results for the same branch, and both see what a
``consumer`` key sees: prompts ``active`` on the ``stable`` channel, and their versions that were
(decision 0007). The API decides that for its key; for Git it is decided here, as the server's
``may_see`` and version listing do for a consumer.

- ``resolve(ref, range)``: the package of the highest visible version of an id or alias within
  the range (None: the current version);
- ``package(id, version)``: that exact version, or ``NotVisible``;
- ``tagged(tag)``: the visible ids with that tag;
- ``versions(id)``: the visible versions, oldest first;
- ``current(id)``: its current status and ``replaced_by`` where this source shows it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from promptctl import __version__
from promptctl.consumers.packages import Package, sha256
from promptctl.errors import PromptctlError, UsageError

if TYPE_CHECKING:
    from promptctl.history import History, VersionRecord
    from promptctl.library import Library
    from promptctl.model import Prompt
    from promptctl.render import Renderer

TIMEOUT_SECONDS = 10.0
ATTEMPTS = 3
MAX_RETRY_AFTER = 10.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a prompt file is at most 1 MiB; its partials a few more


class NotVisible(PromptctlError):
    """No such prompt or version, or one that this source does not show (the API answers both
    with the same 404)."""


class SourceUnavailable(PromptctlError):
    """The source could not be read (unreachable, 5xx, a failed clone)."""


@dataclass(frozen=True)
class Current:
    version: str
    status: str
    replaced_by: str | None


class Resolver(Protocol):
    def describe(self) -> str: ...

    def resolve(self, ref: str, range_: str | None) -> Package: ...

    def package(self, prompt_id: str, version: str) -> Package: ...

    def tagged(self, tag: str) -> list[str]: ...

    def versions(self, prompt_id: str) -> list[str]: ...

    def current(self, prompt_id: str) -> Current | None: ...


# --- the read API ---------------------------------------------------------------------------


class ApiResolver:
    """``GET /api/v1/prompts/...`` with the key from an environment variable; retries 429 and
    5xx (honouring ``Retry-After`` up to 10 s) and connection failures, three tries in all."""

    def __init__(self, url: str, key: str | None) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Accept": "application/json", "X-Client-Type": "cli",
                        "User-Agent": f"promptctl/{__version__}"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def describe(self) -> str:
        return self.url

    def _get(self, path: str, query: dict[str, str] | None = None) -> Any:
        """The JSON of a 200; None for a 404; errors for the rest."""
        import urllib.error  # here: a sync from the lock and the cache never needs them
        import urllib.parse
        import urllib.request
        url = f"{self.url}{urllib.parse.quote(path, safe='/:')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(url, headers=self.headers)  # noqa: S310 - http(s) only
            wait = 0.1 * 2 ** (attempt - 1)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                    body = answer.read(MAX_ANSWER_BYTES + 1)
                if len(body) > MAX_ANSWER_BYTES:
                    raise SourceUnavailable(f"{self.url}: the answer for {path} is over "
                                            f"{MAX_ANSWER_BYTES:,} bytes; is it a Prompt "
                                            "Engine read API?")
                return json.loads(body)
            except urllib.error.HTTPError as exc:
                body = exc.read()
                if exc.code == 404:
                    return None
                if exc.code == 401:
                    raise UsageError(f"{self.url} refused the key ({_message(body)}); set the "
                                     "environment variable that the references file's "
                                     "key_env names (or --key-env)") from None
                if exc.code not in RETRY_STATUSES or attempt == ATTEMPTS:
                    raise SourceUnavailable(f"{self.url}: {exc.code} for {path} "
                                            f"({_message(body)})") from None
                asked = _retry_after(exc.headers.get("Retry-After"))
                if asked is not None:
                    if asked > MAX_RETRY_AFTER:
                        raise SourceUnavailable(f"{self.url}: {exc.code}, retry after "
                                                f"{asked:.0f} s") from None
                    wait = asked
            except (urllib.error.URLError, OSError, ValueError) as exc:
                if attempt == ATTEMPTS:
                    reason = getattr(exc, "reason", exc)
                    raise SourceUnavailable(f"cannot reach {self.url} ({reason}); check the "
                                            "server URL, or sync offline from the lock") from None
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def resolve(self, ref: str, range_: str | None) -> Package:
        if range_ is None:
            detail = self._get(f"/api/v1/prompts/{ref}")
            if detail is None:
                raise NotVisible(f"{ref}: no such prompt or alias visible to this key")
            return self.package(str(detail["id"]), str(detail["version"]))
        detail = self._get(f"/api/v1/prompts/{ref}", {"version": range_})
        if detail is None:
            raise NotVisible(f"{ref}@{range_}: no such prompt, alias or version visible to "
                             "this key")
        return Package.from_detail(detail)

    def package(self, prompt_id: str, version: str) -> Package:
        detail = self._get(f"/api/v1/prompts/{prompt_id}", {"version": version})
        if detail is None:
            raise NotVisible(f"{prompt_id}@{version}: not visible to this key (removed, "
                             "deprecated, or hidden from it)")
        return Package.from_detail(detail)

    def tagged(self, tag: str) -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        while True:
            query = {"tag": tag, "limit": "200", **({"cursor": cursor} if cursor else {})}
            page = self._get("/api/v1/prompts", query)
            if page is None:
                return ids
            ids.extend(str(item["id"]) for item in page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return ids

    def versions(self, prompt_id: str) -> list[str]:
        answer = self._get(f"/api/v1/prompts/{prompt_id}:versions")
        return [] if answer is None else [str(v["version"]) for v in answer["versions"]]

    def current(self, prompt_id: str) -> Current | None:
        detail = self._get(f"/api/v1/prompts/{prompt_id}")
        if detail is None:
            return None
        return Current(str(detail["version"]), str(detail["status"]), detail.get("replaced_by"))


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode("utf-8", "replace") or "no detail"


def _retry_after(value: str | None) -> float | None:
    import email.utils

    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


# --- a Git repository -----------------------------------------------------------------------


def _visible(record: VersionRecord) -> bool:
    return record.status == "active" and record.channel == "stable"


class GitResolver:
    """A prompt repository read with pygit2: a path as it is, a URL cloned (bare) into the user
    cache and fetched once per run, only when something has to be resolved. ``sync`` asks from
    several threads; one lock serialises the questions (they are local reads)."""

    def __init__(self, location: str, ref: str, cache_dir: Path | None = None) -> None:
        self.location = location
        self.ref = ref
        self._cache_dir = cache_dir
        self._repo: Path | None = None
        self._history: History | None = None
        self._head: Library | None = None
        self._renderers: dict[str, Renderer] = {}
        self._lock = threading.RLock()

    def describe(self) -> str:
        return f"{self.location} ({self.ref})"

    def _path(self) -> Path:
        if self._repo is None:
            local = Path(self.location).expanduser()
            self._repo = local.resolve() if local.is_dir() else self._fetch()
        return self._repo

    def _fetch(self) -> Path:
        if "://" not in self.location and not self.location.startswith("git@"):
            raise UsageError(f"git: {self.location}: no such folder, and not a URL; give the "
                             "path of a prompt repository or a URL to clone")
        import subprocess

        base = self._cache_dir or Path(os.environ.get("XDG_CACHE_HOME")
                                       or Path.home() / ".cache") / "prompt-engine" / "git"
        target = base / (hashlib.sha256(self.location.encode()).hexdigest()[:24] + ".git")
        if target.is_dir():
            command = ["git", "-C", str(target), "fetch", "--quiet", "--prune", "origin",
                       "+refs/heads/*:refs/heads/*"]
        else:
            base.mkdir(parents=True, exist_ok=True)
            command = ["git", "clone", "--quiet", "--bare", "--", self.location, str(target)]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", None) or str(exc)
            raise SourceUnavailable(f"git: cannot fetch {self.location}: "
                                    f"{detail.strip()[:300]}") from None
        return target

    def _history_at_head(self) -> History:
        if self._history is None:
            from promptctl.history import History

            self._history = History(self._path(), self.ref)
        return self._history

    def _library(self) -> Library:
        """The branch's library: aliases, tags."""
        if self._head is None:
            from promptctl.library import Library

            self._head = Library.from_commit(self._path(), self.ref)
        return self._head

    def _id(self, ref: str) -> str:
        history = self._history_at_head()
        if history.blob_at_head(ref) is not None or history.versions(ref):
            return ref
        return self._library().aliases.get(ref, ref)

    def _records(self, prompt_id: str) -> list[VersionRecord]:
        """The versions a consumer sees: none unless the prompt is active on the branch now
        (the server serves no version of a prompt it does not list)."""
        current = self.current(prompt_id)
        if current is None or current.status != "active":
            return []
        return [r for r in self._history_at_head().versions(prompt_id) if _visible(r)]

    def resolve(self, ref: str, range_: str | None) -> Package:
        with self._lock:
            return self._resolve(ref, range_)

    def _resolve(self, ref: str, range_: str | None) -> Package:
        from promptctl.history import pick_version

        prompt_id = self._id(ref)
        records = self._records(prompt_id)
        if range_ is None:
            current = self.current(prompt_id)
            if current is None or current.status != "active":
                raise NotVisible(f"{ref}: no such active prompt or alias on {self.ref}")
            chosen = next((r for r in records if r.version == current.version), None)
        else:
            chosen = pick_version(records, range_)
        if chosen is None:
            known = ", ".join(r.version for r in records) or "none"
            raise NotVisible(f"{ref}@{range_}: no such version on {self.ref}; active versions: "
                             f"{known}" if range_ else f"{ref}: not active on {self.ref}")
        return self._package(prompt_id, chosen)

    def package(self, prompt_id: str, version: str) -> Package:
        with self._lock:
            return self._exact(prompt_id, version)

    def _exact(self, prompt_id: str, version: str) -> Package:
        chosen = next((r for r in self._records(prompt_id) if r.version == version), None)
        if chosen is None:
            raise NotVisible(f"{prompt_id}@{version}: no such active version on {self.ref}")
        return self._package(prompt_id, chosen)

    def _package(self, prompt_id: str, record: VersionRecord) -> Package:
        data = self._history_at_head().blob_data(record.blob)
        prompt = _load(record.path, data)
        if prompt is None:
            raise NotVisible(f"{prompt_id}@{record.version}: does not load at commit "
                             f"{record.commit[:12]}")
        renderer = self._renderer(record.commit)  # the partials and limits of that commit
        return Package(id=prompt_id, version=record.version, commit=record.commit,
                       path=record.path, source=prompt.text, digest=sha256(data),
                       partials=renderer.partials_for(prompt),
                       limits={"max_output_bytes": renderer.max_output_bytes,
                               "timeout_seconds": renderer.timeout_seconds})

    def _renderer(self, commit: str) -> Renderer:
        """The renderer of a commit's partials and promptctl.yaml (its prompts are not read)."""
        if commit not in self._renderers:
            from promptctl import config as config_module
            from promptctl.library import Library
            from promptctl.model import is_partial_path
            from promptctl.sources import FileList, GitTreeSource

            source = GitTreeSource(self._path(), commit)
            config = config_module.parse(source.read(config_module.CONFIG_FILE),
                                         f"{commit[:12]}:{config_module.CONFIG_FILE}")
            partials = [f for f in source.files() if is_partial_path(f.path)]
            library = Library.load(FileList(partials, source.describe()), config)
            self._renderers[commit] = library.renderer
        return self._renderers[commit]

    def tagged(self, tag: str) -> list[str]:
        with self._lock:
            return self._tagged(tag)

    def _tagged(self, tag: str) -> list[str]:
        return [p.id for p in self._library().select(tags=[tag], status="active",
                                                     channel="stable")]

    def versions(self, prompt_id: str) -> list[str]:
        with self._lock:
            return self._versions(prompt_id)

    def _versions(self, prompt_id: str) -> list[str]:
        return [r.version for r in self._records(prompt_id)]

    def current(self, prompt_id: str) -> Current | None:
        with self._lock:
            return self._current(prompt_id)

    def _current(self, prompt_id: str) -> Current | None:
        history = self._history_at_head()
        found = history.blob_at_head(prompt_id)
        if found is None:
            return None
        path, blob = found
        prompt = _load(path, history.blob_data(blob))
        if prompt is None or prompt.status == "draft" or prompt.channel != "stable":
            return None  # what a consumer never sees
        return Current(prompt.version, prompt.status, prompt.replaced_by)


def _load(path: str, data: bytes) -> Prompt | None:
    from promptctl.loader import load_prompt
    from promptctl.sources import SourceFile

    return load_prompt(SourceFile(path, data, "file", len(data))).prompt
