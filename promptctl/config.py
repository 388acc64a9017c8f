"""``promptctl.yaml``: optional repository configuration, validated by promptctl.schema.json."""

from __future__ import annotations

from dataclasses import dataclass, field

from promptctl import yamlload
from promptctl.errors import ConfigError
from promptctl.loader import decode
from promptctl.render import DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_SECONDS
from promptctl.schema import CONFIG_SCHEMA, located_errors

CONFIG_FILE = "promptctl.yaml"


@dataclass(frozen=True)
class Config:
    approvals_team: int = 1
    approvals_global: int = 2
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    default_owners: list[str] = field(default_factory=list)


def parse(data: bytes | None, path: str = CONFIG_FILE) -> Config:
    """The configuration in ``data`` (None: no file, all defaults); ``ConfigError`` if invalid."""
    if data is None:
        return Config()
    text, bad = decode(path, data)
    if bad or text is None:
        raise ConfigError(bad.message if bad else "unreadable", path=path,
                          line=bad.line if bad else None)
    try:
        document = yamlload.load(text)
    except yamlload.YamlProblem as exc:
        raise ConfigError(exc.message, path=path, line=exc.line) from None
    raw = document.data if document.data is not None else {}
    for line, _col, message in located_errors(CONFIG_SCHEMA, raw, document):
        raise ConfigError(message, path=path, line=line)
    approvals = raw.get("approvals", {})
    render = raw.get("render", {})
    return Config(
        approvals_team=approvals.get("team", 1),
        approvals_global=approvals.get("global", 2),
        max_output_bytes=render.get("max_output_bytes", DEFAULT_MAX_OUTPUT_BYTES),
        timeout_seconds=float(render.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)),
        default_owners=list(raw.get("defaults", {}).get("owners", [])),
    )
