"""What several routers share: documented error answers, filters, the not-found answer, and
``fast_json``, the answer of a route whose dict already has its response model's shape."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import pydantic_core
from fastapi import Depends, Request, Response
from pydantic import BaseModel

from promptctl.model import Prompt
from server.errors import ApiError
from server.models import ErrorResponse
from server.records import Summary

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key."},
    404: {"model": ErrorResponse, "description": "No such prompt, or not visible to this key."},
    422: {"model": ErrorResponse, "description": "Invalid parameters (`fields` names them)."},
    429: {"model": ErrorResponse, "description": "Rate limited; see Retry-After."},
    503: {"model": ErrorResponse, "description": "The index is still being built (`not_ready`), "
                                                  "or the prompt cannot be read from the "
                                                  "repository now (`repository_unavailable`); "
                                                  "see Retry-After."},
}

# What a route with a JSON body adds to ERRORS.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON (`bad_request`)."},
    413: {"model": ErrorResponse, "description": "Body too large (`payload_too_large`)."},
}

def _filter_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "in": "query", "name": name, "required": False,
            "schema": {**schema, "description": description, "title": name.capitalize()}}


_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}]}

# The filters' query parameters in the OpenAPI document, as FastAPI wrote them when it read them
# itself (``filters`` reads them from the query string): ``openapi_extra`` of the routes that
# take ``FiltersDep``; the test of the committed document checks that nothing changed.
FILTERS_OPENAPI: dict[str, Any] = {"parameters": [
    _filter_parameter("tag", "Only prompts with this tag (repeatable: all must match).",
                      {"anyOf": [{"items": {"type": "string"}, "type": "array"},
                                 {"type": "null"}]}),
    _filter_parameter("collection", "Only prompts under this collection.", _TEXT),
    _filter_parameter("status", "draft, active or deprecated.", _TEXT),
    _filter_parameter("owner", "Only prompts with this owner.", _TEXT),
    _filter_parameter("channel", "stable or experimental.", _TEXT),
]}


FILTER_FIX = "give a value, or leave the parameter out to not filter by it"


def refuse_empty(fix: str = FILTER_FIX, *, blank: bool = True,
                 **values: str | list[str] | None) -> None:
    """422 naming each parameter given with an empty value (or a blank one, if ``blank``),
    and ``fix``."""
    empty = [name for name, value in values.items()
             if value is not None and any(not (v.strip() if blank else v) for v in (
                 value if isinstance(value, list) else [value]))]
    if empty:
        raise ApiError(422, "invalid_request",
                       "empty " + ", ".join(f"{name}=" for name in empty) + f": {fix}",
                       fields=dict.fromkeys(empty, f"empty; {fix}"))


def _refuse_unknown(**values: str | None) -> None:
    """422 for a status or channel that no prompt can have (the CLI's rule, as a 422)."""
    from promptctl.filters import choice_problem

    for name, value in values.items():
        problem = None if value is None else choice_problem(name, value, spelled=f"{name}=")
        if problem is not None:
            raise ApiError(422, "invalid_request", problem, fields={name: problem})


class Filters:
    """The list and search filters, with the same meaning as ``promptctl list``."""

    def __init__(self, tag: list[str] | None = None, collection: str | None = None,
                 status: str | None = None, owner: str | None = None,
                 channel: str | None = None) -> None:
        refuse_empty(tag=tag, collection=collection, status=status, owner=owner,
                     channel=channel)
        _refuse_unknown(status=status, channel=channel)
        self.tags = set(tag or [])
        self.collection = collection.strip("/") + "/" if collection else None
        self.status = status
        self.owner = owner.lstrip("@").lower() if owner else None
        self.channel = channel

    @property
    def active(self) -> bool:
        return bool(self.tags or self.collection or self.status or self.owner or self.channel)

    def match(self, prompt: Prompt | Summary) -> bool:
        if self.tags and not self.tags <= set(prompt.tags):
            return False
        if self.collection and not (prompt.id + "/").startswith(self.collection):
            return False
        if self.status and prompt.status != self.status:
            return False
        if self.channel and prompt.channel != self.channel:
            return False
        return not (self.owner and self.owner not in {o.lstrip("@").lower()
                                                      for o in prompt.owners})

    def select(self, prompts: Iterable[Prompt | Summary]) -> frozenset[str]:
        return frozenset(p.id for p in prompts if self.match(p))


async def filters(request: Request) -> Filters:
    """``Filters`` as a dependency, from the query string as FastAPI would read it (the last of a
    repeated parameter, every ``tag``; none is ever invalid to FastAPI): its own reading of five
    optional parameters cost about 60 us a request. A coroutine, called on the event loop (a
    class dependency is called in a thread pool, a hop that costs more than the filters)."""
    given = request.query_params
    return Filters(given.getlist("tag") or None, given.get("collection"), given.get("status"),
                   given.get("owner"), given.get("channel"))


FiltersDep = Annotated[Filters, Depends(filters)]


class AnswerDrift(AssertionError):
    """A ``fast_json`` answer that is not what its response model would have answered."""


# On in the server's tests: every ``fast_json`` answer is then compared with what FastAPI would
# have answered after validating it through its model, and a difference is an error.
CHECK_ANSWERS = False


def fast_json(model: type[BaseModel], content: Mapping[str, Any], *, exclude_unset: bool = False,
              status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``content``, which already has the shape of ``model``, as a JSON answer.

    A route that returns a dict has it validated by its ``response_model`` and serialized again
    (about 40 us for 20 search hits); a route whose dict is built from validated prompts
    returns this instead and keeps ``response_model`` for the OpenAPI document. The JSON is
    written by pydantic-core, as FastAPI writes it (UTF-8, not ASCII-escaped, compact).
    ``exclude_unset``: the route's ``response_model_exclude_unset``, for the check.
    """
    body = pydantic_core.to_json(content)
    if CHECK_ANSWERS:
        expected = model.model_validate(content).model_dump(mode="json",
                                                            exclude_unset=exclude_unset)
        if json.loads(body) != expected:
            raise AnswerDrift(f"the answer is not a {model.__name__} as its model gives it: "
                              f"{json.loads(body)!r} != {expected!r}")
    return Response(body, status_code=status_code, headers=dict(headers or {}),
                    media_type="application/json")
