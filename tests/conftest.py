"""Shared fixtures: real Git repositories in tmp_path and the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}

GOOD_PROMPT = textwrap.dedent(
    """\
    ---
    title: Greeting
    description: Greets someone by name.
    version: 1.0.0
    status: active
    owners: ["@acme/team"]
    tags: [demo]
    inputs:
      name:
        type: string
        description: Who to greet.
        required: true
      excited:
        type: boolean
        default: false
    tests:
      - name: greets
        inputs: {name: Ada}
        expect: {contains: "Hello, Ada"}
    ---
    Hello, {{ name }}{% if excited %}!{% else %}.{% endif %}
    """
)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


CliRunner = Callable[..., Result]


@pytest.fixture
def cli() -> CliRunner:
    """Run the real `promptctl` (this interpreter, `-m promptctl`) and capture its output."""

    def run(*args: str, cwd: Path | None = None, stdin: str | None = None,
            env: Mapping[str, str] | None = None) -> Result:
        full_env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
        full_env.pop("PROMPTCTL_DEBUG", None)
        proc = subprocess.run(
            [sys.executable, "-m", "promptctl", *args],
            check=False,
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=120,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return proc.stdout


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


RepoFactory = Callable[[Mapping[str, str | bytes]], Path]


@pytest.fixture
def make_repo(tmp_path: Path) -> RepoFactory:
    """A real Git repository with the given files committed on main."""

    counter = iter(range(1000))

    def make(files: Mapping[str, str | bytes]) -> Path:
        repo = tmp_path / f"repo{next(counter)}"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        write_files(repo, files)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "initial prompts", "--allow-empty")
        return repo

    return make


def add_test_dependencies(venv: Path) -> None:
    """Make this test environment's installed packages importable in ``venv`` (a .pth file), as
    its dependencies, so that a test installs into a fresh environment without downloading.

    Only the folder is added, not the .pth files in it: the editable install of this checkout is
    not seen, so ``import promptctl`` there finds what was installed into ``venv`` or nothing.
    """
    import sysconfig

    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")


def interrupt(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stop a server as Ctrl-C does, and kill it if it has not stopped within ``timeout``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
