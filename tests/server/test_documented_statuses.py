"""The OpenAPI document lists every status a route answers: a malformed JSON body is a 400 on
every route that takes one, and the answers of the real server are all documented. Empty filter
values are refused with a 422 that names the parameter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from server.settings import Settings
from tests.server.conftest import Keys, Running, ServerFactory

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(repo=Path("."))).openapi()


@pytest.fixture
def running(start_server: ServerFactory, library_repo: Path, keys: Keys) -> Running:
    return start_server(library_repo, keys_file=keys.path, max_body_bytes=2048)


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The operation that serves ``path``: the first that matches, in the order the routes are
    declared (ids contain '/'; the :versions and :render routes come before the plain one)."""
    for template, item in document["paths"].items():
        pattern = re.escape(template).replace(r"\{prompt_id\}", ".+")
        if re.fullmatch(pattern, path) and method in item:
            operation: dict[str, Any] = item[method]
            return operation
    raise AssertionError(f"no operation for {method.upper()} {path}")


def test_every_route_with_a_body_documents_400_and_413(document: dict[str, Any]) -> None:
    with_body = [(method, path) for path, item in document["paths"].items()
                 for method in METHODS if "requestBody" in item.get(method, {})]
    assert sorted(with_body) == [("post", "/api/v1/prompts/{prompt_id}:render"),
                                 ("post", "/api/v1/usage")]
    for method, path in with_body:
        responses = document["paths"][path][method]["responses"]
        for status in ("400", "413", "422"):
            assert status in responses, f"{method.upper()} {path} does not document {status}"
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


