"""The MCP server: the official SDK's low-level ``Server`` with our handlers, and the notifier
that tells connected clients when the prompts changed.

``build(pick, notifier)`` takes ``pick``, which gives the catalogue of one request (the caller's
view: the stdio server has one, the HTTP endpoint one per key and channel), so the same handlers
serve both transports. Catalogue calls run in a worker thread: rendering is bounded but not
instant, and the read API catalogue waits on the network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.server.session import ServerSession
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    PromptsListChanged,
    ResourcesListChanged,
)
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from promptctl import __version__
from promptctl.errors import PromptctlError, PromptNotFound
from promptctl.mcp import handshake, naming, prompts, skills, tools
from promptctl.mcp.catalogue import BadCursor, Catalogue

log = logging.getLogger("promptctl.mcp")

Context = ServerRequestContext[Any, Any]
Pick = Callable[[Context], Catalogue]
SKILLS_PAGE = 100
RESOURCES_PAGE = 100


class ListSkillsParams(types.PaginatedRequestParams):
    """``skills/list``: an optional cursor."""


class GetSkillParams(types.RequestParams):
    """``skills/get``: the URI of a skill's ``SKILL.md``."""

    uri: str


class Notifier:
    """Tells connected clients that the prompts (and so the skills) changed.

    Clients of the handshake protocol (up to 2025-11-25) receive
    ``notifications/prompts/list_changed`` and ``notifications/resources/list_changed`` on their
    connection's standalone channel (stdio, or the HTTP GET stream); clients of 2026-07-28
    receive them on their ``subscriptions/listen`` stream. ``watch`` polls a revision and
    calls ``changed`` when it moves.

    Over HTTP the standalone channel is a GET stream the client opens after ``initialize``; a
    notification sent before it is open is lost (no replay is kept), so a connection whose
    stream opens after the last notification it was sent is sent it again.
    """

    def __init__(self, max_sessions: int = 10_000) -> None:
        self.bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self.bus)
        self.max_sessions = max_sessions
        self._sessions: dict[str, ServerSession] = {}
        self._sent: dict[str, float] = {}  # when each connection was last notified
        self._opened: dict[str, float] = {}  # when its standalone stream last opened

    def remember(self, key: str, session: ServerSession) -> None:
        if key not in self._sessions and len(self._sessions) >= self.max_sessions:
            self.forget(next(iter(self._sessions)))  # the oldest goes first
        self._sessions[key] = session

    def forget(self, key: str) -> None:
        self._sessions.pop(key, None)
        self._sent.pop(key, None)
        self._opened.pop(key, None)

    def stream_opened(self, key: str) -> None:
        self._opened[key] = time.monotonic()

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    async def _notify(self, key: str, session: ServerSession) -> None:
        # Best effort: a closed channel drops the notification (the SDK never raises).
        self._sent[key] = time.monotonic()
        await session.send_prompt_list_changed()
        await session.send_resource_list_changed()

    async def changed(self) -> None:
        for key, session in list(self._sessions.items()):
            await self._notify(key, session)
        await self.bus.publish(PromptsListChanged())
        await self.bus.publish(ResourcesListChanged())

    async def _resend(self) -> None:
        for key, session in list(self._sessions.items()):
            sent = self._sent.get(key)
            if sent is not None and self._opened.get(key, 0.0) > sent:
                await self._notify(key, session)

    async def watch(self, revision: Callable[[], str], interval: float) -> None:
        """Forever: every ``interval`` seconds, ``changed`` if ``revision()`` moved."""
        last = await anyio.to_thread.run_sync(revision)
        while True:
            await anyio.sleep(interval)
            await self._resend()
            try:
                now = await anyio.to_thread.run_sync(revision)
            except Exception as exc:  # a source that fails now may answer next time
                log.warning("cannot check the prompts for changes: %s", exc)
                continue
            if now != last:
                last = now
                log.info("prompts changed (%s); telling %d client(s)", now, self.sessions)
                await self.changed()

    async def middleware(self, ctx: Context,
                         call_next: Callable[[Context], Awaitable[Any]]) -> Any:
        """Remember each handshake-era connection once it is initialized."""
        result = await call_next(ctx)
        if ctx.method == "notifications/initialized" \
                and ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            self.remember(connection_key(ctx), ctx.session)
        return result


