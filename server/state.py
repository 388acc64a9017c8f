"""Everything one running app holds: settings, the reloader (and so the index), keys, limits,
usage store and metrics. Built by ``create_app``; started and stopped by its lifespan."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from promptctl.errors import PromptctlError
from server.auth import Caller, KeyStore, UsageTimes, last_used_path
from server.index import Index, IndexBuilder
from server.ratelimit import RateLimiter
from server.reloader import Reloader
from server.searchpool import SearchPool
from server.settings import Settings
from server.telemetry import ServerMetrics
from server.usage import UsageEvent, UsageStore
from server.versions import VersionResolver

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger("promptctl.server")


@dataclass
class ServerState:
    settings: Settings
    metrics: ServerMetrics
    builder: IndexBuilder
    reloader: Reloader
    versions: VersionResolver
    limiter: RateLimiter
    usage: UsageStore | None = None
    search_pool: SearchPool | None = None
    keys: KeyStore | None = None
    key_times: UsageTimes | None = None
    _keys_stamp: tuple[int, int, int] | None = field(default=None, repr=False)
    _to_submit: list[tuple[UsageEvent, asyncio.Future[bool]]] = field(default_factory=list,
                                                                      repr=False)

    @classmethod
    def build(cls, settings: Settings, builder: IndexBuilder | None = None) -> ServerState:
        """``builder``: one whose first build ``IndexBuilder.head_start`` began already."""
        metrics = ServerMetrics()
        if builder is None:
            builder = IndexBuilder(settings.repo, settings.ref)
        reloader = Reloader(settings, builder, on_failure=metrics.reload_failures.inc)
        state = cls(settings=settings, metrics=metrics, builder=builder, reloader=reloader,
                    versions=VersionResolver(settings.repo, builder),
                    limiter=RateLimiter(settings.rate_per_second, settings.rate_burst))
        if settings.index_cache is not None and settings.search_workers > 0:
            state.search_pool = SearchPool(settings.index_cache, settings.repo,
                                           settings.search_workers)
        reloader.on_reload = state.indexed
        reloader.on_tick = state.reload_keys_if_changed
        return state

    @property
    def index(self) -> Index | None:
        return self.reloader.index

    def indexed(self, index: Index, seconds: float) -> None:
        """A new index is served (on the reloader's thread)."""
        self.metrics.indexed(index, seconds)
        pool = self.search_pool
        if pool is not None and self.builder.store is not None:  # the kept index is on disk
            pool.publish(index, index.view("consumer").allowed,
                         {i: e.summary.blob for i, e in index.entries.items()})

    def start(self) -> None:
        if self.search_pool is not None:
            self.search_pool.bind(asyncio.get_running_loop())
        if self.settings.keys_file is not None:
            self.keys = KeyStore.load(self.settings.keys_file)
            self._keys_stamp = _stamp(self.settings.keys_file)
            self.key_times = UsageTimes(last_used_path(self.settings.keys_file))
        if self.settings.usage_db is not None:
            self.usage = UsageStore(self.settings.usage_db,
                                    retention_days=self.settings.usage_retention_days)
            self.usage.start()
        if self.settings.index_cache is not None:
            self.builder.open_store(self.settings.index_cache)
        self.reloader.start()

    def stop(self) -> None:
        self.reloader.stop()
        if self.search_pool is not None:
            self.search_pool.close()
        self._flush_key_times()
        if self.usage is not None:
            self.usage.close()

    def key_used(self, name: str) -> None:
        """Note when a key was used (``promptctl keys list`` shows it); written at most once a
        second, and never at the cost of the request."""
        if self.key_times is None:
            return
        try:
            self.key_times.used(name)
        except OSError as exc:
            log.warning("cannot record when key %r was used in %s: %s", name,
                        self.key_times.path, exc)

    def _flush_key_times(self) -> None:
        if self.key_times is not None:
            try:
                self.key_times.flush()
            except OSError as exc:
                log.warning("cannot record when keys were used in %s: %s",
                            self.key_times.path, exc)

    def reload_keys_if_changed(self) -> None:
        """Keys added with ``promptctl keys add`` or removed with ``keys revoke`` take effect
        without a restart: checked on every request (one stat) and on every reloader tick."""
        path = self.settings.keys_file
        if path is None:
            return
        stamp = _stamp(path)
        if stamp == self._keys_stamp:
            return
        try:
            self.keys = KeyStore.load(path)
        except PromptctlError as exc:
            log.error("keys file changed but cannot be used, keeping the old keys: %s", exc)
        else:
            log.info("keys file reloaded: %d key(s)", len(self.keys.records))
        self._keys_stamp = stamp

    def record_usage(self, caller: Caller, prompt_id: str, version: str | None,
                     client_type: str, kind: str, *, ok: bool = True,
                     client_name: str | None = None) -> None:
        if self.usage is None:
            return
        self.usage.record(UsageEvent(prompt_id, version, client_type, caller.name, caller.team,
                                     kind, ok, client_name=client_name))

    async def store_usage(self, caller: Caller, prompt_id: str, version: str | None,
                          client_type: str, kind: str) -> bool:
        """Record an event and wait until it is committed (``usage_ack_seconds`` at most).

        True once it is in the usage file; False when it is refused (full queue, closing
        store), given up after failed writes, or not written in time - it may then still be
        written. Concurrent calls share the writer's transactions (group commit).
        """
        if self.usage is None:
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        event = UsageEvent(prompt_id, version, client_type, caller.name, caller.team, kind)
        # The events of one turn of the event loop go to the writer together.
        self._to_submit.append((event, future))
        if len(self._to_submit) == 1:
            loop.call_soon(self._submit)
        timer = loop.call_later(self.settings.usage_ack_seconds, _settle, future, False)
        try:
            return await future
        finally:
            timer.cancel()

    def _submit(self) -> None:
        items, self._to_submit = self._to_submit, []
        if self.usage is None or not self.usage.submit(items):
            for _event, future in items:
                _settle(future, False)


def _settle(future: asyncio.Future[bool], ok: bool) -> None:
    if not future.done():  # already answered by the writer, or by the timeout
        future.set_result(ok)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """The keys file's identity: a rewrite (``os.replace``) gives it a new inode, an edit in place
    a new mtime or size."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size
