"""``promptctl mcp`` spawned for real and spoken to over stdio by the SDK's client: the local
repository's prompts, channels, the early ``initialize`` answer, and usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from promptctl.mcp import handshake
from tests.conftest import GIT_ENV, CliRunner
from tests.mcp.conftest import (
    FILES,
    HIDDEN_FROM_CONSUMER,
    VIEWS,
    all_prompts,
    all_skills,
    build_repo,
    run,
    stdio_session,
)

SMALL = {k: v for k, v in FILES.items() if not k.startswith("prompts/bulk/")}
SMALL_IDS = {i for i in VIEWS["contributor+experimental"] if not i.startswith("bulk/")}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_repo(tmp_path_factory.mktemp("mcp-stdio") / "repo", SMALL)


def _view(repo: Path, *args: str) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        async with stdio_session("--repo", str(repo), "--poll", "0", *args) as session:
            found: dict[str, Any] = {
                "list": {p.name.replace(".", "/") for p in await all_prompts(session)},
                "skills": {s["uri"][len("skill://"):-len("/SKILL.md")]
                           for s in await all_skills(session)}}
            for prompt_id in sorted(HIDDEN_FROM_CONSUMER):
                try:
                    await session.get_prompt(prompt_id.replace("/", "."), {"name": "Ada"})
                    found[prompt_id] = "ok"
                except MCPError as exc:
                    found[prompt_id] = exc.error.message
            rendered = await session.call_tool("render_prompt", {
                "id": "demo/greet", "inputs": {"name": "Ada", "excited": True}})
            found["render"] = rendered.structured_content
            return found

    result: dict[str, Any] = run(scenario)
    return result


def test_a_local_repository_serves_approved_prompts_by_default(repo: Path) -> None:
    found = _view(repo)
    visible = VIEWS["consumer"] & SMALL_IDS
    assert found["list"] == found["skills"] == visible
    for prompt_id in HIDDEN_FROM_CONSUMER:
        assert found[prompt_id] == (f"unknown prompt {prompt_id.replace('/', '.')!r}; "
                                    "prompts/list names the prompts you can use")
    assert found["render"] == {"id": "demo/greet", "version": "1.0.0", "commit": None,
                               "messages": [{"role": "user", "content": "Hello, Ada!"}],
                               "text": "Hello, Ada!"}


def test_the_experimental_channel_is_an_explicit_opt_in(repo: Path) -> None:
    found = _view(repo, "--channel", "experimental")
    assert found["list"] == found["skills"] == SMALL_IDS
    assert all(found[prompt_id] == "ok" for prompt_id in HIDDEN_FROM_CONSUMER)


def test_a_branch_is_served_with_its_commit_and_versions(repo: Path, tmp_path: Path) -> None:
    async def scenario() -> list[types.CallToolResult]:
        async with stdio_session("--repo", str(repo), "--ref", "main", "--poll", "0",
                                 env={"XDG_CACHE_HOME": str(tmp_path)}) as session:
            return [await session.call_tool("get_prompt", {"id": "demo/greet"}),
                    await session.call_tool("get_prompt", {"id": "demo/greet",
                                                           "version": "1"}),
                    await session.call_tool("get_prompt", {"id": "demo/greet",
                                                           "version": "2.0.0"})]

    current, pinned, missing = run(scenario)
    assert isinstance(current.structured_content, dict)
    assert len(current.structured_content["commit"]) == 40
    assert isinstance(pinned.structured_content, dict)
    assert pinned.structured_content["version"] == "1.0.0"
    assert missing.is_error
    assert isinstance(missing.content[0], types.TextContent)
    assert "demo/greet@2.0.0: no such version" in missing.content[0].text
    assert list((tmp_path / "promptctl" / "index").iterdir())  # the index kept for next time


@pytest.fixture
def raw(repo: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``promptctl mcp`` with pipes, to read its answers byte for byte."""
    proc = subprocess.Popen([sys.executable, "-m", "promptctl", "mcp", "--repo", str(repo),
                             "--poll", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env={**os.environ, **GIT_ENV})
    yield proc
    _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def _send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def _read(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "promptctl mcp closed stdout"
    return dict(json.loads(line))


INIT = {"jsonrpc": "2.0", "id": 7, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "probe", "version": "1"}}}


def test_initialize_is_answered_once_then_the_sdk_serves_the_session(
        raw: subprocess.Popen[bytes]) -> None:
    _send(raw, INIT)
    first = _read(raw)
    _send(raw, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    _send(raw, {"jsonrpc": "2.0", "id": 8, "method": "prompts/list"})
    second = _read(raw)
    assert first == {"jsonrpc": "2.0", "id": 7,
                     "result": handshake.initialize_result("2025-06-18")}
    assert first["result"]["protocolVersion"] == "2025-06-18"  # the client's, when supported
    assert second["id"] == 8  # not a second answer to initialize
    assert "demo.greet" in {p["name"] for p in second["result"]["prompts"]}


def test_a_first_message_other_than_initialize_is_the_sdks_to_answer(
        raw: subprocess.Popen[bytes]) -> None:
    _send(raw, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})
    refused = _read(raw)
    assert refused["id"] == 1
    assert refused["error"]["code"] == types.INVALID_PARAMS


def test_the_handshake_versions_are_the_sdks() -> None:
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

    assert tuple(HANDSHAKE_PROTOCOL_VERSIONS) == handshake.HANDSHAKE_VERSIONS
    assert handshake.LATEST_HANDSHAKE == LATEST_HANDSHAKE_VERSION


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--server", "http://127.0.0.1:9", "--key-env", "PROMPTS_KEY_UNSET"], {},
     "--key-env PROMPTS_KEY_UNSET: that environment variable is empty or unset"),
    (["--server", "http://127.0.0.1:9", "--repo", "."], {}, "--server serves the read API's "
                                                            "prompts: leave out --repo"),
    (["--key-env", "HOME"], {}, "--key-env is the key for --server"),
    (["--channel", "beta"], {}, "--channel 'beta' is not a channel"),
    (["--server", "prompts.example.com"], {}, "--server prompts.example.com: give the read "
                                              "API's base URL"),
    (["--ref", "nope"], {}, "nope"),
])
def test_usage_errors_exit_2_with_the_fix(cli: CliRunner, repo: Path, args: list[str],
                                          env: dict[str, str], expected: str) -> None:
    result = cli("mcp", *args, cwd=repo, env=env, stdin="")
    assert result.returncode == 2, result.output
    assert expected in result.stderr


def test_a_read_api_that_cannot_be_reached_is_said_plainly(cli: CliRunner, repo: Path) -> None:
    result = cli("mcp", "--server", "http://127.0.0.1:9", cwd=repo,
                 stdin=json.dumps(INIT) + "\n")
    assert result.returncode == 2
    assert "cannot reach the read API at http://127.0.0.1:9" in result.stderr
    assert json.loads(result.stdout.splitlines()[0])["id"] == 7  # initialize was answered


def test_a_read_api_failing_during_a_session_is_a_tool_error_not_a_crash() -> None:
    from promptctl.mcp import tools
    from promptctl.mcp.catalogue import ApiCatalogue

    catalogue = ApiCatalogue("http://127.0.0.1:9", None, experimental=False)
    try:
        result = tools.call(catalogue, "search_prompts", {"query": "review"})
    finally:
        catalogue.close()
    assert result.is_error
    assert isinstance(result.content[0], types.TextContent)
    assert result.content[0].text.startswith(
        "search_prompts: cannot reach the read API at http://127.0.0.1:9")
