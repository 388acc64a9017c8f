"""``/api/v1/prompts``: list, get (``?version=``), ``:versions`` and ``:render``.

Ids contain ``/``, so the id is a path parameter and the action a ``:verb`` suffix (ids never
contain ``:``). The suffixed routes are declared first: the plain ``{prompt_id:path}`` route would
match them too.
"""

from __future__ import annotations

import bisect
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from promptctl import cursor as cursor_module
from promptctl import inputs as inputs_module
from promptctl.errors import InputError, PromptNotFound, RenderError, RenderLimitExceeded
from promptctl.model import Prompt
from server.auth import Caller
from server.deps import CallerDep, ClientTypeDep, IndexDep, StateDep
from server.errors import ApiError, not_found, prompt_not_found
from server.index import Entry, Index
from server.models import (
    ErrorResponse,
    PromptDetail,
    PromptList,
    RenderRequest,
    RenderResponse,
    VersionList,
)
from server.routes.common import BODY_ERRORS, ERRORS, FILTERS_OPENAPI, FiltersDep, fast_json
from server.state import ServerState
from server.versions import Version

router = APIRouter(prefix="/api/v1/prompts", tags=["prompts"], responses=ERRORS)

VersionQuery = Annotated[str | None, Query(
    max_length=100, description="1.2.3 exactly, 1 or 1.2 (highest match), or a commit id.")]


def decode_cursor(cursor: str) -> str:
    last_id = cursor_module.decode(cursor)
    if last_id is None:
        raise ApiError(422, "invalid_request",
                       "invalid cursor; pass the next_cursor of the previous page unchanged",
                       fields={"cursor": "not a cursor from this API"})
    return last_id


@router.get("", response_model=PromptList, response_model_exclude_unset=True,
            summary="List prompts", openapi_extra=FILTERS_OPENAPI)
async def list_prompts(
    caller: CallerDep,
    index: IndexDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    detail: Annotated[bool, Query(description=(
        "Also give each prompt's inputs and message templates, for a client that shows a "
        "catalogue (an MCP server listing prompts) without reading every prompt. A listing is "
        "not a use: unlike reading a prompt, it records no usage event."))] = False,
) -> Response:
    ids = index.view(caller.role).ids
    start = bisect.bisect_right(ids, decode_cursor(cursor)) if cursor else 0
    items: list[dict[str, Any]] = []
    position = start
    while position < len(ids) and len(items) < limit:
        entry = index.entries[ids[position]]
        if not filters.active or filters.match(entry.summary):
            items.append(_listed(entry.prompt) if detail else entry.summary.summary())
        position += 1
    more = any(not filters.active or filters.match(index.entries[i].summary)
               for i in ids[position:]) if len(items) == limit else False
    return fast_json(PromptList, {"items": items, "next_cursor": cursor_module.encode(
        items[-1]["id"]) if more else None}, exclude_unset=True)


def _listed(prompt: Prompt) -> dict[str, Any]:
    """A list item with the inputs and templates of the prompt's detail (``detail=true``)."""
    return {**prompt.summary(), "inputs": prompt.inputs, "messages": prompt.messages()}


def _entry(index: Index, caller: Caller, prompt_id: str, request: Request) -> Entry:
    entry = index.lookup(prompt_id, caller.role)
    if entry is None:
        raise prompt_not_found(prompt_id)
    request.state.prompt_id = entry.summary.id
    return entry


def _version(state: ServerState, index: Index, entry: Entry, spec: str | None,
             caller: Caller) -> Version:
    if spec is None:
        return Version(entry.prompt, entry.renderer, entry.commit)
    try:
        return state.versions.resolve(index.commit, entry, spec, caller.role)
    except PromptNotFound as exc:
        raise not_found(str(exc)) from None


@router.get("/{prompt_id:path}:versions", response_model=VersionList,
            summary="A prompt's versions from Git history")
