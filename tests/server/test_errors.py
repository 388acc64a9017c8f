"""Every error answer has its exact shape and code, and every answer an X-Request-ID."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Keys, Running, ServerFactory


@pytest.fixture
def running(start_server: ServerFactory, library_repo: Path, keys: Keys) -> Running:
    return start_server(library_repo, keys_file=keys.path, max_body_bytes=2048)


MISSING_KEY = ("an API key is required: send `Authorization: Bearer <key>` (ask an admin for one; "
               "they create keys with `promptctl keys add`)")
UNKNOWN_KEY = "unknown API key; check the key, or ask an admin for a new one"


@pytest.mark.parametrize(("headers", "message", "challenge"), [
    ({}, MISSING_KEY, "Bearer"),
    ({"Authorization": "Bearer not-a-key"}, UNKNOWN_KEY, 'Bearer error="invalid_token"'),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, MISSING_KEY, "Bearer"),
])
def test_401_without_a_known_key(running: Running, headers: dict[str, str], message: str,
                                 challenge: str) -> None:
    for path in ("/api/v1/prompts", "/api/v1/prompts/demo/greet", "/api/v1/search?q=x",
                 "/api/v1/tags"):
        answer = running.client(headers).get(path)
        assert answer.status_code == 401, path
        assert answer.headers["WWW-Authenticate"] == challenge
        assert answer.json() == {"error": {"code": "unauthorized", "message": message}}


@pytest.mark.parametrize(("method", "path", "body", "status", "error"), [
    ("GET", "/api/v1/nothing-here", None, 404,
     {"code": "not_found", "message": "no such route; the API is under /api/v1 (see /docs)"}),
    ("GET", "/api/v1/prompts/demo/greet:explode", None, 404,
     {"code": "not_found", "message": "unknown action 'explode'; prompt actions are :versions "
                                      "(GET) and :render (POST)"}),
    ("GET", "/api/v1/prompts/demo/greet?version=9", None, 404,
     {"code": "not_found", "message": "demo/greet@9: no such version; versions: 1.0.0"}),
    ("POST", "/api/v1/prompts/demo/greet", {}, 405,
     {"code": "method_not_allowed", "message": "POST is not allowed here; allowed: GET"}),
    ("GET", "/api/v1/prompts/demo/greet:render", None, 405,
     {"code": "method_not_allowed",
      "message": 'demo/greet:render takes POST with {"inputs": {...}}'}),
    ("DELETE", "/api/v1/tags", None, 405,
     {"code": "method_not_allowed", "message": "DELETE is not allowed here; allowed: GET"}),
    ("POST", "/api/v1/prompts/demo/greet:render", {"inputs": {"name": 5, "shout": True}}, 422,
     {"code": "invalid_inputs",
      "message": "invalid inputs for demo/greet: name: expected string, got 5; shout: unknown "
                 "input; this prompt declares: excited, name",
      "fields": {"name": "expected string, got 5",
                 "shout": "unknown input; this prompt declares: excited, name"}}),
    ("POST", "/api/v1/prompts/demo/greet:render", {"inputs": {}}, 422,
     {"code": "invalid_inputs",
      "message": "invalid inputs for demo/greet: name: required input is missing",
      "fields": {"name": "required input is missing"}}),
    ("POST", "/api/v1/prompts/demo/greet:render", {"inputs": [], "extra": 1}, 422,
     {"code": "invalid_request",
      "message": "invalid request: inputs: Input should be a valid dictionary; extra: Extra "
                 "inputs are not permitted",
      "fields": {"inputs": "Input should be a valid dictionary",
                 "extra": "Extra inputs are not permitted"}}),
    ("GET", "/api/v1/prompts?limit=500", None, 422,
     {"code": "invalid_request",
      "message": "invalid request: limit: Input should be less than or equal to 200",
      "fields": {"limit": "Input should be less than or equal to 200"}}),
    ("GET", "/api/v1/prompts?cursor=%25%25%25", None, 422,
     {"code": "invalid_request",
      "message": "invalid cursor; pass the next_cursor of the previous page unchanged",
      "fields": {"cursor": "not a cursor from this API"}}),
])
def test_error_shapes(running: Running, keys: Keys, method: str, path: str,
                      body: dict[str, Any] | None, status: int, error: dict[str, Any]) -> None:
    answer = running.client(keys.headers("consumer")).request(method, path, json=body)
    assert answer.status_code == status, answer.text
    assert answer.json() == {"error": error}
    if status == 405:
        assert answer.headers["Allow"]


def test_413_for_a_body_over_the_bound(running: Running, keys: Keys) -> None:
    client = running.client(keys.headers("consumer"))
    big = {"inputs": {"name": "x" * 4096}}
    expected = {"error": {"code": "payload_too_large",
                          "message": "request body over 2,048 bytes; send less (inputs are "
                                     "bounded)"}}
    answer = client.post("/api/v1/prompts/demo/greet:render", json=big)
    assert answer.status_code == 413
    assert answer.json() == expected

    def chunks() -> Any:  # no Content-Length: the stream itself is counted
        for _ in range(8):
            yield b"x" * 1024

    streamed = client.post("/api/v1/prompts/demo/greet:render", content=chunks(),
                           headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json() == expected


def test_429_with_retry_after(start_server: ServerFactory, library_repo: Path,
                              keys: Keys) -> None:
    running = start_server(library_repo, keys_file=keys.path, rate_per_second=0.5, rate_burst=3)
    consumer = running.client(keys.headers("consumer"))
    statuses = [consumer.get("/api/v1/tags").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = consumer.get("/api/v1/tags")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.json() == {"error": {"code": "rate_limited",
                                        "message": "too many requests for this key; retry in 2 s"}}
    # Per key: another key still has its own bucket.
    assert running.client(keys.headers("contributor")).get("/api/v1/tags").status_code == 200


@pytest.mark.parametrize(("given", "echoed"), [
    ("req-42.abc:1", True),
    ("bad id with spaces", False),
    ("x" * 200, False),
    (None, False),
])
def test_request_id_accepted_when_sane_else_generated(
        running: Running, keys: Keys, given: str | None, echoed: bool) -> None:
    headers = keys.headers("consumer") | ({"X-Request-ID": given} if given else {})
    for path in ("/api/v1/tags", "/api/v1/nothing-here", "/healthz"):
        answer = running.client(headers).get(path)
        request_id = answer.headers["X-Request-ID"]
        if echoed:
            assert request_id == given
        else:
            assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    unauthorized = running.client({"X-Request-ID": "abc"}).get("/api/v1/tags")
    assert unauthorized.headers["X-Request-ID"] == "abc"


def test_500_has_the_error_shape_and_no_traceback(running: Running, keys: Keys,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object) -> object:
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(running.app.state.server.versions, "versions", explode)
    answer = running.client(keys.headers("consumer") | {"X-Request-ID": "boom-1"}).get(
        "/api/v1/prompts/demo/greet:versions")
    assert answer.status_code == 500
    assert answer.headers["X-Request-ID"] == "boom-1"
    assert answer.json() == {"error": {"code": "internal", "message": (
        "internal error; report request id boom-1 to the server's operators")}}


def test_a_failing_usage_store_never_fails_a_request(start_server: ServerFactory,
                                                     library_repo: Path,
                                                     tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the store's folder should be")
    running = start_server(library_repo, usage_db=blocked / "usage.sqlite3")
    client = running.client()
    for _ in range(3):
        assert client.get("/api/v1/prompts/demo/greet").status_code == 200
    deadline = time.monotonic() + 10
    while True:
        ready = client.get("/readyz")
        if ready.json()["usage"]["healthy"] is False or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert ready.status_code == 200
    assert ready.json()["usage"]["healthy"] is False
    assert ready.json()["usage"]["last_error"].startswith("the usage database could not be "
                                                          "written")
    assert str(tmp_path) not in ready.text  # the full text is for admins and the log
    assert "promptctl_usage_store_healthy 0" in client.get("/metrics").text


def test_header_values_lose_the_whitespace_around_them(running: Running) -> None:
    """RFC 9110: a field value does not include the whitespace around it. httptools (the C
    parser uvicorn uses) keeps the trailing part; the server strips it as h11 did."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(running.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID:  trace-7 \t \r\n"
                     b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert "\r\nx-request-id: trace-7\r\n" in head + "\r\n"
