"""Build hook: the client renders with promptctl's own core modules, copied in at build time.

The modules that load a prompt file, check inputs and render in the sandbox are read from the
repository's ``promptctl/`` and written into the wheel as ``promptengine/_core/``, with their
``promptctl`` imports pointed there, so the client distribution never conflicts with an
installed ``prompt-engine`` and there is one copy of that code in the repository
(docs/decisions/0011-client-sdk-and-locks.md). The modules are found by following the top-level
imports from ``ROOTS``; one that imports something heavy at its top fails the build, naming it.
Imports inside functions are not followed: they serve what the client never calls (reading Git).

A source distribution built here carries the copied modules, so a wheel builds from it alone.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOTS = ("loader", "inputs", "render")  # what promptengine.core imports
# Never in the client: Git, the web server, the command line, MCP.
FORBIDDEN = ("pygit2", "fastapi", "starlette", "uvicorn", "typer", "click", "rich", "mcp",
             "server")
_IMPORT = re.compile(r"^([ \t]*)(from|import)\s+promptctl(\.(\w+))?(\s+import\s+([\w, ]+))?",
                     re.MULTILINE)
_TOP_LEVEL = re.compile(r"^(?:from|import)\s+(\w+)", re.MULTILINE)
TARGET = "promptengine/_core"


def core_modules(package: Path) -> dict[str, str]:
    """Module name -> rewritten source, for ROOTS and every promptctl module they import."""
    found: dict[str, str] = {}
    pending = ["__init__", *ROOTS]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = package / f"{name}.py"
        if not path.is_file():
            raise RuntimeError(f"the client needs promptctl/{name}.py, which does not exist")
        text = path.read_text(encoding="utf-8")
        for module in _TOP_LEVEL.findall(text):
            if module in FORBIDDEN:
                raise RuntimeError(f"promptctl/{name}.py imports {module}, which the client "
                                   "distribution must not need; import it inside the function "
                                   "that uses it, in a module the client does not copy")
        for match in _IMPORT.finditer(text):
            if match[2] == "import" or (match[4] is None and match[6] is None):
                raise RuntimeError(f"promptctl/{name}.py: write `from promptctl.X import Y` or "
                                   f"`from promptctl import X` (found {match[0].strip()!r})")
            if match[1]:
                continue  # inside a function
            if match[4] is not None:
                pending.append(match[4])
            else:
                pending.extend(part.strip() for part in match[6].split(","))
        found[name] = _IMPORT.sub(
            lambda m: f"{m[1]}from promptengine._core{m[3] or ''}{m[5] or ''}", text)
    return found


class CoreModules(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        package = root.parent / "promptctl"
        if not package.is_dir():
            if (root / TARGET / "render.py").is_file():
                return  # built from our own source distribution: the copy is already there
            raise RuntimeError("build the client from the Prompt Engine repository (sdk/), "
                               "or from a source distribution made there")
        self._work = Path(tempfile.mkdtemp(prefix="promptengine-core-"))
        for name, text in core_modules(package).items():
            (self._work / f"{name}.py").write_text(text, encoding="utf-8")
            build_data["force_include"][str(self._work / f"{name}.py")] = f"{TARGET}/{name}.py"
        build_data["force_include"][str(root.parent / "schemas")] = f"{TARGET}/schemas"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
