"""The core modules the client renders with: promptctl's own loader, input checks and renderer.

In the wheel they are ``promptengine._core`` (copied from ``promptctl/`` when the wheel is built,
see ``sdk/hatch_build.py``); in a source checkout of Prompt Engine they are ``promptctl``'s.
Either way it is the same code as ``promptctl render`` and the API's ``:render``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptctl import errors, inputs, loader, render, sources
else:
    try:
        from promptengine._core import errors, inputs, loader, render, sources
    except ModuleNotFoundError:  # a source checkout: the repository's own modules
        from promptctl import errors, inputs, loader, render, sources

__all__ = ["errors", "inputs", "loader", "render", "sources"]
