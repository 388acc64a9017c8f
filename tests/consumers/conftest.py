"""Fixtures for the client SDK and consuming repositories: the real server (from
tests/server/conftest.py), ``promptctl serve`` as a process, and a scripted HTTP peer that
answers what a test needs (429, 503, Retry-After) where the real server would not."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import GIT_ENV, interrupt
from tests.server.conftest import keys, library_repo, start_server
from tests.server.test_cli import wait_ready

__all__ = ["keys", "library_repo", "start_server"]


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Peer:
    """An HTTP server that answers each request with the next scripted ``Answer`` (the last one
    repeats) and records what it was asked."""

    url: str
    answers: list[Answer]
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def script(self, *answers: Answer) -> None:
        self.answers[:] = list(answers)


@pytest.fixture
def peer() -> Iterator[Peer]:
    answers: list[Answer] = [Answer(503)]
    lock = threading.Lock()
    state: dict[str, Peer] = {}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            with lock:
                state["peer"].requests.append((self.command, self.path, dict(self.headers)))
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            """A client that hangs up early (a refused oversize answer) is not news."""
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    state["peer"] = Peer(f"http://{host!s}:{port}", answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["peer"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def json_answer(data: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, json.dumps(data).encode("utf-8"),
                  {"Content-Type": "application/json", **headers})


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a stopped server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def promptctl_serve(repo: Path, cache_home: Path, *args: str) -> Iterator[str]:
    """``promptctl serve`` over ``repo`` as a process on a free loopback port; its URL. Its
    output goes to a file: a pipe nobody reads would fill with access logs and stop it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cache_home.mkdir(parents=True, exist_ok=True)
    log = cache_home / "serve.log"
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "XDG_CACHE_HOME": str(cache_home)}
    with log.open("w") as output:
        proc = subprocess.Popen([sys.executable, "-m", "promptctl", "serve", "--repo", str(repo),
                                 "--port", str(port), *args], stdout=output, stderr=output,
                                env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, lambda: log.read_text()[-3000:])
        yield url
    finally:
        interrupt(proc)


def render_on_server(url: str, prompt_id: str, inputs: dict[str, Any],
                     version: str | None = None, headers: dict[str, str] | None = None
                     ) -> httpx.Response:
    body: dict[str, Any] = {"inputs": inputs}
    if version is not None:
        body["version"] = version
    return httpx.post(f"{url}/api/v1/prompts/{prompt_id}:render", json=body,
                      headers=headers or {}, timeout=30)
