"""The web console's fixtures: one headless Chromium (Debian's /usr/bin/chromium) per test
session, and ``promptctl serve`` as a real process over a real Git repository, one per module.

Screenshots of the main pages are written under ``$PROMPT_ENGINE_SCREENSHOTS`` (default:
``prompt-engine-screenshots`` in the system's temporary directory), replaced by each run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.auth import add_key
from tests.conftest import GIT_ENV, ROOT, git, interrupt, write_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-gpu", "--no-first-run",
                 "--disable-sync"]
WEBAPP = ROOT / "server" / "webapp"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
STARTUP_SECONDS = 30.0
KEY_STORAGE = "prompt-engine.api-key"  # web/src/platform.ts


def require_built_console() -> None:
    assert (WEBAPP / "index.html").is_file(), (
        "the web console is not built: run `bash scripts/test` (or `npm ci && npm run build` "
        "in web/)")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One Chromium for the whole session."""
    if not CHROMIUM.is_file():
        pytest.skip("/usr/bin/chromium is absent: install it with `apt-get install -y chromium` "
                    "(bash scripts/test does, as root)")
    require_built_console()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """The session's Chromium; the contexts a test opens are closed after it."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where screenshots go; each test writes its own names, so xdist workers share it."""
    given = os.environ.get("PROMPT_ENGINE_SCREENSHOTS")
    folder = Path(given) if given else Path(tempfile.gettempdir()) / "prompt-engine-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    """``promptctl serve`` over ``repo`` on ``port``; ``keys``: role -> key (empty: anonymous)."""

    repo: Path
    home: Path
    keys: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [sys.executable, "-m", "promptctl", "serve", "--repo", str(self.repo), "--ref",
                "main", "--port", str(self.port), "--poll", "0.2", "--rate-limit", "0",
                "--no-index-cache", "--usage-db", str(self.home / "usage.sqlite3")]
        if self.keys:
            args += ["--keys", str(self.home / "keys.yaml")]
        env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "XDG_STATE_HOME": str(self.home),
               "XDG_CACHE_HOME": str(self.home)}
        # The log goes to a file: a pipe nobody reads would fill up and stop the server.
        with (self.home / "serve.log").open("a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(args, env=env, text=True, stdout=subprocess.DEVNULL,
                                         stderr=log)
        self.wait_ready()

    def wait_ready(self, commit: str | None = None) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                log = (self.home / "serve.log").read_text(encoding="utf-8")
                raise AssertionError(f"promptctl serve exited: {log[-4000:]}")
            try:
                answer = httpx.get(f"{self.url}/readyz", timeout=2)
                if answer.status_code == 200 and commit in (None, answer.json()["commit"]):
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "promptctl serve did not get ready"
            time.sleep(0.05)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        interrupt(proc)

    def headers(self, role: str, client_type: str = "cli") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}", "X-Client-Type": client_type}

    def commit(self, files: Mapping[str, str], message: str = "change", *,
               wait: bool = True) -> str:
        """Commit ``files`` on main and (``wait``) until the server serves that commit."""
        write_files(self.repo, files)
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "-m", message)
        head = git(self.repo, "rev-parse", "HEAD").strip()
        if wait:
            self.wait_ready(head)
        return head


def new_repo(root: Path, files: Mapping[str, str]) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial prompts")
    return repo


def serve_library(root: Path, files: Mapping[str, str], *, with_keys: bool = True) -> Served:
    served = Served(new_repo(root, files), root)
    if with_keys:
        keys = root / "keys.yaml"
        served.keys = {"consumer": add_key(keys, "reader", "consumer", "design"),
                       "contributor": add_key(keys, "writer", "contributor", "platform"),
                       "admin": add_key(keys, "ops", "admin", "platform")}
    served.start()
    return served
