"""``/healthz`` (alive), ``/readyz`` (serving an index from a readable repository) and
``/metrics`` (Prometheus)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from server.auth import may_see
from server.deps import Credentials, StateDep, identify
from server.index import PromptErrors
from server.metrics import CONTENT_TYPE
from server.models import ErrorResponse, Health, Ready

router = APIRouter(tags=["health"])

# What a caller without the admin role reads instead of a fault's text, which names the server's
# files (and, for a fetch, the remote): the text is in the log and in an admin's /readyz.
_WHY = "an admin key sees the reason here, and it is in the server's log"
REPO_UNREADABLE = f"the repository cannot be read; {_WHY}"
FETCH_FAILED = f"git fetch failed; {_WHY}"
USAGE_WRITE_FAILED = f"the usage database could not be written; {_WHY}"
INDEX_CACHE_FAILED = f"the index cache could not be written; {_WHY}"


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, summary="Readiness, indexed commit, prompt errors",
            responses={401: {"model": ErrorResponse, "description": "An unknown API key (no "
                                                                    "key is needed)."},
                       503: {"model": Ready, "description": "No index yet, or the repository "
                                                            "is unreadable."}})
async def readyz(state: StateDep, credentials: Credentials) -> Any:
    # No key needed (probes send none); prompt errors are shown to those who may see them.
    caller = identify(state, credentials) if credentials is not None else None
    role = caller.role if caller is not None else "consumer"
    admin = caller is not None and caller.is_admin
    reloader = state.reloader
    index = reloader.index
    ready = index is not None and reloader.repo_error is None
    usage = state.usage
    store = state.builder.store
    body = {
        "status": "ready" if ready else "not_ready",
        "commit": index.commit if index else None,
        "ref": state.settings.ref,
        "built_at": index.built_at if index else None,
        "age_seconds": round(time.time() - index.built_at, 3) if index else None,
        "prompts": len(index.view(role).ids) if index else 0,
        "repo_error": _shown(reloader.repo_error, REPO_UNREADABLE, admin),
        "reload_error": reloader.reload_error,
        "fetch_error": _shown(reloader.fetch_error, FETCH_FAILED, admin),
        "prompt_errors": [_error(e) for e in (index.errors if index else ())
                          if role != "consumer" or _public(e)],
        "usage": None if usage is None else {
            "healthy": usage.healthy,
            "last_error": _shown(usage.last_error, USAGE_WRITE_FAILED, admin),
            "written": usage.written, "dropped": usage.dropped, "failed": usage.failed},
        "index_cache": None if store is None else {
            "saved_commit": store.saved_commit,
            "last_error": _shown(store.last_error, INDEX_CACHE_FAILED, admin)},
    }
    return JSONResponse(Ready.model_validate(body).model_dump(mode="json"),
                        status_code=200 if ready else 503)


def _shown(text: str | None, generic: str, admin: bool) -> str | None:
    """A fault's text for an admin, a generic reason for anyone else, None when there is none."""
    if text is None:
        return None
    return text if admin else generic


def _public(errors: PromptErrors) -> bool:
    """A consumer hears of an error only on a prompt it is being served (its last good version
    is active and stable); anything else would leak that a hidden prompt exists."""
    return errors.serving is not None and may_see("consumer", errors.serving.summary)


def _error(errors: PromptErrors) -> dict[str, Any]:
    serving = errors.serving
    return {
        "path": errors.path,
        "id": errors.id,
        "serving_version": serving.summary.version if serving else None,
        "serving_commit": serving.commit if serving else None,
        "problems": [{"line": p.line, "col": p.col, "code": p.code, "message": p.message}
                     for p in errors.problems],
    }


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics",
            responses={200: {"content": {CONTENT_TYPE: {}}}})
async def metrics(state: StateDep) -> PlainTextResponse:
    return PlainTextResponse(state.metrics.render(state.index, state.usage, state.search_pool),
                             media_type=CONTENT_TYPE)
