"""``promptctl mcp``: the MCP server over stdio, answering ``initialize`` before the SDK loads.

An agent spawns the server for each session and waits for the answer to ``initialize``.
Importing the MCP SDK costs more than a second (it builds its protocol types at import), and
loading a large library more still, so:

1. the SDK and the catalogue load in a worker thread, from the moment the command starts;
2. meanwhile the first line is read from stdin; if it is ``initialize``, the answer is written
   from ``handshake`` (the same capabilities the SDK server declares) at once;
3. once the SDK is loaded, the session is handed to it: it reads that same ``initialize`` first
   (so the connection's state is its own) and its answer to it, already sent, is not written
   again. Every later message is the SDK's.

A first message that is not ``initialize`` (a 2026-07-28 client has no handshake) simply waits
for the SDK. The measured figures are in docs/decisions/0008-mcp.md.

While it runs, fd 1 points at stderr so that nothing but protocol messages reaches the wire.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, cast

from promptctl.mcp import handshake


@dataclass
class Holder:
    """The catalogue being served, and how to tell that it changed: ``refresh`` reloads it when
    the source's stamp moved (run by the notifier's watch) and returns the stamp."""

    stamp: Callable[[], str]
    load: Callable[[str], Any]  # stamp -> Catalogue
    close: Callable[[], None] = lambda: None  # the source's cleanup, once the session ended
    current: Any = None
    loaded: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> str:
        with self._lock:
            now = self.stamp()
            if self.current is None or now != self.loaded:
                self.current = self.load(now)
                self.loaded = now
            return now


@dataclass
class _Loaded:
    server: Any = None
    error: BaseException | None = None
    # Set once initialize is answered: reading a large index holds the interpreter for long
    # stretches, which would delay that answer; importing the SDK does not, and starts at once.
    go: threading.Event = field(default_factory=threading.Event)
    ended: bool = False  # the session ended first: nothing left to load


def serve(holder: Holder, *, poll_seconds: float) -> None:
    """Serve ``holder``'s catalogue on stdin/stdout until stdin closes."""
    wire = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # stray output (a library printing) goes to stderr, never to the wire
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    loaded = _Loaded()
    worker = threading.Thread(target=_load, args=(holder, loaded), name="mcp-load", daemon=True)
    worker.start()
    try:
        first = stdin.readline()
        if not first:
            return
        answered = _answer_initialize(first, wire)
        loaded.go.set()
        worker.join()
        if loaded.error is not None:
            raise loaded.error
        import anyio

        anyio.run(_run, loaded.server, holder, first, answered, stdin, wire, poll_seconds)
    finally:
        loaded.ended = True
        loaded.go.set()
        worker.join()
        holder.close()


def _load(holder: Holder, loaded: _Loaded) -> None:
    try:
        from promptctl.mcp import server as server_module

        loaded.go.wait()
        if loaded.ended:
            return
        holder.refresh()
        notifier = server_module.Notifier()
        loaded.server = (server_module, notifier,
                         server_module.build(lambda _ctx: holder.current, notifier))
    except BaseException as exc:  # handed to the main thread, which reports it
        loaded.error = exc


def _answer_initialize(line: bytes, wire: IO[bytes]) -> object:
    """Answer ``initialize`` now; returns its request id (None when it was something else)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("method") != "initialize" \
            or "id" not in message or message.get("jsonrpc") != "2.0":
        return None
    params = message.get("params")
    if not isinstance(params, dict) or not _well_formed(params):
        return None  # the SDK answers it, with the error it deserves
    requested = params["protocolVersion"]
    answer = {"jsonrpc": "2.0", "id": message["id"],
              "result": handshake.initialize_result(requested)}
    wire.write(json.dumps(answer, separators=(",", ":")).encode("utf-8") + b"\n")
    wire.flush()
    return message["id"]


def _well_formed(params: dict[str, Any]) -> bool:
    """The fields of ``initialize`` the SDK requires, so that the early answer is never a
    success the SDK would have refused."""
    info = params.get("clientInfo")
    return isinstance(params.get("protocolVersion"), str) \
        and isinstance(params.get("capabilities"), dict) and isinstance(info, dict) \
        and isinstance(info.get("name"), str) and isinstance(info.get("version"), str)


async def _run(loaded: tuple[Any, Any, Any], holder: Holder, first: bytes, answered: object,
               stdin: IO[bytes], wire: IO[bytes], poll_seconds: float) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    server_module, notifier, server = loaded
    reader = _Lines(first, stdin)
    writer = _Wire(wire, answered)
    streams = stdio_server(stdin=cast(Any, reader), stdout=cast(Any, writer))
    async with streams as (read_stream, write_stream), anyio.create_task_group() as group:
        if poll_seconds > 0:
            group.start_soon(notifier.watch, holder.refresh, poll_seconds)
        await server.run(read_stream, write_stream, server_module.initialization_options(server))
        group.cancel_scope.cancel()


class _Lines:
    """stdin as the SDK reads it (``async for line``): the first line again, then the rest."""

    def __init__(self, first: bytes, stream: IO[bytes]) -> None:
        self.pending: bytes | None = first
        self.stream = stream

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        import anyio.to_thread

        line = self.pending
        self.pending = None
        if line is None:
            line = await anyio.to_thread.run_sync(self.stream.readline, abandon_on_cancel=True)
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class _Wire:
    """stdout as the SDK writes it, less its answer to the ``initialize`` answered already."""

    def __init__(self, stream: IO[bytes], answered: object) -> None:
        self.stream = stream
        self.answered = answered

    async def write(self, text: str) -> None:
        if self.answered is not None and '"result"' in text:
            message = json.loads(text)
            if message.get("id") == self.answered and "result" in message:
                self.answered = None
                return
        self.stream.write(text.encode("utf-8"))

    async def flush(self) -> None:
        self.stream.flush()
