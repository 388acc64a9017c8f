"""``create_app(settings)``: the FastAPI app of the read API. Nothing is built at import time;
the lifespan starts the reloader (which builds the first index in the background), the usage
store and the keys, and stops them on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from promptctl import __version__
from server import errors, mcp, web
from server.index import IndexBuilder
from server.middleware import RequestMiddleware
from server.routes import admin, catalog, health, prompts, search, usage
from server.settings import Settings, check_exposure
from server.state import ServerState

DESCRIPTION = """\
The prompts of one branch of a prompt repository, read from Git objects and kept current.

Authenticate with `Authorization: Bearer <key>`. Whatever a key may not see answers 404.
Errors are `{"error": {"code", "message"}}`; every response has an `X-Request-ID`.
"""


def create_app(settings: Settings, builder: IndexBuilder | None = None) -> FastAPI:
    """The app over ``settings``; ``builder``: an index builder whose first build was begun
    with ``IndexBuilder.head_start`` (``promptctl serve`` does this)."""
    check_exposure(settings)
    state = ServerState.build(settings, builder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            async with endpoint.running():  # /mcp: its sessions and change notifications
                yield
        finally:
            state.stop()

    # /docs is served by server.web from local files (FastAPI's own loads Swagger UI from a CDN).
    app = FastAPI(title="Prompt Engine read API", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.server = state
    errors.install(app)
    app.add_middleware(RequestMiddleware, metrics=state.metrics,
                       max_body_bytes=settings.max_body_bytes)
    for module in (prompts, search, catalog, usage, admin, health):
        app.include_router(module.router)
    endpoint = mcp.mount(app, state)
    web.install(app)  # the web console at / and /docs; after the API, which it never shadows
    return app
