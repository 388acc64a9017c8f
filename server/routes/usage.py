"""``/api/v1/usage``: clients report uses; admins read summaries (others get 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from server.deps import CallerDep, ClientTypeDep, IndexDep, StateDep
from server.errors import ApiError, not_found, prompt_not_found
from server.models import ErrorResponse, UsageAccepted, UsageIn, UsageSummary
from server.routes.common import BODY_ERRORS, ERRORS
from server.usage import UsageStoreError, normalise_client_type

router = APIRouter(prefix="/api/v1/usage", tags=["usage"], responses=ERRORS)


@router.post("", response_model=UsageAccepted, status_code=202, summary="Report a use",
             response_description=(
                 "Stored: with `accepted: true` the event is committed to the usage database "
                 "before this answer is sent, so a crash of the server after it cannot lose it. "
                 "`accepted: false`: this server does not record usage."),
             responses={**BODY_ERRORS, 503: {"model": ErrorResponse, "description": (
                 "The index is still being built (`not_ready`), or the event could not be stored "
                 "in time (`usage_unavailable`: the usage database is failing or behind); retry "
                 "after Retry-After. An event not stored in time may still be stored, so a retry "
                 "may count it twice.")}})
async def report_usage(body: UsageIn, request: Request, caller: CallerDep, index: IndexDep,
                       state: StateDep, client_type: ClientTypeDep) -> dict[str, Any]:
    entry = index.lookup(body.prompt, caller.role)
    if entry is None:
        raise prompt_not_found(body.prompt)
    request.state.prompt_id = entry.summary.id
    if state.usage is None:
        return {"accepted": False}
    kind = normalise_client_type(body.client_type) if body.client_type else client_type
    if not await state.store_usage(caller, entry.summary.id, body.version, kind, "reported"):
        raise ApiError(503, "usage_unavailable", "the usage event could not be stored in "
                       "time; retry in a few seconds (GET /readyz shows the usage store's "
                       "state)", headers={"Retry-After": "1"})
    return {"accepted": True}


def parse_since(since: str | None) -> float | None:
    if since is None or not since.strip():
        return None
    try:
        return float(since)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(422, "invalid_request", "invalid since: give a Unix time in seconds or "
                       "an ISO 8601 date such as 2026-01-31T00:00:00Z",
                       fields={"since": "not a time"}) from None


@router.get("/summary", response_model=UsageSummary, summary="Usage summary (admin)",
            responses={503: {"model": ErrorResponse, "description": "Usage store unavailable."}})
def usage_summary(
    caller: CallerDep,
    state: StateDep,
    since: Annotated[str | None, Query(description="Unix seconds or ISO 8601; default: all.")]
    = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Any:
    if not caller.is_admin:
        raise not_found("no such route; the API is under /api/v1 (see /docs)")
    start = parse_since(since)
    if state.usage is None:
        raise ApiError(503, "usage_disabled", "usage is not recorded by this server; start it "
                       "with --usage-db PATH")
    try:
        return state.usage.summary(start, limit)
    except UsageStoreError as exc:
        raise ApiError(503, "usage_unavailable", f"{exc}; see /readyz") from None
