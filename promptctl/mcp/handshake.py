"""What the first answer (``initialize``) says, importable without the MCP SDK.

An agent starts ``promptctl mcp`` for every session and waits for ``initialize``. Importing the
SDK takes longer than that answer may (its protocol types are built at import), so the stdio
server answers ``initialize`` from these constants while the SDK loads, and hands the session to
the SDK once it has (``stdio``). ``server.build`` serves the very same capabilities; a test holds
the two equal.
"""

from __future__ import annotations

from typing import Any

from promptctl import __version__

SERVER_NAME = "promptctl"
SERVER_TITLE = "Prompt Engine"
SKILLS_EXTENSION = "io.modelcontextprotocol/skills"
# The handshake versions the SDK negotiates, newest last (mcp_types.version.
# HANDSHAKE_PROTOCOL_VERSIONS; a test holds them equal).
HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_HANDSHAKE = "2025-11-25"

INSTRUCTIONS = """\
The team's approved prompts, kept in Git and reviewed by their owners.
Prompts: each one is an MCP prompt (its name is its id with / written as .) whose arguments are \
its inputs; prompts/get renders it.
Tools: search_prompts finds the prompts relevant to a task; get_prompt shows one (template, \
inputs schema, version, commit); render_prompt renders it with typed inputs.
Skills: each prompt is also an Agent Skill at skill://<id>/SKILL.md (skills/list, skills/get).
Only approved (active, stable) prompts are shown unless this server was started for the \
experimental channel."""

# As the SDK answers a handshake: its 2025-11-25 schema has no ``extensions``, so the skills
# extension is declared under ``experimental`` there (and under ``extensions`` from 2026-07-28).
CAPABILITIES: dict[str, Any] = {
    "completions": {},
    "experimental": {SKILLS_EXTENSION: {}},
    "prompts": {"listChanged": True},
    "resources": {"listChanged": True, "subscribe": False},
    "tools": {"listChanged": False},
}


def negotiate(requested: object) -> str:
    """The protocol version answered to ``initialize`` (the SDK's rule)."""
    return requested if isinstance(requested, str) and requested in HANDSHAKE_VERSIONS \
        else LATEST_HANDSHAKE


def initialize_result(requested: object) -> dict[str, Any]:
    return {"protocolVersion": negotiate(requested), "capabilities": CAPABILITIES,
            "serverInfo": {"name": SERVER_NAME, "title": SERVER_TITLE, "version": __version__},
            "instructions": INSTRUCTIONS}
