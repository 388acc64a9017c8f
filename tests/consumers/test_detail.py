"""What the API's prompt detail gives a client that renders by itself: the file, its digest, the
partials it includes (through other partials too) and the render limits of its commit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from promptengine import PromptClient, RenderFailed

from tests.conftest import RepoFactory
from tests.consumers.conftest import render_on_server
from tests.server.conftest import ServerFactory, prompt

FILES = {
    "promptctl.yaml": "render:\n  max_output_bytes: 2000\n",
    "prompts/_partials/outer.md": "Outer {% include '_partials/inner.md' %}",
    "prompts/_partials/inner.md": "inner for {{ name }}",
    "prompts/_partials/unused.md": "never included",
    "prompts/demo/nested.prompt.md": prompt(body="{% include '_partials/outer.md' %}!"),
    "prompts/demo/plain.prompt.md": prompt(body="Hello {{ name * 1000 }}"),
}


@pytest.fixture
def running_url(make_repo: RepoFactory, start_server: ServerFactory) -> str:
    return start_server(make_repo(FILES)).url


@pytest.mark.parametrize(("prompt_id", "partials"), [
    ("demo/nested", ["_partials/inner.md", "_partials/outer.md"]),
    ("demo/plain", []),
])
def test_the_detail_carries_the_included_partials_the_file_and_the_limits(
        running_url: str, prompt_id: str, partials: list[str]) -> None:
    detail = httpx.get(f"{running_url}/api/v1/prompts/{prompt_id}").json()
    assert list(detail["partials"]) == partials
    assert detail["partials"].get("_partials/inner.md", "inner for {{ name }}") == \
        "inner for {{ name }}"
    assert detail["digest"] == hashlib.sha256(detail["source"].encode()).hexdigest()
    assert detail["source"] == FILES[detail["path"]]
    assert detail["limits"] == {"max_output_bytes": 2000, "timeout_seconds": 2.0}


def test_the_sdk_renders_partials_and_bounds_as_the_server(running_url: str,
                                                           tmp_path: Path) -> None:
    with PromptClient(running_url, cache_dir=tmp_path, report_usage=False) as sdk:
        server = render_on_server(running_url, "demo/nested", {"name": "Ada"}).json()
        assert sdk.get("demo/nested").render(name="Ada").as_dict() == server
        assert sdk.get("demo/nested").render(name="Ada").text == "Outer inner for Ada!"
        over = render_on_server(running_url, "demo/plain", {"name": "Ada"}).json()["error"]
        assert over["code"] == "render_limit_exceeded"
        with pytest.raises(RenderFailed) as caught:
            sdk.get("demo/plain").render(name="Ada")
        assert caught.value.message.startswith(over["message"])  # the 2,000-byte bound
