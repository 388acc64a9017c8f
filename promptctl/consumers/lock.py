"""``prompt-engine.lock``: what ``sync`` resolved the references to, and the files it wrote.

JSON, written by ``sync`` and ``update`` only, in a fixed order so that the same resolution
gives the same bytes (diffs show what moved)::

    {
      "lockfile": 1,
      "source": "https://prompts.example.com",
      "prompts": [
        {"id": "engineering/code-review", "version": "1.2.0", "commit": "3f1c...",
         "digest": "sha256:9f2c...", "path": "prompts/engineering/code-review.prompt.md",
         "references": ["engineering/code-review@1"]}
      ],
      "files": {".agents/skills/engineering-code-review/SKILL.md": "sha256:..."}
    }

``references`` are the entries of prompt-engine.yaml that bring the prompt in (a tag brings in
several prompts; an id and a tag can bring in one); ``files`` are the materialized files with
their digests, so that ``sync --check`` notices a changed or missing file and ``sync`` removes
the files of a dropped reference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptctl.consumers.files import write_atomic
from promptctl.errors import PromptctlError

FILE = "prompt-engine.lock"
VERSION = 1
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")


class LockError(PromptctlError):
    """The lock file is malformed (exit 1)."""


@dataclass(frozen=True)
class Locked:
    id: str
    version: str
    commit: str
    digest: str
    path: str
    references: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "commit": self.commit,
                "digest": self.digest, "path": self.path,
                "references": sorted(self.references)}


@dataclass(frozen=True)
class Lock:
    source: str
    prompts: tuple[Locked, ...]
    files: dict[str, str] = field(default_factory=dict)  # path -> "sha256:..."

    def text(self) -> str:
        data = {
            "lockfile": VERSION,
            "source": self.source,
            "prompts": [p.as_dict() for p in sorted(self.prompts, key=lambda p: p.id)],
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def find(self, prompt_id: str) -> Locked | None:
        return next((p for p in self.prompts if p.id == prompt_id), None)


def read(root: Path) -> Lock | None:
    """The lock, or None when there is none yet."""
    path = root / FILE
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise LockError(f"{FILE}: not UTF-8 text; run `promptctl sync` to write it again",
                        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(f"{FILE}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}); it is written "
                        "by `promptctl sync`: resolve the merge conflict or delete it and "
                        "run sync") from None
    return _parse(data, text)


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _parse(data: Any, text: str) -> Lock:
    def bad(message: str, needle: str = "") -> LockError:
        line = _line_of(text, needle) if needle else 1
        return LockError(f"{FILE}:{line}: {message}; it is written by `promptctl sync`: delete "
                         "it and run sync to write it again")

    if not isinstance(data, dict) or data.get("lockfile") != VERSION:
        raise bad(f"not a lock file of version {VERSION}")
    source = data.get("source")
    prompts = data.get("prompts")
    files = data.get("files", {})
    if not isinstance(source, str) or not isinstance(prompts, list) or not isinstance(files,
                                                                                     dict):
        raise bad("expected source, prompts and files")
    locked: list[Locked] = []
    for item in prompts:
        keys = ("id", "version", "commit", "digest", "path")
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys) or (
                not isinstance(item.get("references"), list)
                or not all(isinstance(r, str) for r in item["references"])):
            raise bad(f"each prompt has {', '.join(keys)} and references",
                      json.dumps(item)[:30])
        if not _DIGEST.fullmatch(item["digest"]) or not _COMMIT.fullmatch(item["commit"]):
            raise bad(f"{item['id']}: a malformed digest or commit", f'"{item["id"]}"')
        locked.append(Locked(item["id"], item["version"], item["commit"], item["digest"],
                             item["path"], tuple(item["references"])))
    for path, digest in files.items():
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise bad(f"files: {path}: a malformed digest", f'"{path}"')
    return Lock(source, tuple(locked), dict(files))


def write(root: Path, lock: Lock) -> bool:
    """Write the lock when it changed; True when it did."""
    path = root / FILE
    text = lock.text()
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text.encode("utf-8"))
    return True
