"""``promptctl test``: render each prompt with its tests' inputs and check the text."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from promptctl import inputs as inputs_module
from promptctl.errors import PromptctlError
from promptctl.library import Library
from promptctl.model import Prompt


@dataclass
class TestResult:
    prompt_id: str
    name: str
    path: str
    line: int
    failures: list[str] = field(default_factory=list)
    rendered: str | None = None  # the text the test checked (None: it did not render)
    diff: str = ""  # a failed `equals`: unified diff from the expected text to the rendered one

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.prompt_id,
            "test": self.name,
            "path": self.path,
            "line": self.line,
            "passed": self.passed,
            "failures": self.failures,
            **({} if self.passed else {"rendered": self.rendered, "diff": self.diff}),
        }


def run_tests(library: Library, prompts: Iterable[Prompt]) -> list[TestResult]:
    results = []
    for prompt in prompts:
        invalid = library.errors_for(prompt.path)
        for index, test in enumerate(prompt.tests):
            line = prompt.document.position(("tests", index)).line
            result = TestResult(prompt.id, test["name"], prompt.path, line)
            if invalid:
                result.failures.append(
                    f"prompt is invalid: {invalid[0].format_text()}; run `promptctl validate`"
                )
            else:
                _run_one(library, prompt, test, result)
            results.append(result)
    return results


def _run_one(library: Library, prompt: Prompt, test: dict[str, Any],
             result: TestResult) -> None:
    try:
        values = inputs_module.resolve(prompt, test.get("inputs") or {})
        text = library.renderer.render(prompt, values).text
    except PromptctlError as exc:
        result.failures.append(f"render failed: {exc.message}")
        return
    result.rendered = text
    result.failures.extend(_check(test["expect"], text))
    if "equals" in test["expect"] and text != test["expect"]["equals"].strip():
        result.diff = unified_diff(test["expect"]["equals"].strip(), text)


def unified_diff(expected: str, rendered: str) -> str:
    """What would turn the expected text into the rendered one, as `diff -u` shows it."""
    return "".join(difflib.unified_diff((expected + "\n").splitlines(keepends=True),
                                        (rendered + "\n").splitlines(keepends=True),
                                        fromfile="expected (equals)", tofile="rendered"))


def _check(expect: dict[str, Any], text: str) -> list[str]:
    failures = []
    for needle in _as_list(expect.get("contains")):
        if needle not in text:
            failures.append(f"expected the text to contain {needle!r}")
    for needle in _as_list(expect.get("not_contains")):
        if needle in text:
            failures.append(f"expected the text not to contain {needle!r}")
    if "equals" in expect and text != expect["equals"].strip():
        failures.append(f"expected the text to equal {_excerpt(expect['equals'])}, "
                        f"got {_excerpt(text)}")
    if "matches" in expect and not re.search(expect["matches"], text, re.MULTILINE):
        failures.append(f"expected the text to match /{expect['matches']}/")
    return failures


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
