"""The desktop app's settings: the server's address and the keys of the shortcut and of paste.

Kept as JSON in ``$XDG_CONFIG_HOME/prompt-engine/desktop.json`` (``~/.config`` by default; the
per-user configuration folder on macOS and Windows). The API key is never written here: it is in
the OS keychain (``promptctl.desktop.keychain``).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from promptctl.errors import PromptctlError, UsageError

DEFAULT_SHORTCUT = "ctrl+alt+space"
# Cmd-V on a Mac (super is Cmd); a terminal on Linux wants ctrl+shift+v: set "paste_keys".
DEFAULT_PASTE_KEYS = "super+v" if sys.platform == "darwin" else "ctrl+v"
MODIFIERS = ("ctrl", "alt", "shift", "super")
FIELDS = ("server", "shortcut", "paste_keys")


@dataclass(frozen=True)
class DesktopConfig:
    server: str | None = None
    shortcut: str = DEFAULT_SHORTCUT
    paste_keys: str = DEFAULT_PASTE_KEYS

    def with_server(self, server: str) -> DesktopConfig:
        return replace(self, server=server)


def config_path() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "prompt-engine" / "desktop.json"


def data_path() -> Path:
    """Where the window keeps the console's own storage (favorites, recent prompts, its cache)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "prompt-engine" / "desktop"


def server_url(value: str) -> str:
    """``value`` as a server's base URL (``http(s)://host[:port]``, no trailing slash), or a
    ``UsageError`` saying what a good one looks like."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{value!r} is not a server address; give one like "
                         "http://127.0.0.1:8000 or https://prompts.example.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UsageError(f"{value!r}: give the server's address alone, without a query, a "
                         "fragment or a user name (the key is asked for separately)")
    return text


def parse_keys(text: str, *, what: str = "shortcut") -> tuple[frozenset[str], str]:
    """``ctrl+alt+space`` as ({"ctrl", "alt"}, "space"); a ``UsageError`` naming the fix."""
    parts = [part.strip().lower() for part in text.split("+")]
    *mods, key = parts
    aliases = {"control": "ctrl", "cmd": "super", "meta": "super", "win": "super",
               "option": "alt"}
    mods = [aliases.get(mod, mod) for mod in mods]
    bad = [mod for mod in mods if mod not in MODIFIERS]
    if not key or bad or len(set(mods)) != len(mods):
        raise UsageError(f"{what} {text!r} is not valid: write modifiers and one key joined by "
                         f"'+', the modifiers among {', '.join(MODIFIERS)} "
                         "(for example ctrl+alt+space or super+shift+p)")
    return frozenset(mods), key


def load(path: Path | None = None) -> DesktopConfig:
    """The saved settings; defaults when there is no file yet (the first run)."""
    path = path or config_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DesktopConfig()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PromptctlError(f"cannot read the desktop settings ({exc}); fix the file or delete "
                             "it to be asked again", path=str(path)) from None
    if not isinstance(raw, dict) or any(name not in FIELDS for name in raw) or any(
            not isinstance(value, str) for value in raw.values()):
        raise PromptctlError("the desktop settings must be a JSON object of strings with the "
                             f"fields {', '.join(FIELDS)}; fix the file or delete it to be asked "
                             "again", path=str(path))
    config = DesktopConfig(**raw)
    try:
        parse_keys(config.shortcut)
        parse_keys(config.paste_keys, what="paste_keys")
        if config.server is not None:
            server_url(config.server)
    except UsageError as exc:
        raise PromptctlError(exc.message, path=str(path)) from None
    return config


def save(config: DesktopConfig, path: Path | None = None) -> None:
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = {name: value for name, value in asdict(config).items() if value is not None}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(fields, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