def prompt_versions(prompt_id: str, request: Request, caller: CallerDep, index: IndexDep,
                    state: StateDep) -> dict[str, Any]:
    entry = _entry(index, caller, prompt_id, request)
    records = state.versions.versions(index.commit, entry.prompt.id, caller.role)
    return {"id": entry.prompt.id, "versions": [
        {"version": r.version, "status": r.status, "commit": r.commit, "author": r.author,
         "date": r.date, "message": r.message} for r in records]}


@router.post("/{prompt_id:path}:render", response_model=RenderResponse,
             summary="Render a prompt with inputs", responses=BODY_ERRORS)
def render_prompt(prompt_id: str, body: RenderRequest, request: Request, caller: CallerDep,
                  index: IndexDep, state: StateDep, client_type: ClientTypeDep) -> dict[str, Any]:
    entry = _entry(index, caller, prompt_id, request)
    version = _version(state, index, entry, body.version, caller)
    prompt = version.prompt
    try:
        values = inputs_module.resolve(prompt, body.inputs)
        rendered = version.renderer.render(prompt, values)
    except InputError as exc:
        _render_failed(state, caller, prompt.id, prompt.version, client_type, "invalid_inputs")
        raise ApiError(422, "invalid_inputs", exc.message, fields=exc.fields) from None
    except RenderLimitExceeded as exc:
        _render_failed(state, caller, prompt.id, prompt.version, client_type, "limit")
        raise ApiError(422, "render_limit_exceeded", exc.message) from None
    except RenderError as exc:
        _render_failed(state, caller, prompt.id, prompt.version, client_type, "template")
        raise ApiError(422, "render_failed", f"{exc.message}; tell the prompt's owners "
                                             f"({', '.join(prompt.owners)})") from None
    state.record_usage(caller, prompt.id, prompt.version, client_type, "render")
    return {**rendered.as_dict(), "id": prompt.id, "version": prompt.version,
            "commit": version.commit}


def _render_failed(state: ServerState, caller: Caller, prompt_id: str, version: str,
                   client_type: str, reason: str) -> None:
    state.metrics.render_errors.labels(reason=reason).inc()
    state.record_usage(caller, prompt_id, version, client_type, "render", ok=False)


@router.get("/{prompt_id:path}", response_model=PromptDetail, summary="Get one prompt",
            responses={304: {"description": "Not modified (If-None-Match matched the ETag)."},
                       405: {"model": ErrorResponse,
                             "description": "`:render` is POST only."}})
async def get_prompt(
    prompt_id: str,
    request: Request,
    caller: CallerDep,
    index: IndexDep,
    state: StateDep,
    client_type: ClientTypeDep,
    version: VersionQuery = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    if ":" in prompt_id:  # ids never contain ':': this is an action
        base, _sep, verb = prompt_id.rpartition(":")
        if verb == "render":
            raise ApiError(405, "method_not_allowed", f"{base}:render takes POST with "
                           "{\"inputs\": {...}}", headers={"Allow": "POST"})
        raise not_found(f"unknown action {verb!r}; prompt actions are :versions (GET) and "
                        ":render (POST)")
    entry = _entry(index, caller, prompt_id, request)
    if version is None:  # the common case is all in memory: no thread hop
        found = Version(entry.prompt, entry.renderer, entry.commit)
    else:  # may walk the Git history: off the event loop
        found = await run_in_threadpool(_version, state, index, entry, version, caller)
    prompt = found.prompt
    etag = f'"{found.commit}.{prompt.version}"'
    state.record_usage(caller, prompt.id, prompt.version, client_type, "get")
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    # The detail comes from a validated prompt: answered as it is (response_model documents it).
    renderer = found.renderer
    return fast_json(PromptDetail, {
        **prompt.detail(), "commit": found.commit, "source": prompt.text, "digest": prompt.digest,
        "partials": renderer.partials_for(prompt),
        "limits": {"max_output_bytes": renderer.max_output_bytes,
                   "timeout_seconds": renderer.timeout_seconds}}, headers=headers)


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags
