"""Favorites and recent prompts open from the browser's IndexedDB while the server is stopped,
with an offline banner and the saved version, in the open page and in a new one (the console's
service worker keeps the page); when the server is back, they are brought up to date."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import LIBRARY, prompt
from tests.web.conftest import Served, serve_library
from tests.web.pages import axe_violations, open_console, screenshot


@pytest.fixture
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_library(tmp_path_factory.mktemp("offline"), LIBRARY)
    try:
        yield served
    finally:
        served.stop()


def test_favorites_open_with_the_server_stopped_and_refresh_when_it_is_back(
        browser: Any, served: Served, screenshots: Path) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/p/demo/greet")
    # The service worker has kept the console (it does so once installed).
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("button", name="Add to favorites").click()
    assert page.get_by_role("button", name="★ Favorite").get_attribute("aria-pressed") == "true"
    page.goto("/p/demo/farewell")
    page.get_by_role("textbox", name="name").fill("Ada")
    page.get_by_role("button", name="Render").click()  # a use: farewell is a recent prompt
    page.get_by_test_id("rendered").get_by_text("Goodbye, Ada").wait_for()

    served.stop()
    page.get_by_role("link", name="Favorites").click()
    page.get_by_role("status").filter(has_text="The server cannot be reached").wait_for()
    favorites = page.get_by_role("region", name="Favorites", exact=True)
    recent = page.get_by_role("region", name="Recently used")
    assert "demo/greet@1.0.0" in favorites.inner_text()
    assert "demo/farewell@1.0.0" in recent.inner_text()

    favorites.get_by_role("link", name="Greeting").click()
    page.get_by_role("heading", name="Greeting", level=1).wait_for()
    page.get_by_text("Offline: this is the copy of version 1.0.0 saved on").wait_for()
    assert "Hello, {{ name }}" in page.get_by_label("user template").inner_text()
    assert page.get_by_role("button", name="Render").is_disabled()
    assert axe_violations(page) == []
    screenshot(page, screenshots, "prompt-offline")

    # A reload, a new tab: the console itself comes from its service worker's cache.
    other = page.context.new_page()
    other.goto(f"{served.url}/favorites")
    other.get_by_role("status").filter(has_text="The server cannot be reached").wait_for()
    assert "demo/greet@1.0.0" in other.get_by_role("region", name="Favorites",
                                                   exact=True).inner_text()
    other.close()

    # Back, with a new version of the favorite committed meanwhile.
    served.commit({"prompts/demo/greet.prompt.md": prompt(
        title="Greeting", version="1.1.0", extra="\naliases: [hello]",
        body="Hi there, {{ name }}.")}, "Greeting: warmer", wait=False)
    served.start()
    page.get_by_text("The server cannot be reached").wait_for(state="hidden", timeout=15_000)
    page.get_by_role("link", name="Favorites").click()
    favorites.get_by_text("updated from 1.0.0").wait_for()
    assert "demo/greet@1.1.0" in favorites.inner_text()
    favorites.get_by_role("link", name="Greeting").click()
    page.get_by_role("textbox", name="name").fill("Ada")
    page.get_by_role("button", name="Render").click()
    page.get_by_test_id("rendered").get_by_text("Hi there, Ada.").wait_for()
