"""The real server on a free loopback port: uvicorn in a background thread over create_app, or
``promptctl serve`` in a subprocess; httpx clients talk HTTP to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from server.app import create_app
from server.auth import add_key
from server.routes import common
from server.settings import Settings
from tests.conftest import GOOD_PROMPT, RepoFactory, git

WAIT_SECONDS = 20.0


@pytest.fixture(autouse=True)
def check_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``fast_json`` answer of these tests is compared with its response model's."""
    monkeypatch.setattr(common, "CHECK_ANSWERS", True)


def prompt(*, title: str = "Greeting", version: str = "1.0.0", status: str = "active",
           channel: str = "stable", tags: str = "[demo]", body: str | None = None,
           extra: str = "") -> str:
    text = (GOOD_PROMPT.replace("title: Greeting", f"title: {title}")
            .replace("version: 1.0.0", f"version: {version}")
            .replace("status: active", f"status: {status}\nchannel: {channel}{extra}")
            .replace("tags: [demo]", f"tags: {tags}"))
    if body is not None:
        text = text.replace("Hello, {{ name }}{% if excited %}!{% else %}.{% endif %}", body)
    return text


LIBRARY = {
    "prompts/demo/greet.prompt.md": prompt(extra="\naliases: [hello]"),
    "prompts/demo/farewell.prompt.md": prompt(title="Farewell", tags="[demo, bye]",
                                              body="Goodbye, {{ name }}"
                                                   "{% if excited %}!{% endif %}"),
    "prompts/demo/secret-draft.prompt.md": prompt(title="Zanzibar draft", status="draft",
                                                  tags="[hidden-tag]"),
    "prompts/labs/secret-experiment.prompt.md": prompt(title="Zanzibar experiment",
                                                       channel="experimental",
                                                       tags="[hidden-tag]"),
    "prompts/ops/runbook.prompt.md": prompt(title="Runbook", tags="[ops]"),
}


@dataclass
class Keys:
    path: Path
    consumer: str
    contributor: str
    admin: str

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    path = tmp_path / "keys.yaml"
    return Keys(path,
                consumer=add_key(path, "desktop-app", "consumer", "design"),
                contributor=add_key(path, "alice", "contributor", "platform"),
                admin=add_key(path, "ops", "admin", "platform"))


@dataclass
class Running:
    url: str
    app: Any
    settings: Settings
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.url, headers=headers or {}, timeout=10)
        self.clients.append(client)
        return client

    def wait_ready(self, commit: str | None = None) -> dict[str, Any]:
        """Wait until /readyz answers 200 (for ``commit``, when given)."""
        deadline = time.monotonic() + WAIT_SECONDS
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while True:
                answer = client.get("/readyz")
                body: dict[str, Any] = answer.json()
                if answer.status_code == 200 and (commit is None or body["commit"] == commit):
                    return body
                if time.monotonic() > deadline:
                    raise AssertionError(f"not ready in {WAIT_SECONDS} s: {body}")
                time.sleep(0.02)


@contextmanager
def serve(settings: Settings) -> Iterator[Running]:
    """create_app(settings) under uvicorn on a socket bound here (no port race), in a thread."""
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    config = uvicorn.Config(app, log_config=None, access_log=False, ws="none", lifespan="on",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    running = Running(f"http://{host}:{port}", app, settings)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("the server did not start")
            time.sleep(0.01)
        yield running
    finally:
        for client in running.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        assert not thread.is_alive(), "the server thread did not stop"


ServerFactory = Callable[..., Running]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start the real server over a repository; stopped at the end of the test."""
    stack: list[Any] = []

    def start(repo: Path, *, wait: bool = True, **overrides: Any) -> Running:
        settings = Settings(repo=repo, poll_seconds=0.1, usage_db=tmp_path / "usage.sqlite3",
                            rate_per_second=0)
        settings = replace(settings, **overrides)
        context = serve(settings)
        running = context.__enter__()
        stack.append(context)
        if wait:
            running.wait_ready()
        return running

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)


@pytest.fixture
def library_repo(make_repo: RepoFactory) -> Path:
    return make_repo(LIBRARY)


def commit_files(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()
