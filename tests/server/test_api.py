"""The routes of DESIGN.md over a real server: pagination, versions, ETags, search, render,
metrics and the access log."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from server.telemetry import ACCESS_LOGGER, JsonFormatter
from tests.conftest import RepoFactory, git
from tests.server.conftest import Running, ServerFactory, commit_files, prompt


@pytest.fixture
def history_repo(make_repo: RepoFactory) -> tuple[Path, dict[str, str]]:
    """demo/greet at 1.0.0, 1.1.0, 1.2.0 and 2.0.0, one commit each."""
    repo = make_repo({"prompts/demo/greet.prompt.md": prompt(version="1.0.0")})
    commits = {"1.0.0": git(repo, "rev-parse", "HEAD").strip()}
    for version, greeting in (("1.1.0", "Hi"), ("1.2.0", "Hey"), ("2.0.0", "Howdy")):
        commits[version] = commit_files(repo, {"prompts/demo/greet.prompt.md": prompt(
            version=version, body=f"{greeting}, {{{{ name }}}}{{% if excited %}}!{{% endif %}}")},
            f"greet {version}")
    return repo, commits


@pytest.mark.parametrize(("spec", "version", "text"), [
    (None, "2.0.0", "Howdy, Ada"),
    ("1", "1.2.0", "Hey, Ada"),
    ("1.1", "1.1.0", "Hi, Ada"),
    ("1.0.0", "1.0.0", "Hello, Ada."),
    ("2", "2.0.0", "Howdy, Ada"),
    ("commit:1.1.0", "1.1.0", "Hi, Ada"),
])
def test_version_resolution_for_get_and_render(
        start_server: ServerFactory, history_repo: tuple[Path, dict[str, str]],
        spec: str | None, version: str, text: str) -> None:
    repo, commits = history_repo
    if spec and spec.startswith("commit:"):
        spec = commits[spec.removeprefix("commit:")][:10]
    client = start_server(repo).client()
    params = {"version": spec} if spec else {}
    got = client.get("/api/v1/prompts/demo/greet", params=params)
    assert got.status_code == 200, got.text
    assert got.json()["version"] == version
    assert got.json()["commit"] == commits[version]
    rendered = client.post("/api/v1/prompts/demo/greet:render",
                           json={"inputs": {"name": "Ada"}, **({"version": spec} if spec else {})})
    assert rendered.json() == {"messages": [{"role": "user", "content": text}], "text": text,
                               "id": "demo/greet", "version": version,
                               "commit": commits[version]}


def test_versions_lists_the_history(start_server: ServerFactory,
                                    history_repo: tuple[Path, dict[str, str]]) -> None:
    repo, commits = history_repo
    answer = start_server(repo).client().get("/api/v1/prompts/demo/greet:versions").json()
    assert answer["id"] == "demo/greet"
    assert [(v["version"], v["commit"]) for v in answer["versions"]] == list(commits.items())
    assert answer["versions"][1]["message"] == "greet 1.1.0"
    assert answer["versions"][0]["author"] == "Test Author"


def test_etag_and_304(start_server: ServerFactory,
                      history_repo: tuple[Path, dict[str, str]]) -> None:
    repo, commits = history_repo
    running = start_server(repo)
    client = running.client()
    first = client.get("/api/v1/prompts/demo/greet")
    etag = first.headers["ETag"]
    assert etag == f'"{commits["2.0.0"]}.2.0.0"'
    again = client.get("/api/v1/prompts/demo/greet", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    weak = client.get("/api/v1/prompts/demo/greet", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    old = client.get("/api/v1/prompts/demo/greet", params={"version": "1.0.0"})
    assert old.headers["ETag"] == f'"{commits["1.0.0"]}.1.0.0"'
    assert client.get("/api/v1/prompts/demo/greet", params={"version": "1.0.0"},
                      headers={"If-None-Match": etag}).status_code == 200
    head = commit_files(repo, {"prompts/demo/greet.prompt.md": prompt(version="2.1.0")})
    running.wait_ready(head)
    changed = client.get("/api/v1/prompts/demo/greet", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == f'"{head}.2.1.0"'


def test_cursor_pagination_walks_every_prompt_once(start_server: ServerFactory,
                                                   make_repo: RepoFactory) -> None:
    files = {f"prompts/c{i % 3}/p{i:02d}.prompt.md": prompt(tags="[even]" if i % 2 == 0
                                                            else "[odd]")
             for i in range(23)}
    client = start_server(make_repo(files)).client()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/prompts", params=params).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(f"c{i % 3}/p{i:02d}" for i in range(23))
    even = client.get("/api/v1/prompts", params={"tag": "even", "limit": 12}).json()
    assert len(even["items"]) == 12
    assert even["next_cursor"] is None
    filtered = client.get("/api/v1/prompts", params={"tag": "even", "collection": "c0",
                                                     "limit": 2}).json()
    assert [p["id"] for p in filtered["items"]] == ["c0/p00", "c0/p06"]
    rest = client.get("/api/v1/prompts", params={"tag": "even", "collection": "c0",
                                                 "cursor": filtered["next_cursor"]}).json()
    assert [p["id"] for p in rest["items"]] == ["c0/p12", "c0/p18"]


def test_a_list_with_detail_carries_inputs_and_templates_and_is_no_use(
        start_server: ServerFactory, make_repo: RepoFactory) -> None:
    running = start_server(make_repo({"prompts/t/a.prompt.md": prompt(),
                                      "prompts/t/b.prompt.md": prompt(title="Other")}))
    client = running.client()
    plain = client.get("/api/v1/prompts").json()["items"]
    assert "inputs" not in plain[0]
    assert "messages" not in plain[0]
    listed = client.get("/api/v1/prompts", params={"detail": "true", "limit": 1}).json()
    detail = client.get("/api/v1/prompts/t/a").json()
    item = listed["items"][0]
    assert item["id"] == "t/a"
    assert listed["next_cursor"] is not None
    assert (item["inputs"], item["messages"]) == (detail["inputs"], detail["messages"])
    assert {k: v for k, v in item.items() if k not in ("inputs", "messages")} == plain[0]
    # Only the get above is a use: listing, with or without detail, records nothing.
    usage = running.app.state.server.usage
    assert usage is not None
    summary = usage.summary()
    assert (summary["total"], summary["top_prompts"]) == (1, [{"prompt_id": "t/a", "count": 1}])


def test_search_ranks_marks_and_matches_prefixes(start_server: ServerFactory,
                                                 library_repo: Path) -> None:
    client = start_server(library_repo).client()
    hits = client.get("/api/v1/search", params={"q": "farew"}).json()["hits"]
    assert [h["id"] for h in hits] == ["demo/farewell"]
    assert "[farewell]" in hits[0]["snippet"].lower()
    assert hits[0]["score"] > 0
    by_tag = client.get("/api/v1/search", params={"q": "greets", "tag": "ops"}).json()["hits"]
    assert [h["id"] for h in by_tag] == ["ops/runbook"]
    for text in ('"unbalanced', "c++", "-", "NOT AND", "日本語", "   "):
        answer = client.get("/api/v1/search", params={"q": text})
        assert answer.status_code == 200, text
    limited = client.get("/api/v1/search", params={"q": "greets", "limit": 2}).json()["hits"]
    assert len(limited) == 2


def test_get_by_alias_answers_the_canonical_id(start_server: ServerFactory,
                                               library_repo: Path) -> None:
    client = start_server(library_repo).client()
    answer = client.get("/api/v1/prompts/hello").json()
    assert answer["id"] == "demo/greet"
    assert answer["messages"] == [{"role": "user", "content": (
        "Hello, {{ name }}{% if excited %}!{% else %}.{% endif %}")}]
    assert answer["inputs"]["name"]["required"] is True


def test_metrics_expose_requests_index_and_renders(start_server: ServerFactory,
                                                   library_repo: Path) -> None:
    running = start_server(library_repo)
    client = running.client()
    client.get("/api/v1/prompts/demo/greet")
    client.post("/api/v1/prompts/demo/greet:render", json={"inputs": {}})
    text = client.get("/metrics")
    assert text.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    body = text.text
    commit = git(library_repo, "rev-parse", "HEAD").strip()
    assert f'promptctl_index_info{{commit="{commit}",ref="main"}} 1' in body
    assert "promptctl_index_prompts 5" in body
    assert ('promptctl_http_responses_total{route="/api/v1/prompts/{prompt_id}",method="GET",'
            'status="200"} 1') in body
    assert ('promptctl_http_request_duration_seconds_count{route="/api/v1/prompts/{prompt_id}",'
            'method="GET"} 1') in body
    assert 'promptctl_render_errors_total{reason="invalid_inputs"} 1' in body
    assert "promptctl_index_reload_duration_seconds_count 1" in body
    assert "promptctl_index_age_seconds" in body
    # After a reload the info metric names the new commit only: one series, not one per commit.
    head = commit_files(library_repo, {"prompts/ops/pager.prompt.md": prompt(title="Pager")})
    running.wait_ready(head)
    body = client.get("/metrics").text
    assert [line for line in body.splitlines() if line.startswith("promptctl_index_info")] == [
        f'promptctl_index_info{{commit="{head}",ref="main"}} 1']
    assert "promptctl_index_reload_duration_seconds_count 2" in body


def test_one_json_access_log_line_per_request(start_server: ServerFactory, library_repo: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    running = start_server(library_repo)
    def lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == ACCESS_LOGGER
                and getattr(r, "fields", {}).get("path") == "/api/v1/prompts/demo/greet"]

    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        running.client({"X-Request-ID": "trace-1", "Authorization": "Bearer secret-key-text"}
                       ).get("/api/v1/prompts/demo/greet")
        deadline = time.monotonic() + 5
        while not lines() and time.monotonic() < deadline:  # logged once the answer is sent
            time.sleep(0.01)
    records = lines()
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    assert "secret-key-text" not in line
    fields = json.loads(line)
    assert fields["request_id"] == "trace-1"
    assert fields["route"] == "/api/v1/prompts/{prompt_id}"
    assert fields["method"] == "GET"
    assert fields["status"] == 200
    assert fields["key"] == "anonymous"
    assert fields["prompt"] == "demo/greet"
    assert isinstance(fields["latency_ms"], float)
    assert fields["level"] == "info"
    assert fields["logger"] == ACCESS_LOGGER


def test_openapi_is_served_and_documents_every_route(start_server: ServerFactory,
                                                     library_repo: Path) -> None:
    running: Running = start_server(library_repo)
    document = running.client().get("/openapi.json").json()
    assert set(document["paths"]) == {
        "/api/v1/prompts", "/api/v1/prompts/{prompt_id}", "/api/v1/prompts/{prompt_id}:versions",
        "/api/v1/prompts/{prompt_id}:render", "/api/v1/search", "/api/v1/tags",
        "/api/v1/collections", "/api/v1/me", "/api/v1/usage", "/api/v1/usage/summary",
        "/api/v1/admin/refresh", "/healthz", "/readyz", "/metrics"}
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        if name.startswith(("HTTPValidationError", "ValidationError")):
            continue
        if name in {"Message", "Count", "VersionItem", "ErrorDetail", "ProblemOut",
                    "PromptErrorOut", "UsageStatus", "PromptCount", "TeamCount",
                    "ClientTypeCount", "ClientCount", "RenderErrorRate"}:
            continue  # parts of the models below, which carry the examples
        assert schema.get("examples"), f"{name} has no example"
