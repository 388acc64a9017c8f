"""The desktop app's settings: the server's address, the shortcut and paste keys as written, and
the settings file's errors naming the file and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptctl.desktop import config
from promptctl.errors import PromptctlError, UsageError


@pytest.mark.parametrize(("given", "expected", "error"), [
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000", None),
    (" https://prompts.example.com/ ", "https://prompts.example.com", None),
    ("127.0.0.1:8000", None, "is not a server address; give one like http://127.0.0.1:8000"),
    ("ftp://example.com", None, "is not a server address"),
    ("https://user:pw@example.com", None, "without a query, a fragment or a user name"),
    ("http://example.com/?key=1", None, "without a query"),
])
def test_server_addresses(given: str, expected: str | None, error: str | None) -> None:
    if error is None:
        assert config.server_url(given) == expected
    else:
        with pytest.raises(UsageError, match=error.replace("?", r"\?")):
            config.server_url(given)


@pytest.mark.parametrize(("given", "mods", "key", "error"), [
    ("ctrl+alt+space", {"ctrl", "alt"}, "space", None),
    ("Super+Shift+P", {"super", "shift"}, "p", None),
    ("cmd+option+k", {"super", "alt"}, "k", None),
    ("F12", set(), "f12", None),
    ("ctrl+hyper+p", None, None, "the modifiers among ctrl, alt, shift, super"),
    ("ctrl+ctrl+p", None, None, "is not valid"),
    ("ctrl+", None, None, "is not valid"),
])
def test_shortcuts(given: str, mods: set[str] | None, key: str | None,
                   error: str | None) -> None:
    if error is None:
        assert config.parse_keys(given) == (frozenset(mods or ()), key)
    else:
        with pytest.raises(UsageError, match=error):
            config.parse_keys(given)


@pytest.mark.parametrize(("text", "error"), [
    ('{"server": "http://127.0.0.1:8000", "shortcut": "super+p"}', None),
    ("{not json", "cannot read the desktop settings"),
    ('{"server": "http://x", "key": "secret"}', "a JSON object of strings with the fields"),
    ('{"shortcut": "hyper+p"}', "the modifiers among"),
    ('{"server": "localhost"}', "is not a server address"),
])
def test_the_settings_file(tmp_path: Path, text: str, error: str | None) -> None:
    path = tmp_path / "desktop.json"
    path.write_text(text, encoding="utf-8")
    if error is None:
        loaded = config.load(path)
        assert loaded == config.DesktopConfig("http://127.0.0.1:8000", "super+p")
        config.save(loaded.with_server("https://prompts.example.com"), path)
        assert config.load(path).server == "https://prompts.example.com"
    else:
        with pytest.raises(PromptctlError, match=error) as caught:
            config.load(path)
        assert caught.value.path == str(path)


def test_no_settings_file_is_the_first_run(tmp_path: Path) -> None:
    assert config.load(tmp_path / "missing.json") == config.DesktopConfig()
