"""The web console and the API reference, served by the API's own server.

The console is a single-page app built from ``web/`` into ``server/webapp/`` (``npm run build``,
which ``scripts/run`` and ``scripts/test`` do; the wheel carries the built files). Its pages are
stable URLs (``/p/engineering/code-review@1.2.0``): each answers the same ``index.html``, and the
app reads the address; ``/sw.js``, its service worker, keeps them for when the server is
unreachable. Only the app's own paths are answered here, so ``/api``, ``/healthz``,
``/readyz``, ``/metrics`` and ``/mcp`` keep their meaning, and anything else is the API's JSON 404.

``/docs`` is Swagger UI from files copied out of the ``swagger-ui-dist`` package at build time:
nothing is fetched from a CDN, so it works offline.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from server.errors import not_found

WEBAPP = Path(__file__).with_name("webapp")

# The app's pages; /p/... (a prompt) and /diff/... (two versions) take an id after them.
PAGES = ("/", "/browse", "/favorites", "/usage", "/signin")
PAGE_PREFIXES = ("/p", "/diff")

# The app's pages run only the app's own scripts and styles and talk only to this server.
APP_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'")
# Swagger UI's page starts it with an inline script (FastAPI's page), so that one is allowed.
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
               "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
               "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
_ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Prompt Engine</title></head>
<body><main><h1>The web console is not built</h1>
<p>Build it with <code>bash scripts/run</code>, which runs <code>npm ci</code> and
<code>npm run build</code> in <code>web/</code> (Node.js and npm are needed once, to build).</p>
<p>The read API answers meanwhile under <a href="/api/v1/prompts">/api/v1</a>.</p>
</main></body></html>
"""


def install(app: FastAPI, root: Path = WEBAPP) -> None:
    """Add the console's pages, its assets and ``/docs`` to ``app`` (created with
    ``docs_url=None``), after the API's routes; ``root``: the built app."""

    def page() -> Response:
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503,
                                headers={"Cache-Control": "no-store", **SECURITY_HEADERS})
        return FileResponse(index, media_type="text/html; charset=utf-8", headers={
            "Cache-Control": "no-cache", "Content-Security-Policy": APP_POLICY,
            **SECURITY_HEADERS})

    for path in PAGES:
        app.add_api_route(path, page, methods=["GET", "HEAD"], include_in_schema=False)
    for prefix in PAGE_PREFIXES:
        app.add_api_route(prefix + "/{rest:path}", page, methods=["GET", "HEAD"],
                          include_in_schema=False)

    async def asset(name: str, request: Request) -> Response:
        # Hashed names (index-0EcY1_ue.js): a new build has new names, so they never change.
        return _file(root / "assets", name, request, "public, max-age=31536000, immutable")

    app.add_api_route("/assets/{name}", asset, methods=["GET", "HEAD"], include_in_schema=False)

    async def service_worker() -> Response:
        # Keeps the app's page and assets for when this server is unreachable (web/public/sw.js);
        # never cached itself, so a new build's worker is found at once.
        path = root / "sw.js"
        if not path.is_file():
            raise not_found("no file 'sw.js'; the web console's files are rebuilt by "
                            "`npm run build` in web/")
        return FileResponse(path, media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache", **SECURITY_HEADERS})

    app.add_api_route("/sw.js", service_worker, methods=["GET", "HEAD"], include_in_schema=False)

    async def docs() -> HTMLResponse:
        if not all((root / "docs" / name).is_file() for name in SWAGGER_FILES):
            return HTMLResponse(NOT_BUILT.replace("web console", "API reference (/docs)"),
                                status_code=503, headers={"Cache-Control": "no-store"})
        html = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - reference",
            swagger_js_url="/docs/swagger-ui-bundle.js", swagger_css_url="/docs/swagger-ui.css",
            swagger_favicon_url="/docs/favicon-32x32.png",
            # No badge from validator.swagger.io: nothing leaves this server.
            swagger_ui_parameters={"validatorUrl": None})
        html.headers.update({"Content-Security-Policy": DOCS_POLICY, **SECURITY_HEADERS})
        return html

    async def docs_asset(name: str, request: Request) -> Response:
        if name not in SWAGGER_FILES:
            raise not_found(f"no file {name!r} under /docs")
        return _file(root / "docs", name, request, "public, max-age=86400")

    app.add_api_route("/docs", docs, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/docs/{name}", docs_asset, methods=["GET", "HEAD"], include_in_schema=False)


def _file(folder: Path, name: str, request: Request, cache: str) -> Response:
    """``folder/name`` (a plain file name only), gzipped when the build wrote ``name.gz`` and
    the client accepts it; the API's JSON 404 otherwise."""
    path = folder / name
    if not _ASSET_NAME.fullmatch(name) or name.endswith(".gz") or not path.is_file():
        raise not_found(f"no file {name!r}; the web console's files are rebuilt by "
                        "`npm run build` in web/")
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding", **SECURITY_HEADERS}
    zipped = path.with_name(name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and zipped.is_file():
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(zipped, media_type=media_type,
                            headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(path, headers=headers)
