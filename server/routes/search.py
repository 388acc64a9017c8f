"""``/api/v1/search``: ranked hits (tantivy, ``server.search``) over what a caller may see."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Query, Request, Response

from promptctl.search import Hit
from server.deps import CallerDep, IndexDep
from server.index import Index
from server.models import SearchResponse
from server.routes.common import ERRORS, FILTERS_OPENAPI, FiltersDep, fast_json, refuse_empty
from server.searchpool import others_under_way
from server.state import ServerState

router = APIRouter(prefix="/api/v1", tags=["search"], responses=ERRORS)


@router.get("/search", response_model=SearchResponse, summary="Search prompts",
            openapi_extra=FILTERS_OPENAPI)
async def search(
    request: Request,
    caller: CallerDep,
    index: IndexDep,
    filters: FiltersDep,
    q: Annotated[str, Query(max_length=500, description=(
        "Words to find in titles, tags, descriptions, ids and templates; the last word is a "
        "prefix unless the query ends with a space. Never a syntax error."))],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    state = cast(ServerState, request.app.state.server)  # not a dependency: each costs ~10 us
    # Only q= itself: spaces are a query as typed (search-as-you-type), which finds nothing.
    refuse_empty("give the words to find (GET /api/v1/prompts lists prompts without a "
                 "query)", blank=False, q=q)
    view = index.view(caller.role)
    if filters.active:  # ids chosen by this request: not worth a search worker
        hits = await _search(state, index, q, limit,
                             filters.select(index.entries[i].summary for i in view.ids), None)
    else:
        consumer = caller.role == "consumer"
        hits = await _search(state, index, q, limit, view.allowed if consumer else None,
                             consumer)
    found = []
    entries = index.entries
    for hit in hits:
        shown = entries[hit.id].summary.summary()  # a new dict each time: completed in place
        shown["score"] = round(hit.score, 4)
        shown["snippet"] = hit.snippet
        found.append(shown)
    return fast_json(SearchResponse, {"query": q, "hits": found})


async def _search(state: ServerState, index: Index, text: str, limit: int,
                  allowed: frozenset[str] | None, consumer: bool | None) -> list[Hit]:
    """Hits among ``allowed`` ids (None: all): the answer cache's, else a search worker's while
    other requests are under way (``server.searchpool``; ``consumer``: what it is to search,
    consumers' prompts or all, None: not it), else this process's."""
    hits = index.cached_search(text, limit=limit, allowed=allowed)
    if hits is not None:
        return hits
    pool = state.search_pool
    if pool is not None and consumer is not None:
        if others_under_way():
            hits = await pool.search(index, text, limit=limit, consumer=consumer)
            if hits is not None:
                index.remember_search(text, hits, limit=limit, allowed=allowed)
                state.metrics.search_answers.labels(by="worker").inc()
                return hits
        else:
            pool.start_soon()  # ready for when more comes at once
    state.metrics.search_answers.labels(by="server").inc()
    return index.search(text, limit=limit, allowed=allowed)
