"""``/api/v1/tags`` and ``/api/v1/collections``: counts over the prompts a caller may see;
``/api/v1/me``: who the caller is, so a client shows what its role allows (the console's status
filter for contributors, its usage page for admins) without probing."""

from __future__ import annotations

from fastapi import APIRouter, Response

from server.deps import CallerDep, IndexDep
from server.models import CollectionList, Me, TagList
from server.routes.common import ERRORS, fast_json

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=ERRORS)


@router.get("/tags", response_model=TagList, summary="Tags with prompt counts")
async def tags(caller: CallerDep, index: IndexDep) -> Response:
    return fast_json(TagList, {"tags": [{"name": n, "count": c}
                                        for n, c in index.view(caller.role).tags]})


@router.get("/collections", response_model=CollectionList,
            summary="Collections with prompt counts")
async def collections(caller: CallerDep, index: IndexDep) -> Response:
    view = index.view(caller.role)
    return fast_json(CollectionList, {"collections": [{"name": n, "count": c}
                                                      for n, c in view.collections]})


@router.get("/me", response_model=Me, summary="The caller: its key's name, role and team")
async def me(caller: CallerDep) -> Response:
    return fast_json(Me, {"name": caller.name, "role": caller.role, "team": caller.team})
