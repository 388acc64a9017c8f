"""``/mcp`` on a real ``promptctl serve``, through the official SDK's client over Streamable
HTTP: prompts, arguments, completion, tools, skills, keys and channels, usage."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from tests.mcp.conftest import (
    HIDDEN_FROM_CONSUMER,
    VIEWS,
    Answer,
    Served,
    SkillsGet,
    SkillsGetParams,
    SkillsList,
    all_prompts,
    all_skills,
    http_session,
    run,
    stdio_session,
    text,
)

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "probe", "version": "1"}}}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def view(name: str) -> tuple[str, str | None]:
    role, _sep, channel = name.partition("+")
    return role, channel or None


def test_prompts_list_is_paginated_and_names_map_back_to_ids(served: Served) -> None:
    async def scenario() -> None:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            first = await session.list_prompts()
            assert first.next_cursor is not None  # 115 prompts, 100 a page
            listed = await all_prompts(session)
            with pytest.raises(MCPError) as bad:
                await session.list_prompts(params=types.PaginatedRequestParams(cursor="@@"))
        assert bad.value.error.code == types.INVALID_PARAMS
        assert len(first.prompts) == 100
        assert {p.name.replace(".", "/") for p in listed} == VIEWS["consumer"]
        assert len(listed) == len({p.name for p in listed})
        greet = next(p for p in listed if p.name == "demo.greet")
        assert (greet.title, greet.description) == ("Greeting", "Greets someone by name.")
        arguments = {a.name: a for a in greet.arguments or []}
        assert arguments["name"].required is True
        assert arguments["name"].description == "Who to greet."
        assert arguments["excited"].required is False
        assert arguments["excited"].description == "(true or false; default false)"

    run(scenario)


def test_prompts_get_converts_arguments_by_their_declared_type(served: Served) -> None:
    async def scenario() -> None:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            greet = await session.get_prompt("demo.greet", {"name": "Ada", "excited": "yes"})
            calm = await session.get_prompt("demo.greet", {"name": "{{ 7 * 7 }}"})
            notes = await session.get_prompt("docs.release-notes",
                                             {"changes": "faster, smaller", "count": "2"})
            review = await session.get_prompt("eng.code-review", {"diff": "+x"})
        assert [(m.role, text(m.content)) for m in greet.messages] == [("user", "Hello, Ada!")]
        assert text(calm.messages[0].content) == "Hello, {{ 7 * 7 }}."  # data, never a template
        assert text(notes.messages[0].content) == ("Write 2 formal release notes for: faster, "
                                                  "smaller.")
        # MCP prompt messages are user or assistant: the system message comes first as user.
        assert [(m.role, text(m.content)) for m in review.messages] == [
            ("user", "You are a careful reviewer."), ("user", "Review this diff: +x")]

    run(scenario)


@pytest.mark.parametrize(("name", "arguments", "expected"), [
    ("demo.greet", {"name": "Ada", "excited": "maybe"},
     "demo.greet: argument 'excited': expected true or false, got 'maybe'; fix the argument "
     "and call prompts/get again (prompts/list describes each argument)"),
    ("demo.greet", {}, "demo.greet: argument 'name': required input is missing; fix"),
    ("docs.release-notes", {"changes": "a", "count": "two"},
     "docs.release-notes: argument 'count': expected an integer, got 'two'"),
    ("docs.release-notes", {"changes": "a", "tone": "rude"},
     "docs.release-notes: argument 'tone': \"rude\" is not one of \"formal\", \"friendly\", "
     "\"terse\""),
    ("demo.greet", {"name": "Ada", "shout": "1"},
     "argument 'shout': unknown input; this prompt declares: excited, name"),
])
def test_a_bad_argument_is_a_protocol_error_naming_it_and_the_fix(
        served: Served, name: str, arguments: dict[str, str], expected: str) -> None:
    async def scenario() -> MCPError:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            with pytest.raises(MCPError) as caught:
                await session.get_prompt(name, arguments)
            return caught.value

    error = run(scenario)
    assert error.error.code == types.INVALID_PARAMS
    assert expected in error.error.message


def test_completion_offers_enum_values_and_id_prefixes(served: Served) -> None:
    async def scenario() -> list[list[str]]:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            notes = types.PromptReference(type="ref/prompt", name="docs.release-notes")
            answers = [
                await session.complete(notes, {"name": "tone", "value": "f"}),
                await session.complete(notes, {"name": "tone", "value": ""}),
                await session.complete(types.PromptReference(type="ref/prompt",
                                                             name="demo.greet"),
                                       {"name": "excited", "value": "t"}),
                await session.complete(notes, {"name": "changes", "value": ""}),
                await session.complete(types.ResourceTemplateReference(
                    type="ref/resource", uri="prompt://{+id}"), {"name": "id", "value": "de"}),
                await session.complete(types.ResourceTemplateReference(
                    type="ref/resource", uri="prompt://{+id}"), {"name": "id", "value": "la"}),
            ]
            return [a.completion.values for a in answers]

    assert run(scenario) == [["formal", "friendly"], ["formal", "friendly", "terse"], ["true"],
                             [], ["demo/farewell", "demo/greet"], []]


def _structured(result: types.CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def test_tools_search_get_and_render_with_schemas(served: Served) -> None:
    async def scenario() -> list[types.CallToolResult]:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            listed = await session.list_tools()
            assert {t.name for t in listed.tools} == {"search_prompts", "get_prompt",
                                                      "render_prompt"}
            assert all(t.output_schema and t.input_schema["type"] == "object"
                       for t in listed.tools)
            return [
                await session.call_tool("search_prompts", {"query": "release notes"}),
                await session.call_tool("get_prompt", {"id": "docs/release-notes"}),
                await session.call_tool("get_prompt", {"id": "demo/greet",
                                                       "version": "1.0.0"}),
                await session.call_tool("render_prompt", {
                    "id": "docs/release-notes", "inputs": {"changes": ["x"], "count": 1}}),
                await session.call_tool("render_prompt", {"id": "hello",
                                                          "inputs": {"name": "Bo"}}),
            ]

    search, get, pinned, render, by_alias = run(scenario)
    hits = _structured(search)["hits"]
    assert hits[0]["id"] == "docs/release-notes"
    assert hits[0]["name"] == "docs.release-notes"
    assert hits[0]["description"] == "Writes release notes in a chosen tone."
    detail = _structured(get)
    assert detail["version"] == "2.0.0"
    assert len(detail["commit"]) == 40
    assert detail["inputs_schema"] == {
        "type": "object", "additionalProperties": False, "required": ["changes"],
        "properties": {"tone": {"type": "string", "enum": ["formal", "friendly", "terse"],
                                "default": "formal"},
                       "changes": {"type": "array", "items": {"type": "string"}},
                       "count": {"type": "integer", "default": 3}}}
    assert detail["template"] == [{"role": "user", "content": "Write {{ count }} {{ tone }} "
                                   "release notes for: {{ changes | join(\", \") }}."}]
    assert _structured(pinned)["version"] == "1.0.0"
    rendered = _structured(render)
    assert rendered["messages"] == [{"role": "user", "content":
                                     "Write 1 formal release notes for: x."}]
    assert rendered["text"] == "Write 1 formal release notes for: x."
    assert _structured(by_alias)["id"] == "demo/greet"


@pytest.mark.parametrize(("tool", "arguments", "expected"), [
    ("render_prompt", {"id": "demo/greet", "inputs": {"excited": "loud"}},
     "render_prompt demo/greet: inputs.excited: expected boolean, got \"loud\"; inputs.name: "
     "required input is missing; get_prompt shows the inputs schema"),
    ("get_prompt", {"id": "demo/nothing"},
     "no prompt 'demo/nothing'; search_prompts finds the prompts you can use"),
    ("get_prompt", {"id": "demo/greet", "version": "9.9.9"}, "demo/greet@9.9.9: no such "
                                                             "version"),
    ("get_prompt", {}, "get_prompt: arguments: 'id' is a required property"),
    ("search_prompts", {"query": "x", "limit": 500}, "search_prompts: limit: 500 is greater "
                                                     "than the maximum of 50"),
    ("delete_prompt", {}, "unknown tool 'delete_prompt'"),
])
def test_tool_errors_are_results_with_a_clear_message(
        served: Served, tool: str, arguments: dict[str, Any], expected: str) -> None:
    async def scenario() -> types.CallToolResult:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            return await session.call_tool(tool, arguments)

    result = run(scenario)
    assert result.is_error
    assert isinstance(result.content[0], types.TextContent)
    assert expected in result.content[0].text


def test_skills_are_listed_with_digests_of_what_resources_read_returns(served: Served) -> None:
    async def scenario() -> tuple[Any, ...]:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            skills = await all_skills(session)
            entry = next(s for s in skills if s["uri"] == "skill://docs/release-notes/SKILL.md")
            read = await session.read_resource(entry["uri"])
            got = (await session.send_request(SkillsGet(params=SkillsGetParams(
                uri=entry["uri"])), Answer)).data
            resources = await session.list_resources()
            with pytest.raises(MCPError) as unknown:
                await session.send_request(SkillsGet(params=SkillsGetParams(
                    uri="skill://docs/nothing/SKILL.md")), Answer)
            with pytest.raises(MCPError) as cursor:
                await session.send_request(SkillsList(params=types.PaginatedRequestParams(
                    cursor="not-ours")), Answer)
            assert cursor.value.error.code == types.INVALID_PARAMS
            return skills, entry, read, got, resources, unknown.value

    skills, entry, read, got, resources, unknown = run(scenario)
    assert {s["uri"] for s in skills} == {f"skill://{i}/SKILL.md" for i in VIEWS["consumer"]}
    skill_md = read.contents[0].text
    data = skill_md.encode("utf-8")
    assert entry["resources"] == [{"uri": entry["uri"], "size": len(data),
                                   "digest": "sha256:" + hashlib.sha256(data).hexdigest()}]
    assert entry["frontmatter"]["name"] == "release-notes"
    assert entry["frontmatter"]["description"] == "Writes release notes in a chosen tone."
    assert skill_md.startswith("---\nname: release-notes\n")
    assert "- `tone` (string, one of \"formal\", \"friendly\", \"terse\"; default \"formal\")" \
        in skill_md
    assert "Write {{ count }} {{ tone }} release notes" in skill_md
    assert read.contents[0].mime_type == "text/markdown"
    assert got["skill"] == entry
    assert resources.resources[0].mime_type == "text/markdown"
    assert unknown.error.code == types.INVALID_PARAMS
    assert unknown.error.message.startswith("No skill is served at skill://docs/nothing/")


async def _everything(served: Served, name: str) -> dict[str, Any]:
    """What one view sees through every MCP surface, for the hidden prompts too."""
    role, channel = view(name)
    found: dict[str, Any] = {}
    async with http_session(served.mcp_url(channel), served.headers(role)) as session:
        found["list"] = {p.name.replace(".", "/") for p in await all_prompts(session)}
        found["skills"] = {s["uri"][len("skill://"):-len("/SKILL.md")]
                           for s in await all_skills(session)}
        found["get"], found["completion"], found["tools"], found["read"] = {}, {}, {}, {}
        for prompt_id in [*sorted(HIDDEN_FROM_CONSUMER), "demo/greet", "demo/absent"]:
            try:
                await session.get_prompt(prompt_id.replace("/", "."), {"name": "Ada"})
                found["get"][prompt_id] = "ok"
            except MCPError as exc:
                found["get"][prompt_id] = exc.error.message.replace(
                    prompt_id.replace("/", "."), "NAME")
            completion = await session.complete(
                types.PromptReference(type="ref/prompt", name=prompt_id.replace("/", ".")),
                {"name": "excited", "value": ""})
            found["completion"][prompt_id] = completion.completion.values
            tools = []
            for tool, arguments in (("get_prompt", {"id": prompt_id}),
                                    ("render_prompt", {"id": prompt_id,
                                                       "inputs": {"name": "Ada"}})):
                result = await session.call_tool(tool, arguments)
                text = result.content[0].text if isinstance(result.content[0],
                                                            types.TextContent) else ""
                tools.append("ok" if not result.is_error else text.replace(prompt_id, "ID"))
            found["tools"][prompt_id] = tools
            reads = []
            for uri in (f"skill://{prompt_id}/SKILL.md", f"prompt://{prompt_id}"):
                try:
                    await session.read_resource(uri)
                    reads.append("ok")
                except MCPError as exc:
                    reads.append(exc.error.message.replace(prompt_id, "ID"))
            found["read"][prompt_id] = reads
        hits = await session.call_tool("search_prompts", {"query": "Zanzibar"})
        assert isinstance(hits.structured_content, dict)
        found["search"] = {h["id"] for h in hits.structured_content["hits"]}
    return found


@pytest.mark.parametrize("name", list(VIEWS))
def test_visibility_matrix_across_list_get_completion_tools_and_skills(
        served: Served, name: str) -> None:
    found = run(lambda: _everything(served, name))
    visible = VIEWS[name]
    assert found["list"] == visible
    assert found["skills"] == visible
    zanzibar = {"demo/secret-draft", "labs/secret-experiment"}  # their titles say Zanzibar
    assert found["search"] == visible & zanzibar
    absent = found["get"]["demo/absent"]
    assert absent.startswith("unknown prompt 'NAME'")
    for prompt_id in [*sorted(HIDDEN_FROM_CONSUMER), "demo/greet"]:
        if prompt_id in visible:
            assert found["get"][prompt_id] == "ok"
            assert found["completion"][prompt_id] == ["true", "false"]
            assert found["tools"][prompt_id] == ["ok", "ok"]
            assert found["read"][prompt_id] == ["ok", "ok"]
        else:  # exactly the answers of a prompt that does not exist
            assert found["get"][prompt_id] == absent
            assert found["completion"][prompt_id] == found["completion"]["demo/absent"] == []
            assert found["tools"][prompt_id] == found["tools"]["demo/absent"]
            assert found["read"][prompt_id] == found["read"]["demo/absent"]


def test_keys_are_required_and_checked(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        none = client.post("/mcp", json=INIT, headers=ACCEPT)
        wrong = client.post("/mcp", json=INIT, headers={**ACCEPT, "Authorization": "Bearer x"})
        channel = client.post("/mcp?channel=beta", json=INIT,
                              headers={**ACCEPT, **served.headers("consumer")})
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == "Bearer"
    assert none.json()["error"]["code"] == "unauthorized"
    assert wrong.status_code == 401
    assert channel.status_code == 400
    assert channel.json()["error"]["message"] == ("channel 'beta': choose stable or "
                                                  "experimental")


def test_host_and_origin_are_checked_against_dns_rebinding(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        headers = {**ACCEPT, **served.headers("consumer")}
        rebound = client.post("/mcp", json=INIT, headers={**headers, "Host": "evil.example"})
        foreign = client.post("/mcp", json=INIT,
                              headers={**headers, "Origin": "http://evil.example"})
        local = client.post("/mcp", json=INIT,
                            headers={**headers, "Origin": "http://localhost:3000"})
    assert rebound.status_code == 421
    assert foreign.status_code == 403
    assert local.status_code == 200


def test_a_session_answers_only_the_key_that_opened_it(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        opened = client.post("/mcp", json=INIT, headers={**ACCEPT,
                                                         **served.headers("contributor")})
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "prompts/list"}
        other = client.post("/mcp", json=listing, headers={
            **ACCEPT, **served.headers("consumer"), "Mcp-Session-Id": session,
            "Mcp-Protocol-Version": "2025-11-25"})
    assert opened.status_code == 200
    assert other.status_code == 404


def test_gets_and_renders_are_usage_events_of_client_type_mcp(served: Served) -> None:
    def summary() -> dict[str, Any]:
        answer = httpx.get(f"{served.url}/api/v1/usage/summary", headers=served.headers("admin"),
                           params={"limit": 100}, timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def mcp_events(body: dict[str, Any]) -> int:
        return sum(r["count"] for r in body["per_client_type"] if r["client_type"] == "mcp")

    async def scenario() -> None:
        async with http_session(served.mcp_url(), served.headers("consumer")) as session:
            await session.get_prompt("ops.runbook", {"name": "Ada"})
            await session.call_tool("get_prompt", {"id": "ops/runbook"})
            await session.call_tool("render_prompt", {"id": "ops/runbook",
                                                      "inputs": {"name": "Ada"}})
            await session.call_tool("render_prompt", {"id": "ops/runbook", "inputs": {}})

    before = summary()
    run(scenario)
    after = summary()
    assert mcp_events(after) - mcp_events(before) == 4
    assert {"prompt_id": "ops/runbook", "count": 4} in after["top_prompts"]
    runbook = next(r for r in after["render_error_rates"] if r["prompt_id"] == "ops/runbook")
    assert (runbook["renders"], runbook["errors"]) == (3, 1)
    # The client's own name, from initialize (the SDK's ClientSession calls itself "mcp").
    named = {(r["client_type"], r["client_name"]): r["count"] for r in after["per_client"]}
    before_named = {(r["client_type"], r["client_name"]): r["count"]
                    for r in before["per_client"]}
    assert named[("mcp", "mcp")] - before_named.get(("mcp", "mcp"), 0) == 4


def test_the_sdk_answers_initialize_as_the_stdio_fast_path_does(served: Served) -> None:
    from promptctl.mcp import handshake

    with httpx.Client(base_url=served.url, timeout=10) as client:
        answer = client.post("/mcp", json=INIT, headers={**ACCEPT, **served.headers("consumer")})
    assert answer.status_code == 200, answer.text
    result = _first_result(answer)
    assert result == handshake.initialize_result("2025-11-25")


def _first_result(answer: httpx.Response) -> dict[str, Any]:
    import json

    if answer.headers["content-type"].startswith("application/json"):
        return dict(answer.json()["result"])
    for line in answer.text.splitlines():
        if line.startswith("data: ") and line[6:].strip():
            return dict(json.loads(line[6:])["result"])
    raise AssertionError(answer.text)


def test_stdio_over_the_read_api_sees_what_the_key_sees(served: Served) -> None:
    async def view(role: str, *args: str) -> tuple[set[str], Any, Any]:
        async with stdio_session("--server", served.url, "--key-env", "PROMPTS_KEY", *args,
                                 env={"PROMPTS_KEY": served.keys[role]}) as session:
            listed = {p.name.replace(".", "/") for p in await all_prompts(session)}
            got = await session.get_prompt("docs.release-notes", {"changes": "[\"a\"]"})
            hidden = await session.call_tool("render_prompt", {"id": "labs/secret-experiment",
                                                               "inputs": {"name": "Ada"}})
            return listed, got, hidden

    consumer, got, hidden = run(lambda: view("consumer"))
    assert consumer == VIEWS["consumer"]
    assert text(got.messages[0].content) == "Write 3 formal release notes for: a."
    assert hidden.is_error
    contributor, _got, seen = run(lambda: view("contributor", "--channel", "experimental"))
    assert contributor == VIEWS["contributor+experimental"]
    assert not seen.is_error


def test_a_json_rpc_batch_is_refused(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        answer = client.post("/mcp", json=[INIT], headers={**ACCEPT,
                                                           **served.headers("consumer")})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == types.INVALID_PARAMS


def test_listing_over_the_read_api_is_not_a_use_of_every_prompt(served: Served) -> None:
    """`promptctl mcp --server` lists prompts and skills from pages of the list API
    (`detail=true`), so an agent's session start counts no usage event. A prompts/get reads the
    prompt (a get) and renders it (a render); asked again, it only renders."""
    def total() -> int:
        answer = httpx.get(f"{served.url}/api/v1/usage/summary", headers=served.headers("admin"),
                           timeout=10)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    async def scenario() -> tuple[int, int, int, int, int]:
        async with stdio_session("--server", served.url, "--key-env", "PROMPTS_KEY",
                                 env={"PROMPTS_KEY": served.keys["consumer"]}) as session:
            before = total()
            listed = await all_prompts(session)
            resources = await session.list_resources()
            after_listing = total()
            await session.get_prompt("docs.release-notes", {"changes": "[\"a\"]"})
            after_get = total()
            await session.get_prompt("docs.release-notes", {"changes": "[\"b\"]"})
            return len(listed), len(resources.resources), after_listing - before, \
                after_get - after_listing, total() - after_get

    prompts, skills, by_listing, by_first_get, by_second_get = run(scenario)
    assert (prompts, skills > 0) == (len(VIEWS["consumer"]), True)
    assert (by_listing, by_first_get, by_second_get) == (0, 2, 1)


def test_the_sdk_is_imported_on_the_first_request_to_mcp(
        make_repo: Any, tmp_path: Any) -> None:
    """A server's start does not pay for the MCP SDK's import (half a second): the first request
    to /mcp does, and is answered."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.server.conftest import LIBRARY

    repo = make_repo(LIBRARY)
    script = tmp_path / "lazy.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from fastapi.testclient import TestClient\n"
        "from server.app import create_app\n"
        "from server.settings import Settings\n"
        "app = create_app(Settings(repo=Path(sys.argv[1]), ref='main', poll_seconds=0))\n"
        "with TestClient(app, base_url='http://127.0.0.1:8000') as client:\n"
        "    while client.get('/readyz').status_code != 200:\n"
        "        pass\n"
        "    before = 'mcp.server.streamable_http_manager' in sys.modules\n"
        f"    answer = client.post('/mcp', json={INIT!r}, headers={ACCEPT!r})\n"
        "    after = 'mcp.server.streamable_http_manager' in sys.modules\n"
        "    print(before, answer.status_code, after)\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(repo)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "200", "True"]
