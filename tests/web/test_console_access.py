"""Who sees what in the console: signing in with a key (kept for the session or remembered), a
consumer never meets a draft or experimental prompt anywhere in the UI while a contributor does,
and a commit landing on the branch shows after a reload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import LIBRARY, prompt
from tests.web.conftest import KEY_STORAGE, Served, serve_library
from tests.web.pages import open_console

# What only the server could tell: the hidden prompts' titles and tag (the user types their ids,
# a word of their titles and the tag into the address and the search box, which show them back).
HIDDEN = ("Zanzibar draft", "Zanzibar experiment", "hidden-tag (", "hidden-tag 1", "labs (")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_library(tmp_path_factory.mktemp("access"), LIBRARY)
    try:
        yield served
    finally:
        served.stop()


def visible_text(page: Any) -> str:
    """What the page shows, and what its form controls hold (option labels included)."""
    text: str = page.evaluate(
        "document.body.innerText + '\\n' + [...document.querySelectorAll('option')]"
        ".map(o => o.value + ' ' + o.textContent).join('\\n')")
    return text


def pages_a_user_goes_through(page: Any) -> list[tuple[str, str]]:
    """Every place of the console, with what it shows; searches for the hidden prompts' words."""
    shown = []
    for path in ("/", "/browse", "/favorites", "/?q=Zanzibar", "/?tag=hidden-tag",
                 "/?collection=labs", "/p/demo/secret-draft", "/p/labs/secret-experiment",
                 "/diff/demo/secret-draft?from=1.0.0&to=1.0.0"):
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_load_state("networkidle")
        shown.append((path, visible_text(page)))
    page.goto("/")
    page.get_by_role("combobox", name="Search prompts").wait_for()
    page.keyboard.press("Control+k")
    page.keyboard.type("Zanzibar")
    # The results list names the query it shows (found or not).
    page.locator("dialog [role=listbox][data-query=Zanzibar]").wait_for(state="attached")
    shown.append(("palette", visible_text(page)))
    return shown


def test_a_consumer_never_sees_a_draft_or_experimental_prompt(browser: Any,
                                                              served: Served) -> None:
    page = open_console(browser, served, "consumer")
    for place, text in pages_a_user_goes_through(page):
        for word in HIDDEN:
            assert word not in text, f"{word!r} shows on {place} for a consumer"
    page.goto("/")
    assert page.get_by_role("combobox", name="Status").count() == 0
    page.goto("/p/demo/secret-draft")
    page.get_by_role("alert").filter(has_text="Not found: no prompt 'demo/secret-draft'").wait_for()


def test_a_contributor_sees_them_and_filters_by_status(browser: Any, served: Served) -> None:
    page = open_console(browser, served, "contributor")
    texts = dict(pages_a_user_goes_through(page))
    assert "Zanzibar draft" in texts["/p/demo/secret-draft"]
    assert "Zanzibar experiment" in texts["/p/labs/secret-experiment"]
    assert "hidden-tag" in texts["/browse"]
    page.goto("/")
    page.get_by_text("Signed in (contributor)").wait_for()
    page.get_by_role("combobox", name="Status").select_option("draft")
    page.wait_for_url("**/?status=draft")
    listed = page.get_by_role("heading", name="Prompts with these filters").locator("..")
    # The list shown before the filter's answer came holds the draft too: wait for the answer.
    expect(listed.get_by_role("link")).to_have_text(["Zanzibar draft"])


def test_sign_in_explains_a_401_and_keeps_the_key_as_asked(browser: Any, served: Served) -> None:
    page = open_console(browser, served)  # no key
    page.goto("/p/demo/greet")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_text("The server asks for an API key: an API key is required").wait_for()
    key = page.get_by_label("API key")
    key.fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(key).to_have_accessible_description(
        "unknown API key; check the key, or ask an admin for a new one")
    assert page.evaluate(f"sessionStorage.getItem('{KEY_STORAGE}')") is None

    key.fill(served.keys["consumer"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Greeting").wait_for()  # where the user was going
    assert page.evaluate(f"sessionStorage.getItem('{KEY_STORAGE}')") == served.keys["consumer"]
    assert page.evaluate(f"localStorage.getItem('{KEY_STORAGE}')") is None

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("API key").fill(served.keys["admin"])
    page.get_by_label("Remember on this computer").check()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in (admin)").wait_for()
    assert page.evaluate(f"localStorage.getItem('{KEY_STORAGE}')") == served.keys["admin"]
    assert page.evaluate(f"sessionStorage.getItem('{KEY_STORAGE}')") is None
    page.reload()
    page.get_by_role("link", name="Usage").wait_for()  # remembered across a reload


def test_a_commit_on_the_branch_shows_after_reload(browser: Any, served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/p/ops/runbook")
    page.get_by_role("heading", name="Runbook").wait_for()
    served.commit({"prompts/ops/runbook.prompt.md": prompt(
        title="Runbook, revised", version="1.1.0", tags="[ops]",
        body="Follow the runbook, {{ name }}.")}, "Runbook: revised")
    page.reload()
    page.get_by_role("heading", name="Runbook, revised").wait_for()
    assert "Follow the runbook" in page.get_by_label("user template").inner_text()
    page.goto("/?q=revised")
    page.get_by_role("option", name="Runbook, revised").wait_for()


def test_a_contributor_is_one_in_a_library_without_drafts(browser: Any,
                                                          tmp_path: Any) -> None:
    """The role comes from the key (/api/v1/me), not from what the library happens to hold."""
    served = serve_library(tmp_path, {"prompts/demo/greet.prompt.md": prompt()})
    try:
        page = open_console(browser, served, "contributor")
        page.goto("/")
        page.get_by_text("Signed in (contributor)").wait_for()
        expect(page.get_by_role("combobox", name="Status")).to_be_visible()
    finally:
        served.stop()
