"""The admin usage page over real usage rows (and its absence for others), then every main page
of the console checked by axe-core, with a screenshot of each kept as a test artifact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import LIBRARY, prompt
from tests.web.conftest import Served, serve_library
from tests.web.pages import axe_violations, open_console, screenshot


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_library(tmp_path_factory.mktemp("admin"), LIBRARY)
    try:
        served.commit({"prompts/demo/farewell.prompt.md": prompt(
            title="Farewell", version="1.1.0", tags="[demo, bye]",
            body="Goodbye for now, {{ name }}")}, "Farewell: for now")
        yield served
    finally:
        served.stop()


def report(served: Served, prompt_id: str, client_type: str, times: int) -> None:
    for _ in range(times):
        answer = httpx.post(f"{served.url}/api/v1/usage", json={"prompt": prompt_id},
                            headers=served.headers("consumer", client_type), timeout=10)
        assert answer.status_code == 202, answer.text


def test_the_admin_usage_page_charts_real_usage(browser: Any, served: Served) -> None:
    report(served, "ops/runbook", "cli", 3)
    report(served, "demo/farewell", "desktop", 2)
    page = open_console(browser, served, "admin")
    page.goto("/p/demo/greet")
    page.get_by_role("textbox", name="name").fill("Ada")
    page.get_by_role("button", name="Render").click()
    page.get_by_test_id("rendered").get_by_text("Hello, Ada.").wait_for()
    page.get_by_role("button", name="Copy text").click()
    page.get_by_text("Copied the text").wait_for()

    page.get_by_role("link", name="Usage").click()
    page.wait_for_url("**/usage")
    page.get_by_role("combobox", name="Period").select_option("all")
    page.wait_for_url("**/usage?period=all")
    top = page.get_by_role("table").filter(has_text="Top prompts")
    top.get_by_role("cell", name="ops/runbook").wait_for()
    rows = {r.split("\t")[0]: int(r.split("\t")[1]) for r in
            top.locator("tbody tr").all_inner_texts()}
    assert rows["ops/runbook"] == 3
    assert rows["demo/farewell"] == 2
    assert rows["demo/greet"] >= 3  # the page's get, the render and the copy
    clients = page.get_by_role("table").filter(has_text="Per client type")
    counts = {r.split("\t")[0]: int(r.split("\t")[1]) for r in
              clients.locator("tbody tr").all_inner_texts()}
    assert counts["cli"] == 3
    assert counts["desktop"] == 2
    assert counts["web"] >= 3
    teams = page.get_by_role("table").filter(has_text="Per team").inner_text()
    assert "design" in teams  # the consumer key's team
    chart = page.get_by_role("img", name="Top prompts:")
    assert "ops/runbook 3" in (chart.get_attribute("aria-label") or "")
    assert chart.locator("rect").count() == len(rows)  # one bar a prompt


def test_consumers_and_contributors_have_no_usage_page(browser: Any, served: Served) -> None:
    for role in ("consumer", "contributor"):
        page = open_console(browser, served, role)
        page.goto("/usage")
        page.get_by_role("heading", name="No such page").wait_for()
        assert page.get_by_role("link", name="Usage").count() == 0
        assert "Top prompts" not in page.inner_text("body")


MAIN_PAGES = [
    ("search", "consumer", "/?q=fare"),
    ("search-filters", "contributor", "/?status=draft"),
    ("prompt", "consumer", "/p/demo/greet"),
    ("diff", "consumer", "/diff/demo/farewell?from=1.0.0&to=1.1.0"),
    ("browse", "consumer", "/browse"),
    ("favorites", "consumer", "/favorites"),
    ("usage", "admin", "/usage?period=all"),
    ("sign-in", None, "/signin"),
    ("not-found", "consumer", "/nowhere-in-the-app/p"),
]


@pytest.mark.parametrize(("name", "role", "path"), MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES])
def test_axe_finds_no_violation(browser: Any, served: Served, screenshots: Path, name: str,
                                role: str | None, path: str) -> None:
    page = open_console(browser, served, role)
    if name == "favorites":  # with a favorite and a recent prompt in the lists
        page.goto("/p/demo/greet")
        page.get_by_role("button", name="Add to favorites").click()
        page.get_by_role("textbox", name="name").fill("Ada")
        page.get_by_role("button", name="Render").click()
        page.get_by_test_id("rendered").wait_for()
    if name == "not-found":
        page.goto("/")  # the server answers JSON for unknown paths; the app's own is client-side
        page.get_by_role("combobox", name="Search prompts").wait_for()
        page.evaluate(f"history.pushState(null, '', {path!r}); "
                      "dispatchEvent(new PopStateEvent('popstate'))")
    else:
        page.goto(path)
    page.get_by_role("heading", level=1).wait_for()
    page.wait_for_load_state("networkidle")
    if name == "prompt":  # with a preview and a field error showing
        page.get_by_role("checkbox", name="excited").check()
        page.get_by_role("button", name="Render").click()
        page.get_by_text("name: required").wait_for()
        page.get_by_role("textbox", name="name").fill("Ada")
        page.get_by_role("button", name="Render").click()
        page.get_by_test_id("rendered").get_by_text("Hello, Ada!").wait_for()
    if name == "search":
        page.get_by_role("option", name="Farewell").wait_for()
    if name == "favorites":
        page.get_by_role("region", name="Recently used").get_by_role("link").wait_for()
    assert axe_violations(page) == []
    screenshot(page, screenshots, name)


def test_axe_finds_no_violation_in_the_palette_and_on_a_narrow_window(
        browser: Any, served: Served, screenshots: Path) -> None:
    page = open_console(browser, served, "consumer", viewport={"width": 375, "height": 720})
    page.goto("/p/demo/greet")
    page.get_by_role("heading", name="Greeting").wait_for()
    assert axe_violations(page) == []
    screenshot(page, screenshots, "prompt-narrow")
    page.keyboard.press("Control+k")
    page.keyboard.type("greet")
    page.get_by_role("dialog").get_by_role("option", name="Greeting").wait_for()
    assert axe_violations(page) == []
    screenshot(page, screenshots, "palette")
