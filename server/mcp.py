"""``/mcp``: the prompts over MCP's Streamable HTTP transport, on the read API's app.

The same keys, roles and index as the read API: a request is authenticated by its
``Authorization: Bearer`` key (``server.deps.identify``) and rate limited like any other, and
what its key may not see does not exist (``Index.lookup`` / ``Index.view``). The experimental
channel is an opt-in of the request, ``?channel=experimental`` on the URL or an
``X-Prompt-Channel: experimental`` header, and only widens what the key's role already allows:
a consumer key sees the same prompts with or without it. A session is bound to the key (and
channel) that opened it.

Host and Origin are checked against DNS rebinding: on loopback the Host must be a loopback name
and a browser Origin a loopback origin; on other addresses (keys required there) an Origin, when
a browser sends one, must be the server's own.

``prompts/get``, ``get_prompt`` and ``render_prompt`` are usage events of client type ``mcp``.
When the served commit changes, connected clients are told (``promptctl.mcp.server.Notifier``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc
from fastapi import FastAPI
from fastapi.security import HTTPAuthorizationCredentials
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from promptctl.errors import PromptNotFound
from promptctl.mcp.catalogue import on_channel, page_of, prefixed, render_with
from server.auth import Caller
from server.deps import identify
from server.errors import ApiError, error_body
from server.index import Index
from server.settings import is_loopback
from server.state import ServerState

log = logging.getLogger("promptctl.server.mcp")

PATH = "/mcp"
CALLER = "promptctl.caller"  # where a request's caller and channel wait in the ASGI scope
WATCH_SECONDS = 0.5  # how often the served commit is compared (an attribute read)


@dataclass
class IndexCatalogue:
    """One caller's view of one index (``promptctl.mcp.catalogue.Catalogue``)."""

    state: ServerState
    index: Index
    caller: Caller
    experimental: bool
    client: str | None  # the client's name from initialize, for the log
    ids_: Sequence[str] = field(default=())
    in_memory: bool = True

    def revision(self) -> str:
        return self.index.commit

    def _entry(self, ref: str) -> Any:
        entry = self.index.lookup(ref, self.caller.role)
        if entry is None or not on_channel(entry.summary.channel, self.experimental):
            return None
        return entry

    def _version(self, ref: str, version: str | None) -> Any:
        entry = self._entry(ref)
        if entry is None or version is None:
            return entry
        from server.versions import Version

        found: Version = self.state.versions.resolve(self.index.commit, entry, version,
                                                     self.caller.role)
        if not on_channel(found.prompt.channel, self.experimental):
            raise PromptNotFound(f"{entry.prompt.id}@{version}: no such version")
        return found

    def page(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        chosen, after = page_of(self.ids_, cursor, limit)
        entries = self.index.entries
        return [{**entries[i].prompt.detail(), "commit": entries[i].commit} for i in chosen], \
            after

    def listing(self, cursor: str | None,
                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        chosen, after = page_of(self.ids_, cursor, limit)
        entries = self.index.entries
        return [{**entries[i].summary.summary(), "inputs": entries[i].summary.inputs,
                 "commit": entries[i].commit} for i in chosen], after

    def ids(self, prefix: str, limit: int) -> list[str]:
        return prefixed(self.ids_, prefix, limit)

    def get(self, ref: str, version: str | None = None) -> dict[str, Any] | None:
        found = self._version(ref, version)
        if found is None:
            return None
        return {**found.prompt.detail(), "commit": found.commit}

    def render(self, ref: str, values: Mapping[str, Any],
               version: str | None = None) -> dict[str, Any]:
        found = self._version(ref, version)
        if found is None:
            raise PromptNotFound(f"no prompt {ref!r}")
        return render_with(found.prompt, found.renderer, values, found.commit)

    def search(self, query: str, *, tags: Sequence[str], collection: str | None,
               limit: int) -> list[dict[str, Any]]:
        entries = self.index.entries
        wanted = set(tags)
        under = collection.strip("/") + "/" if collection else None
        allowed = frozenset(
            i for i in self.ids_
            if (not wanted or wanted <= set(entries[i].summary.tags))
            and (under is None or (i + "/").startswith(under)))
        hits = self.index.search(query, limit=limit, allowed=allowed)
        return [{**entries[h.id].summary.summary(), "score": round(h.score, 4),
                 "snippet": h.snippet} for h in hits]

    def used(self, kind: str, prompt_id: str, version: str | None, *, ok: bool = True) -> None:
        self.state.record_usage(self.caller, prompt_id, version, "mcp", kind, ok=ok,
                                client_name=self.client)
        log.info("mcp %s %s", kind, prompt_id, extra={"fields": {
            "key": self.caller.name, "prompt": prompt_id, "version": version,
            "client": self.client, "ok": ok}})


class Views:
    """The visible ids of (commit, role view, channel), computed once per index."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, bool], tuple[str, ...]] = {}

    def ids(self, index: Index, caller: Caller, experimental: bool) -> tuple[str, ...]:
        view = "consumer" if caller.role == "consumer" else "all"
        key = (index.commit, view, experimental)
        found = self._ids.get(key)
        if found is None:
            ids = index.view(caller.role).ids
            entries = index.entries
            found = tuple(ids) if experimental or view == "consumer" else tuple(
                i for i in ids if entries[i].summary.channel == "stable")
            self._ids = {k: v for k, v in self._ids.items() if k[0] == index.commit}
            self._ids[key] = found
        return found


class Endpoint:
    """The ASGI app at ``/mcp``: checks, authenticates, then hands over to the SDK's session
    manager."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.views = Views()
        self.loopback = is_loopback(state.settings.host)
        # The MCP SDK is imported and started on the first request to /mcp: its import costs
        # about half a second, which a server's start then does not pay.
        self._sdk: _Sdk | None = None
        self._starting = asyncio.Lock()
        self._group: anyio.abc.TaskGroup | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app's lifespan: the MCP sessions, once started, live and end with it."""
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                yield
            finally:
                self._group = None
                group.cancel_scope.cancel()

    async def _started(self) -> _Sdk:
        if self._sdk is None:
            async with self._starting:
                if self._sdk is None:
                    if self._group is None:
                        raise ApiError(503, "not_ready", "the server is starting or stopping; "
                                       "retry in a few seconds", headers={"Retry-After": "1"})
                    sdk = await anyio.to_thread.run_sync(self._make_sdk)
                    await self._group.start(self._serve, sdk)
                    self._sdk = sdk
        return self._sdk

    def _make_sdk(self) -> _Sdk:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
        from mcp.server.transport_security import TransportSecuritySettings

        from promptctl.mcp import server as mcp_server

        notifier = mcp_server.Notifier()
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=self.loopback,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost",
                           "[::1]"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*",
                             "http://127.0.0.1", "http://localhost", "http://[::1]"])
        manager = StreamableHTTPSessionManager(app=mcp_server.build(self.catalogue, notifier),
                                               security_settings=security)
        return _Sdk(notifier, manager)

    async def _serve(self, sdk: _Sdk, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        async with sdk.manager.run(), anyio.create_task_group() as group:
            group.start_soon(sdk.notifier.watch, self._commit, WATCH_SECONDS)
            task_status.started()
            await anyio.sleep_forever()

    def _commit(self) -> str:
        index = self.state.index
        return index.commit if index is not None else ""

    def catalogue(self, ctx: Any) -> IndexCatalogue:
        """The catalogue of one MCP request: its caller's view of the current index."""
        request = ctx.request
        caller, experimental = request.scope[CALLER] if request is not None else (None, False)
        index = self.state.index
        if caller is None or index is None:  # the endpoint checked both; never served blind
            raise RuntimeError("an MCP request reached a handler without a caller or an index")
        params = ctx.session.client_params
        client = params.client_info.name if params is not None else None
        return IndexCatalogue(self.state, index, caller, experimental, client,
                              self.views.ids(index, caller, experimental))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            experimental = self._channel(scope)
            self._check_origin(scope)
            caller = self._authenticate(scope)
            if self.state.index is None:
                raise ApiError(503, "not_ready", "the index is still being built; retry in a "
                               "few seconds", headers={"Retry-After": "1"})
            sdk = await self._started()
        except ApiError as exc:
            await _answer(send, exc)
            return
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        scope[CALLER] = (caller, experimental)
        # The SDK binds a session to the principal that opened it: the key and the channel.
        channel = "experimental" if experimental else "stable"
        scope["user"] = AuthenticatedUser(AccessToken(token="", scopes=[],
                                                      client_id=f"{caller.name}#{channel}"))
        scope.setdefault("state", {})["key_name"] = caller.name
        session = _header(scope, b"mcp-session-id")
        if session and scope.get("method") == "DELETE":
            sdk.notifier.forget(f"http:{session}")
        elif session and scope.get("method") == "GET":  # the session's notification stream
            sdk.notifier.stream_opened(f"http:{session}")
        await sdk.manager.handle_request(scope, receive, send)

    def _channel(self, scope: Scope) -> bool:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        values = [*query.get("channel", []), *([_header(scope, b"x-prompt-channel")]
                                               if _header(scope, b"x-prompt-channel") else [])]
        for value in values:
            if value not in ("stable", "experimental"):
                raise ApiError(400, "invalid_request",
                               f"channel {value!r}: choose stable or experimental")
        return "experimental" in values

    def _check_origin(self, scope: Scope) -> None:
        """Off loopback the SDK's lists cannot know the server's public name: a browser's
        Origin must name the Host it talks to."""
        if self.loopback:
            return
        origin = _header(scope, b"origin")
        if origin and urlsplit(origin).netloc != _header(scope, b"host"):
            raise ApiError(403, "forbidden", "cross-origin requests to /mcp are refused")

    def _authenticate(self, scope: Scope) -> Caller:
        header = _header(scope, b"authorization")
        scheme, _sep, token = header.partition(" ")
        credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()) \
            if scheme.lower() == "bearer" and token.strip() else None
        caller = identify(self.state, credentials)
        bucket = caller.name if not self.state.settings.anonymous else (
            f"anonymous@{(scope.get('client') or ('-',))[0]}")
        wait = self.state.limiter.take(bucket)
        if wait:
            raise ApiError(429, "rate_limited", f"too many requests for this key; retry in "
                                                f"{wait} s", headers={"Retry-After": str(wait)})
        return caller


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


async def _answer(send: Send, exc: ApiError) -> None:
    body = json.dumps(error_body(exc.code, exc.message)).encode("utf-8")
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in (exc.headers or {}).items()]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class _Sdk:
    notifier: Any  # promptctl.mcp.server.Notifier
    manager: Any  # mcp's StreamableHTTPSessionManager


def mount(app: FastAPI, state: ServerState) -> Endpoint:
    """Answer MCP at ``/mcp`` on ``app``; run ``Endpoint.running()`` in the app's lifespan."""
    endpoint = Endpoint(state)
    app.router.routes.append(Route(PATH, endpoint=endpoint, methods=["GET", "POST", "DELETE"],
                                   include_in_schema=False))
    return endpoint
