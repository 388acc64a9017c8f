"""Printing: rich for people, plain JSON for programs, problems one per line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from promptctl.problems import Problem

COLOR_MODES = ("auto", "always", "never")


def _console(mode: str, *, stderr: bool = False) -> Console:
    """auto: styles on a terminal unless NO_COLOR is set (https://no-color.org: then no style at
    all, bold included); always: styles even into a pipe; never: plain text."""
    if mode == "auto" and os.environ.get("NO_COLOR"):
        mode = "never"
    if mode == "never":
        return Console(stderr=stderr, highlight=False, soft_wrap=True, color_system=None)
    return Console(stderr=stderr, highlight=False, soft_wrap=True,
                   force_terminal=True if mode == "always" else None)


console = _console("auto")
err_console = _console("auto", stderr=True)


def set_color(mode: str) -> None:
    """``--color``: rebuild both consoles (commands import them when they run, after this)."""
    # Module attributes, rebound: every command imports them when it runs, after --color.
    global console, err_console  # noqa: PLW0603
    from promptctl.errors import UsageError

    if mode not in COLOR_MODES:
        raise UsageError(f"--color {mode!r}: choose auto, always or never")
    console = _console(mode)
    err_console = _console(mode, stderr=True)


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
