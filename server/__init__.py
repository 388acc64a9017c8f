"""The read API: a FastAPI app over one branch of a prompt repository (``create_app``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from server.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """See ``server.app.create_app`` (imported on call, so ``import server`` stays light)."""
    from server.app import create_app as create

    return create(settings)


__all__ = ["create_app"]
