"""What the browser tests do with a page: open the console as a role, read the clipboard, run
axe-core (from web/node_modules, evaluated in the page: nothing is fetched) and keep screenshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.web.conftest import AXE, KEY_STORAGE, Served


def open_console(browser: Any, served: Served, role: str | None = None,
                 **context: Any) -> Any:
    """A new page in a new context (its own storage), with the clipboard allowed, signed in as
    ``role`` (the key kept for the session, as the sign-in page does) or anonymous. The context
    is closed with the browser's others at the end of the test (the ``browser`` fixture)."""
    ctx = browser.new_context(base_url=served.url,
                              permissions=["clipboard-read", "clipboard-write"], **context)
    if role is not None:
        key = json.dumps(served.keys[role])
        ctx.add_init_script(f"window.sessionStorage.setItem({json.dumps(KEY_STORAGE)}, {key})")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def clipboard(page: Any) -> str:
    text: str = page.evaluate("navigator.clipboard.readText()")
    return text


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is (WCAG 2.x A and AA, and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found]


def screenshot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
