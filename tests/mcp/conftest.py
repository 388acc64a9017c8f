"""The MCP server started for real: ``promptctl serve`` (``/mcp``) and ``promptctl mcp`` (stdio)
as processes, spoken to by the official SDK's own ``ClientSession``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx
import httpx2
import mcp_types as types
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from pydantic import BaseModel, ConfigDict

from server.auth import add_key
from tests.conftest import GIT_ENV, git, write_files
from tests.server.conftest import LIBRARY, prompt

WAIT_SECONDS = 30.0

ENUM_PROMPT = """\
---
title: Release notes
description: Writes release notes in a chosen tone.
version: 2.0.0
status: active
owners: ["@acme/team"]
tags: [docs]
inputs:
  tone:
    type: string
    enum: [formal, friendly, terse]
    default: formal
  changes:
    type: array
    items: {type: string}
    required: true
  count:
    type: integer
    default: 3
---
Write {{ count }} {{ tone }} release notes for: {{ changes | join(", ") }}.
"""

SYSTEM_PROMPT = """\
title: Code review
description: Reviews a diff.
version: 1.0.0
status: active
owners: ["@acme/team"]
tags: [code-review]
inputs:
  diff: {type: string, required: true, description: The diff to review.}
messages:
  - role: system
    content: You are a careful reviewer.
  - role: user
    content: "Review this diff: {{ diff }}"
"""

# The visibility matrix: which ids each view may see. Hidden ones never appear anywhere.
FILES: dict[str, str] = {
    **LIBRARY,
    "prompts/docs/release-notes.prompt.md": ENUM_PROMPT,
    "prompts/eng/code-review.prompt.yaml": SYSTEM_PROMPT,
    "prompts/labs/stable-draft.prompt.md": prompt(title="Stable draft", status="draft"),
    **{f"prompts/bulk/item-{n:03d}.prompt.md": prompt(title=f"Bulk item {n}",
                                                      body=f"Item {n} for {{{{ name }}}}")
       for n in range(110)},
}
CONSUMER = {"demo/greet", "demo/farewell", "ops/runbook", "docs/release-notes",
            "eng/code-review", *(f"bulk/item-{n:03d}" for n in range(110))}
DRAFTS = {"demo/secret-draft", "labs/stable-draft"}  # stable channel, status draft
EXPERIMENTAL = {"labs/secret-experiment"}  # active, experimental channel
VIEWS = {
    "consumer": CONSUMER,
    "consumer+experimental": CONSUMER,  # the opt-in never widens a consumer key
    "contributor": CONSUMER | DRAFTS,
    "contributor+experimental": CONSUMER | DRAFTS | EXPERIMENTAL,
}
HIDDEN_FROM_CONSUMER = DRAFTS | EXPERIMENTAL


def build_repo(root: Path, files: dict[str, str] = FILES) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_files(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "prompts")
    return root


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    repo: Path
    keys: dict[str, str]
    proc: subprocess.Popen[bytes]

    def mcp_url(self, channel: str | None = None) -> str:
        return f"{self.url}/mcp" + (f"?channel={channel}" if channel else "")

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}


@contextmanager
def serving(repo: Path, tmp: Path, *, keys: bool = True,
            poll: str = "0.2") -> Iterator[Served]:
    """``promptctl serve`` over ``repo`` on a free loopback port, ready."""
    secrets: dict[str, str] = {}
    args = []
    if keys:
        path = tmp / "keys.yaml"
        secrets = {"consumer": add_key(path, "desk", "consumer", "design"),
                   "contributor": add_key(path, "alice", "contributor", "platform"),
                   "admin": add_key(path, "ops", "admin", "platform")}
        args = ["--keys", str(path)]
    port = free_port()
    env = {**os.environ, **GIT_ENV, "XDG_CACHE_HOME": str(tmp / "cache")}
    log = (tmp / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptctl", "serve", "--repo", str(repo), "--port", str(port),
         "--poll", poll, "--usage-db", str(tmp / "usage.sqlite3"), "--rate-limit", "0", *args],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("promptctl serve did not get ready: "
                                     + (tmp / f"serve-{port}.log").read_text())
            time.sleep(0.05)
        yield Served(url, repo, secrets, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server per test module: read-only tests share it."""
    tmp = tmp_path_factory.mktemp("mcp-served")
    with serving(build_repo(tmp / "repo"), tmp) as running:
        yield running


Notifications = list[Any]


@asynccontextmanager
async def http_session(url: str, headers: dict[str, str] | None = None,
                       notifications: Notifications | None = None
                       ) -> AsyncIterator[ClientSession]:
    async def handler(message: Any) -> None:
        if notifications is not None:
            notifications.append(message)

    client = httpx2.AsyncClient(headers=headers or {}, timeout=httpx2.Timeout(30, read=60))
    async with client, streamable_http_client(url, http_client=client) as (read, write), \
            ClientSession(read, write, message_handler=handler) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def stdio_session(*args: str, cwd: Path | None = None,
                        env: dict[str, str] | None = None,
                        notifications: Notifications | None = None
                        ) -> AsyncIterator[ClientSession]:
    async def handler(message: Any) -> None:
        if notifications is not None:
            notifications.append(message)

    params = StdioServerParameters(command=sys.executable, args=["-m", "promptctl", "mcp", *args],
                                   cwd=cwd, env={**GIT_ENV, **(env or {})})
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), \
                ClientSession(read, write, message_handler=handler) as session:
            await session.initialize()
            yield session


def run(function: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(function)


class SkillsList(types.Request[types.PaginatedRequestParams | None, Literal["skills/list"]]):
    method: Literal["skills/list"] = "skills/list"
    params: types.PaginatedRequestParams | None = None


class SkillsGetParams(types.RequestParams):
    uri: str


class SkillsGet(types.Request[SkillsGetParams, Literal["skills/get"]]):
    method: Literal["skills/get"] = "skills/get"
    params: SkillsGetParams


class Answer(BaseModel):
    """A result of a method the SDK has no types for (the skills extension): as sent."""

    model_config = ConfigDict(extra="allow")

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def text(content: Any) -> str:
    assert isinstance(content, types.TextContent), content
    return content.text


async def all_prompts(session: ClientSession) -> list[types.Prompt]:
    found: list[types.Prompt] = []
    cursor = None
    while True:
        page = await session.list_prompts(params=types.PaginatedRequestParams(cursor=cursor))
        found += page.prompts
        cursor = page.next_cursor
        if cursor is None:
            return found


async def all_skills(session: ClientSession) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (await session.send_request(
            SkillsList(params=types.PaginatedRequestParams(cursor=cursor)), Answer)).data
        found += page["skills"]
        cursor = page.get("nextCursor")
        if cursor is None:
            return found


async def wait_for(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    with anyio.fail_after(seconds):
        while not condition():
            await anyio.sleep(0.05)
