"""The protocol's public conformance suite (``@modelcontextprotocol/conformance``, pinned in
``conformance/package-lock.json``) against ``promptctl serve``'s ``/mcp``.

Every scenario that does not need the fixtures of the suite's own reference server runs here
and must pass (docs/decisions/0008-mcp.md lists the others and why they do not apply). The
suite needs Node 22 or later; the pinned ``node`` package brings it, so the system's Node only
has to run npm. Installed with ``npm ci`` into a cache directory once per lock file (or used
from ``conformance/node_modules`` when present); skipped, saying why, where npm is absent.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mcp.conftest import FILES, Served, build_repo, serving

HERE = Path(__file__).resolve().parent / "conformance"
SUITE = Path("node_modules/@modelcontextprotocol/conformance/dist/index.js")

SCENARIOS = [
    "server-initialize",  # lifecycle: initialize and the server's info
    "server-session-lifecycle",  # sessions: ids, DELETE, unknown sessions
    "ping",
    "prompts-list",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-error",
    "resources-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "http-header-validation",  # the 2026-07-28 HTTP headers
    "caching",
    "sep-2164-resource-not-found",
    "sep-2640-skills-enumeration",  # skills/list, skills/get, entries and digests
    "sep-2640-skills-manifest",  # the SKILL.md resources
    "sep-2640-skills-directory",  # skips by design: no directoryRead (one-file skills)
]


def _installed() -> Path:
    """A directory whose node_modules holds the pinned suite."""
    if (HERE / SUITE).is_file():
        return HERE
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the MCP conformance suite (an npm package) cannot "
                    "be installed here")
    lock = (HERE / "package-lock.json").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = cache / "promptctl-tests" / f"mcp-conformance-{hashlib.sha256(lock).hexdigest()[:12]}"
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # test workers install once, one at a time
        if not (target / SUITE).is_file():
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(HERE / name, target / name)
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=target,
                                  capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                pytest.skip(f"npm ci of the conformance suite failed (offline?): "
                            f"{done.stderr.strip()[-500:]}")
    return target


@pytest.fixture(scope="module")
def suite() -> Path:
    return _installed()


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The suite's client sends no key: the server runs without keys, on loopback."""
    tmp = tmp_path_factory.mktemp("mcp-conformance")
    small = {k: v for k, v in FILES.items() if not k.startswith("prompts/bulk/")}
    with serving(build_repo(tmp / "repo", small), tmp, keys=False) as running:
        yield running


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario_passes(suite: Path, anonymous: Served, scenario: str,
                                     tmp_path: Path) -> None:
    node = suite / "node_modules" / ".bin" / "node"
    done = subprocess.run(
        [str(node if node.exists() else "node"), str(suite / SUITE), "server",
         "--url", anonymous.mcp_url(), "--scenario", scenario, "-o", str(tmp_path)],
        capture_output=True, text=True, timeout=180, check=False)
    checks = [check for path in tmp_path.glob("**/checks.json")
              for check in json.loads(path.read_text())]
    failed = [f"{c['id']}: {c.get('errorMessage') or c.get('description')}"
              for c in checks if c["status"] == "FAILURE"]
    assert checks, done.stdout[-2000:] + done.stderr[-2000:]
    assert failed == []
    assert done.returncode == 0, done.stdout[-2000:]
    if scenario != "sep-2640-skills-directory":
        assert any(c["status"] == "SUCCESS" for c in checks)
