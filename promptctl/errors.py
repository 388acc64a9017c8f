"""One exception root for everything promptctl reports to a user.

Each error carries the exit code the command line maps it to and, where one exists, the file
and line it is about. Messages say what to do next. The rule (README, "Command line"):

- 1: the content of the repository failed a check (a prompt that does not load or validate,
  a malformed promptctl.yaml or CODEOWNERS, a template that fails to render);
- 2: a usage problem, what the user typed is wrong (an unknown id or alias, a bad option, filter
  or ``-i`` value, an unreadable inputs file, a file that ``init`` or ``new`` would overwrite);
- 3: an internal error (a bug in promptctl).
"""

from __future__ import annotations


class PromptctlError(Exception):
    """An error meant for a user: printed as it is, never as a traceback. Exit 1: what is wrong
    is the repository's content; raise a ``UsageError`` when it is what the user typed."""

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


class InputError(UsageError):
    """Inputs given to a render are invalid; ``fields`` maps each input name to what is wrong.

    A usage error (exit 2): the values were typed or passed by the caller. A prompt's own test
    with bad inputs is reported by ``validate`` and ``test`` (exit 1), never raised as this."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields


class RenderError(PromptctlError):
    """A template failed while rendering: an undefined variable, a sandbox refusal, a bound hit."""


class RenderLimitExceeded(RenderError):
    """The rendered output grew past the size bound, or rendering ran past the time bound."""
