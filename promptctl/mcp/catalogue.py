"""What an MCP server serves: one small interface over three sources.

- ``LibraryCatalogue``: a library loaded from a work tree or a commit (``promptctl mcp``);
- ``ApiCatalogue``: the read API of a running server (``promptctl mcp --server URL``), so that a
  laptop agent sees exactly what the company server serves to its key;
- the server's own index (``server/mcp.py``), for ``/mcp`` on ``promptctl serve``.

A catalogue speaks in the read API's JSON shapes: a prompt is its ``detail`` (the ``show --json``
shape) plus ``commit``; a rendering is ``{id, version, commit, messages, text}``. What a caller
may not see is simply absent: ``get`` answers None, as for an id that does not exist.

Visibility is the caller's role (the server's rule, handed in) narrowed to the ``stable``
channel unless the caller opted in to ``experimental``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from promptctl import cursor as cursor_module
from promptctl import inputs as inputs_module
from promptctl.errors import InputError, PromptNotFound, RenderError, UsageError
from promptctl.model import Prompt
from promptctl.render import Renderer

CHANNELS = ("stable", "experimental")


class Catalogue(Protocol):
    """The prompts one caller may see, and what they may do with them."""

    # True where page, ids and get (without a version) answer from memory, at once: the
    # server then answers them on its event loop instead of handing them to a thread.
    in_memory: bool

    def revision(self) -> str:
        """Changes whenever what is served may have changed (a commit id, a file stamp)."""
        ...

    def page(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """Details of the visible prompts in id order after ``cursor``, and the next cursor.
        ``BadCursor`` for a cursor this catalogue did not give."""
        ...

    def listing(self, cursor: str | None,
                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """As ``page``, where only each prompt's summary and ``inputs`` are needed
        (``prompts/list``): a catalogue that holds summaries answers without loading prompts."""
        ...

    def ids(self, prefix: str, limit: int) -> list[str]:
        """Visible ids (and nothing else) starting with ``prefix``, in order."""
        ...

    def get(self, ref: str, version: str | None = None) -> dict[str, Any] | None:
        """The detail of an id or alias (at ``version``), with ``commit``; None where it does
        not exist or may not be seen. ``PromptNotFound`` for a version that does not exist."""
        ...

    def render(self, ref: str, values: Mapping[str, Any],
               version: str | None = None) -> dict[str, Any]:
        """Render with typed values (defaults applied and validated here). ``PromptNotFound``,
        ``InputError`` (naming each input), ``RenderError``."""
        ...

    def search(self, query: str, *, tags: Sequence[str], collection: str | None,
               limit: int) -> list[dict[str, Any]]:
        """Ranked hits: the summary of each prompt with ``score`` and ``snippet``."""
        ...

    def used(self, kind: str, prompt_id: str, version: str | None, *, ok: bool = True) -> None:
        """A prompt was fetched (``get``) or rendered (``render``) through MCP; ``ok`` False
        for a render that failed (bad inputs, a template error)."""
        ...


class BadCursor(UsageError):
    """A pagination cursor that this server did not hand out."""


def decode_cursor(cursor: str) -> str:
    last = cursor_module.decode(cursor)
    if last is None:
        raise BadCursor("invalid cursor: pass the nextCursor of the previous page unchanged")
    return last


def on_channel(channel: str, experimental: bool) -> bool:
    """Stable prompts for everyone; experimental ones only for a caller who opted in."""
    return experimental or channel == "stable"


def render_with(prompt: Prompt, renderer: Renderer, values: Mapping[str, Any],
                commit: str | None) -> dict[str, Any]:
    """The rendering every catalogue returns: inputs resolved by their schemas, then rendered
    in the sandbox (``inputs.resolve`` and ``Renderer.render``, as ``:render`` does)."""
    resolved = inputs_module.resolve(prompt, values)
    rendered = renderer.render(prompt, resolved)
    return {"id": prompt.id, "version": prompt.version, "commit": commit, **rendered.as_dict()}


def page_of(ids: Sequence[str], cursor: str | None, limit: int) -> tuple[Sequence[str], str | None]:
    """One page of sorted ``ids`` after ``cursor``: the ids, and the cursor of the next page."""
    start = bisect.bisect_right(ids, decode_cursor(cursor)) if cursor else 0
    chosen = ids[start:start + limit]
    more = start + limit < len(ids)
    return chosen, cursor_module.encode(chosen[-1]) if more and chosen else None


def prefixed(ids: Sequence[str], prefix: str, limit: int) -> list[str]:
    start = bisect.bisect_left(ids, prefix)
    found: list[str] = []
    for prompt_id in ids[start:]:
        if not prompt_id.startswith(prefix) or len(found) >= limit:
            break
        found.append(prompt_id)
    return found


@dataclass
class LibraryCatalogue:
    """A loaded library: a work tree (``commit`` None) or one commit. ``visible`` is the
    caller's rule; prompts with errors are not served. A version pin is read from the history
    of ``git_ref`` in ``root`` (as ``promptctl render ID@VERSION`` does)."""

    library: Any  # promptctl.library.Library; Any keeps this module's imports light
    visible: Callable[[Prompt], bool]
    commit: str | None
    stamp: str
    root: Path | None = None
    git_ref: str = "HEAD"
    in_memory: bool = True
    _ids: list[str] = field(init=False)
    _search: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        library = self.library
        self._ids = sorted(prompt_id for prompt_id, prompt in library.prompts.items()
                           if self.visible(prompt) and not library.errors_for(prompt.path))

    def revision(self) -> str:
        return self.stamp

    def _prompt(self, ref: str) -> Prompt | None:
        prompt_id = self.library.aliases.get(ref, ref)
        index = bisect.bisect_left(self._ids, prompt_id)
        if index == len(self._ids) or self._ids[index] != prompt_id:
            return None
        prompt: Prompt = self.library.prompts[prompt_id]
        return prompt

    def _detail(self, prompt: Prompt) -> dict[str, Any]:
        return {**prompt.detail(), "commit": self.commit}

    def page(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        chosen, after = page_of(self._ids, cursor, limit)
        return [self._detail(self.library.prompts[i]) for i in chosen], after

    def listing(self, cursor: str | None,
                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        return self.page(cursor, limit)

    def ids(self, prefix: str, limit: int) -> list[str]:
        return prefixed(self._ids, prefix, limit)

    def _at(self, ref: str, version: str | None) -> tuple[Prompt, Renderer, str | None] | None:
        prompt = self._prompt(ref)
        if prompt is None:
            return None
        if version is None:
            return prompt, self.library.renderer, self.commit
        if self.root is None:
            raise PromptNotFound(f"{prompt.id}@{version}: no Git history to read versions from")
        from promptctl.history import resolve_in_repo

        resolved = resolve_in_repo(self.root, f"{prompt.id}@{version}", git_ref=self.git_ref)
        if not self.visible(resolved.prompt):  # hidden at that version: as if it did not exist
            raise PromptNotFound(f"{prompt.id}@{version}: no such version")
        return resolved.prompt, resolved.library.renderer, resolved.commit

    def get(self, ref: str, version: str | None = None) -> dict[str, Any] | None:
        found = self._at(ref, version)
        if found is None:
            return None
        prompt, _renderer, commit = found
        return {**prompt.detail(), "commit": commit}

    def render(self, ref: str, values: Mapping[str, Any],
               version: str | None = None) -> dict[str, Any]:
        found = self._at(ref, version)
        if found is None:
            raise PromptNotFound(f"no prompt {ref!r}")
        prompt, renderer, commit = found
        return render_with(prompt, renderer, values, commit)

    def search(self, query: str, *, tags: Sequence[str], collection: str | None,
               limit: int) -> list[dict[str, Any]]:
        if self._search is None:
            from promptctl.search import SearchIndex

            self._search = SearchIndex()
            self._search.add(self.library.prompts[i] for i in self._ids)
        allowed = {i for i in self._ids if _matches(self.library.prompts[i], tags, collection)}
        hits = self._search.search(query, limit=limit, allowed=allowed)
        return [{**self.library.prompts[h.id].summary(), "score": round(h.score, 4),
                 "snippet": h.snippet} for h in hits]

    def used(self, kind: str, prompt_id: str, version: str | None, *, ok: bool = True) -> None:
        """A local server keeps no usage log."""


def _matches(prompt: Prompt, tags: Sequence[str], collection: str | None) -> bool:
    if tags and not set(tags) <= set(prompt.tags):
        return False
    return not collection or (prompt.id + "/").startswith(collection.strip("/") + "/")


class ApiError(UsageError):
    """The read API refused or failed a request; the message says why and what to do."""


MAX_DETAILS = 1024  # details an ApiCatalogue keeps for its current revision


@dataclass
class ApiCatalogue:
    """The read API of ``url`` with one key: the server applies the key's role, this adds the
    channel rule. Renders are done by the server (so they count in its usage log)."""

    url: str
    key: str | None
    experimental: bool
    client: Any = None  # httpx.Client
    in_memory: bool = False
    _revision: str = ""
    # Details read at this revision, by (ref, version): an MCP prompts/get reads the detail
    # (for its inputs' types), then renders; asked again, it is not read (nor counted) again.
    _details: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import httpx

        headers = {"X-Client-Type": "mcp", "User-Agent": "promptctl-mcp"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        self.client = httpx.Client(base_url=self.url.rstrip("/"), headers=headers, timeout=30)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            answer = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach the read API at {self.url}: {exc}; check --server "
                           "and that the server runs") from None
        if answer.status_code == 404:
            return None
        body = _json(answer)
        if answer.status_code == 422 and isinstance(body.get("error"), dict):
            error = body["error"]
            fields = error.get("fields") or {}
            if error.get("code") == "invalid_inputs":
                raise InputError(str(error.get("message")), dict(fields))
            if error.get("code") in ("render_failed", "render_limit_exceeded"):
                raise RenderError(str(error.get("message")))
            raise UsageError(str(error.get("message")))
        if answer.status_code == 401:
            raise ApiError(f"the read API at {self.url} refused the key (401): pass a valid key "
                           "in the variable named by --key-env")
        if answer.status_code >= 400:
            message = body.get("error", {}).get("message") if isinstance(body.get("error"),
                                                                          dict) else None
            raise ApiError(f"the read API at {self.url} answered {answer.status_code}: "
                           f"{message or answer.text[:200]}")
        return body

    def revision(self) -> str:
        """The commit the server indexes (``/readyz``, which needs no key)."""
        import httpx

        try:
            answer = self.client.get("/readyz")
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach the read API at {self.url}: {exc}; check --server "
                           "and that the server runs") from None
        commit = _json(answer).get("commit")
        if commit and str(commit) != self._revision:
            self._revision = str(commit)
            self._details = {}
        return self._revision

    def listing(self, cursor: str | None,
                limit: int) -> tuple[list[dict[str, Any]], str | None]:
        return self.page(cursor, limit)

    def page(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the list API with each prompt's inputs (MCP arguments) and templates
        (``detail=true``): one request a page, and no usage event for prompts only listed."""
        params: dict[str, Any] = {"limit": min(limit, 200), "detail": "true"}
        if cursor:
            params["cursor"] = cursor
        if not self.experimental:
            params["channel"] = "stable"
        body = self._call("GET", "/api/v1/prompts", params=params)
        if body is None:
            raise BadCursor("invalid cursor: pass the nextCursor of the previous page unchanged")
        return list(body["items"]), body.get("next_cursor")

    def ids(self, prefix: str, limit: int) -> list[str]:
        params: dict[str, Any] = {"limit": min(limit, 100)}
        if not self.experimental:
            params["channel"] = "stable"
        if "/" in prefix.rstrip("/"):
            params["collection"] = prefix.rsplit("/", 1)[0]
        body = self._call("GET", "/api/v1/prompts", params=params) or {"items": []}
        found = [item["id"] for item in body["items"] if item["id"].startswith(prefix)]
        return found[:limit]

    def get(self, ref: str, version: str | None = None) -> dict[str, Any] | None:
        detail = self._details.get((ref, version))
        if detail is None:
            params = {"version": version} if version else {}
            detail = self._call("GET", f"/api/v1/prompts/{ref}", params=params)
            if detail is None:
                return None
            if len(self._details) >= MAX_DETAILS:
                self._details = {}
            self._details[(ref, version)] = detail
        if not on_channel(detail["channel"], self.experimental):
            return None
        return dict(detail)

    def render(self, ref: str, values: Mapping[str, Any],
               version: str | None = None) -> dict[str, Any]:
        if self.get(ref, version) is None:  # the channel rule, before the server renders
            raise PromptNotFound(f"no prompt {ref!r}")
        body: dict[str, Any] = {"inputs": dict(values)}
        if version:
            body["version"] = version
        rendered = self._call("POST", f"/api/v1/prompts/{ref}:render", json=body)
        if rendered is None:
            raise PromptNotFound(f"no prompt {ref!r}")
        return dict(rendered)

    def search(self, query: str, *, tags: Sequence[str], collection: str | None,
               limit: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"q": query, "limit": min(limit, 100)}
        if tags:
            params["tag"] = list(tags)
        if collection:
            params["collection"] = collection
        if not self.experimental:
            params["channel"] = "stable"
        body = self._call("GET", "/api/v1/search", params=params) or {"hits": []}
        return list(body["hits"])

    def used(self, kind: str, prompt_id: str, version: str | None, *, ok: bool = True) -> None:
        """The read API counts the gets and renders it answers itself."""


def _json(answer: Any) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
