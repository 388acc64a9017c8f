"""The client SDK against the real server: renders, cache and revalidation, outages, retries,
usage reporting, threads and asyncio. Statuses the real server does not give on demand (429,
503, Retry-After) come from a scripted peer; an outage is a stopped server."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import httpx
import pytest
from promptengine import (
    AsyncPromptClient,
    AuthenticationFailed,
    InvalidInputs,
    PromptClient,
    PromptEngineError,
    PromptNotFound,
    PromptNotVisible,
    RetryPolicy,
    ServerUnavailable,
)

from tests.consumers.conftest import (
    Answer,
    Peer,
    closed_port_url,
    json_answer,
    promptctl_serve,
    render_on_server,
)
from tests.server.conftest import Keys, ServerFactory, commit_files, prompt

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)


def client(url: str, tmp_path: Path, **options: object) -> PromptClient:
    options.setdefault("retry", FAST)
    return PromptClient(url, cache_dir=tmp_path / "client-cache", **options)  # type: ignore[arg-type]


def test_render_is_the_servers_render_byte_for_byte(start_server: ServerFactory,
                                                    library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    with client(running.url, tmp_path) as sdk:
        for ref, version in [("demo/greet", None), ("hello", "1"), ("demo/farewell", "1.0"),
                             ("demo/greet", "1.0.0")]:
            got = sdk.get(ref, version=version)
            for inputs in ({"name": "Ada"}, {"name": "{{ 7*7 }}", "excited": True}):
                server = render_on_server(running.url, ref, inputs, version).json()
                assert got.render(inputs).as_dict() == server
        assert sdk.get("hello").id == "demo/greet"


def test_unknown_and_hidden_prompts_are_the_same_not_found(
        start_server: ServerFactory, library_repo: Path, keys: Keys, tmp_path: Path) -> None:
    running = start_server(library_repo, keys_file=keys.path)
    with client(running.url, tmp_path, api_key=keys.consumer) as sdk:
        with pytest.raises(PromptNotFound) as unknown:
            sdk.get("demo/nope")
        with pytest.raises(PromptNotFound) as hidden:
            sdk.get("demo/secret-draft")
        assert type(unknown.value) is type(hidden.value) is PromptNotFound
        assert unknown.value.status == hidden.value.status == 404
        with pytest.raises(PromptNotFound, match="no such version"):
            sdk.get("demo/greet", version="7")
    with client(running.url, tmp_path, api_key=keys.contributor) as sdk:
        assert sdk.get("demo/secret-draft").status == "draft"
    with (client(running.url, tmp_path, api_key="not-a-key") as sdk,
          pytest.raises(AuthenticationFailed)):
        sdk.get("demo/greet")


def test_bad_inputs_name_each_field_as_the_server_does(
        start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    with client(running.url, tmp_path) as sdk:
        greet = sdk.get("demo/greet")
        bad = {"excited": "very", "colour": "red"}
        with pytest.raises(InvalidInputs) as caught:
            greet.render(bad)
        server = render_on_server(running.url, "demo/greet", bad).json()["error"]
        assert caught.value.fields == server["fields"]
        assert set(caught.value.fields) == {"name", "excited", "colour"}
        assert caught.value.message == server["message"]
        with pytest.raises(InvalidInputs, match="name: set is not JSON data"):
            greet.render(name={"a"})


def test_a_copy_within_its_ttl_needs_no_server_and_after_it_is_revalidated(
        start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    with client(running.url, tmp_path, ttl=3600) as sdk:
        first = sdk.get("demo/greet")
        assert sdk.get("demo/greet") is first  # from memory, no request
    with client(running.url, tmp_path, ttl=0) as sdk:
        copy = sdk.get("demo/greet")  # read from disk, revalidated: 304 keeps the copy
        assert sdk.get("demo/greet") is copy
        assert copy.origin == "server"
        assert not copy.stale
        head = commit_files(library_repo, {"prompts/demo/greet.prompt.md":
                                           prompt(version="1.1.0", body="Hi, {{ name }}.")})
        running.wait_ready(head)
        changed = sdk.get("demo/greet")  # the ETag moved with the commit: a new body
        assert changed is not copy
        assert (changed.version, changed.commit) == ("1.1.0", head)
        assert changed.render(name="Ada").text == "Hi, Ada."


def test_revalidation_sends_the_etag_and_a_304_costs_no_body(peer: Peer, start_server:
                                                             ServerFactory, library_repo: Path,
                                                             tmp_path: Path) -> None:
    running = start_server(library_repo)
    real = httpx.get(f"{running.url}/api/v1/prompts/demo/greet")
    peer.script(json_answer(real.json(), ETag=real.headers["etag"]),
                Answer(304, headers={"ETag": real.headers["etag"]}))
    with client(peer.url, tmp_path, ttl=0) as sdk:
        first = sdk.get("demo/greet")
        assert sdk.get("demo/greet") is first
    assert "If-None-Match" not in peer.requests[0][2]
    assert peer.requests[1][2]["If-None-Match"] == real.headers["etag"]
    assert peer.requests[1][2]["X-Client-Type"] == "sdk"


def test_a_stopped_server_serves_the_last_good_copy_and_says_so(
        library_repo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with promptctl_serve(library_repo, tmp_path / "xdg") as url, client(url, tmp_path) as sdk:
        expected = sdk.get("demo/greet", version="1").render(name="Ada")
    # The server is stopped; a new client (another process) with the same cache folder.
    with (client(url, tmp_path, ttl=0, report_usage=False) as sdk,
          caplog.at_level(logging.WARNING, logger="promptengine")):
        copy = sdk.get("demo/greet", version="1")
    assert copy.stale
    assert copy.origin == "cache"
    assert "the server is unreachable" in (copy.stale_reason or "")
    assert "serving the copy last confirmed at" in (copy.stale_reason or "")
    assert copy.render(name="Ada") == expected
    assert "demo/greet@1.0.0: the server is unreachable" in caplog.text


def test_unreachable_without_copy_is_server_unavailable_or_the_fallback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = closed_port_url()
    with client(url, tmp_path) as sdk:
        with pytest.raises(ServerUnavailable, match="unreachable"):
            sdk.get("demo/greet")
        fallback = "---\ntitle: Greeting\ndescription: Offline greeting.\nversion: 0.0.0\n" \
                   "status: active\nowners: ['@me']\ninputs:\n  name: {type: string, " \
                   "required: true}\n---\nHello, {{ name }} (offline)."
        with caplog.at_level(logging.WARNING, logger="promptengine"):
            offline = sdk.get("demo/greet", fallback=fallback)
        assert offline.origin == "fallback"
        assert offline.stale
        assert offline.render(name="Ada").text == "Hello, Ada (offline)."
        with pytest.raises(InvalidInputs, match="name: required input is missing"):
            offline.render()
        assert "serving the fallback" in caplog.text


def test_retries_honour_retry_after_then_succeed(peer: Peer, start_server: ServerFactory,
                                                 library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    real = httpx.get(f"{running.url}/api/v1/prompts/demo/greet").json()
    peer.script(Answer(429, headers={"Retry-After": "1"}), Answer(503), json_answer(real))
    with client(peer.url, tmp_path, report_usage=False) as sdk:
        started = time.monotonic()
        got = sdk.get("demo/greet")
        waited = time.monotonic() - started
    assert got.version == "1.0.0"
    assert not got.stale
    assert len(peer.requests) == 3
    assert waited >= 1.0  # Retry-After: 1 honoured


def test_5xx_after_the_retries_serves_the_copy_and_a_long_retry_after_is_not_waited_for(
        peer: Peer, start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    real = httpx.get(f"{running.url}/api/v1/prompts/demo/greet")
    peer.script(json_answer(real.json(), ETag=real.headers["etag"]), Answer(503))
    with client(peer.url, tmp_path, ttl=0, report_usage=False) as sdk:
        fresh = sdk.get("demo/greet")
        stale = sdk.get("demo/greet")
        assert len(peer.requests) == 1 + FAST.attempts
        assert stale.stale
        assert stale.origin == "cache"
        assert "the server answered 503" in (stale.stale_reason or "")
        assert stale.render(name="Ada") == fresh.render(name="Ada")
        peer.script(Answer(503, headers={"Retry-After": "3600"}))
        assert sdk.get("demo/greet").stale
        assert len(peer.requests) == 2 + FAST.attempts  # one try: an hour is not waited for
    with client(peer.url, tmp_path / "other", report_usage=False) as sdk, \
            pytest.raises(ServerUnavailable, match="503"):
        sdk.get("demo/greet")


def test_a_prompt_that_disappears_is_not_visible_and_its_copy_is_dropped(
        start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    with client(running.url, tmp_path, ttl=0) as sdk:
        sdk.get("ops/runbook")
        head = commit_files(library_repo, {"prompts/ops/runbook.prompt.md":
                                           prompt(title="Runbook", version="1.1.0",
                                                  status="deprecated",
                                                  extra="\nreplaced_by: demo/greet")})
        running.wait_ready(head)
        with pytest.raises(PromptNotVisible):
            sdk.get("ops/runbook")
        with pytest.raises(PromptNotFound) as again:
            sdk.get("ops/runbook")
        assert type(again.value) is PromptNotFound  # the copy is gone


def test_usage_is_reported_in_the_background_and_flushed_on_close(
        start_server: ServerFactory, library_repo: Path, keys: Keys, tmp_path: Path) -> None:
    running = start_server(library_repo, keys_file=keys.path)
    with client(running.url, tmp_path, api_key=keys.consumer, ttl=3600) as sdk:
        greet = sdk.get("demo/greet")  # the server records this get itself
        for _ in range(5):
            greet.render(name="Ada")
    assert sdk.usage is not None
    assert (sdk.usage.sent, sdk.usage.dropped) == (5, 0)
    summary = running.client(keys.headers("admin")).get("/api/v1/usage/summary").json()
    kinds = {c["client_type"]: c["count"] for c in summary["per_client_type"]}
    assert kinds == {"sdk": 6}


def test_usage_reports_never_fail_or_hold_a_render(tmp_path: Path, peer: Peer,
                                                   start_server: ServerFactory,
                                                   library_repo: Path) -> None:
    running = start_server(library_repo)
    real = httpx.get(f"{running.url}/api/v1/prompts/demo/greet").json()
    peer.script(json_answer(real), Answer(500))
    sdk = client(peer.url, tmp_path, ttl=3600)
    greet = sdk.get("demo/greet")
    for _ in range(3):
        assert greet.render(name="Ada").text == "Hello, Ada."  # the reports fail meanwhile
    sdk.close()
    assert sdk.usage is not None
    assert (sdk.usage.sent, sdk.usage.dropped) == (0, 3)
    assert [r[1] for r in peer.requests].count("/api/v1/usage") >= 1


def test_threads_share_one_client(start_server: ServerFactory, library_repo: Path,
                                  tmp_path: Path) -> None:
    running = start_server(library_repo)
    expected = render_on_server(running.url, "demo/farewell", {"name": "Ada"}).json()["text"]
    results: list[str] = []
    failures: list[BaseException] = []
    with client(running.url, tmp_path, ttl=0) as sdk:
        def work() -> None:
            try:
                for _ in range(20):
                    results.append(sdk.get("demo/farewell").render(name="Ada").text)
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures
    assert results == [expected] * 160


def test_the_async_client_has_the_same_surface(start_server: ServerFactory, library_repo: Path,
                                               tmp_path: Path) -> None:
    running = start_server(library_repo)

    async def main() -> list[str]:
        async with AsyncPromptClient(running.url, cache_dir=tmp_path / "c", retry=FAST) as sdk:
            found = await asyncio.gather(*(sdk.get(ref) for ref in ("demo/greet", "hello")))
            with pytest.raises(PromptNotFound):
                await sdk.get("demo/nope")
            return [p.render(name="Ada").text for p in found]

    assert asyncio.run(main()) == ["Hello, Ada.", "Hello, Ada."]


def test_the_disk_cache_stays_within_its_bound(start_server: ServerFactory,
                                               library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    folder = tmp_path / "bounded"
    with PromptClient(running.url, cache_dir=folder, max_cache_bytes=6000,
                      report_usage=False) as sdk:
        for ref in ("demo/greet", "demo/farewell", "ops/runbook", "hello"):
            sdk.get(ref)
            sdk.get(ref, version="1")
    sizes = [p.stat().st_size for p in folder.glob("*.json")]
    assert 0 < len(sizes) < 8
    assert sum(sizes) <= 6000


def test_an_outage_is_asked_about_once_then_its_stale_copy_held_briefly(
        peer: Peer, start_server: ServerFactory, library_repo: Path, tmp_path: Path) -> None:
    running = start_server(library_repo)
    real = httpx.get(f"{running.url}/api/v1/prompts/demo/greet")
    peer.script(json_answer(real.json(), ETag=real.headers["etag"]), Answer(503))
    with client(peer.url, tmp_path, ttl=0.5, report_usage=False) as sdk:
        sdk.get("demo/greet")
        time.sleep(0.6)  # the copy's TTL runs out
        stale = sdk.get("demo/greet")
        assert stale.stale
        asked = len(peer.requests)
        assert asked == 1 + FAST.attempts
        assert sdk.get("demo/greet") is stale  # held: no new round of retries
        assert len(peer.requests) == asked
        peer.script(Answer(304, headers={"ETag": real.headers["etag"]}))
        time.sleep(0.6)  # the hold (at most the TTL) runs out: asked again, and confirmed
        back = sdk.get("demo/greet")
        assert not back.stale
        assert peer.requests[-1][2]["If-None-Match"] == real.headers["etag"]


def test_an_answer_larger_than_any_prompt_is_refused_unread(peer: Peer, tmp_path: Path) -> None:
    peer.script(Answer(200, b"x" * (16 * 1024 * 1024 + 1), {"Content-Type": "application/json"}))
    with client(peer.url, tmp_path, report_usage=False) as sdk, \
            pytest.raises(PromptEngineError, match="over 16,777,216; is it a Prompt Engine"):
        sdk.get("demo/greet")
