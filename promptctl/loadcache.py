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

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from promptctl.loader import LoadResult, decode, with_defaults
from promptctl.model import Prompt, Template
from promptctl.problems import Problem
from promptctl.yamlload import YamlDocument

if TYPE_CHECKING:
    from promptctl.sources import SourceFile


class LoadCache:
    """Pass the same instance to successive ``Library.load`` calls of one repository.

    ``export`` and ``restore`` hand its contents to another process (the server keeps them on
    disk), where files are known by path and the SHA-256 of their bytes.
    """

    def __init__(self) -> None:
        # Keyed by the bytes themselves: a server hands the same bytes objects to every build,
        # and a bytes object hashes once.
        self._results: dict[tuple[str, bytes], LoadResult] = {}
        self._checks: dict[CheckKey, list[Problem]] = {}
        self._next_results: dict[tuple[str, bytes], LoadResult] = {}
        self._next_checks: dict[CheckKey, list[Problem]] = {}
        # Read back from disk, by (path, sha256 of the bytes), until a load asks for them.
        self._restored: dict[tuple[str, str], LoadResult] = {}
        self.hits = 0
        self.misses = 0

    def load(self, file: SourceFile, load: Callable[[SourceFile], LoadResult]) -> LoadResult:
        key = (file.path, file.data)
        result = self._results.get(key)
        if result is None and self._restored:
            result = self._restored.pop((file.path, _sha256(file.data)), None)
            if result is not None and result.prompt is not None:
                result = _with_text(result, file)
        if result is None:
            result = load(file)
            self.misses += 1
        else:
            self.hits += 1
        self._next_results[key] = result
        return result

    def checks(self, key: CheckKey, check: Callable[[], list[Problem]]) -> list[Problem]:
        found = self._checks.get(key)
        if found is None:
            found = check()
        self._next_checks[key] = found
        return found

    def seed(self, file: SourceFile, result: LoadResult) -> None:
        """A result computed elsewhere (``promptctl.prefill``), for the next load to use."""
        self._results[(file.path, file.data)] = result

    def seed_checks(self, key: CheckKey, problems: list[Problem]) -> None:
        self._checks[key] = problems

    def has(self, file: SourceFile) -> bool:
        return (file.path, file.data) in self._results or (
            bool(self._restored) and (file.path, _sha256(file.data)) in self._restored)

    @property
    def empty(self) -> bool:
        return not self._results and not self._restored

    def finish(self) -> None:
        """End of one load: keep what it used, drop the rest."""
        self._results, self._next_results = self._next_results, {}
        self._checks, self._next_checks = self._next_checks, {}
        self._restored = {}

    # --- keeping it between processes -----------------------------------------------------

    def export(self) -> tuple[dict[tuple[str, str], LoadResult], dict[CheckKey, list[Problem]]]:
        """What the last load used: results by (path, sha256 of the bytes), checks by key."""
        results = {}
        for (path, data), result in self._results.items():
            digest = result.prompt.digest if result.prompt is not None else _sha256(data)
            results[(path, digest)] = result
        return results, dict(self._checks)

    def restore(self, results: Mapping[tuple[str, str], LoadResult],
                checks: Mapping[CheckKey, list[Problem]]) -> None:
        """Results and checks written out by ``export`` (in another process, earlier)."""
        self._restored.update(results)
        self._checks.update(checks)


CheckKey = tuple[str, str, str]  # (path, digest of the prompt file, partials_key)


def check_key(prompt: Prompt, partials_fingerprint: str) -> CheckKey:
    """What a prompt's checks depend on: its file (path and digest) and the partials."""
    return (prompt.path, prompt.digest, partials_fingerprint)


def _with_text(result: LoadResult, file: SourceFile) -> LoadResult:
    """A result read back from disk, with the prompt's text decoded from its file again."""
    text, _bad = decode(file.path, file.data)
    assert result.prompt is not None
    return LoadResult(dataclasses.replace(result.prompt, text=text or ""), result.problems)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- a result as plain fields: JSON for a cache kept on disk, marshal from worker processes ----


def result_to_json(result: LoadResult) -> str:
    prompt = result.prompt
    data: dict[str, Any] = {"problems": [problem_fields(p) for p in result.problems]}
    if prompt is not None:
        data["prompt"] = {
            "id": prompt.id, "path": prompt.path, "form": prompt.form,
            "templates": [template_fields(t) for t in prompt.templates],
            "digest": prompt.digest,  # not the text: the file's bytes give it back
            "data": prompt.document.data, "spans": prompt.document.packed(),
        }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def result_from_json(text: str) -> LoadResult:
    """The result ``result_to_json`` wrote; ``ValueError``/``KeyError``/``TypeError`` on
    anything else."""
    data = json.loads(text)
    problems = [problem_from_fields(fields) for fields in data["problems"]]
    found = data.get("prompt")
    if found is None:
        return LoadResult(None, problems)
    prompt = prompt_from_fields(found["path"], found["id"], found["form"], found["data"],
                                found["templates"], found["digest"],
                                "",  # set from the file when a load uses it
                                found["spans"])
    return LoadResult(prompt, problems)


def problems_to_json(problems: list[Problem]) -> str:
    return json.dumps([problem_fields(p) for p in problems], ensure_ascii=False)


def problems_from_json(text: str) -> list[Problem]:
    return [problem_from_fields(fields) for fields in json.loads(text)]


def prompt_from_fields(path: str, prompt_id: str, form: Any, data: Any,
                       templates: Iterable[Sequence[Any]], digest: str, text: str,
                       spans: list[list[list[Any]]] | bytes) -> Prompt:
    """A loaded prompt from its plain fields, with ``meta`` made as ``load_prompt`` makes it
    (the data over the defaults) and the positions unpacked on first use."""
    return Prompt(id=prompt_id, path=path, form=form, meta=with_defaults(data or {}),
                  templates=tuple(Template(*fields) for fields in templates), digest=digest,
                  text=text, document=YamlDocument(data, packed=spans))


def template_fields(template: Template) -> list[Any]:
    return [template.role, template.source, template.field, template.line, template.col,
            template.exact, template.end_line]


def problem_fields(problem: Problem) -> list[Any]:
    return [problem.path, problem.line, problem.col, problem.severity, problem.code,
            problem.message]


def problem_from_fields(fields: Sequence[Any]) -> Problem:
    path, line, col, severity, code, message = fields
    return Problem(str(path), int(line), int(col), severity, str(code), str(message))


def partials_key(partials: Mapping[str, str]) -> str:
    """One digest of every partial's name and text (the checks of a prompt depend on them)."""
    digest = hashlib.sha256()
    for name, text in sorted(partials.items()):
        digest.update(name.encode("utf-8") + b"\x00" + text.encode("utf-8") + b"\x00")
    return digest.hexdigest()
