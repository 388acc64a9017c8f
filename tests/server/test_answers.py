"""The read API's JSON answers are what their response models say: routes that answer with
``fast_json`` skip FastAPI's validation of the returned dict, so nothing else checks that the
dict has the model's shape (no extra key, no missing default, no wrong type)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from server.models import (
    CollectionList,
    Me,
    PromptDetail,
    PromptList,
    SearchResponse,
    TagList,
)
from server.routes import common
from server.routes.common import AnswerDrift, fast_json
from tests.server.conftest import ServerFactory


def _as_its_model(model: type[BaseModel], body: Any, *, exclude_unset: bool = False) -> Any:
    return model.model_validate(body).model_dump(mode="json", exclude_unset=exclude_unset)


@pytest.mark.parametrize(("path", "model", "exclude_unset"), [
    ("/api/v1/prompts", PromptList, True),
    ("/api/v1/prompts?limit=1", PromptList, True),
    ("/api/v1/prompts?detail=true&tag=demo", PromptList, True),
    ("/api/v1/prompts/demo/greet", PromptDetail, False),
    ("/api/v1/search?q=gree", SearchResponse, False),
    ("/api/v1/search?q=zzzz", SearchResponse, False),
    ("/api/v1/tags", TagList, False),
    ("/api/v1/collections", CollectionList, False),
    ("/api/v1/me", Me, False),
])
def test_every_json_answer_is_its_model_as_validated(
        start_server: ServerFactory, library_repo: Path, path: str, model: type[BaseModel],
        exclude_unset: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "CHECK_ANSWERS", False)  # the answer as it is served
    answer = start_server(library_repo).client().get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert int(answer.headers["content-length"]) == len(answer.content)
    body = answer.json()
    assert body == _as_its_model(model, body, exclude_unset=exclude_unset)


def test_fast_json_writes_what_fastapi_writes() -> None:
    answer = fast_json(Me, {"name": "zoë", "role": "consumer", "team": None},
                       status_code=201, headers={"X-Thing": "1"})
    assert answer.body == '{"name":"zoë","role":"consumer","team":null}'.encode()
    assert answer.status_code == 201
    assert answer.headers["x-thing"] == "1"
    assert answer.headers["content-type"] == "application/json"


class _Item(BaseModel):
    name: str
    tags: list[str] = []
    score: float


@pytest.mark.parametrize("content", [
    {"name": "a", "tags": [], "score": 1.0, "secret": "x"},  # a key the model does not have
    {"name": "a", "score": 1.0},  # a default the model would have added
    {"name": "a", "tags": [], "score": "1.5"},  # a value the model would have converted
])
def test_the_check_refuses_an_answer_its_model_would_change(
        content: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "CHECK_ANSWERS", True)
    assert fast_json(_Item, {"name": "a", "tags": ["t"], "score": 1.5}).status_code == 200
    with pytest.raises(AnswerDrift):
        fast_json(_Item, content)
    monkeypatch.setattr(common, "CHECK_ANSWERS", False)
    assert fast_json(_Item, content).status_code == 200  # served as it is: the check is for tests


def test_the_check_is_on_in_these_tests() -> None:
    assert common.CHECK_ANSWERS
