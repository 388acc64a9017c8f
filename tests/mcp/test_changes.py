"""A commit landing while a client is connected: ``notifications/prompts/list_changed`` arrives
and the new prompt is listed, over HTTP (the server's poll, or the admin refresh) and over stdio
(a work tree edited, a branch committed to)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import git, write_files
from tests.mcp.conftest import (
    FILES,
    Notifications,
    all_prompts,
    build_repo,
    http_session,
    run,
    serving,
    stdio_session,
    wait_for,
)
from tests.server.conftest import prompt

NEW = {"prompts/ops/deploy.prompt.md": prompt(title="Deploy")}
SMALL = {k: v for k, v in FILES.items() if not k.startswith("prompts/bulk/")}


def changed(notifications: Notifications, method: str) -> bool:
    return any(_method(n) == method for n in notifications)


def _method(message: Any) -> str | None:
    root = getattr(message, "root", message)
    return getattr(root, "method", None)


@pytest.mark.parametrize("how", ["poll", "refresh"])
def test_http_clients_are_told_when_the_served_commit_changes(tmp_path: Path, how: str) -> None:
    repo = build_repo(tmp_path / "repo", SMALL)
    with serving(repo, tmp_path, poll="0.2" if how == "poll" else "0") as served:
        notifications: Notifications = []

        async def scenario() -> tuple[set[str], set[str]]:
            async with http_session(served.mcp_url(), served.headers("consumer"),
                                    notifications) as session:
                before = {p.name for p in await all_prompts(session)}
                write_files(repo, NEW)
                git(repo, "add", "-A")
                git(repo, "commit", "-q", "-m", "deploy prompt")
                if how == "refresh":
                    answer = httpx.post(f"{served.url}/api/v1/admin/refresh",
                                        headers=served.headers("admin"), timeout=30)
                    assert answer.status_code == 200, answer.text
                await wait_for(lambda: changed(notifications,
                                               "notifications/prompts/list_changed"))
                after = {p.name for p in await all_prompts(session)}
                return before, after

        before, after = run(scenario)
    assert "ops.deploy" not in before
    assert after == before | {"ops.deploy"}
    assert changed(notifications, "notifications/resources/list_changed")  # the skills too


def test_stdio_tells_its_client_when_the_work_tree_changes(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", SMALL)
    notifications: Notifications = []

    async def scenario() -> tuple[set[str], set[str], set[str]]:
        async with stdio_session("--repo", str(repo), "--poll", "0.1",
                                 notifications=notifications) as session:
            before = {p.name for p in await all_prompts(session)}
            write_files(repo, NEW)  # saved, not committed: the work tree is what is served
            await wait_for(lambda: changed(notifications, "notifications/prompts/list_changed"))
            added = {p.name for p in await all_prompts(session)}
            notifications.clear()
            (repo / "prompts/ops/deploy.prompt.md").unlink()
            await wait_for(lambda: changed(notifications, "notifications/prompts/list_changed"))
            removed = {p.name for p in await all_prompts(session)}
            return before, added, removed

    before, added, removed = run(scenario)
    assert added == before | {"ops.deploy"}
    assert removed == before


def test_stdio_on_a_branch_follows_its_commits(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", SMALL)
    notifications: Notifications = []

    async def scenario() -> tuple[set[str], set[str], set[str]]:
        async with stdio_session("--repo", str(repo), "--ref", "main", "--poll", "0.1",
                                 env={"XDG_CACHE_HOME": str(tmp_path / "cache")},
                                 notifications=notifications) as session:
            before = {p.name for p in await all_prompts(session)}
            write_files(repo, NEW)  # in the work tree only: not on main yet
            await _settle()
            unchanged = {p.name for p in await all_prompts(session)}
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "deploy prompt")
            await wait_for(lambda: changed(notifications, "notifications/prompts/list_changed"))
            after = {p.name for p in await all_prompts(session)}
            return before, unchanged, after

    before, unchanged, after = run(scenario)
    assert unchanged == before
    assert after == before | {"ops.deploy"}


async def _settle() -> None:
    import anyio

    await anyio.sleep(0.5)


def test_a_change_before_the_notification_stream_opens_is_still_told(tmp_path: Path) -> None:
    """The client opens its GET stream after initialize; a commit announced in between would be
    lost, so it is announced again once the stream opens."""
    repo = build_repo(tmp_path / "repo", SMALL)
    accept = {"Accept": "application/json, text/event-stream",
              "Content-Type": "application/json"}
    with serving(repo, tmp_path, poll="0.2") as served, \
            httpx.Client(base_url=served.url, timeout=30) as client:
        headers = {**accept, **served.headers("consumer")}
        opened = client.post("/mcp", headers=headers, json={
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "late", "version": "1"}}})
        headers |= {"Mcp-Session-Id": opened.headers["mcp-session-id"],
                    "Mcp-Protocol-Version": "2025-11-25"}
        client.post("/mcp", headers=headers,
                    json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        before = client.get("/readyz").json()["commit"]
        write_files(repo, NEW)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "deploy prompt")
        deadline = time.monotonic() + 30
        while client.get("/readyz").json()["commit"] == before:
            assert time.monotonic() < deadline, "the commit was not indexed"
            time.sleep(0.05)
        time.sleep(1.0)  # announced by now, to a stream not yet open
        lines: list[str] = []
        with client.stream("GET", "/mcp", headers={**headers, "Accept": "text/event-stream"},
                           timeout=httpx.Timeout(30, read=10)) as stream:
            for line in stream.iter_lines():
                lines.append(line)
                if "notifications/prompts/list_changed" in line:
                    break
    assert any("notifications/prompts/list_changed" in line for line in lines)
