"""Located problems: what validation finds, and the reporters that print them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in one file; ``line`` and ``col`` are 1-based (1:1: the whole file)."""

    path: str
    line: int
    col: int
    severity: Severity
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format_text(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}[{self.code}]: {self.message}"

    def format_github(self) -> str:
        # Workflow commands: properties escape % \r \n , :   and the message escapes % \r \n.
        # https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions
        level = "error" if self.is_error else "warning"
        return (
            f"::{level} file={_escape_property(self.path)},line={self.line},col={self.col},"
            f"title={_escape_property(self.code)}::{_escape_data(self.message)}"
        )


def error(path: str, line: int, col: int, code: str, message: str) -> Problem:
    return Problem(path, line, col, "error", code, message)


def warning(path: str, line: int, col: int, code: str, message: str) -> Problem:
    return Problem(path, line, col, "warning", code, message)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


def to_json(problems: Iterable[Problem], *, files_checked: int) -> str:
    items = [asdict(p) for p in problems]
    errors = sum(1 for p in items if p["severity"] == "error")
    return json.dumps(
        {
            "ok": errors == 0,
            "files_checked": files_checked,
            "errors": errors,
            "warnings": len(items) - errors,
            "problems": items,
        },
        indent=2,
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
