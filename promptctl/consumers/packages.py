"""One prompt at one version with what renders it, and the cache that keeps them by content.

A ``Package`` is what both resolvers give for ``id@version``: the prompt file's text, the
partials it includes and the render limits, all of the commit the version was read from. It is
what the read API's detail carries (``source``, ``partials``, ``limits``), so a lock resolved
from the server and one resolved from Git materialize the same bytes.

The cache holds packages by (id, version, commit) under ``$XDG_CACHE_HOME/prompt-engine/
packages``; an entry is used only when its text has the digest the lock names, so a damaged or
foreign entry is fetched again rather than trusted. Entries are small and immutable (a version
never changes), written atomically, and shared by every consuming repository of the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptctl.consumers.files import write_atomic
from promptctl.errors import PromptctlError
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX

if TYPE_CHECKING:
    from promptctl.model import Prompt
    from promptctl.render import Renderer

FORMAT = 1
_ID = re.compile(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*")
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Package:
    id: str
    version: str
    commit: str
    path: str  # prompts/<id>.prompt.md or .prompt.yaml
    source: str  # the prompt file's text (no BOM)
    digest: str  # "sha256:<hex>" of the file's bytes as committed
    partials: dict[str, str] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Paths come from a server or a cache and become files here: each must be a plain
        relative path of the library's shape, so that none can point outside a target."""
        if not _ID.fullmatch(self.id) or self.path not in (
                f"{PROMPTS_DIR}/{self.id}{MD_SUFFIX}", f"{PROMPTS_DIR}/{self.id}{YAML_SUFFIX}"):
            raise PromptctlError(f"{self.id[:100]!r} at {self.path[:100]!r} is not a prompt id "
                                 "and path of a prompt library; is the source a Prompt Engine?")
        for name in self.partials:
            parts = name.split("/")
            if not all(_PART.fullmatch(part) for part in parts) or not any(
                    part.startswith("_") for part in parts):
                raise PromptctlError(f"{self.id}: {name[:100]!r} is not a partial's path")

    @classmethod
    def from_detail(cls, detail: dict[str, Any]) -> Package:
        """From the read API's ``GET /api/v1/prompts/{id}?version=`` answer."""
        return cls(id=str(detail["id"]), version=str(detail["version"]),
                   commit=str(detail["commit"]), path=str(detail["path"]),
                   source=str(detail["source"]), digest=f"sha256:{detail['digest']}",
                   partials={str(k): str(v) for k, v in dict(detail["partials"]).items()},
                   limits=dict(detail["limits"]))

    def load(self) -> Prompt:
        from promptctl.loader import load_prompt
        from promptctl.sources import SourceFile

        data = self.source.encode("utf-8")
        prompt = load_prompt(SourceFile(self.path, data, "file", len(data))).prompt
        if prompt is None:
            raise PromptctlError(f"{self.id}@{self.version} (commit {self.commit[:12]}) does "
                                 "not load with this promptctl; upgrade promptctl")
        return prompt

    def renderer(self) -> Renderer:
        from promptctl.render import DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_SECONDS, Renderer

        return Renderer(self.partials, max_output_bytes=int(
            self.limits.get("max_output_bytes", DEFAULT_MAX_OUTPUT_BYTES)),
            timeout_seconds=float(self.limits.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)))

    def intact(self) -> bool:
        """The text has the digest recorded (the file as committed, with or without a BOM)."""
        data = self.source.encode("utf-8")
        return self.digest in (sha256(data), sha256(b"\xef\xbb\xbf" + data))


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prompt-engine" / "packages"


class PackageCache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cache_dir()

    def _path(self, prompt_id: str, version: str, commit: str) -> Path:
        key = hashlib.sha256(f"{prompt_id}\0{version}\0{commit}".encode()).hexdigest()
        return self.directory / key[:2] / f"{key}.json"

    def get(self, prompt_id: str, version: str, commit: str, digest: str) -> Package | None:
        try:
            data = json.loads(self._path(prompt_id, version, commit).read_bytes())
            if data.pop("format") != FORMAT:
                return None
            package = Package(**data)
        except (OSError, ValueError, TypeError, KeyError, PromptctlError):
            return None
        if (package.id, package.version, package.commit, package.digest) != (
                prompt_id, version, commit, digest) or not package.intact():
            return None
        return package

    def put(self, package: Package) -> None:
        """Best effort: a cache that cannot be written only costs a fetch next time."""
        body = json.dumps({"format": FORMAT, **asdict(package)}, ensure_ascii=False,
                          sort_keys=True).encode("utf-8")
        try:
            write_atomic(self._path(package.id, package.version, package.commit), body)
        except OSError:
            return
