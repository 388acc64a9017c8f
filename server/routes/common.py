"""What several routers share: documented error answers, filters, the not-found answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Query

from promptctl.model import Prompt
from server.models import ErrorResponse

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key."},
    404: {"model": ErrorResponse, "description": "No such prompt, or not visible to this key."},
    422: {"model": ErrorResponse, "description": "Invalid parameters (`fields` names them)."},
    429: {"model": ErrorResponse, "description": "Rate limited; see Retry-After."},
}

TagQuery = Annotated[list[str] | None, Query(description="Only prompts with this tag "
                                                         "(repeatable: all must match).")]
CollectionQuery = Annotated[str | None, Query(description="Only prompts under this collection.")]
StatusQuery = Annotated[str | None, Query(description="draft, active or deprecated.")]
OwnerQuery = Annotated[str | None, Query(description="Only prompts with this owner.")]
ChannelQuery = Annotated[str | None, Query(description="stable or experimental.")]


class Filters:
    """The list and search filters, with the same meaning as ``promptctl list``."""

    def __init__(self, tag: TagQuery = None, collection: CollectionQuery = None,
                 status: StatusQuery = None, owner: OwnerQuery = None,
                 channel: ChannelQuery = None) -> None:
        self.tags = set(tag or [])
        self.collection = collection.strip("/") + "/" if collection else None
        self.status = status
        self.owner = owner.lstrip("@").lower() if owner else None
        self.channel = channel

    @property
    def active(self) -> bool:
        return bool(self.tags or self.collection or self.status or self.owner or self.channel)

    def match(self, prompt: Prompt) -> bool:
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

    def select(self, prompts: Iterable[Prompt]) -> frozenset[str]:
        return frozenset(p.id for p in prompts if self.match(p))
