"""What shell completion offers, read from the work tree fast enough for every key press.

Nothing here loads or validates a prompt, and nothing imports YAML or Jinja2: ids come from the
file names under prompts/ (a directory walk), collections are their first segment, and tags and
owners come from a line scan of each file's front matter (flow lists ``[a, b]`` and block lists
``- a``). The scan's results are kept in a small cache keyed on each file's size and mtime
(``$XDG_CACHE_HOME/promptctl/complete/``), so a completion re-reads only the files that changed.
A file the scan misreads costs a missing or odd suggestion, never an error: ``promptctl
validate`` is what checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

PROMPTS = "prompts"
SUFFIXES = (".prompt.md", ".prompt.yaml")
FIELDS = ("tags", "owners")
_HEAD_BYTES = 64 * 1024  # front matter is near the top; never read a large file whole
_KEY = re.compile(r"^(tags|owners)\s*:\s*(.*)$")
_ITEM = re.compile(r"^\s*-\s+(.*)$")
_TOP_LEVEL = re.compile(r"^[A-Za-z_][\w-]*\s*:")


def find_root(start: str | None = None) -> str | None:
    """The Git work tree around ``start`` (else the nearest folder with prompts/), or None."""
    here = os.path.realpath(start or os.getcwd())
    candidates = [here]
    while os.path.dirname(candidates[-1]) != candidates[-1]:
        candidates.append(os.path.dirname(candidates[-1]))
    for candidate in candidates:
        if os.path.exists(os.path.join(candidate, ".git")):
            return candidate
    for candidate in candidates:
        if os.path.isdir(os.path.join(candidate, PROMPTS)):
            return candidate
    return None


def prompt_files(root: str) -> dict[str, tuple[int, int]]:
    """Each prompt file's id -> (size, mtime_ns). Folders and files starting with "_" or "."
    are skipped (partials are not prompts)."""
    found: dict[str, tuple[int, int]] = {}
    stack = [(os.path.join(root, PROMPTS), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(("_", ".")):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(SUFFIXES):
                stem = entry.name.rsplit(".prompt.", 1)[0]
                try:
                    info = entry.stat()
                except OSError:
                    continue
                found[f"{prefix}{stem}#{entry.name[len(stem):]}"] = (info.st_size,
                                                                     info.st_mtime_ns)
    return found


def prompt_ids(root: str) -> list[str]:
    return sorted({key.partition("#")[0] for key in prompt_files(root)})


def collections(root: str) -> list[str]:
    return sorted({key.partition("/")[0] for key in prompt_files(root) if "/" in key})


def values(root: str, field: str) -> list[str]:
    """Every distinct ``tags`` or ``owners`` value in the prompts' front matter."""
    found: set[str] = set()
    for entry in _scan(root).values():
        found.update(v for v in entry.get(field) or () if isinstance(v, str))
    return sorted(found)


def _scan(root: str) -> dict[str, dict[str, Any]]:
    files = prompt_files(root)
    cache_file = _cache_file(root)
    cached = _read_cache(cache_file)
    result: dict[str, dict[str, Any]] = {}
    changed = len(cached) != len(files)
    for key, stamp in files.items():
        entry = cached.get(key)
        if not isinstance(entry, dict) or tuple(entry.get("stamp", ())) != stamp:
            stem, _, suffix = key.partition("#")
            entry = {"stamp": list(stamp),
                     **scan_file(os.path.join(root, PROMPTS, stem + suffix))}
            changed = True
        result[key] = entry
    if changed:
        _write_cache(cache_file, result)
    return result


def scan_file(path: str) -> dict[str, list[str]]:
    """``tags`` and ``owners`` of one prompt file, by a line scan of its front matter."""
    found: dict[str, list[str]] = {name: [] for name in FIELDS}
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return found
    lines = head.splitlines()
    if path.endswith(".md"):
        if not lines or lines[0].strip() != "---":
            return found
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"),
                   len(lines))
        lines = lines[1:end]
    index = 0
    while index < len(lines):
        match = _KEY.match(lines[index])
        index += 1
        if match is None:
            continue
        field, rest = match.group(1), _strip_comment(match.group(2))
        if rest.startswith("["):
            while "]" not in rest and index < len(lines):  # a flow list over several lines
                rest += " " + _strip_comment(lines[index])
                index += 1
            found[field] = _words(rest.strip("[] "))
        elif rest:
            found[field] = _words(rest)
        else:
            items = []
            while index < len(lines) and not _TOP_LEVEL.match(lines[index]):
                item = _ITEM.match(lines[index])
                if item:
                    items.extend(_words(_strip_comment(item.group(1))))
                index += 1
            found[field] = items
    return found


def _strip_comment(text: str) -> str:
    return re.sub(r"(^|\s)#.*$", "", text).strip()


def _words(flow: str) -> list[str]:
    words = (part.strip().strip("'\"").strip() for part in flow.rstrip("]").split(","))
    return [w for w in words if w]


def _cache_file(root: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(str(Path.home()), ".cache")
    name = hashlib.sha256(root.encode()).hexdigest()[:16]
    return os.path.join(base, "promptctl", "complete", f"{name}.json")


def _read_cache(path: str) -> dict[str, dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: str, data: dict[str, dict[str, Any]]) -> None:
    """Best effort: a cache that cannot be written makes the next completion scan again."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(temp, path)
    except OSError:
        pass
