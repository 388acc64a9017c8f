"""A usage event answered 202 is in the usage file: the real server killed (SIGKILL) or stopped
(SIGTERM) while clients report, then the rows counted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx

from tests.conftest import GIT_ENV
from tests.server.conftest import ServerFactory
from tests.server.test_cli import free_port, wait_ready

CLIENTS = 4
ACKED_BEFORE_THE_SIGNAL = 300


def _report(url: str, client: int, acked: list[str], stop: threading.Event) -> None:
    """Post events with a unique version each until stopped or the server is gone; keep the
    versions answered 202."""
    with httpx.Client(base_url=url, timeout=10) as http:
        sent = 0
        while not stop.is_set():
            version = f"{client}-{sent}"
            sent += 1
            try:
                answer = http.post("/api/v1/usage", json={"prompt": "demo/greet",
                                                          "version": version})
            except httpx.TransportError:
                return
            if answer.status_code == 202:
                assert answer.json() == {"accepted": True}
                acked.append(version)


def _stored_versions(usage_db: Path) -> set[str]:
    with closing(sqlite3.connect(usage_db)) as conn:
        if conn.execute("PRAGMA user_version").fetchone() == (0,):
            return set()  # nothing was ever written
        return {version for (version,) in conn.execute(
            "SELECT version FROM usage_events WHERE kind = 'reported'")}


@contextmanager
def _server(tmp_path: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``promptctl serve`` with its log in a file (a pipe nobody reads would fill and stall it);
    stopped at the end if still running."""
    port = free_port()
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "promptctl", "serve", "--port", str(port),
                                 *args], stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, (tmp_path / "serve.log").read_text)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _signal_mid_stream(tmp_path: Path, library_repo: Path,
                       signum: int) -> tuple[list[str], int]:
    """Start the server, have CLIENTS threads report, send ``signum`` once enough events were
    acknowledged; the acknowledged versions and the server's exit status."""
    acked: list[str] = []
    stop = threading.Event()
    args = ("--repo", str(library_repo), "--usage-db", str(tmp_path / "usage.sqlite3"),
            "--poll", "0", "--rate-limit", "0")
    with _server(tmp_path, *args) as (url, proc):
        threads = [threading.Thread(target=_report, args=(url, i, acked, stop))
                   for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 30
            while len(acked) < ACKED_BEFORE_THE_SIGNAL:
                assert time.monotonic() < deadline, f"only {len(acked)} events acknowledged"
                assert all(thread.is_alive() for thread in threads)
                time.sleep(0.005)
            proc.send_signal(signum)  # the clients are still posting
            returncode = proc.wait(timeout=30)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    return acked, returncode


def test_events_answered_202_survive_a_sigkill(library_repo: Path, tmp_path: Path) -> None:
    acked, returncode = _signal_mid_stream(tmp_path, library_repo, signal.SIGKILL)
    assert returncode == -signal.SIGKILL
    stored = _stored_versions(tmp_path / "usage.sqlite3")
    missing = [version for version in acked if version not in stored]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged events lost: {missing[:5]}"
    assert len(acked) >= ACKED_BEFORE_THE_SIGNAL


def test_events_answered_202_survive_a_sigterm(library_repo: Path, tmp_path: Path) -> None:
    acked, returncode = _signal_mid_stream(tmp_path, library_repo, signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
    stored = _stored_versions(tmp_path / "usage.sqlite3")
    missing = [version for version in acked if version not in stored]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged events lost: {missing[:5]}"
    assert len(acked) >= ACKED_BEFORE_THE_SIGNAL


def test_an_event_that_cannot_be_stored_in_time_is_answered_503(
        start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a regular file where the usage database's folder should be")
    running = start_server(library_repo, usage_db=blocker / "usage.sqlite3",
                           usage_ack_seconds=0.5)
    answer = running.client().post("/api/v1/usage", json={"prompt": "demo/greet"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    error = answer.json()["error"]
    assert error["code"] == "usage_unavailable"
    assert "could not be stored in time" in error["message"]
    assert str(tmp_path) not in answer.text


def test_a_server_without_a_usage_database_says_it_did_not_store(
        start_server: ServerFactory, library_repo: Path) -> None:
    running = start_server(library_repo, usage_db=None)
    answer = running.client().post("/api/v1/usage", json={"prompt": "demo/greet"})
    assert (answer.status_code, answer.json()) == (202, {"accepted": False})
