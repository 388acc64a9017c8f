"""A consumer never learns of a draft or experimental prompt, through any route; a contributor
sees them; only admins read usage summaries. Anonymous access is a consumer's."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Keys, Running, ServerFactory

HIDDEN = ["demo/secret-draft", "labs/secret-experiment"]
VISIBLE = ["demo/farewell", "demo/greet", "ops/runbook"]


def everything_seen(client: httpx.Client) -> str:
    """Every answer of every read route, concatenated: nothing hidden may appear in it."""
    parts = [
        client.get("/api/v1/prompts", params={"limit": 200}).text,
        *(json.dumps(client.get("/api/v1/search", params={"q": q}).json()["hits"])
          for q in ("zanzibar", "hidden", "secret", "labs")),
        client.get("/api/v1/tags").text,
        client.get("/api/v1/collections").text,
        client.get("/readyz").text,
    ]
    return "\n".join(parts)


@pytest.fixture
def running(start_server: ServerFactory, library_repo: Path, keys: Keys) -> Running:
    return start_server(library_repo, keys_file=keys.path)


@pytest.mark.parametrize("prompt_id", HIDDEN)
def test_consumer_gets_404_for_hidden_prompts_on_every_route(
        running: Running, keys: Keys, prompt_id: str) -> None:
    consumer = running.client(keys.headers("consumer"))
    answers = {
        "get": consumer.get(f"/api/v1/prompts/{prompt_id}"),
        "get version": consumer.get(f"/api/v1/prompts/{prompt_id}", params={"version": "1"}),
        "versions": consumer.get(f"/api/v1/prompts/{prompt_id}:versions"),
        "render": consumer.post(f"/api/v1/prompts/{prompt_id}:render",
                                json={"inputs": {"name": "Ada"}}),
        "usage": consumer.post("/api/v1/usage", json={"prompt": prompt_id}),
    }
    for route, answer in answers.items():
        assert answer.status_code == 404, route
        assert answer.json() == {"error": {"code": "not_found", "message": (
            f"no prompt {prompt_id!r}; list what you can see with GET /api/v1/prompts")}}, route
    # The same answer as for a prompt that does not exist at all.
    absent = consumer.get("/api/v1/prompts/demo/does-not-exist").json()["error"]["message"]
    assert absent == "no prompt 'demo/does-not-exist'; list what you can see with GET " \
                     "/api/v1/prompts"


def test_consumer_lists_searches_and_counts_without_hidden_prompts(
        running: Running, keys: Keys) -> None:
    consumer = running.client(keys.headers("consumer"))
    listed = consumer.get("/api/v1/prompts").json()
    assert [p["id"] for p in listed["items"]] == VISIBLE
    seen = everything_seen(consumer)
    for word in ("secret", "Zanzibar", "hidden-tag", "labs"):
        assert word not in seen
    assert consumer.get("/api/v1/tags").json() == {"tags": [
        {"name": "bye", "count": 1}, {"name": "demo", "count": 2}, {"name": "ops", "count": 1}]}
    assert consumer.get("/api/v1/collections").json() == {"collections": [
        {"name": "demo", "count": 2}, {"name": "ops", "count": 1}]}
    # Filters cannot reach around the role either.
    for params in ({"status": "draft"}, {"channel": "experimental"}, {"tag": "hidden-tag"}):
        assert consumer.get("/api/v1/prompts", params=params).json()["items"] == []
        assert consumer.get("/api/v1/search",
                            params={"q": "zanzibar", **params}).json()["hits"] == []


def test_contributor_sees_drafts_and_experiments(running: Running, keys: Keys) -> None:
    contributor = running.client(keys.headers("contributor"))
    listed = contributor.get("/api/v1/prompts").json()
    assert [p["id"] for p in listed["items"]] == sorted(VISIBLE + HIDDEN)
    hits = contributor.get("/api/v1/search", params={"q": "zanzibar"}).json()["hits"]
    assert sorted(h["id"] for h in hits) == HIDDEN
    for prompt_id in HIDDEN:
        assert contributor.get(f"/api/v1/prompts/{prompt_id}").status_code == 200
        assert contributor.get(f"/api/v1/prompts/{prompt_id}:versions").status_code == 200
        rendered = contributor.post(f"/api/v1/prompts/{prompt_id}:render",
                                    json={"inputs": {"name": "Ada"}})
        assert rendered.json()["text"] == "Hello, Ada."
    tags = {t["name"]: t["count"] for t in contributor.get("/api/v1/tags").json()["tags"]}
    assert tags["hidden-tag"] == 2
    collections = contributor.get("/api/v1/collections").json()["collections"]
    assert {"name": "labs", "count": 1} in collections


def test_usage_summary_is_for_admins_and_counts_what_was_sent(
        running: Running, keys: Keys) -> None:
    consumer = running.client(keys.headers("consumer") | {"X-Client-Type": "desktop"})
    for _ in range(3):
        assert consumer.get("/api/v1/prompts/demo/greet").status_code == 200
    consumer.post("/api/v1/prompts/hello:render", json={"inputs": {"name": "Ada"}})
    consumer.post("/api/v1/prompts/demo/greet:render", json={"inputs": {}})  # a failed render
    reported = consumer.post("/api/v1/usage", json={"prompt": "ops/runbook",
                                                    "client_type": "codex"})
    assert reported.status_code == 202
    assert reported.json() == {"accepted": True}
    running.client(keys.headers("contributor") | {"X-Client-Type": "vim"}).get(
        "/api/v1/prompts/ops/runbook")
    for role in ("consumer", "contributor"):
        hidden = running.client(keys.headers(role)).get("/api/v1/usage/summary")
        assert hidden.status_code == 404
    summary = running.client(keys.headers("admin")).get("/api/v1/usage/summary").json()
    assert summary["total"] == 7
    assert summary["top_prompts"][0] == {"prompt_id": "demo/greet", "count": 5}
    assert {"team": "design", "count": 6} in summary["per_team"]
    assert {"team": "platform", "count": 1} in summary["per_team"]
    client_types = {c["client_type"]: c["count"] for c in summary["per_client_type"]}
    assert client_types == {"desktop": 5, "codex": 1, "other": 1}
    assert summary["render_error_rates"] == [
        {"prompt_id": "demo/greet", "renders": 2, "errors": 1, "error_rate": 0.5}]
    later = running.client(keys.headers("admin")).get(
        "/api/v1/usage/summary", params={"since": "2999-01-01T00:00:00Z"}).json()
    assert later["total"] == 0


def test_me_names_the_callers_key_role_and_team(running: Running, keys: Keys) -> None:
    seen = {role: running.client(keys.headers(role)).get("/api/v1/me").json()
            for role in ("consumer", "contributor", "admin")}
    assert seen == {
        "consumer": {"name": "desktop-app", "role": "consumer", "team": "design"},
        "contributor": {"name": "alice", "role": "contributor", "team": "platform"},
        "admin": {"name": "ops", "role": "admin", "team": "platform"}}
    assert running.client().get("/api/v1/me").status_code == 401
    assert running.client({"Authorization": "Bearer nope"}).get("/api/v1/me").status_code == 401


def test_anonymous_access_is_a_consumer_on_loopback(
        start_server: ServerFactory, library_repo: Path) -> None:
    running = start_server(library_repo)
    client = running.client({"Authorization": "Bearer anything"})
    assert [p["id"] for p in client.get("/api/v1/prompts").json()["items"]] == VISIBLE
    assert client.get("/api/v1/prompts/demo/secret-draft").status_code == 404
    assert client.get("/api/v1/usage/summary").status_code == 404
    assert client.get("/api/v1/me").json() == {"name": "anonymous", "role": "consumer",
                                               "team": None}


def test_anonymous_on_another_address_is_refused_unless_allowed(library_repo: Path) -> None:
    from server.app import create_app
    from server.settings import ServerConfigError, Settings

    with pytest.raises(ServerConfigError, match=r"refusing to serve without keys on 0\.0\.0\.0"):
        create_app(Settings(repo=library_repo, host="0.0.0.0"))
    create_app(Settings(repo=library_repo, host="0.0.0.0", allow_anonymous=True))
