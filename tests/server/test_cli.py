"""``promptctl serve``, ``keys add`` and ``openapi`` through the real command line."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from server.usage import UsageEvent, UsageStore
from tests.conftest import GIT_ENV, ROOT, CliRunner, git, interrupt
from tests.server.conftest import commit_files, prompt

STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, proc: subprocess.Popen[Any], output: Callable[[], str]) -> None:
    """Until ``url``/readyz answers 200; fails with the server's ``output`` if it exits."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert proc.poll() is None, output()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "promptctl serve did not become ready"
        time.sleep(0.05)


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    # The default --index-cache is under $XDG_CACHE_HOME: a directory of the test's own.
    with tempfile.TemporaryDirectory() as cache_home, _serving(cache_home, *args) as running:
        yield running


@contextmanager
def _serving(cache_home: str, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "XDG_CACHE_HOME": cache_home}
    proc = subprocess.Popen([sys.executable, "-m", "promptctl", "serve", "--port", str(port),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, lambda: proc.communicate()[1])
        yield url, proc
    finally:
        interrupt(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_serve_anonymous_on_loopback_says_so_and_logs_json(library_repo: Path,
                                                           tmp_path: Path) -> None:
    usage_db = tmp_path / "usage.sqlite3"
    with serving("--repo", str(library_repo), "--usage-db", str(usage_db)) as (url, proc):
        with httpx.Client(base_url=url) as client:
            answer = client.get("/api/v1/prompts/demo/greet",
                                headers={"X-Request-ID": "cli-test-1"})
            assert answer.status_code == 200
            assert client.get("/api/v1/prompts/demo/secret-draft").status_code == 404
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert ("note: no --keys file: anonymous consumer access (active, stable prompts) on "
            "loopback only (127.0.0.1)") in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "cli-test-1"]
    assert len(access) == 1
    assert {k: access[0][k] for k in ("method", "route", "status", "key", "prompt")} == {
        "method": "GET", "route": "/api/v1/prompts/{prompt_id}", "status": 200,
        "key": "anonymous", "prompt": "demo/greet"}
    assert any(line.get("message", "").startswith("indexed ") for line in lines)
    # Usage events were flushed on shutdown.
    import sqlite3

    with sqlite3.connect(usage_db) as db:
        count = db.execute("SELECT count(*) FROM usage_events WHERE prompt_id = 'demo/greet'"
                           ).fetchone()[0]
    db.close()
    assert count == 1


def test_serve_refuses_anonymous_on_a_public_address_before_binding(
        cli: CliRunner, library_repo: Path) -> None:
    started = time.monotonic()
    result = cli("serve", "--repo", str(library_repo), "--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 2
    assert "refusing to serve without keys on 0.0.0.0" in result.stderr
    assert "promptctl keys add" in result.stderr
    assert time.monotonic() - started < 20


def test_serve_refuses_an_unknown_ref(cli: CliRunner, library_repo: Path) -> None:
    result = cli("serve", "--repo", str(library_repo), "--ref", "nope", "--port", "1")
    assert result.returncode == 2
    assert "'nope' names no commit" in result.stderr


def test_keys_add_stores_only_a_hash_and_serve_accepts_the_key(
        cli: CliRunner, library_repo: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    result = cli("keys", "add", "desktop", "--role", "contributor", "--team", "design",
                 "--keys", str(keys))
    assert result.returncode == 0, result.output
    key = result.stdout.strip()
    assert len(key) > 30
    text = keys.read_text()
    assert key not in text
    [stored] = yaml.safe_load(text)
    assert stored.pop("created").endswith("Z")  # when it was added, UTC
    assert stored == {"name": "desktop", "role": "contributor", "team": "design",
                      "sha256": hashlib.sha256(key.encode()).hexdigest()}
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    again = cli("keys", "add", "desktop", "--role", "consumer", "--keys", str(keys))
    assert again.returncode == 2
    assert "a key named 'desktop' already exists" in again.stderr
    bad_role = cli("keys", "add", "other", "--role", "root", "--keys", str(keys))
    assert bad_role.returncode == 2
    assert "--role must be one of consumer, contributor, admin" in bad_role.stderr
    with serving("--repo", str(library_repo), "--keys", str(keys), "--host", "127.0.0.1",
                 "--usage-db", str(tmp_path / "u.sqlite3")) as (url, _proc), \
            httpx.Client(base_url=url) as client:
        assert client.get("/api/v1/prompts").status_code == 401
        draft = client.get("/api/v1/prompts/demo/secret-draft",
                           headers={"Authorization": f"Bearer {key}"})
        assert draft.status_code == 200


def test_committed_openapi_document_is_current(cli: CliRunner) -> None:
    result = cli("openapi")
    assert result.returncode == 0, result.output
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert result.stdout == committed, (
        "docs/openapi.json is stale: run `promptctl openapi > docs/openapi.json` and commit it")
    document = json.loads(result.stdout)
    assert document["info"]["title"] == "Prompt Engine read API"
    assert list(document) == sorted(document)


def test_serve_keeps_its_index_between_runs(library_repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "index-cache"
    args = ("--repo", str(library_repo), "--usage-db", str(tmp_path / "u.sqlite3"),
            "--index-cache", str(cache), "--poll", "0")
    with serving(*args) as (url, proc):
        assert httpx.get(f"{url}/api/v1/prompts/demo/farewell").status_code == 200
        deadline = time.monotonic() + 20
        while httpx.get(f"{url}/readyz").json()["index_cache"]["saved_commit"] is None:
            assert time.monotonic() < deadline, "the index cache was never written"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert (cache / "index.sqlite3").is_file()
    assert (cache / "search").is_dir()
    # While it was down: farewell removed, greeting renamed.
    commit_files(library_repo, {"prompts/demo/greet.prompt.md":
                                prompt(title="Salutation", extra="\naliases: [hello]")})
    (library_repo / "prompts/demo/farewell.prompt.md").unlink()
    git(library_repo, "commit", "-qam", "remove farewell")
    with serving(*args) as (url, proc), httpx.Client(base_url=url) as client:
        assert client.get("/api/v1/prompts/demo/farewell").status_code == 404
        assert client.get("/api/v1/prompts/hello").json()["title"] == "Salutation"
        found = client.get("/api/v1/search", params={"q": "salutation"}).json()
        assert [hit["id"] for hit in found["hits"]] == ["demo/greet"]
        found = client.get("/api/v1/search", params={"q": "farewell"}).json()
        assert found["hits"] == []
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    kept = [line["message"] for line in lines if "index cache" in line.get("message", "")]
    assert len(kept) == 1
    assert " 5 file records kept" in kept[0]
    assert "Traceback" not in err


def test_serve_deletes_usage_events_past_its_retention(library_repo: Path,
                                                        tmp_path: Path) -> None:
    usage_db = tmp_path / "usage.sqlite3"
    now = time.time()
    with UsageStore(usage_db) as store:
        for days in (500, 100, 1):
            store.record(UsageEvent("demo/greet", "1.0.0", "web", None, None, "get",
                                    at=now - days * 86400))
    with serving("--repo", str(library_repo), "--usage-db", str(usage_db), "--poll", "0",
                 "--usage-retention-days", "90") as (url, _proc):
        deadline = time.monotonic() + 20
        while "promptctl_usage_events_pruned_total 2" not in httpx.get(f"{url}/metrics").text:
            assert time.monotonic() < deadline, "old usage events were not deleted"
            time.sleep(0.05)
    with closing(sqlite3.connect(usage_db)) as conn:
        assert conn.execute("SELECT count(*) FROM usage_events").fetchone() == (1,)


def test_serve_removes_default_index_caches_no_server_used_for_a_month(
        library_repo: Path, tmp_path: Path) -> None:
    cache_home = tmp_path / "cache"
    parent = cache_home / "promptctl" / "index"
    stale, recent = parent / "0123456789abcdef", parent / "fedcba9876543210"
    for directory, days in ((stale, 45), (recent, 3)):
        directory.mkdir(parents=True)
        (directory / "version").write_text("older promptctl", encoding="utf-8")
        when = time.time() - days * 86400
        os.utime(directory / "version", (when, when))
    explicit = tmp_path / "elsewhere" / "index"
    elsewhere_stale = explicit.parent / "old-cache"
    elsewhere_stale.mkdir(parents=True)
    (elsewhere_stale / "version").write_text("older promptctl", encoding="utf-8")
    os.utime(elsewhere_stale / "version", (0, 0))
    args = ("--repo", str(library_repo), "--usage-db", str(tmp_path / "u.sqlite3"), "--poll", "0")
    # With --index-cache the directory's neighbours are the user's business: left alone.
    with _serving(str(cache_home), *args, "--index-cache", str(explicit)):
        pass
    assert stale.is_dir()
    assert elsewhere_stale.is_dir()
    with _serving(str(cache_home), *args) as (_url, proc):
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    assert not stale.exists()
    assert recent.is_dir()
    assert f"removed the index cache {stale}" in err
