"""scripts/web.sh, which scripts/run and scripts/test source: `npm ci` only when the lock file
changed, `npm run build` only when the console's sources did, a clear error without npm; and
`bash scripts/run` ends with the console reachable, its URL printed plainly.

The stamps are checked in a copy of the console's setup files, with stand-ins for node and npm
that record their calls (the real install and build are what scripts/test itself runs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, interrupt
from tests.web.conftest import free_port, require_built_console

NPM = """#!/usr/bin/env bash
echo "npm $*" >> "$CALLS"
[ -f "$FAIL" ] && { echo "npm: no network" >&2; exit 1; }
if [ "$1" = run ]; then mkdir -p ../server/webapp && echo built > ../server/webapp/index.html; fi
if [ "$1" = ci ]; then mkdir -p node_modules; fi
exit 0
"""
NODE = """#!/usr/bin/env bash
[ "$1" = -e ] && exec node-real "$@"
echo v20.19.1
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    (root / ".venv").mkdir()
    shutil.copy2(ROOT / "scripts" / "web.sh", root / "scripts" / "web.sh")
    for name in ("src/main.tsx", "public/sw.js", "index.html", "package.json", "package-lock.json",
                 "tsconfig.json", "vite.config.ts"):
        target = root / "web" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{name}\n")
    tools = tmp_path / "bin"
    tools.mkdir()
    real = shutil.which("node")
    assert real is not None, "Node.js is needed to build the web console"
    (tools / "node-real").write_text(f"#!/usr/bin/env bash\nexec {real} \"$@\"\n")
    (tools / "node-real").chmod(0o755)
    for name, text in (("npm", NPM), ("node", NODE)):
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    return root


def build(project: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    tools = project.parent / "bin"
    env = {**os.environ, "CALLS": str(project / "calls.log"), "FAIL": str(project / "npm-fails"),
           "PATH": path if path is not None else f"{tools}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", "set -euo pipefail; source scripts/web.sh; web_build"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def npm_calls(project: Path) -> list[str]:
    log = project / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_npm_ci_and_the_build_run_only_when_what_they_depend_on_changed(project: Path) -> None:
    first = build(project)
    assert first.returncode == 0, first.stderr
    assert "Installing the web console's packages (npm ci in web/" in first.stderr
    assert "Building the web console (npm run build in web/, into server/webapp/)" in first.stderr
    assert npm_calls(project) == ["npm ci --no-audit --no-fund --loglevel=error",
                                  "npm run --silent build"]
    again = build(project)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert len(npm_calls(project)) == 2  # nothing changed: nothing ran

    (project / "web" / "src" / "main.tsx").write_text("changed\n")
    build(project)
    assert npm_calls(project)[2:] == ["npm run --silent build"]  # sources: build only

    (project / "web" / "package-lock.json").write_text("a new lock\n")
    build(project)
    assert npm_calls(project)[3:] == ["npm ci --no-audit --no-fund --loglevel=error",
                                      "npm run --silent build"]

    (project / "server" / "webapp" / "index.html").unlink()
    build(project)
    assert npm_calls(project)[5:] == ["npm run --silent build"]  # the build was removed


def test_a_failed_install_stops_and_is_tried_again(project: Path) -> None:
    (project / "npm-fails").write_text("")
    failed = build(project)
    assert failed.returncode == 1
    assert "npm: no network" in failed.stderr
    assert "error: npm ci in web/ failed (see above); fix it and run this again" in failed.stderr
    (project / "npm-fails").unlink()
    assert build(project).returncode == 0
    assert npm_calls(project)[-2:] == ["npm ci --no-audit --no-fund --loglevel=error",
                                       "npm run --silent build"]


def test_without_npm_it_says_what_to_install(project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    for tool in ("bash", "cat", "sha256sum", "cut", "find", "sort", "xargs", "rm", "mkdir"):
        found = shutil.which(tool)
        assert found is not None
        (empty / tool).symlink_to(found)
    result = build(project, path=str(empty))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: building the web console needs Node.js and npm (on Debian or Ubuntu: "
        "apt-get install nodejs npm)")


def test_an_old_node_is_refused_with_what_to_install(project: Path) -> None:
    old = project.parent / "old"
    old.mkdir()
    (old / "node").write_text("#!/usr/bin/env bash\n"
                              "[ \"$1\" = -e ] && exit 1\necho v18.19.0\n")
    (old / "node").chmod(0o755)
    tools = project.parent / "bin"
    result = build(project, path=os.pathsep.join([str(old), str(tools), os.environ["PATH"]]))
    assert result.returncode == 2
    assert "error: building the web console needs Node.js 20.19+ or 22.12+ (Vite's need), " \
           "not v18.19.0" in result.stderr
    assert npm_calls(project) == []


def test_scripts_run_ends_with_the_console_reachable_and_prints_its_url() -> None:
    """The real scripts/run in this checkout (set up already: scripts/test did it)."""
    require_built_console()
    port = free_port()
    proc = subprocess.Popen(["bash", "scripts/run"], cwd=ROOT, text=True,
                            env={**os.environ, "PORT": str(port)},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while url not in "".join(lines):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(lines)
            lines.append(line)
            assert time.monotonic() < deadline, "".join(lines)
        assert f"Web console: {url}\n" in lines
        while True:
            try:
                page = httpx.get(url, timeout=2)
                if page.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "scripts/run stopped"
            assert time.monotonic() < deadline, "the console never answered"
            time.sleep(0.1)
        assert '<div id="root"></div>' in page.text
    finally:
        interrupt(proc, timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()
