"""Prompt Engine client: prompts from a read API, cached, rendered locally in the same sandbox
and with the same input checks as ``promptctl render``.

    client = PromptClient("https://prompts.example.com", api_key=os.environ["PROMPTS_KEY"])
    p = client.get("engineering/code-review", version="1")
    messages = p.render(code=diff).messages
"""

from __future__ import annotations

from promptengine.client import AsyncPromptClient, PromptClient
from promptengine.errors import (
    AuthenticationFailed,
    InvalidInputs,
    PromptEngineError,
    PromptNotFound,
    PromptNotVisible,
    RenderFailed,
    ServerUnavailable,
)
from promptengine.prompt import Prompt, Rendered
from promptengine.transport import RetryPolicy

__all__ = [
    "AsyncPromptClient",
    "AuthenticationFailed",
    "InvalidInputs",
    "Prompt",
    "PromptClient",
    "PromptEngineError",
    "PromptNotFound",
    "PromptNotVisible",
    "RenderFailed",
    "Rendered",
    "RetryPolicy",
    "ServerUnavailable",
]
