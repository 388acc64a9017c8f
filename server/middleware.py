"""The one middleware every request goes through (plain ASGI, no per-request task overhead).

It gives the request its id (``X-Request-ID`` accepted when sane, else generated, and echoed on
every response), bounds the request body (413), answers an unhandled exception with a 500 in the
error shape (the traceback goes to the log only), and after the response writes the access log
line and the latency and status metrics.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import error_body
from server.metrics import CounterChild, HistogramChild
from server.telemetry import ACCESS_LOGGER, ServerMetrics

log = logging.getLogger(ACCESS_LOGGER)
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive``: FastAPI passes HTTP exceptions through its body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit:,} bytes; send less (inputs are "
                              "bounded)")


_OWS = (b" ", b"\t")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: ServerMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # The series of each route, method and status, looked up once (labels() checks names).
        self._latency: dict[tuple[str, str], HistogramChild] = {}
        self._responses: dict[tuple[str, str, int], CounterChild] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw = scope.get("headers") or []
        if any(value[-1:] in _OWS for _name, value in raw):
            # A field value does not include the whitespace around it (RFC 9110, 5.5): h11
            # strips it, httptools leaves the trailing part, so it is stripped here for both.
            raw = scope["headers"] = [(name, value.strip(b" \t")) for name, value in raw]
        headers = dict(raw)
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        try:
            length = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            length = 0
        try:
            if length > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            await self.app(scope, bounded_receive, send_with_id)
        except BodyTooLarge as exc:
            if not response_started:
                await self._answer(send_with_id, 413, "payload_too_large", str(exc.detail))
        except Exception:
            log.exception("unhandled error", extra={"fields": {"request_id": request_id}})
            if not response_started:
                await self._answer(send_with_id, 500, "internal",
                                   f"internal error; report request id {request_id} to the "
                                   "server's operators")
        finally:
            self._record(scope, state, request_id, status, time.perf_counter() - started)

    @staticmethod
    async def _answer(send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps(error_body(code, message)).encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, state: dict[str, Any], request_id: str, status: int,
                seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path_format", None) or "unmatched"
        method = scope.get("method", "")
        latency = self._latency.get((template, method))
        if latency is None:
            latency = self._latency[template, method] = self.metrics.latency.labels(
                route=template, method=method)
        latency.observe(seconds)
        responses = self._responses.get((template, method, status))
        if responses is None:
            responses = self._responses[template, method, status] = (
                self.metrics.responses.labels(route=template, method=method, status=str(status)))
        responses.inc()
        if not log.isEnabledFor(logging.INFO):  # nothing to build when the line is not written
            return
        log.info("%s %s %d", method, template, status, extra={"fields": {
            "request_id": request_id,
            "method": method,
            "route": template,
            "path": scope.get("path", ""),
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "key": state.get("key_name"),
            "prompt": state.get("prompt_id"),
        }})
