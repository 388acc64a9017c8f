"""The server answers the built console at its pages' stable URLs, its assets (gzipped when the
client accepts it) and /docs from local files, and never shadows the API or the probes."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server import errors, web
from tests.server.conftest import LIBRARY
from tests.web.conftest import WEBAPP, Served, require_built_console, serve_library


@dataclass
class Running:
    url: str
    http: httpx.Client

    def client(self) -> httpx.Client:
        return self.http


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One `promptctl serve` for the module (anonymous, on loopback): the tests only read."""
    require_built_console()
    served: Served = serve_library(tmp_path_factory.mktemp("serving"), LIBRARY,
                                   with_keys=False)
    try:
        with httpx.Client(base_url=served.url, timeout=10) as http:
            yield Running(served.url, http)
    finally:
        served.stop()


PAGES = ["/", "/p/demo/greet", "/p/demo/greet@1.0.0", "/diff/demo/greet?from=1.0.0&to=1.0.0",
         "/browse", "/favorites", "/usage", "/signin"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_of_the_app_answers_its_html(running: Running, path: str) -> None:
    answer = running.client().get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.text == (WEBAPP / "index.html").read_text(encoding="utf-8")
    assert answer.headers["cache-control"] == "no-cache"
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("path", "status", "kind"), [
    ("/api/v1/prompts", 200, "application/json"),
    ("/api/v1/nope", 404, "application/json"),
    ("/api/v1/prompts/demo/nope", 404, "application/json"),
    ("/healthz", 200, "application/json"),
    ("/readyz", 200, "application/json"),
    ("/metrics", 200, "text/plain"),
    ("/openapi.json", 200, "application/json"),
    ("/mcp", None, None),
    ("/nowhere", 404, "application/json"),
    ("/redoc", 404, "application/json"),
    ("/assets/nope.js", 404, "application/json"),
    ("/assets/.gitignore", 404, "application/json"),
    ("/docs/index.html", 404, "application/json"),
])
def test_the_api_and_the_probes_are_never_shadowed(running: Running, path: str,
                                                   status: int | None, kind: str | None) -> None:
    answer = running.client().get(path)
    assert "<div id=\"root\">" not in answer.text
    if status is not None:
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith(kind or "")


def test_assets_are_cached_for_good_and_sent_gzipped_to_who_accepts_it(running: Running) -> None:
    html = (WEBAPP / "index.html").read_text(encoding="utf-8")
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from elsewhere
    client = running.client()
    for asset in assets:
        file = WEBAPP / asset.lstrip("/")
        plain = client.get(asset, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        assert plain.content == file.read_bytes()
        assert "content-encoding" not in plain.headers
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        with httpx.stream("GET", running.url + asset,
                          headers={"Accept-Encoding": "gzip"}) as zipped:
            raw = b"".join(zipped.iter_raw())
            assert zipped.headers["content-encoding"] == "gzip"
            assert zipped.headers["content-type"] == plain.headers["content-type"]
        assert gzip.decompress(raw) == file.read_bytes()
        assert len(raw) < len(plain.content)


def test_the_service_worker_is_served_from_the_root_and_never_cached(running: Running) -> None:
    answer = running.client().get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.content == (WEBAPP / "sw.js").read_bytes()
    assert "caches.open" in answer.text


def test_docs_is_swagger_ui_from_local_files(running: Running) -> None:
    client = running.client()
    page = client.get("/docs")
    assert page.status_code == 200
    assert "SwaggerUIBundle" in page.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(urls) == ["/docs/favicon-32x32.png", "/docs/swagger-ui-bundle.js",
                            "/docs/swagger-ui.css"]
    assert "cdn." not in page.text
    assert '"validatorUrl": null' in page.text  # no badge fetched from validator.swagger.io
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.content == (WEBAPP / url.removeprefix("/")).read_bytes()
    assert client.get("/openapi.json").json()["info"]["title"] == "Prompt Engine read API"


def test_an_unbuilt_console_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI(docs_url=None, redoc_url=None)
    errors.install(app)
    web.install(app, root=tmp_path)
    with TestClient(app) as client:
        for path in ("/", "/p/demo/greet"):
            answer = client.get(path)
            assert answer.status_code == 503
            assert "The web console is not built" in answer.text
            assert "bash scripts/run" in answer.text
        docs = client.get("/docs")
        assert docs.status_code == 503
        assert "The API reference (/docs) is not built" in docs.text
        assert client.get("/assets/index.js").json()["error"]["code"] == "not_found"
