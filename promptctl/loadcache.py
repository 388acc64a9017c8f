"""What one load of a library can hand to the next, so that a reload re-does only what changed.

The read API rebuilds its index on every new commit. Loading a file (YAML, schema) and checking a
prompt against the library (template parsing, input schemas, tests) cost about a millisecond per
prompt, so a library of 10,000 prompts takes seconds to load from scratch while one commit
usually changes a handful of files. Both results depend only on their inputs, which makes them
safe to keep:

- a file's ``LoadResult`` depends on its path and bytes;
- a prompt's library checks depend on the prompt (path and digest) and on the partials.

Only the entries used by the latest load are kept, so the cache never grows past one library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptctl.loader import LoadResult
    from promptctl.problems import Problem
    from promptctl.sources import SourceFile


class LoadCache:
    """Pass the same instance to successive ``Library.load`` calls of one repository."""

    def __init__(self) -> None:
        self._results: dict[tuple[str, bytes], LoadResult] = {}
        self._checks: dict[tuple[str, str, str], list[Problem]] = {}
        self._next_results: dict[tuple[str, bytes], LoadResult] = {}
        self._next_checks: dict[tuple[str, str, str], list[Problem]] = {}
        self.hits = 0
        self.misses = 0

    def load(self, file: SourceFile, load: Callable[[SourceFile], LoadResult]) -> LoadResult:
        key = (file.path, file.data)
        result = self._results.get(key)
        if result is None:
            result = load(file)
            self.misses += 1
        else:
            self.hits += 1
        self._next_results[key] = result
        return result

    def checks(self, key: tuple[str, str, str],
               check: Callable[[], list[Problem]]) -> list[Problem]:
        found = self._checks.get(key)
        if found is None:
            found = check()
        self._next_checks[key] = found
        return found

    def seed(self, file: SourceFile, result: LoadResult) -> None:
        """A result computed elsewhere (``promptctl.prefill``), for the next load to use."""
        self._results[(file.path, file.data)] = result

    def seed_checks(self, key: tuple[str, str, str], problems: list[Problem]) -> None:
        self._checks[key] = problems

    def has(self, file: SourceFile) -> bool:
        return (file.path, file.data) in self._results

    @property
    def empty(self) -> bool:
        return not self._results

    def finish(self) -> None:
        """End of one load: keep what it used, drop the rest."""
        self._results, self._next_results = self._next_results, {}
        self._checks, self._next_checks = self._next_checks, {}


def partials_key(partials: Mapping[str, str]) -> str:
    """One digest of every partial's name and text (the checks of a prompt depend on them)."""
    digest = hashlib.sha256()
    for name, text in sorted(partials.items()):
        digest.update(name.encode("utf-8") + b"\x00" + text.encode("utf-8") + b"\x00")
    return digest.hexdigest()
