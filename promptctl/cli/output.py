"""Printing: rich for people, plain JSON for programs, problems one per line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from promptctl.problems import Problem

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_plain(text: str) -> None:
    """Text as it is: never read as rich markup (prompts are full of [brackets])."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def print_problems(problems: Iterable[Problem], *, github: bool = False) -> None:
    for problem in problems:
        if github:
            print_plain(problem.format_github())
        else:
            style = "red" if problem.is_error else "yellow"
            console.print(problem.format_text(), style=style, markup=False)


def verdict(text: str, *, ok: bool) -> None:
    """A command's closing line: green when all is well, red otherwise."""
    console.print(text, style="green" if ok else "red", markup=False)


def error(message: str) -> None:
    err_console.print(f"error: {message}", style="red", markup=False)


def note(message: str) -> None:
    err_console.print(message, style="dim", markup=False)
