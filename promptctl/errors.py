"""One exception root for everything promptctl reports to a user.

Each error carries the exit code the command line maps it to (DESIGN.md: 1 a check failed,
2 usage, 3 internal) and, where one exists, the file and line it is about. Messages say what to
do next.
"""

from __future__ import annotations


class PromptctlError(Exception):
    """An error meant for a user: printed as it is, never as a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class UsageError(PromptctlError):
    """The command was called wrongly (unknown prompt id, malformed -i, bad option value)."""

    exit_code = 2


class RepositoryError(UsageError):
    """The repository cannot be found or read."""


class PromptNotFound(UsageError):
    """No prompt (or no such version) under that id or alias."""


class ConfigError(PromptctlError):
    """promptctl.yaml is malformed."""


class InvalidPrompt(PromptctlError):
    """A prompt file failed to load; ``problems`` says where and why."""

    def __init__(self, message: str, problems: list[object]) -> None:
        super().__init__(message)
        self.problems = problems


class InputError(PromptctlError):
    """Inputs given to a render are invalid; ``fields`` maps each input name to what is wrong."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields


class RenderError(PromptctlError):
    """A template failed while rendering: an undefined variable, a sandbox refusal, a bound hit."""


class RenderLimitExceeded(RenderError):
    """The rendered output grew past the size bound, or rendering ran past the time bound."""
