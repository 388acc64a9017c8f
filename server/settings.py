"""What one server process is configured with; built by ``promptctl serve`` (or a test), never at
import time."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from promptctl.errors import UsageError

DEFAULT_POLL_SECONDS = 5.0
DEFAULT_MAX_BODY_BYTES = 256 * 1024
DEFAULT_RATE_PER_SECOND = 50.0
DEFAULT_RATE_BURST = 100
DEFAULT_USAGE_RETENTION_DAYS = 365.0
DEFAULT_USAGE_ACK_SECONDS = 5.0


class ServerConfigError(UsageError):
    """The server cannot start with these settings (the message says which option to change)."""


@dataclass(frozen=True)
class Settings:
    repo: Path
    ref: str = "main"
    host: str = "127.0.0.1"
    port: int = 8000
    keys_file: Path | None = None
    poll_seconds: float = DEFAULT_POLL_SECONDS  # 0: no polling (refresh endpoint only)
    fetch_remote: str | None = None
    allow_anonymous: bool = False
    usage_db: Path | None = None  # None: usage events are not recorded
    usage_retention_days: float | None = DEFAULT_USAGE_RETENTION_DAYS  # None: keep every event
    # How long POST /api/v1/usage waits for its event to be committed before answering 503.
    usage_ack_seconds: float = DEFAULT_USAGE_ACK_SECONDS
    index_cache: Path | None = None  # a directory kept between runs (server.store); None: none
    search_workers: int = 0  # processes answering searches (server.searchpool); needs index_cache
    webhook_secret: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_second: float = DEFAULT_RATE_PER_SECOND  # per key; 0 disables the limit
    rate_burst: int = DEFAULT_RATE_BURST
    refresh_wait_seconds: float = 10.0  # how long the refresh endpoint waits for the new index

    @property
    def anonymous(self) -> bool:
        """No keys file: every caller is an anonymous consumer."""
        return self.keys_file is None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse anonymous access on an address other machines can reach, unless told to allow it."""
    if settings.anonymous and not is_loopback(settings.host) and not settings.allow_anonymous:
        raise ServerConfigError(
            f"refusing to serve without keys on {settings.host}: anyone who can reach it would "
            "read the prompts. Create keys with `promptctl keys add NAME --role consumer --team "
            "TEAM` and pass --keys FILE, bind to 127.0.0.1, or pass --allow-anonymous to accept it"
        )
    if settings.poll_seconds < 0:
        raise ServerConfigError("--poll must be 0 (no polling) or a positive number of seconds")


def anonymous_notice(settings: Settings) -> str | None:
    """What ``serve`` says at start when it runs without keys."""
    if not settings.anonymous:
        return None
    where = "loopback only" if is_loopback(settings.host) else "ALL ADDRESSES (--allow-anonymous)"
    return (f"no --keys file: anonymous consumer access (active, stable prompts) on {where} "
            f"({settings.host}); create keys with `promptctl keys add` and pass --keys to give "
            "contributors and admins access")
