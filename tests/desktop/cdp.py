"""Just enough of the Chrome DevTools Protocol to read a Qt WebEngine page's state in a test:
list the pages (``/json``) and evaluate an expression in one, over a plain WebSocket (RFC 6455:
masked text frames out, unfragmented frames in). Qt WebEngine serves the protocol when the app
runs with ``QTWEBENGINE_REMOTE_DEBUGGING`` (Qt's own switch, not the app's); Playwright cannot
attach to it (Qt refuses its browser-context calls), so the tests wait on the page through this.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx


def pages(port: int) -> list[dict[str, Any]]:
    answer = httpx.get(f"http://127.0.0.1:{port}/json", timeout=5)
    return [target for target in answer.json() if target["type"] == "page"]


class Page:
    """One page's DevTools WebSocket."""

    def __init__(self, ws_url: str) -> None:
        parts = urlsplit(ws_url)
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                           .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self._sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self._next = 0

    def _send(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        size = len(data)
        header = bytes([0x81])
        if size < 126:
            header += bytes([0x80 | size])
        elif size < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", size)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", size)
        self._sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            assert chunk, "the DevTools connection closed"
            data += chunk
        return data

    def _receive(self) -> dict[str, Any]:
        first, second = self._exactly(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack(">H", self._exactly(2))[0]
        elif size == 127:
            size = struct.unpack(">Q", self._exactly(8))[0]
        payload = self._exactly(size)
        assert first & 0x0F == 1, f"unexpected frame {first:#x}"
        message: dict[str, Any] = json.loads(payload)
        return message

    def evaluate(self, expression: str) -> Any:
        self._next += 1
        self._send(json.dumps({"id": self._next, "method": "Runtime.evaluate", "params": {
            "expression": expression, "returnByValue": True, "awaitPromise": True}}))
        while True:
            message = self._receive()
            if message.get("id") == self._next:
                result = message["result"]
                assert "exceptionDetails" not in result, result["exceptionDetails"]
                return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            assert time.monotonic() < deadline, f"never true in the page: {expression}"
            time.sleep(0.05)

    def close(self) -> None:
        self._sock.close()


def page_where(port: int, matches: Callable[[str], bool], timeout: float = 15.0) -> Page:
    """The page whose URL ``matches``, once it exists."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            for target in pages(port):
                if matches(target["url"]):
                    return Page(target["webSocketDebuggerUrl"])
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "no such page in the desktop app"
        time.sleep(0.1)
