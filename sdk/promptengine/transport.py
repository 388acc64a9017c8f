"""HTTP with bounded retries: backoff with full jitter on 429, 5xx and connection failures,
honouring the server's ``Retry-After``; the same policy for the sync and the async client."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from promptengine.errors import PromptEngineError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a prompt file is at most 1 MiB; its partials a few more


class Unreachable(Exception):
    """No HTTP answer at all (refused, reset, timed out), after the retries."""


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; between them ``base * 2**n`` seconds (at most ``cap``) with full
    jitter, or what ``Retry-After`` asks plus up to 10 %. A ``Retry-After`` above
    ``max_retry_after`` is not waited for: the answer stands (the caller serves its copy)."""

    attempts: int = 3
    base: float = 0.1
    cap: float = 2.0
    max_retry_after: float = 10.0
    jitter: Callable[[], float] = field(default=random.random, compare=False)  # in [0, 1)

    def delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait after try number ``attempt`` (from 1), or None: do not retry."""
        if attempt >= self.attempts:
            return None
        asked = retry_after(response) if response is not None else None
        if asked is not None:
            if asked > self.max_retry_after:
                return None
            return asked + self.jitter() * min(asked * 0.1, 1.0)
        return self.jitter() * min(self.cap, self.base * 2.0 ** (attempt - 1))


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date; None when absent or invalid."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def send(client: httpx.Client, request: httpx.Request, policy: RetryPolicy) -> httpx.Response:
    """The answer to ``request``; a 429 or 5xx answer only once the retries are spent."""
    attempt = 0
    while True:
        attempt += 1
        try:
            response = client.send(request, stream=True)
            try:
                _check_size(response)
                response.read()
            finally:
                response.close()
        except httpx.TransportError as exc:
            wait = policy.delay(attempt, None)
            if wait is None:
                raise Unreachable(_describe(exc)) from None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            wait = policy.delay(attempt, response)
            if wait is None:
                return response
        time.sleep(wait)


async def send_async(client: httpx.AsyncClient, request: httpx.Request,
                     policy: RetryPolicy) -> httpx.Response:
    """``send`` for the async client."""
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await client.send(request, stream=True)
            try:
                _check_size(response)
                await response.aread()
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            wait = policy.delay(attempt, None)
            if wait is None:
                raise Unreachable(_describe(exc)) from None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            wait = policy.delay(attempt, response)
            if wait is None:
                return response
        await asyncio.sleep(wait)


def _check_size(response: httpx.Response) -> None:
    """Refuse, unread, an answer that says it is larger than any prompt's."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise PromptEngineError(f"{response.request.url}: the answer is {int(declared):,} "
                                f"bytes, over {MAX_ANSWER_BYTES:,}; is it a Prompt Engine "
                                "read API?", status=response.status_code)


def _describe(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
