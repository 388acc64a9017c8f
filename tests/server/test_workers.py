"""The worker processes of a first build: what the server process does while it reads them."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from pathlib import Path

import pytest

from promptctl.gitreader import GitRepository
from server.workers import Workers
from tests.conftest import ROOT, RepoFactory
from tests.server.conftest import LIBRARY


@pytest.mark.parametrize("collecting", [True, False], ids=["collector-on", "collector-off"])
def test_the_collector_waits_while_the_workers_results_are_read(
        make_repo: RepoFactory, collecting: bool) -> None:
    """The records read back live on: a collection in the middle would only walk them again.
    The collector is as it was once the results are read."""
    repo = make_repo(LIBRARY)
    git = GitRepository(repo)
    files = [f for f in git.tree_files(git.commit_id("main")) if f.path.endswith(".md")]
    pool = Workers(1, repo)
    was = gc.isenabled()
    if not collecting:
        gc.disable()
    try:
        pool.start(files, {})
        during = [gc.isenabled() for _record, _doc in pool.results()]
        after = gc.isenabled()
    finally:
        pool.close()
        if was:
            gc.enable()
    assert len(during) == len(files) > 1
    assert not any(during)
    assert after is collecting


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal")
def test_workers_end_with_the_server_however_it_ends(tmp_path: Path) -> None:
    """A server killed during its first build took its workers with it: they hold both ends of
    the pool's pipes, so they would wait for ever for work that never comes."""
    script = tmp_path / "server_like.py"
    script.write_text(
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from server.workers import Workers\n"
        "if __name__ == '__main__':\n"
        "    pool = Workers(2, Path(sys.argv[1]))\n"
        "    time.sleep(1.0)  # the workers are up\n"
        "    print(' '.join(map(str, pool._pool._processes)), flush=True)\n"
        "    time.sleep(60)\n", encoding="utf-8")
    with subprocess.Popen([sys.executable, str(script), str(tmp_path)],
                          stdout=subprocess.PIPE, text=True, cwd=ROOT) as server:
        try:
            assert server.stdout is not None
            workers = [int(pid) for pid in server.stdout.readline().split()]
            assert len(workers) == 2
            assert all(_alive(pid) for pid in workers)
        finally:
            server.kill()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped by init."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
