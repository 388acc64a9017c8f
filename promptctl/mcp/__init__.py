"""The prompts as a Model Context Protocol server.

``catalogue`` is what the server serves (a local repository, the read API, or the server's own
index, each behind one small interface); ``naming`` maps prompt ids to MCP prompt names and skill
URIs and back; ``prompts``, ``tools`` and ``skills`` answer the protocol's requests from a
catalogue; ``server`` puts them on the official SDK's low-level server; ``stdio`` runs it for
``promptctl mcp``. ``handshake`` holds what the first answer (``initialize``) needs, importable
without the SDK.
"""