def connection_key(ctx: Context) -> str:
    """The HTTP session id, or ``stdio`` for the one connection of a stdio server."""
    request = ctx.request
    headers = getattr(request, "headers", None)
    session_id = headers.get("mcp-session-id") if headers is not None else None
    return f"http:{session_id}" if session_id else "stdio"


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return await anyio.to_thread.run_sync(function, *args)
    except BadCursor as exc:
        raise MCPError(code=types.INVALID_PARAMS, message=exc.message) from None
    except PromptctlError as exc:  # the source failed (a repository, the read API): say why
        raise MCPError(code=types.INTERNAL_ERROR, message=str(exc)) from None


async def _quick(catalogue: Catalogue, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` on the event loop where the catalogue answers from memory (a thread
    hop costs more than the answer), else in a worker thread."""
    if catalogue.in_memory:
        try:
            return function(*args)
        except BadCursor as exc:
            raise MCPError(code=types.INVALID_PARAMS, message=exc.message) from None
        except PromptctlError as exc:
            raise MCPError(code=types.INTERNAL_ERROR, message=str(exc)) from None
    return await _run(function, *args)


def build(pick: Pick, notifier: Notifier) -> Server[Any]:
    """The low-level server over the catalogue ``pick`` gives each request."""

    async def list_prompts(ctx: Context, params: types.PaginatedRequestParams | None
                           ) -> types.ListPromptsResult:
        catalogue = pick(ctx)
        details, after = await _quick(catalogue, catalogue.listing,
                                      params.cursor if params else None, prompts.PAGE)
        return types.ListPromptsResult(prompts=[prompts.listed(d) for d in details],
                                       next_cursor=after)

    async def get_prompt(ctx: Context, params: types.GetPromptRequestParams
                         ) -> types.GetPromptResult:
        result: types.GetPromptResult = await _run(prompts.get, pick(ctx), params.name,
                                                   params.arguments or {})
        return result

    async def complete(ctx: Context, params: types.CompleteRequestParams
                       ) -> types.CompleteResult:
        catalogue = pick(ctx)
        completion = await _quick(catalogue, prompts.complete, catalogue, params.ref,
                                  params.argument.name, params.argument.value)
        return types.CompleteResult(completion=completion)

    async def list_tools(ctx: Context, params: types.PaginatedRequestParams | None
                         ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools.listed())

    async def call_tool(ctx: Context, params: types.CallToolRequestParams
                        ) -> types.CallToolResult:
        result: types.CallToolResult = await _run(tools.call, pick(ctx), params.name,
                                                  params.arguments)
        return result

    async def list_resources(ctx: Context, params: types.PaginatedRequestParams | None
                             ) -> types.ListResourcesResult:
        catalogue = pick(ctx)
        details, after = await _run(catalogue.page, params.cursor if params else None,
                                    RESOURCES_PAGE)
        listed = []
        for detail in details:
            skill = skills.skill_for(detail)
            listed.append(types.Resource(
                uri=skill.uri, name=skill.frontmatter["name"], title=str(detail["title"]),
                description=skill.frontmatter["description"], mime_type=skills.MIME,
                size=len(skill.data)))
        return types.ListResourcesResult(resources=listed, next_cursor=after)

    async def list_templates(ctx: Context, params: types.PaginatedRequestParams | None
                             ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[types.ResourceTemplate(
            uri_template=prompts.PROMPT_TEMPLATE, name="prompt", title="A prompt by id",
            description="A prompt's detail (templates, inputs, version, commit) as JSON; "
                        "completion offers the ids.", mime_type="application/json")])

    async def read_resource(ctx: Context, params: types.ReadResourceRequestParams
                            ) -> types.ReadResourceResult:
        catalogue = pick(ctx)
        uri = str(params.uri)
        if uri.startswith("prompt://"):
            detail = await _run(catalogue.get, uri[len("prompt://"):])
            if detail is None:
                raise _no_resource(uri)
            return types.ReadResourceResult(contents=[types.TextResourceContents(
                uri=uri, mime_type="application/json",
                text=_json(detail))])
        skill = await _run(find_skill, catalogue, uri)
        if skill is None:
            raise _no_resource(uri)
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=skill.uri, mime_type=skills.MIME, text=skill.text)])

    async def list_skills(ctx: Context, params: ListSkillsParams) -> dict[str, Any]:
        catalogue = pick(ctx)
        details, after = await _run(catalogue.page, params.cursor, SKILLS_PAGE)
        answer: dict[str, Any] = {"resultType": "complete",
                                  "skills": [skills.skill_for(d).entry() for d in details],
                                  "ttlMs": 0, "cacheScope": "private"}
        if after:
            answer["nextCursor"] = after
        return answer

    async def get_skill(ctx: Context, params: GetSkillParams) -> dict[str, Any]:
        skill = await _run(find_skill, pick(ctx), params.uri)
        if skill is None:
            raise MCPError(code=types.INVALID_PARAMS,
                           message=f"No skill is served at {params.uri}; skills/list names them")
        return {"resultType": "complete", "skill": skill.entry(), "ttlMs": 0,
                "cacheScope": "private"}

    server: Server[Any] = _Server(
        handshake.SERVER_NAME, version=__version__, title=handshake.SERVER_TITLE,
        instructions=handshake.INSTRUCTIONS,
        on_list_prompts=list_prompts, on_get_prompt=get_prompt, on_completion=complete,
        on_list_tools=list_tools, on_call_tool=call_tool,
        on_list_resources=list_resources, on_list_resource_templates=list_templates,
        on_read_resource=read_resource, on_subscriptions_listen=notifier.listen)
    server.add_request_handler("skills/list", ListSkillsParams, list_skills)
    server.add_request_handler("skills/get", GetSkillParams, get_skill)
    server.extensions = {handshake.SKILLS_EXTENSION: {}}
    server.middleware.append(notifier.middleware)
    return server


class _Server(Server[Any]):
    """The SDK's server, declaring what this one does on every transport: change notifications
    for prompts and resources, and the skills extension (under ``experimental`` too, the only
    place a handshake-era (2025-11-25) answer can carry it)."""

    def create_initialization_options(
        self, notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(prompts_changed=True,
                                                        resources_changed=True),
            experimental_capabilities or {handshake.SKILLS_EXTENSION: {}}, extensions)


def initialization_options(server: Server[Any]) -> InitializationOptions:
    return server.create_initialization_options()


def find_skill(catalogue: Catalogue, uri: str) -> skills.Skill | None:
    """The skill at ``uri``, or None (also for one the caller may not see)."""
    path = naming.parse_skill_uri(uri)
    if path is None:
        return None
    try:
        detail = catalogue.get(path)
    except PromptNotFound:
        detail = None
    if detail is None or detail["id"] != path or naming.skill_path(path) != path:
        head = path.rpartition("/")[0]
        detail = None
        for prompt_id in catalogue.ids(head + "/" if head else "", 10_000):
            if naming.skill_path(prompt_id) == path:
                detail = catalogue.get(prompt_id)
                break
    return None if detail is None else skills.skill_for(detail)


def _no_resource(uri: str) -> MCPError:
    return MCPError(code=types.INVALID_PARAMS,
                    message=f"no resource {uri}; resources/list and skills/list name them")


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, indent=1)
