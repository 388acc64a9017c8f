"""``promptctl desktop`` for real, under Xvfb: the first run asks for the server and the key
(kept in GNOME Keyring's Secret Service, not in a file); the global shortcut, sent with xdotool
while a Tk window is in front, shows the palette over it; typing a query, picking a prompt,
filling its input and pressing Enter renders it on the server and pastes the text into the Tk
window, read back from there; usage is counted under the client type ``desktop``; Esc hides.

One app, one server and one X session for the module (per xdist worker): the first run is the
module's fixture, the tests look at what it left and use the app it started.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.desktop.cdp import Page, page_where
from tests.desktop.conftest import MAIN, PALETTE, DesktopApp, Target, XSession
from tests.server.conftest import LIBRARY
from tests.web.conftest import Served, serve_library

SHORTCUT = "ctrl+alt+space"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_library(tmp_path_factory.mktemp("desktop-library"), LIBRARY)
    try:
        yield served
    finally:
        served.stop()


def palette_page(desktop: DesktopApp) -> Page:
    return page_where(desktop.devtools, lambda url: "view=palette" in url)


def summon(xsession: XSession, palette: Page) -> str:
    """Press the shortcut; the palette's window once it shows, holds the X focus, and has the
    search box as its active element."""
    xsession.xdotool("key", "--clearmodifiers", SHORTCUT)
    window = xsession.wait_visible(PALETTE)
    xsession.wait_focus(window)
    # The page's own document.hasFocus() stays false after the window was hidden once (Qt
    # WebEngine), though the keys reach it: the search box being the active element is what counts.
    palette.wait_for("document.visibilityState === 'visible' && "
                     "document.activeElement?.getAttribute('role') === 'combobox'")
    return window


@pytest.fixture(scope="module")
def connected(xsession: XSession, desktop: DesktopApp, served: Served) -> DesktopApp:
    """The app's first run: its own page asks for the server and the key, typed in with
    xdotool."""
    desktop.start()  # no --server, no settings yet
    desktop.wait_log("first run")
    main = xsession.wait_visible(MAIN)
    setup = page_where(desktop.devtools, lambda url: url.startswith(("about:", "data:")))
    setup.wait_for("document.activeElement && document.activeElement.id === 'server'")
    xsession.xdotool("windowfocus", "--sync", main)
    xsession.xdotool("type", "--delay", "5", served.url)
    xsession.xdotool("key", "Tab")
    xsession.xdotool("type", "--delay", "5", served.keys["consumer"])
    xsession.xdotool("key", "Return")
    desktop.wait_log("ready: ctrl+alt+space brings up the palette")
    setup.close()
    return desktop


def test_the_first_run_asks_for_the_server_and_keeps_the_key_in_the_keychain(
        xsession: XSession, connected: DesktopApp, served: Served) -> None:
    # The key is in the keychain, read back by keyring from another process; the settings file
    # has the server and no key, nor has any other file of the app.
    assert xsession.keychain(served.url) == served.keys["consumer"]
    settings = json.loads((xsession.home / "config" / "prompt-engine" / "desktop.json")
                          .read_text(encoding="utf-8"))
    assert settings == {"server": served.url, "shortcut": SHORTCUT, "paste_keys": "ctrl+v"}
    for folder in ("config", "data"):
        for path in (xsession.home / folder).rglob("*"):
            if path.is_file():
                assert served.keys["consumer"].encode() not in path.read_bytes(), path

    console = page_where(connected.devtools, lambda url: url.endswith("/?shell=desktop"))
    assert console.wait_for("document.querySelector('.who')?.textContent") == (
        "Signed in (consumer) Sign out")
    console.close()


def test_the_shortcut_palette_pastes_the_rendered_prompt_into_the_window_in_front(
        xsession: XSession, connected: DesktopApp, served: Served, target: Target,
        screenshots: Path) -> None:
    palette = palette_page(connected)
    palette.wait_for("document.querySelector('[role=combobox]') !== null")
    xsession.xdotool("windowfocus", "--sync", target.window)
    xsession.xdotool("type", "Dear team: ")
    before = target.wait_text("Dear team: ")

    summon(xsession, palette)
    xsession.xdotool("type", "--delay", "10", "greet")
    palette.wait_for("document.querySelector('[role=combobox]').value === 'greet'")
    palette.wait_for("[...document.querySelectorAll('[role=option]')].some("
                     "o => o.textContent.includes('Greeting'))")
    xsession.screenshot(screenshots / "desktop-palette.png")
    xsession.xdotool("key", "Return")
    # Greeting takes a required name: the palette asks for it, the field has the keys.
    palette.wait_for("document.activeElement?.closest('form') !== null")
    xsession.xdotool("type", "--delay", "10", "Ada")
    xsession.xdotool("key", "Return")

    assert target.wait_text("Hello, Ada.") == before + "Hello, Ada."
    xsession.wait_hidden(PALETTE)
    palette.close()

    summary = httpx.get(f"{served.url}/api/v1/usage/summary", params={"limit": 100},
                        headers=served.headers("admin"), timeout=10).json()
    by_type = {row["client_type"]: row["count"] for row in summary["per_client_type"]}
    assert by_type.get("desktop", 0) >= 2  # the render and the reported use
    assert "web" not in by_type


def test_esc_hides_the_palette_and_the_next_shortcut_starts_afresh(
        xsession: XSession, connected: DesktopApp, target: Target) -> None:
    palette = palette_page(connected)
    before = target.text()
    xsession.xdotool("windowfocus", "--sync", target.window)
    summon(xsession, palette)
    xsession.xdotool("type", "run")
    palette.wait_for("document.querySelector('[role=combobox]').value === 'run'")
    xsession.xdotool("key", "Escape")
    xsession.wait_hidden(PALETTE)
    assert target.text() == before  # nothing pasted

    summon(xsession, palette)
    assert palette.evaluate("document.querySelector('[role=combobox]').value") == ""
    xsession.xdotool("key", "Escape")
    xsession.wait_hidden(PALETTE)
    palette.close()
