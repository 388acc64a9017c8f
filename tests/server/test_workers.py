"""The worker processes of a first build: what the server process does while it reads them."""

from __future__ import annotations

import gc

import pytest

from promptctl.gitreader import GitRepository
from server.workers import Workers
from tests.conftest import RepoFactory
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
