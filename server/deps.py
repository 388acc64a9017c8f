"""Dependencies the routes declare: the app state, the calling key (authenticated and rate
limited), the index of this request (read once), and the client type."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.auth import ANONYMOUS, Caller
from server.errors import ApiError
from server.index import Index
from server.state import ServerState
from server.usage import normalise_client_type

bearer = HTTPBearer(auto_error=False, description="An API key from `promptctl keys add`.")


async def get_state(request: Request) -> ServerState:
    return cast(ServerState, request.app.state.server)


StateDep = Annotated[ServerState, Depends(get_state)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def identify(state: ServerState, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller of a request, or 401 (with ``WWW-Authenticate``)."""
    if state.settings.anonymous:
        return ANONYMOUS
    state.reload_keys_if_changed()
    keys = state.keys
    if credentials is None:
        raise ApiError(401, "unauthorized",
                       "an API key is required: send `Authorization: Bearer <key>` (ask an admin "
                       "for one; they create keys with `promptctl keys add`)",
                       headers={"WWW-Authenticate": "Bearer"})
    caller = keys.find(credentials.credentials) if keys is not None else None
    if caller is None:
        raise ApiError(401, "unauthorized",
                       "unknown API key; check the key, or ask an admin for a new one",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    state.key_used(caller.name)
    return caller


# get_caller and get_index read the state from the request rather than depend on get_state: each
# dependency FastAPI resolves costs some 10 us a request, and these two are on every route.
async def get_caller(request: Request, credentials: Credentials) -> Caller:
    state = cast(ServerState, request.app.state.server)
    caller = identify(state, credentials)
    request.state.key_name = caller.name
    # Without keys every caller is "anonymous": limit them per address instead.
    bucket = caller.name if not state.settings.anonymous else (
        f"anonymous@{request.client.host if request.client else '-'}")
    wait = state.limiter.take(bucket)
    if wait:
        raise ApiError(429, "rate_limited",
                       f"too many requests for this key; retry in {wait} s",
                       headers={"Retry-After": str(wait)})
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_index(request: Request) -> Index:
    index = cast(ServerState, request.app.state.server).index
    if index is None:
        raise ApiError(503, "not_ready",
                       "the index is still being built; retry in a few seconds (GET /readyz "
                       "says when it is ready)", headers={"Retry-After": "1"})
    return index


IndexDep = Annotated[Index, Depends(get_index)]


async def get_client_type(
    x_client_type: Annotated[str | None, Header(
        description="desktop, web, codex, cli, mcp, sdk or other (anything else counts as other)"
    )] = None,
) -> str:
    return normalise_client_type(x_client_type)


ClientTypeDep = Annotated[str, Depends(get_client_type)]
