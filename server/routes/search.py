"""``/api/v1/search``: ranked hits (tantivy, ``server.search``) over what a caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.deps import CallerDep, IndexDep
from server.models import SearchResponse
from server.routes.common import ERRORS, FiltersDep, fast_json, refuse_empty

router = APIRouter(prefix="/api/v1", tags=["search"], responses=ERRORS)


@router.get("/search", response_model=SearchResponse, summary="Search prompts")
async def search(
    caller: CallerDep,
    index: IndexDep,
    filters: FiltersDep,
    q: Annotated[str, Query(max_length=500, description=(
        "Words to find in titles, tags, descriptions, ids and templates; the last word is a "
        "prefix unless the query ends with a space. Never a syntax error."))],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    # Only q= itself: spaces are a query as typed (search-as-you-type), which finds nothing.
    refuse_empty("give the words to find (GET /api/v1/prompts lists prompts without a "
                 "query)", blank=False, q=q)
    view = index.view(caller.role)
    allowed: frozenset[str] | None = None
    if filters.active:
        allowed = filters.select(index.entries[i].summary for i in view.ids)
    elif caller.role == "consumer":
        allowed = view.allowed
    hits = index.search(q, limit=limit, allowed=allowed)
    found = []
    entries = index.entries
    for hit in hits:
        shown = entries[hit.id].summary.summary()  # a new dict each time: completed in place
        shown["score"] = round(hit.score, 4)
        shown["snippet"] = hit.snippet
        found.append(shown)
    return fast_json(SearchResponse, {"query": q, "hits": found})
