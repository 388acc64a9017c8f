"""``/api/v1/admin/refresh``: check the ref now (an admin key, or a GitHub webhook signature)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from server.deps import Credentials, StateDep, identify
from server.errors import ApiError, not_found
from server.models import ErrorResponse, RefreshResult

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """GitHub's ``X-Hub-Signature-256``: ``sha256=`` + HMAC-SHA256 of the raw body, in hex."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))


@router.post("/refresh", response_model=RefreshResult, summary="Check the ref now",
             responses={202: {"model": RefreshResult, "description": "Still checking."},
                        401: {"model": ErrorResponse, "description": "Bad key or signature."},
                        413: {"model": ErrorResponse, "description": "Body too large."},
                        404: {"model": ErrorResponse, "description": "Not an admin key."}})
async def refresh(
    request: Request,
    state: StateDep,
    credentials: Credentials,
    x_hub_signature_256: Annotated[str | None, Header(
        description="GitHub webhook signature (needs --webhook-secret-env)")] = None,
) -> Any:
    if x_hub_signature_256 is not None:
        secret = state.settings.webhook_secret
        if secret is None:
            raise ApiError(401, "unauthorized", "webhook signatures are not accepted: start the "
                           "server with --webhook-secret-env NAME, or use an admin key")
        if not signature_ok(secret, await request.body(), x_hub_signature_256):
            raise ApiError(401, "invalid_signature", "X-Hub-Signature-256 does not match the "
                           "body; check that the webhook's secret is the server's")
        request.state.key_name = "webhook"
    else:
        caller = identify(state, credentials)
        request.state.key_name = caller.name
        if not caller.is_admin:
            raise not_found("no such route; the API is under /api/v1 (see /docs)")
    future = state.reloader.request_refresh()
    try:
        result = await asyncio.wait_for(asyncio.wrap_future(future),
                                        state.settings.refresh_wait_seconds)
    except TimeoutError:
        index = state.index
        return JSONResponse({"commit": index.commit if index else None, "changed": False,
                             "error": None, "pending": True}, status_code=202)
    return {"commit": result.commit, "changed": result.changed, "error": result.error,
            "pending": False}
