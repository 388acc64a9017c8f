"""New commits become visible without a restart (polling, admin refresh, webhook) while other
requests keep succeeding; invalid prompts keep their last good version; an unreadable repository
keeps the last index serving and turns /readyz to 503."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import git
from tests.server.conftest import (
    WAIT_SECONDS,
    Keys,
    Running,
    ServerFactory,
    commit_files,
    prompt,
)


@contextmanager
def steady_load(running: Running, path: str,
                headers: dict[str, str] | None = None) -> Iterator[list[int]]:
    """Requests in a loop on another thread for as long as the block runs; their statuses."""
    statuses: list[int] = []
    stop = threading.Event()

    def loop() -> None:
        with httpx.Client(base_url=running.url, headers=headers or {}, timeout=10) as client:
            while not stop.is_set():
                statuses.append(client.get(path).status_code)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        thread.join()


def wait_for(predicate: object, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_polling_picks_up_a_new_commit_while_requests_keep_succeeding(
        start_server: ServerFactory, library_repo: Path) -> None:
    running = start_server(library_repo)
    client = running.client()
    assert client.get("/api/v1/prompts/demo/new").status_code == 404
    with steady_load(running, "/api/v1/prompts/demo/greet") as statuses:
        head = commit_files(library_repo, {
            "prompts/demo/new.prompt.md": prompt(title="Brand new"),
            "prompts/demo/greet.prompt.md": prompt(version="1.1.0", extra="\naliases: [hello]"),
        })
        running.wait_ready(head)
        wait_for(lambda: len(statuses) > 20, "some concurrent requests")
    assert client.get("/api/v1/prompts/demo/new").json()["title"] == "Brand new"
    assert client.get("/api/v1/prompts/demo/greet").json()["version"] == "1.1.0"
    assert statuses
    assert set(statuses) == {200}


def test_admin_refresh_indexes_the_new_commit_at_once(
        start_server: ServerFactory, library_repo: Path, keys: Keys) -> None:
    running = start_server(library_repo, poll_seconds=0, keys_file=keys.path)
    admin = running.client(keys.headers("admin"))
    with steady_load(running, "/api/v1/search?q=greet", keys.headers("consumer")) as statuses:
        head = commit_files(library_repo, {"prompts/demo/new.prompt.md": prompt(title="Fresh")})
        answer = admin.post("/api/v1/admin/refresh")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"commit": head, "changed": True, "error": None,
                                 "pending": False}
        assert admin.get("/api/v1/prompts/demo/new").status_code == 200
        wait_for(lambda: len(statuses) > 5, "some concurrent requests")
    assert set(statuses) == {200}
    again = admin.post("/api/v1/admin/refresh").json()
    assert again["changed"] is False
    assert again["commit"] == head
    for role in ("consumer", "contributor"):
        hidden = running.client(keys.headers(role)).post("/api/v1/admin/refresh")
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "not_found"


def _signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_webhook_signature_triggers_a_refresh(
        start_server: ServerFactory, library_repo: Path, keys: Keys) -> None:
    secret = "It's a Secret to Everybody"
    running = start_server(library_repo, poll_seconds=0, keys_file=keys.path,
                           webhook_secret=secret)
    head = commit_files(library_repo, {"prompts/demo/new.prompt.md": prompt(title="Hooked")})
    client = running.client()
    body = json.dumps({"ref": "refs/heads/main", "after": head}).encode()
    bad = client.post("/api/v1/admin/refresh", content=body,
                      headers={"X-Hub-Signature-256": _signed("wrong secret", body),
                               "X-GitHub-Event": "push"})
    assert bad.status_code == 401
    assert bad.json() == {"error": {"code": "invalid_signature", "message": (
        "X-Hub-Signature-256 does not match the body; check that the webhook's secret is the "
        "server's")}}
    good = client.post("/api/v1/admin/refresh", content=body,
                       headers={"X-Hub-Signature-256": _signed(secret, body),
                                "X-GitHub-Event": "push"})
    assert good.status_code == 200, good.text
    assert good.json()["commit"] == head
    assert good.json()["changed"] is True


def test_github_documented_signature_example() -> None:
    # The example of GitHub's "Validating webhook deliveries" page.
    from server.routes.admin import signature_ok

    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok("It's a Secret to Everybody", b"Hello, World!", header)
    assert not signature_ok("It's a Secret to Everybody", b"Hello, World?", header)


def test_an_invalid_prompt_keeps_its_last_good_version_and_readyz_names_it(
        start_server: ServerFactory, library_repo: Path) -> None:
    running = start_server(library_repo)
    client = running.client()
    broken = prompt(version="1.1.0").replace("Hello, {{ name }}", "Hello, {{ nobody_declared }}")
    head = commit_files(library_repo, {
        "prompts/demo/greet.prompt.md": broken,
        "prompts/demo/born-broken.prompt.md": "---\ntitle: [unclosed\n---\nbody\n",
    })
    ready = running.wait_ready(head)
    served = client.get("/api/v1/prompts/demo/greet")
    assert served.status_code == 200
    assert served.json()["version"] == "1.0.0"
    first = git(library_repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert served.json()["commit"] == first
    rendered = client.post("/api/v1/prompts/demo/greet:render", json={"inputs": {"name": "Ada"}})
    assert rendered.json()["text"] == "Hello, Ada."
    errors = {e["path"]: e for e in ready["prompt_errors"]}
    # A consumer hears only of the prompt it is served; the never-good file is not its business.
    assert set(errors) == {"prompts/demo/greet.prompt.md"}
    greet = errors["prompts/demo/greet.prompt.md"]
    assert greet["id"] == "demo/greet"
    assert greet["serving_version"] == "1.0.0"
    assert greet["serving_commit"] == first
    assert [p["code"] for p in greet["problems"]] == ["undeclared-input"]
    assert "nobody_declared" in greet["problems"][0]["message"]
    assert client.get("/api/v1/prompts/demo/born-broken").status_code == 404


def test_a_number_json_cannot_carry_is_an_error_not_a_failed_request(
        start_server: ServerFactory, library_repo: Path) -> None:
    """`temperature: .nan` passes `minimum` and `maximum`; served, it failed every request
    that returned the prompt (JSON has no NaN)."""
    running = start_server(library_repo)
    client = running.client()
    head = commit_files(library_repo, {"prompts/demo/greet.prompt.md": prompt(
        version="1.1.0", extra="\nmodel:\n  temperature: .nan")})
    ready = running.wait_ready(head)
    problems = {e["path"]: e["problems"] for e in ready["prompt_errors"]}
    assert [p["code"] for p in problems["prompts/demo/greet.prompt.md"]] == ["yaml-number"]
    served = client.get("/api/v1/prompts/demo/greet")
    assert served.status_code == 200
    assert served.json()["version"] == "1.0.0"  # the last good version
    assert client.get("/api/v1/prompts", params={"limit": 50}).status_code == 200


def test_readyz_shows_every_error_to_a_contributor(
        start_server: ServerFactory, library_repo: Path, keys: Keys) -> None:
    commit_files(library_repo, {"prompts/demo/born-broken.prompt.md": "---\ntitle: x\n---\n"})
    running = start_server(library_repo, keys_file=keys.path)
    ready = running.client(keys.headers("contributor")).get("/readyz").json()
    errors = {e["path"]: e for e in ready["prompt_errors"]}
    assert errors["prompts/demo/born-broken.prompt.md"]["serving_version"] is None
    consumer = running.client(keys.headers("consumer")).get("/readyz").json()
    assert consumer["prompt_errors"] == []


def test_unreadable_repository_turns_readyz_to_503_and_keeps_serving(
        start_server: ServerFactory, library_repo: Path) -> None:
    running = start_server(library_repo)
    client = running.client()
    assert client.get("/api/v1/prompts/demo/greet").status_code == 200  # read once: kept
    moved = library_repo.with_name("moved-away")
    library_repo.rename(moved)
    try:
        wait_for(lambda: client.get("/readyz").status_code == 503, "readyz 503")
        body = client.get("/readyz").json()
        assert body["status"] == "not_ready"
        assert body["repo_error"].startswith("the repository cannot be read")
        # Lists, search and the prompts read lately are served; a prompt that must be read
        # from the repository is a 503 to retry, not a 500.
        assert client.get("/api/v1/prompts/demo/greet").status_code == 200
        assert client.get("/api/v1/search", params={"q": "greet"}).status_code == 200
        assert client.get("/api/v1/prompts").status_code == 200
        unread = client.get("/api/v1/prompts/demo/farewell")
        assert unread.status_code == 503
        assert unread.headers["Retry-After"] == "5"
        assert unread.json()["error"]["code"] == "repository_unavailable"
        assert "prompts/demo/farewell.prompt.md cannot be read" in unread.json()["error"][
            "message"]
    finally:
        moved.rename(library_repo)
    wait_for(lambda: client.get("/readyz").status_code == 200, "readyz 200 again")


def test_readyz_shows_the_repository_fault_with_its_path_to_admins_only(
        start_server: ServerFactory, library_repo: Path, keys: Keys,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="promptctl.server.reloader")
    running = start_server(library_repo, keys_file=keys.path)
    anonymous = running.client()
    moved = library_repo.with_name("moved-away")
    library_repo.rename(moved)
    try:
        wait_for(lambda: anonymous.get("/readyz").status_code == 503, "readyz 503")
        seen = {role: running.client(keys.headers(role)).get("/readyz")
                for role in ("consumer", "contributor", "admin")}
        seen["anonymous"] = anonymous.get("/readyz")
    finally:
        moved.rename(library_repo)
    wait_for(lambda: anonymous.get("/readyz").status_code == 200, "readyz 200 again")
    assert {role: answer.status_code for role, answer in seen.items()} == {
        "consumer": 503, "contributor": 503, "admin": 503, "anonymous": 503}
    for role in ("anonymous", "consumer", "contributor"):
        assert seen[role].json()["repo_error"] == (
            "the repository cannot be read; an admin key sees the reason here, and it is in "
            "the server's log"), role
        assert str(library_repo) not in seen[role].text, role
    full = seen["admin"].json()["repo_error"]
    assert "not a readable Git repository" in full
    assert str(library_repo) in full
    logged = [r.getMessage() for r in caplog.records if r.name == "promptctl.server.reloader"]
    assert any(str(library_repo) in message and "not a readable Git repository" in message
               for message in logged), logged


def test_fetch_remote_updates_a_mirror_clone(
        start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror.git"
    git(tmp_path, "clone", "-q", "--mirror", str(library_repo), str(mirror))
    running = start_server(mirror, fetch_remote="origin", poll_seconds=0.1)
    head = commit_files(library_repo, {"prompts/demo/new.prompt.md": prompt(title="Fetched")})
    running.wait_ready(head)
    assert running.client().get("/api/v1/prompts/demo/new").json()["title"] == "Fetched"


def test_a_failed_rebuild_keeps_the_last_index_and_says_why(
        start_server: ServerFactory, library_repo: Path) -> None:
    running = start_server(library_repo)
    client = running.client()
    before = client.get("/readyz").json()["commit"]
    commit_files(library_repo, {"promptctl.yaml": "approvals: {team: many}\n",
                                "prompts/demo/new.prompt.md": prompt(title="Not yet")})
    wait_for(lambda: client.get("/readyz").json()["reload_error"] is not None, "reload_error")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["commit"] == before
    assert "promptctl.yaml" in ready.json()["reload_error"]
    assert "keeps the previous index until it is fixed" in ready.json()["reload_error"]
    assert client.get("/api/v1/prompts/demo/new").status_code == 404
    assert "promptctl_index_reload_failures_total 1" in client.get("/metrics").text
    fixed = commit_files(library_repo, {"promptctl.yaml": "approvals: {team: 1}\n"})
    running.wait_ready(fixed)
    assert client.get("/readyz").json()["reload_error"] is None
    assert client.get("/api/v1/prompts/demo/new").status_code == 200
