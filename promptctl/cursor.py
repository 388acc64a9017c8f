"""Pagination cursors, as the read API and the MCP server hand them out: the last id of a page,
URL-safe base64 without padding. Opaque to clients; the next page starts after that id."""

from __future__ import annotations

import base64
import binascii


def encode(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str) -> str | None:
    """The last id that ``cursor`` names, or None for text that no page handed out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        last_id = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return last_id or None
