"""The client's errors: one root, a class per thing a caller handles differently."""

from __future__ import annotations


class PromptEngineError(Exception):
    """Anything the client reports; ``status`` is the HTTP status where there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class PromptNotFound(PromptEngineError):
    """No such prompt, alias or version, *or one this key may not see*.

    The server answers both with the same 404 on purpose, so that a prompt's existence does not
    leak to a key that may not see it; a client cannot tell them apart, and this one does not
    try. ``PromptNotVisible`` is the one case it can tell: a prompt it had a copy of.
    """


class PromptNotVisible(PromptNotFound):
    """The server now answers 404 for a prompt this client fetched before (its copy is in the
    cache): it was removed or deprecated, or this key lost access. The copy is not served."""


class InvalidInputs(PromptEngineError, ValueError):
    """Inputs that the prompt's declared inputs refuse; ``fields`` maps each input name to
    what is wrong with it (unknown, missing, wrong type, not one of the allowed values)."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message, status=422)
        self.fields = fields


class RenderFailed(PromptEngineError):
    """The template failed in the sandbox (a bound hit, a refused operation): tell the prompt's
    owners; the inputs were valid."""


class AuthenticationFailed(PromptEngineError):
    """The server refused the API key (401): missing, unknown or revoked."""


class ServerUnavailable(PromptEngineError):
    """The server could not be reached, or answered 5xx or 429 after the retries, and there was
    neither a cached copy nor a fallback to serve."""