def test_every_route_that_needs_a_key_documents_401_429_and_503(
        document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None or path in ("/healthz", "/readyz", "/metrics",
                                             "/api/v1/admin/refresh"):
                continue
            for status in ("401", "429", "503"):
                assert status in operation["responses"], f"{method.upper()} {path}: {status}"


# (method, path, keyword arguments of the request, the status it must get)
ANSWERS: list[tuple[str, str, dict[str, Any], int]] = [
    ("post", "/api/v1/prompts/demo/greet:render",
     {"content": b'{"inputs": {', "headers": {"Content-Type": "application/json"}}, 400),
    ("post", "/api/v1/usage",
     {"content": b"{prompt: demo/greet}", "headers": {"Content-Type": "application/json"}}, 400),
    ("post", "/api/v1/prompts/demo/greet:render", {"json": {"inputs": {"name": "x" * 4000}}},
     413),
    ("post", "/api/v1/usage", {"json": {"prompt": "x" * 4000}}, 413),
    ("post", "/api/v1/admin/refresh", {"content": b"x" * 4000}, 413),
    ("post", "/api/v1/prompts/demo/greet:render", {"json": {"inputs": {}}}, 422),
    ("post", "/api/v1/usage", {"json": {"prompt": "demo/greet", "extra": 1}}, 422),
    ("post", "/api/v1/usage", {"json": {"prompt": "nope/nope"}}, 404),
    ("get", "/api/v1/prompts", {"params": {"tag": ""}}, 422),
    ("get", "/api/v1/search", {"params": {"q": ""}}, 422),
    ("get", "/api/v1/prompts/demo/greet", {"params": {"version": "9"}}, 404),
    ("get", "/api/v1/prompts/demo/greet:render", {}, 405),
    ("get", "/api/v1/prompts/demo/greet", {"headers": {"If-None-Match": "*"}}, 304),
    ("get", "/api/v1/usage/summary", {"params": {"since": "yesterday"}}, 404),
    ("get", "/readyz", {"headers": {"Authorization": "Bearer not-a-key"}}, 401),
    ("get", "/api/v1/tags", {"headers": {"Authorization": "Bearer not-a-key"}}, 401),
]


@pytest.mark.parametrize(("method", "path", "request_args", "status"), ANSWERS)
def test_what_the_server_answers_is_documented(running: Running, keys: Keys,
                                               document: dict[str, Any], method: str, path: str,
                                               request_args: dict[str, Any], status: int) -> None:
    client = running.client(keys.headers("consumer"))
    answer = client.request(method.upper(), path, **request_args)
    assert answer.status_code == status, answer.text
    assert str(status) in _operation(document, method, path)["responses"]
    if status >= 400:
        assert set(answer.json()["error"]) >= {"code", "message"}


def test_a_malformed_json_body_is_a_400_bad_request(running: Running, keys: Keys) -> None:
    answer = running.client(keys.headers("consumer")).post(
        "/api/v1/usage", content=b'{"prompt": "demo/greet",}',
        headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("the request body is not valid JSON (")
    assert "send a JSON object with Content-Type: application/json" in error["message"]


@pytest.mark.parametrize(("params", "named"), [
    ({"tag": ""}, ["tag"]),
    ({"tag": ["demo", " "]}, ["tag"]),
    ({"collection": ""}, ["collection"]),
    ({"status": ""}, ["status"]),
    ({"owner": ""}, ["owner"]),
    ({"channel": ""}, ["channel"]),
    ({"owner": "", "status": "", "tag": "demo"}, ["status", "owner"]),
])
@pytest.mark.parametrize("path", ["/api/v1/prompts", "/api/v1/search"])
def test_empty_filter_values_are_refused(running: Running, keys: Keys, path: str,
                                         params: dict[str, Any], named: list[str]) -> None:
    if path.endswith("search"):
        params = {**params, "q": "greet"}
    answer = running.client(keys.headers("consumer")).get(path, params=params)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert list(error["fields"]) == named  # in the order of the parameters
    assert error["message"] == ("empty " + ", ".join(f"{name}=" for name in named)
                                + ": give a value, or leave the parameter out to not filter by it")


def test_an_empty_search_is_refused(running: Running, keys: Keys) -> None:
    client = running.client(keys.headers("consumer"))
    answer = client.get("/api/v1/search", params={"q": ""})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["fields"] == {"q": "empty; give the words to find (GET /api/v1/prompts lists "
                                    "prompts without a query)"}
    # Spaces are a query as typed: no hits, not an error.
    assert client.get("/api/v1/search", params={"q": "  "}).json()["hits"] == []


def test_filters_with_values_still_filter(running: Running, keys: Keys) -> None:
    client = running.client(keys.headers("consumer"))
    listed = client.get("/api/v1/prompts", params={"tag": "bye", "collection": "demo"}).json()
    assert [item["id"] for item in listed["items"]] == ["demo/farewell"]


@pytest.mark.parametrize("path", ["/api/v1/prompts", "/api/v1/search"])
def test_repeated_filters_are_read_as_fastapi_reads_them(running: Running, keys: Keys,
                                                          path: str) -> None:
    """Every tag given must match; of a filter given twice, the last value counts."""
    client = running.client(keys.headers("consumer"))
    query = [("q", "farewell")] if path.endswith("search") else []

    def ids(params: list[tuple[str, str]]) -> list[str]:
        answer = client.get(path, params=[*query, *params])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return [item["id"] for item in body["hits" if "hits" in body else "items"]]

    assert ids([("tag", "bye"), ("tag", "demo")]) == ["demo/farewell"]
    assert ids([("tag", "bye"), ("tag", "ops")]) == []
    assert ids([("tag", "bye"), ("collection", "ops"), ("collection", "demo")]) == [
        "demo/farewell"]
    assert ids([("tag", "bye"), ("status", "active"), ("status", "draft")]) == []
    assert ids([("tag", "bye"), ("channel", "experimental"), ("channel", "stable")]) == [
        "demo/farewell"]


@pytest.mark.parametrize(("params", "name", "message"), [
    ({"status": "actve"}, "status", "status='actve' is not a status; did you mean status=active? "
                                    "choose draft, active or deprecated"),
    ({"channel": "beta"}, "channel", "channel='beta' is not a channel; choose stable or "
                                     "experimental"),
])
@pytest.mark.parametrize("path", ["/api/v1/prompts", "/api/v1/search"])
def test_a_status_or_channel_no_prompt_can_have_is_refused(
        running: Running, keys: Keys, path: str, params: dict[str, str], name: str,
        message: str) -> None:
    if path.endswith("search"):
        params = {**params, "q": "greet"}
    answer = running.client(keys.headers("consumer")).get(path, params=params)
    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "invalid_request", "message": message,
                                      "fields": {name: message}}
