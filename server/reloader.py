"""Keeps the served index current: polls the ref, fetches on request, rebuilds off the request path.

One background thread does all the Git work. It wakes every ``poll_seconds`` (or when the refresh
endpoint asks), optionally runs ``git fetch REMOTE``, compares the ref's commit with the indexed
one and, when it moved, builds the next index and swaps it in with one assignment. A failed read
keeps the last index serving and is reported by ``/readyz`` (``repo_error``: 503); a failed build
keeps it too (``reload_error``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from promptctl.errors import PromptctlError, RepositoryError
from server.index import Index, IndexBuilder
from server.settings import Settings
from server.workers import Cancelled

log = logging.getLogger("promptctl.server.reloader")

FETCH_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class CheckResult:
    commit: str | None
    changed: bool
    error: str | None


class Reloader:
    def __init__(self, settings: Settings, builder: IndexBuilder, *,
                 on_reload: Callable[[Index, float], None] | None = None,
                 on_failure: Callable[[], None] | None = None,
                 on_tick: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.builder = builder
        self.index: Index | None = None  # the one reference requests read
        self.repo_error: str | None = None
        self.reload_error: str | None = None
        self.fetch_error: str | None = None
        self.last_check: float | None = None
        self.on_reload = on_reload
        self._on_failure = on_failure
        self.on_tick = on_tick
        self._wake = threading.Event()
        self._stop = False
        self._lock = threading.Lock()
        self._waiters: list[Future[CheckResult]] = []
        self._thread: threading.Thread | None = None
        self._failed_commit: str | None = None
        self._unsaved: str | None = None  # a built commit whose index cache is not written

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="index-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self.builder.cancel()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.set_result(CheckResult(None, False, "the server is shutting down"))
        self.builder.close()

    def request_refresh(self) -> Future[CheckResult]:
        """Ask for a check now; the future says what it found."""
        future: Future[CheckResult] = Future()
        with self._lock:
            self._waiters.append(future)
        self._wake.set()
        return future

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        timeout = self.settings.poll_seconds or None
        first = True
        while not self._stop:
            if not first:
                self._wake.wait(timeout)
                if self._stop:
                    break
            first = False
            self._wake.clear()
            with self._lock:
                waiters, self._waiters = self._waiters, []
            try:
                result = self.check(force=bool(waiters))
            except Exception as exc:  # never let the thread die: the server must keep serving
                log.exception("index check failed")
                result = CheckResult(None, False, f"{type(exc).__name__}: {exc}")
            for waiter in waiters:
                waiter.set_result(result)
            self.persist()
            if self.on_tick is not None:
                try:
                    self.on_tick()
                except Exception:
                    log.exception("periodic task failed")

    def check(self, *, force: bool = False) -> CheckResult:
        """Fetch if asked, compare the ref with the index, rebuild if it moved. A commit whose
        build failed is not tried again until the ref moves or a refresh forces it."""
        if self.settings.fetch_remote:
            self._fetch(self.settings.fetch_remote)
        self.last_check = time.time()
        try:
            head = self.builder.head()
        except RepositoryError as exc:
            if self.repo_error != str(exc):
                log.error("repository unreadable, serving the last index: %s", exc)
            self.repo_error = str(exc)
            if self._on_failure is not None:
                self._on_failure()
            return CheckResult(None, False, str(exc))
        self.repo_error = None
        current = self.index
        if current is not None and current.commit == head and self.reload_error is None:
            return CheckResult(head, False, None)
        if head == self._failed_commit and not force:
            return CheckResult(current.commit if current else None, False, self.reload_error)
        started = time.perf_counter()
        try:
            new = self.builder.build(current)
        except Cancelled:
            return CheckResult(None, False, "the server is shutting down")
        except Exception as exc:  # whatever it was, the last index keeps serving
            known = isinstance(exc, PromptctlError | OSError)
            self.reload_error = str(exc) if known else f"{type(exc).__name__}: {exc}"
            log.error("reload of %s failed, serving the last index: %s", head[:12],
                      self.reload_error, exc_info=not known)
            self._failed_commit = head
            if self._on_failure is not None:
                self._on_failure()
            return CheckResult(current.commit if current else None, False, str(exc))
        self.index = new  # the swap: one reference assignment
        self.reload_error = None
        self._failed_commit = None
        seconds = time.perf_counter() - started
        log.info("indexed %s: %d prompts, %d with errors, in %.0f ms", new.commit[:12],
                 len(new.entries), len(new.errors), seconds * 1000)
        if self.on_reload is not None:
            self.on_reload(new, seconds)
        self._unsaved = new.commit
        return CheckResult(new.commit, True, None)

    def persist(self) -> None:
        """Write the index cache for the last build, once its waiters have their answer."""
        commit, self._unsaved = self._unsaved, None
        if commit is None:
            return
        try:
            self.builder.persist(commit)
        except Exception as exc:  # a cache not written costs the next start time, no more
            log.exception("could not write the index cache")
            if self.builder.store is not None:
                self.builder.store.last_error = f"{type(exc).__name__}: {exc}"

    def _fetch(self, remote: str) -> None:
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.settings.repo), "fetch", "--quiet", "--prune", remote],
                capture_output=True, text=True, timeout=FETCH_TIMEOUT_SECONDS, check=False,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},  # never wait for a password
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.fetch_error = f"git fetch {remote} failed: {exc}"
        else:
            self.fetch_error = (None if proc.returncode == 0 else
                                f"git fetch {remote} failed: {proc.stderr.strip()[:300]}; check "
                                "the remote's URL and credentials")
        if self.fetch_error:
            log.error("%s", self.fetch_error)
