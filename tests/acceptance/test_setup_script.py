"""scripts/venv.sh, which `bash scripts/run` and `bash scripts/test` source: it says what it does,
installs only when something the install depends on changed, and stops on a failed install.

The script runs for real, in a copy of the project's setup files, over a `.venv` whose `python` is
a stand-in that answers `--version` and `-c` with this interpreter and records every `-m pip` and
`-m compileall` call instead of installing (the real install is what CI's own run of
scripts/test does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

STAND_IN = f"""#!/usr/bin/env bash
case "$1" in
  -m) here="$(dirname "$0")/.."
      echo "$2 $*" >> "$here/calls.log"
      [ "$2" = pip ] && [ -f "$here/pip-fails" ] && {{ echo "pip: no network"; exit 1; }}
      exit 0 ;;
  *) exec {sys.executable} "$@" ;;
esac
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "venv.sh", root / "scripts" / "venv.sh")
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STAND_IN)
    python.chmod(0o755)
    return root


def setup(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", "source scripts/venv.sh"], cwd=project,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PYTHON": sys.executable, **env})


def pip_calls(project: Path) -> list[str]:
    log = project / ".venv" / "calls.log"
    calls = log.read_text().splitlines() if log.exists() else []
    return [call for call in calls if call.startswith("pip ")]


def test_the_install_runs_once_until_what_it_depends_on_changes(project: Path) -> None:
    first = setup(project)
    assert first.returncode == 0, first.stderr
    assert ("Installing Prompt Engine and its dependencies (.[test,desktop]) into .venv"
            in first.stderr)
    assert len(pip_calls(project)) == 1
    again = setup(project)
    assert again.returncode == 0, again.stderr
    assert "Installing" not in again.stderr
    assert len(pip_calls(project)) == 1  # skipped
    setup(project, EXTRAS="test,bench")
    assert len(pip_calls(project)) == 2  # other extras
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a change\n")
    setup(project, EXTRAS="test,bench")
    assert len(pip_calls(project)) == 3  # pyproject.toml changed


def test_a_failed_install_stops_and_is_tried_again(project: Path) -> None:
    (project / ".venv" / "pip-fails").write_text("")
    failed = setup(project)
    assert failed.returncode == 1
    assert "pip: no network" in failed.stderr
    assert "error: installing into .venv failed" in failed.stderr
    (project / ".venv" / "pip-fails").unlink()
    assert setup(project).returncode == 0
    assert len(pip_calls(project)) == 2  # not skipped after the failure
