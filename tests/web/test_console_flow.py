"""The console's main flow in a real Chromium against a real ``promptctl serve``: search, select,
fill, render, copy (read back from the clipboard), by mouse and by keyboard only; the server's
422 on its field; versions by stable URL and side by side; a narrow window."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.server.conftest import LIBRARY, prompt
from tests.web.conftest import Served, serve_library
from tests.web.pages import clipboard, open_console

TRIAGE = textwrap.dedent("""\
    title: Incident triage
    description: Sorts an incident report into a severity and the next steps.
    version: 1.0.0
    status: active
    owners: ["@acme/sre"]
    tags: [ops, incident]
    inputs:
      report:
        type: string
        description: The incident report as written.
        required: true
      severity:
        type: string
        description: How bad it is.
        enum: [low, high]
        default: low
      responders:
        type: integer
        description: People on call (in pairs).
        minimum: 1
        multipleOf: 2
        default: 2
      systems:
        type: array
        items: {type: string}
        description: Affected systems.
    messages:
      - role: system
        content: You triage incidents for the SRE team.
      - role: user
        content: |-
          Severity {{ severity }}, {{ responders }} responders.
          {% if systems %}Systems: {{ systems | join(", ") }}.{% endif %}
          {{ report }}
    """)

FAREWELL_2 = prompt(title="Farewell", version="1.1.0", tags="[demo, bye]",
                    body="Goodbye for now, {{ name }}{% if excited %}!{% endif %}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_library(tmp_path_factory.mktemp("flow"),
                           {**LIBRARY, "prompts/chat/triage.prompt.yaml": TRIAGE})
    try:
        served.commit({"prompts/demo/farewell.prompt.md": FAREWELL_2}, "Farewell: say for now")
        yield served
    finally:
        served.stop()


def uses_by_web(served: Served) -> dict[str, int]:
    summary = httpx.get(f"{served.url}/api/v1/usage/summary", params={"limit": 100},
                        headers=served.headers("admin"), timeout=10).json()
    return {row["client_type"]: row["count"] for row in summary["per_client_type"]}


def test_search_select_fill_render_copy(browser: Any, served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/")
    box = page.get_by_role("combobox", name="Search prompts")
    assert box.evaluate("element => element === document.activeElement")  # focused on load
    box.fill("greet")
    option = page.get_by_role("option", name="Greeting")
    option.wait_for()
    assert "demo/greet@1.0.0" in option.inner_text()
    option.click()
    page.wait_for_url("**/p/demo/greet")
    assert page.get_by_role("heading", level=1).inner_text() == "Greeting"
    before = uses_by_web(served).get("web", 0)

    page.get_by_role("textbox", name="name").fill("Ada")
    page.get_by_role("checkbox", name="excited").check()
    page.get_by_role("button", name="Render").click()
    preview = page.get_by_test_id("rendered")
    preview.get_by_text("Hello, Ada!").wait_for()

    page.get_by_role("button", name="Copy text").click()
    page.get_by_text("Copied the text (11 characters).").wait_for()
    assert clipboard(page) == "Hello, Ada!"
    page.get_by_role("button", name="Copy messages (JSON)").click()
    page.get_by_text("Copied 1 messages as JSON.").wait_for()
    assert json.loads(clipboard(page)) == [{"role": "user", "content": "Hello, Ada!"}]
    # The render and the two copies were usage events of the client type web.
    assert uses_by_web(served).get("web", 0) >= before + 3
    page.go_back()  # to the search, as it was: its address holds the query
    page.wait_for_url("**/?q=greet")
    assert page.get_by_role("combobox", name="Search prompts").input_value() == "greet"
    page.get_by_role("option", name="Greeting").wait_for()
    assert page.errors == []


def test_chat_prompt_fills_every_kind_of_input_and_copies_its_messages(browser: Any,
                                                                       served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/p/chat/triage")
    page.get_by_role("textbox", name="report").fill("The API is down.")
    page.get_by_role("combobox", name="severity").select_option("high")
    page.get_by_role("textbox", name="systems").fill("api\ndatabase")
    page.get_by_role("button", name="Copy messages (JSON)").click()  # renders, then copies
    page.get_by_text("Copied 2 messages as JSON.").wait_for()
    assert json.loads(clipboard(page)) == [
        {"role": "system", "content": "You triage incidents for the SRE team."},
        {"role": "user", "content": "Severity high, 2 responders.\nSystems: api, database.\n"
                                    "The API is down."}]


def test_the_servers_field_errors_show_on_their_fields(browser: Any, served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/p/chat/triage")
    page.get_by_role("textbox", name="report").fill("Disk full")
    responders = page.get_by_role("spinbutton", name="responders")
    responders.fill("3")  # the form does not check multipleOf; the server does (422)
    page.get_by_role("button", name="Render").click()
    page.get_by_role("alert").filter(has_text="responders").wait_for()
    assert responders.get_attribute("aria-invalid") == "true"
    description = responders.get_attribute("aria-describedby") or ""
    error_id = description.split()[-1]
    assert "multiple of 2" in page.locator(f"[id='{error_id}']").inner_text()


def test_keyboard_only(browser: Any, served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/browse")
    page.get_by_role("heading", name="Browse").wait_for()
    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Find a prompt")
    expect(dialog.get_by_role("combobox")).to_be_focused()
    page.keyboard.type("fare")
    dialog.get_by_role("option", name="Farewell").wait_for()
    page.keyboard.press("Escape")  # clears the box
    assert dialog.get_by_role("combobox").input_value() == ""
    page.keyboard.press("Escape")  # closes the palette
    dialog.wait_for(state="hidden")
    page.keyboard.press("Control+k")
    # Keys typed before the palette's box has the focus land on the page (as they did above,
    # where the test waited for the dialog): wait for it, as a person sees it open.
    expect(dialog.get_by_role("combobox")).to_be_focused()
    page.keyboard.type("goodbye")
    dialog.get_by_role("option", name="Farewell").wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/p/demo/farewell")
    name = page.get_by_role("textbox", name="name")
    name.wait_for()
    for _ in range(40):  # Tab from the top of the page to the first input
        if name.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the name input")
    page.keyboard.type("Bob")
    page.keyboard.press("Control+Enter")
    page.get_by_test_id("rendered").get_by_text("Goodbye for now, Bob").wait_for()
    page.keyboard.press("Alt+c")
    page.get_by_text("Copied the text").wait_for()
    assert clipboard(page) == "Goodbye for now, Bob"


def test_the_palette_opens_when_asked_before_its_last_close_event(browser: Any,
                                                                 served: Served) -> None:
    """A dialog's close event comes a task after it closed: Ctrl+K pressed in between (a busy
    page runs the key first) found the palette still open in the console's state and was lost,
    and the close event then closed the palette for good."""
    page = open_console(browser, served, "consumer")
    page.goto("/browse")
    page.get_by_role("heading", name="Browse").wait_for()
    dialog = page.get_by_role("dialog", name="Find a prompt")
    box = dialog.get_by_role("combobox")
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    # Closed, and Ctrl+K handled, in one task: before the close event is delivered.
    page.evaluate("""() => {
        document.querySelector("dialog.palette").close();
        window.dispatchEvent(new KeyboardEvent("keydown", {key: "k", ctrlKey: true}));
    }""")
    expect(box).to_be_focused()
    page.wait_for_timeout(200)  # the old close event is in by now: it must not close it
    expect(box).to_be_focused()
    page.keyboard.type("fare")
    dialog.get_by_role("option", name="Farewell").wait_for()
    assert page.errors == []


def test_stable_urls_name_a_version_and_two_versions_compare(browser: Any,
                                                             served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/p/demo/farewell@1.0.0")
    page.get_by_role("heading", name="Template").wait_for()
    assert page.get_by_role("combobox", name="Version").input_value() == "1.0.0"
    assert "Goodbye, {{ name }}" in page.get_by_label("user template").inner_text()
    page.get_by_role("combobox", name="Version").select_option("")  # the current one
    page.wait_for_url("**/p/demo/farewell")
    assert "Goodbye for now" in page.get_by_label("user template").inner_text()

    page.get_by_role("link", name="Compare versions").click()
    page.wait_for_url("**/diff/demo/farewell?from=1.0.0&to=1.1.0")
    page.get_by_text("lines differ").wait_for()
    table = page.get_by_role("table")
    removed = table.locator("del").all_inner_texts()
    added = table.locator("ins").all_inner_texts()
    assert "version: 1.0.0" in removed
    assert "version: 1.1.0" in added
    assert any("Goodbye, {{ name }}" in line for line in removed)
    assert any("Goodbye for now, {{ name }}" in line for line in added)


def test_empty_results_suggest_fewer_words_or_a_tag(browser: Any, served: Served) -> None:
    page = open_console(browser, served, "consumer")
    page.goto("/")
    page.get_by_role("combobox", name="Search prompts").fill("greeting quokka")
    page.get_by_text("No prompt matches “greeting quokka”. Try fewer words, or a tag:").wait_for()
    page.get_by_role("button", name="demo").click()
    page.wait_for_url("**/?tag=demo")
    titles = page.get_by_role("list").filter(has_text="demo/greet").get_by_role("link")
    assert {"Greeting", "Farewell"} <= set(titles.all_inner_texts())


def test_a_narrow_window_scrolls_only_downwards(browser: Any, served: Served,
                                                screenshots: Path) -> None:
    page = open_console(browser, served, "consumer", viewport={"width": 360, "height": 740})
    for path in ("/", "/p/chat/triage", "/p/demo/farewell", "/p/demo/greet",
                 "/diff/demo/farewell?from=1.0.0&to=1.1.0"):
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide in a 360 px window"
    page.screenshot(path=str(screenshots / "narrow-diff.png"), full_page=True)
