"""Fixtures of the format tests: this repository's library, small libraries written for a case,
and the corpora imported once per session (through the real command line)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from promptctl.library import Library
from tests.conftest import CORPORA, GIT_ENV, ROOT

OWNER = "@acme/imports"


@pytest.fixture(scope="session")
def own_library() -> Library:
    """This repository's own prompts."""
    library = Library.from_work_tree(ROOT)
    assert library.prompts, "this repository has prompts"
    return library


def prompt_file(body: str, *, inputs: Mapping[str, Any] | None = None,
                system: str | None = None, tests: list[dict[str, Any]] | None = None,
                **fields: Any) -> str:
    """A valid .prompt.md with ``body`` as its template."""
    front: dict[str, Any] = {"title": "Case", "description": "A case for the format tests.",
                             "version": "1.0.0", "status": "active", "owners": ["@acme/team"]}
    front.update(fields)
    if inputs:
        front["inputs"] = dict(inputs)
    if system is not None:
        front["system"] = system
    if tests:
        front["tests"] = tests
    return f"---\n{yaml.safe_dump(front, sort_keys=False)}---\n{body}\n"


LibraryFactory = Callable[..., Library]


@pytest.fixture
def make_library(tmp_path: Path) -> LibraryFactory:
    """A library of the given files (path under prompts/ -> text), loaded from a work tree."""
    counter = iter(range(1000))

    def make(files: Mapping[str, str]) -> Library:
        root = tmp_path / f"lib{next(counter)}"
        for rel, text in files.items():
            target = root / "prompts" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text) if text.startswith("\n") else text,
                              encoding="utf-8")
        library = Library.from_work_tree(root)
        errors = [p.format_text() for p in library.problems if p.is_error]
        assert not errors, errors
        return library

    return make


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("PROMPTCTL_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "promptctl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


COPILOT = CORPORA / "awesome-copilot" / "prompts"
FABRIC = CORPORA / "fabric" / "patterns"


@pytest.fixture(scope="session")
def corpus_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new prompt repository with both corpora imported by `promptctl import` (once)."""
    if not COPILOT.is_dir() or not FABRIC.is_dir():
        pytest.skip(f"the corpora are not at {CORPORA} (a clone outside the team's workspace)")
    repo = tmp_path_factory.mktemp("corpus")
    (repo / "prompts").mkdir()
    for fmt, src, collection in (("copilot", COPILOT, "copilot"),
                                 ("fabric", FABRIC, "fabric")):
        proc = run_cli("import", "--from", fmt, str(src), "--collection", collection,
                       "--owner", OWNER, "--repo", str(repo), "--json")
        assert proc.returncode == 0, proc.stderr
    return repo
