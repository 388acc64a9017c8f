"""Usage events, sent from one background thread so that a render never waits for them.

``record`` only appends to a bounded queue (about a microsecond). The thread, started with the
first event, sends what has gathered every ``interval`` seconds (or as soon as ``batch`` events
wait) to ``POST /api/v1/usage``, one event a request over one kept-alive connection, since the
API takes one event per request. A failed send keeps the event for the next round, up to three
rounds; past ``max_pending`` waiting events new ones are dropped and counted. ``close`` (also
run at interpreter exit) sends what is left within ``flush_timeout`` seconds.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from collections.abc import Callable

import httpx

from promptengine.transport import RETRY_STATUSES, retry_after

log = logging.getLogger("promptengine")

MAX_TRIES = 3


class UsageReporter:
    def __init__(self, make_client: Callable[[], httpx.Client], *, client_type: str = "sdk",
                 interval: float = 1.0, batch: int = 100, max_pending: int = 10_000,
                 flush_timeout: float = 2.0) -> None:
        self._make_client = make_client
        self.client_type = client_type
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self.flush_timeout = flush_timeout
        self._pending: deque[tuple[str, str, int]] = deque()  # (prompt, version, tries)
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closing = False
        self._stop = threading.Event()
        self.sent = 0
        self.dropped = 0

    def record(self, prompt_id: str, version: str) -> None:
        """Queue one use; never blocks on the network and never raises."""
        with self._wake:
            if self._closing:
                return
            if len(self._pending) >= self.max_pending:
                self.dropped += 1
                return
            self._pending.append((prompt_id, version, 0))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="promptengine-usage",
                                                daemon=True)
                self._thread.start()
                atexit.register(self.close)
            elif len(self._pending) >= self.batch:
                self._wake.notify()

    def close(self) -> None:
        """Send what is waiting (bounded by ``flush_timeout``) and stop the thread."""
        with self._wake:
            if self._closing:
                return
            self._closing = True
            thread = self._thread
            self._wake.notify()
        self._stop.set()
        if thread is not None:
            atexit.unregister(self.close)
            thread.join(self.flush_timeout)

    def _run(self) -> None:
        client = self._make_client()
        try:
            while True:
                with self._wake:
                    if not self._closing and len(self._pending) < self.batch:
                        self._wake.wait(self.interval)
                    batch = list(self._pending)
                    self._pending.clear()
                    closing = self._closing
                pause = self._send(client, batch)
                if closing:
                    with self._wake:  # what the server would not take in time
                        self.dropped += len(self._pending)
                        self._pending.clear()
                    return
                if pause:
                    self._stop.wait(min(pause, 30.0))
        finally:
            client.close()

    def _send(self, client: httpx.Client, batch: list[tuple[str, str, int]]) -> float | None:
        """Send ``batch``; events that failed go back in the queue. Returns how long the server
        asked to wait (``Retry-After``), or None."""
        for index, (prompt_id, version, _tries) in enumerate(batch):
            try:
                answer = client.post("/api/v1/usage", json={
                    "prompt": prompt_id, "version": version, "client_type": self.client_type})
            except httpx.HTTPError as exc:
                log.debug("usage report failed: %s", exc)
                self._requeue(batch[index:])
                return 1.0
            if answer.status_code in RETRY_STATUSES:
                self._requeue(batch[index:])
                return retry_after(answer) or 1.0
            if answer.status_code >= 400:  # not visible any more, or refused: not retried
                log.debug("usage report refused: %s %s", answer.status_code, answer.text[:200])
                self.dropped += 1
                continue
            self.sent += 1
        return None

    def _requeue(self, events: list[tuple[str, str, int]]) -> None:
        with self._wake:
            for prompt_id, version, tries in reversed(events):
                if tries + 1 >= MAX_TRIES or len(self._pending) >= self.max_pending:
                    self.dropped += 1
                else:
                    self._pending.appendleft((prompt_id, version, tries + 1))
