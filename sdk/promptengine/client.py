"""``PromptClient`` and ``AsyncPromptClient``: prompts from a Prompt Engine read API, cached.

Both share everything but the HTTP calls (``_Client``). A ``get`` is answered, in order:

1. from memory, when the copy was confirmed by the server less than ``ttl`` seconds ago: no
   request at all;
2. by the server: a copy in memory or on disk is revalidated with ``If-None-Match`` (a 304
   confirms it; the ETag is the served commit and the version), anything else is fetched;
3. when the server cannot be asked (unreachable, or 429/5xx once the retries are spent): the
   last good copy, marked ``stale`` with the reason (and logged as a warning on the
   ``promptengine`` logger); else the ``fallback`` prompt given in code; else
   ``ServerUnavailable``.

A 404 is an answer, not an outage: the copy is dropped and ``PromptNotFound`` raised
(``PromptNotVisible`` when there was a copy). Thread-safe: one lock guards the memory cache;
rendering needs no lock.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import httpx

from promptengine import prompt as prompt_module
from promptengine.cache import DEFAULT_MAX_BYTES, DiskCache, Stored, default_directory, entry_key
from promptengine.errors import (
    AuthenticationFailed,
    PromptEngineError,
    PromptNotFound,
    PromptNotVisible,
    ServerUnavailable,
)
from promptengine.prompt import Prompt
from promptengine.transport import (
    RETRY_STATUSES,
    RetryPolicy,
    Unreachable,
    send,
    send_async,
)
from promptengine.usage import UsageReporter

if TYPE_CHECKING:
    from promptctl.render import Renderer

log = logging.getLogger("promptengine")

DEFAULT_TTL = 60.0
OUTAGE_HOLD = 5.0  # seconds a stale copy is served before the server is asked again
MAX_REF = 500
MAX_SPEC = 100

Key = tuple[str, str | None]


@dataclass
class _Item:
    prompt: Prompt
    etag: str | None
    fresh_until: float  # time.monotonic()
    confirmed: float  # Unix time the server last confirmed it
    disk_key: str
    # During an outage: the stale copy, served without asking again until ``held_until``.
    stale: Prompt | None = None
    held_until: float = 0.0


class _Client:
    def __init__(self, base_url: str, api_key: str | None = None, *,
                 ttl: float = DEFAULT_TTL, cache_dir: str | Path | Literal[False] | None = None,
                 max_cache_bytes: int = DEFAULT_MAX_BYTES, memory_entries: int = 512,
                 timeout: float = 5.0, retry: RetryPolicy | None = None,
                 report_usage: bool = True) -> None:
        """``cache_dir``: None for ``$XDG_CACHE_HOME/prompt-engine/client``, False for no disk
        cache. ``ttl``: seconds a confirmed copy is used without asking the server."""
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._api_key = api_key
        self.headers = {"Accept": "application/json", "X-Client-Type": "sdk",
                        "User-Agent": "prompt-engine-client"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self._disk = None if cache_dir is False else DiskCache(
            Path(cache_dir) if cache_dir else default_directory(), max_cache_bytes)
        self._memory: OrderedDict[Key, _Item] = OrderedDict()
        self._memory_entries = memory_entries
        self._lock = threading.Lock()
        self._renderers: dict[Any, Renderer] = {}
        self.usage = UsageReporter(self._usage_client) if report_usage else None

    def _usage_client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=self.timeout)

    # --- the cache --------------------------------------------------------------------------

    def _fresh(self, key: Key) -> Prompt | None:
        """The copy to serve without a request: confirmed within the TTL, or the stale copy of
        an outage seen less than ``OUTAGE_HOLD`` seconds ago (so that an outage costs one
        round of retries every few seconds, not one per ``get``)."""
        with self._lock:
            item = self._memory.get(key)
            if item is None:
                return None
            now = time.monotonic()
            if item.fresh_until > now:
                self._memory.move_to_end(key)
                return item.prompt
            if item.stale is not None and item.held_until > now:
                return item.stale
            return None

    def _stored(self, key: Key) -> _Item | None:
        with self._lock:
            item = self._memory.get(key)
        if item is not None or self._disk is None:
            return item
        disk_key = entry_key(self.base_url, self._api_key, *key)
        stored = self._disk.read(disk_key)
        if stored is None:
            return None
        try:
            return self._item(stored, disk_key)
        except (PromptEngineError, KeyError, TypeError, ValueError):
            return None  # an entry this version of the client cannot read: fetch again

    def _item(self, stored: Stored, disk_key: str) -> _Item:
        detail = stored.detail
        core = prompt_module.load(detail["source"], detail["path"])
        prompt = Prompt(core, self._renderer(detail.get("partials") or {}, detail.get("limits")),
                        commit=detail.get("commit"), origin="server",
                        on_render=self.usage.record if self.usage is not None else None)
        fresh_until = time.monotonic() + self.ttl - max(0.0, time.time() - stored.confirmed)
        return _Item(prompt, stored.etag, fresh_until, stored.confirmed, disk_key)

    def _renderer(self, partials: Mapping[str, str], limits: Mapping[str, Any] | None
                  ) -> Renderer:
        key = (tuple(sorted(partials.items())), tuple(sorted((limits or {}).items())))
        with self._lock:
            found = self._renderers.get(key)
        if found is None:
            found = prompt_module.renderer(partials, limits)
            with self._lock:
                if len(self._renderers) >= 64:
                    self._renderers.clear()
                self._renderers[key] = found
        return found

    def _remember(self, key: Key, item: _Item) -> None:
        with self._lock:
            self._memory[key] = item
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)

    def _forget(self, key: Key) -> None:
        with self._lock:
            self._memory.pop(key, None)
        if self._disk is not None:
            self._disk.forget(entry_key(self.base_url, self._api_key, *key))

    # --- one request --------------------------------------------------------------------------

    def _request(self, ref: str, version: str | None, stored: _Item | None) -> httpx.Request:
        if not ref or len(ref) > MAX_REF or ":" in ref or ref.startswith("/"):
            raise PromptNotFound(f"{ref[:100]!r} is not a prompt id or alias; ids look like "
                                 "engineering/code-review")
        if version is not None and (not version or len(version) > MAX_SPEC):
            raise PromptNotFound(f"{ref}@{version[:20]}: a version is 1.2.3, 1.2, 1 or a "
                                 "commit id")
        headers = dict(self.headers)
        if stored is not None and stored.etag:
            headers["If-None-Match"] = stored.etag
        return httpx.Request("GET", f"{self.base_url}/api/v1/prompts/{quote(ref, safe='/')}",
                             params={"version": version} if version is not None else None,
                             headers=headers)

    def _settle(self, key: Key, ref: str, response: httpx.Response, stored: _Item | None,
                fallback: str | None) -> Prompt:
        status = response.status_code
        now = time.time()
        if status == 304 and stored is not None:
            stored.fresh_until = time.monotonic() + self.ttl
            stored.confirmed = now
            stored.stale = None
            self._remember(key, stored)
            if self._disk is not None:
                self._disk.confirm(stored.disk_key, now)
            return stored.prompt
        if status == 200:
            try:
                detail = response.json()
                disk_key = entry_key(self.base_url, self._api_key, *key)
                entry = Stored(detail, response.headers.get("etag"), now)
                item = self._item(entry, disk_key)
            except (KeyError, TypeError, ValueError) as exc:
                raise PromptEngineError(f"{ref}: the server's answer is not a prompt "
                                        f"({type(exc).__name__}); is {self.base_url} a Prompt "
                                        "Engine read API?", status=status) from None
            self._remember(key, item)
            if self._disk is not None:
                self._disk.write(disk_key, entry)
            return item.prompt
        message = _message(response)
        if status == 404:
            self._forget(key)
            if stored is not None:
                raise PromptNotVisible(f"{message}; it was served before: removed, deprecated "
                                       "or no longer visible to this key", status=404)
            raise PromptNotFound(message, status=404)
        if status == 401:
            raise AuthenticationFailed(f"{message}; check the API key", status=401)
        if status in RETRY_STATUSES:
            return self._offline(key, ref, stored, fallback,
                                 f"the server answered {status} ({message})")
        raise PromptEngineError(f"{ref}: the server answered {status}: {message}",
                                status=status)

    def _offline(self, key: Key, ref: str, stored: _Item | None, fallback: str | None,
                 reason: str) -> Prompt:
        if stored is not None:
            when = datetime.fromtimestamp(stored.confirmed, UTC).isoformat(timespec="seconds")
            why = f"{reason}; serving the copy last confirmed at {when}"
            log.warning("%s@%s: %s", stored.prompt.id, stored.prompt.version, why)
            stale = stored.prompt.stale_copy(why)
            stored.stale, stored.held_until = stale, time.monotonic() + min(OUTAGE_HOLD, self.ttl)
            self._remember(key, stored)
            return stale
        if fallback is not None:
            suffix = ".prompt.md" if fallback.lstrip("\ufeff").startswith("---") \
                else ".prompt.yaml"
            core = prompt_module.load(fallback, f"prompts/{ref}{suffix}")
            why = f"{reason}; serving the fallback given in code"
            log.warning("%s: %s", ref, why)
            return Prompt(core, self._renderer({}, None), commit=None, origin="fallback",
                          stale_reason=why)
        raise ServerUnavailable(f"{ref}: {reason}; no cached copy and no fallback to serve")


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase


class PromptClient(_Client):
    """A client of one read API with one key. Use one per process and share it between
    threads; ``close`` it (or use ``with``) to send the last usage events."""

    def __init__(self, base_url: str, api_key: str | None = None, **options: Any) -> None:
        super().__init__(base_url, api_key, **options)
        self._http = httpx.Client(timeout=self.timeout)

    def get(self, ref: str, version: str | None = None, *, fallback: str | None = None
            ) -> Prompt:
        """The prompt ``ref`` (an id or an alias) at ``version``: "1.2.3" exactly, "1" or "1.2"
        the highest visible match, a commit id, or None for the current one. ``fallback``: the
        text of a prompt file to serve when the server cannot be asked and nothing is cached."""
        key = (ref, version)
        found = self._fresh(key)
        if found is not None:
            return found
        stored = self._stored(key)
        request = self._request(ref, version, stored)
        try:
            response = send(self._http, request, self.retry)
        except Unreachable as exc:
            return self._offline(key, ref, stored, fallback,
                                 f"the server is unreachable ({exc})")
        return self._settle(key, ref, response, stored, fallback)

    def close(self) -> None:
        if self.usage is not None:
            self.usage.close()
        self._http.close()

    def __enter__(self) -> PromptClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncPromptClient(_Client):
    """``PromptClient`` for asyncio: ``await client.get(...)``; ``render`` is the same
    (local, no I/O). ``await client.aclose()`` or ``async with``."""

    def __init__(self, base_url: str, api_key: str | None = None, **options: Any) -> None:
        super().__init__(base_url, api_key, **options)
        self._http = httpx.AsyncClient(timeout=self.timeout)

    async def get(self, ref: str, version: str | None = None, *, fallback: str | None = None
                  ) -> Prompt:
        """See ``PromptClient.get``."""
        key = (ref, version)
        found = self._fresh(key)
        if found is not None:
            return found
        stored = self._stored(key)
        request = self._request(ref, version, stored)
        try:
            response = await send_async(self._http, request, self.retry)
        except Unreachable as exc:
            return self._offline(key, ref, stored, fallback,
                                 f"the server is unreachable ({exc})")
        return self._settle(key, ref, response, stored, fallback)

    async def aclose(self) -> None:
        if self.usage is not None:
            await asyncio.to_thread(self.usage.close)  # joins the reporting thread
        await self._http.aclose()

    async def __aenter__(self) -> AsyncPromptClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
