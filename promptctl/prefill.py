"""Loading and checking many prompts over several processes, to fill a ``LoadCache`` fast.

Loading a prompt (YAML, schema) and checking it (template parsing, inputs, tests) costs a few
hundred microseconds of pure Python, so a library of 10,000 prompts takes seconds on one core.
Both results depend only on the file and the library's partials (see ``promptctl.loadcache``),
so worker processes can compute them for disjoint chunks of files; the caller seeds its cache
with the answers and then runs the ordinary ``Library.load``, which finds every file already
done. The library that comes out is the one a single process would have built: the only code
that decides anything is the same ``load_prompt`` and ``PromptChecks``.

Workers are spawned, not forked: the server builds its first index on a thread while others
run, and a forked child would inherit their locks. A spawned worker imports the loader on
start (about a third of a second), so ``Prefill`` is started before the caller reads Git and the
import overlaps with that read.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from promptctl.loadcache import LoadCache, check_key, partials_key
from promptctl.loader import LoadResult, load_prompt, read_partial
from promptctl.model import MD_SUFFIX, PROMPTS_DIR, YAML_SUFFIX, is_partial_path
from promptctl.problems import Problem
from promptctl.sources import SourceFile
from promptctl.validate import PromptChecks

# Below this many files to load, one process is faster than starting workers.
MIN_FILES = 1500
CHUNK_FILES = 200
MAX_WORKERS = 8


def worker_count() -> int:
    """Processes worth starting: the CPUs this process may run on (at most ``MAX_WORKERS``)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def is_prompt_file(file: SourceFile) -> bool:
    """A regular file that ``Library.load`` hands to ``load_prompt``."""
    name = file.path[len(PROMPTS_DIR) + 1 :]
    return (file.kind == "file" and file.path.endswith((MD_SUFFIX, YAML_SUFFIX))
            and "/" in name and not is_partial_path(file.path))


def partials_of(files: Sequence[SourceFile]) -> dict[str, str]:
    """The partials ``Library.load`` will find among ``files``: name under prompts/ -> text."""
    found: dict[str, str] = {}
    for file in files:
        if is_partial_path(file.path):
            text, _bad = read_partial(file)
            if text is not None:
                found[file.path[len(PROMPTS_DIR) + 1 :]] = text
    return found


class Prefill:
    """A pool of worker processes, started ahead of the work; close it when done."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        # Start every worker now, so that their imports overlap with the caller's Git reads.
        for _ in range(self.workers):
            self._pool.submit(_ready)

    def fill(self, cache: LoadCache, files: Sequence[SourceFile]) -> None:
        """Load and check the prompt files ``cache`` does not know, and seed ``cache`` with
        the results."""
        partials = partials_of(files)
        todo = [f for f in files if is_prompt_file(f) and not cache.has(f)]
        chunks: dict[Future[list[tuple[LoadResult, list[Problem] | None]]],
                     list[SourceFile]] = {}
        for start in range(0, len(todo), CHUNK_FILES):
            chunk = todo[start : start + CHUNK_FILES]
            chunks[self._pool.submit(_load_and_check, chunk, partials)] = chunk
        fingerprint = partials_key(partials)
        for future in as_completed(chunks):
            for file, (result, checks) in zip(chunks[future], future.result(), strict=True):
                cache.seed(file, result)
                if result.prompt is not None and checks is not None:
                    cache.seed_checks(check_key(result.prompt, fingerprint), checks)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --- in the workers ---------------------------------------------------------------------------


def _ready() -> None:
    """Nothing: importing this module (and the loader) is the work."""


_CHECKS: dict[str, PromptChecks] = {}  # per process: the checks of the last partials seen


def _checks_for(partials: Mapping[str, str]) -> PromptChecks:
    key = partials_key(partials)
    checks = _CHECKS.get(key)
    if checks is None:
        _CHECKS.clear()
        checks = _CHECKS[key] = PromptChecks(partials)
    return checks


def _load_and_check(files: list[SourceFile], partials: dict[str, str]
                    ) -> list[tuple[LoadResult, list[Problem] | None]]:
    checks = _checks_for(partials)
    out: list[tuple[LoadResult, list[Problem] | None]] = []
    for file in files:
        result = load_prompt(file)
        out.append((result, checks(result.prompt) if result.prompt is not None else None))
    return out
