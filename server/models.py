"""Request and response models of the read API: the OpenAPI document that clients are generated
from. Every model carries an example."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_COMMIT = "3f1c9a2e5b7d4c6a8e0f1b2d3c4e5f6a7b8c9d0e"


def _example(**example: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


_SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": "engineering/python-code-review",
    "title": "Python code review",
    "description": "Review a Python diff for bugs, style and tests.",
    "version": "1.2.0",
    "status": "active",
    "scope": "team",
    "channel": "stable",
    "tags": ["python", "review"],
    "owners": ["@acme/platform-eng"],
    "collection": "engineering",
    "aliases": ["py-review"],
    "path": "prompts/engineering/python-code-review.prompt.md",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, invalid_inputs.")
    message: str = Field(description="What went wrong and what to do next.")
    fields: dict[str, str] | None = Field(
        default=None, description="Input or parameter name -> what is wrong with it (422 only).")


class ErrorResponse(BaseModel):
    model_config = _example(error={"code": "not_found",
                                   "message": "no prompt 'x/y'; list what you can see with GET "
                                              "/api/v1/prompts"})
    error: ErrorDetail


class PromptSummary(BaseModel):
    model_config = _example(**_SUMMARY_EXAMPLE)
    id: str
    title: str
    description: str
    version: str
    status: str
    scope: str
    channel: str
    tags: list[str]
    owners: list[str]
    collection: str
    aliases: list[str]
    path: str


class Message(BaseModel):
    role: str
    content: str


class PromptListItem(PromptSummary):
    model_config = _example(**_SUMMARY_EXAMPLE)
    inputs: dict[str, dict[str, Any]] | None = Field(default=None, description=(
        "With `detail=true` only: the inputs, as in the prompt's detail."))
    messages: list[Message] | None = Field(default=None, description=(
        "With `detail=true` only: the message templates, as in the prompt's detail."))


class PromptList(BaseModel):
    model_config = _example(items=[_SUMMARY_EXAMPLE], next_cursor="ZW5naW5lZXJpbmcvcHl0aG9u")
    items: list[PromptListItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at "
                                                "the end.")


class RenderLimits(BaseModel):
    model_config = _example(max_output_bytes=1048576, timeout_seconds=2.0)
    max_output_bytes: int = Field(description="Rendered output bound of that commit's "
                                              "promptctl.yaml.")
    timeout_seconds: float = Field(description="Render time bound of that commit's "
                                               "promptctl.yaml.")


class PromptDetail(PromptSummary):
    model_config = _example(**_SUMMARY_EXAMPLE, replaced_by=None, form="md",
                            inputs={"diff": {"type": "string", "required": True}},
                            model={"name": "gpt-4.1", "temperature": 0.2},
                            messages=[{"role": "user", "content": "Review this diff:\n{{ diff }}"}],
                            tests=[], commit=_COMMIT,
                            source="---\ntitle: Python code review\n...\n---\nReview this "
                                   "diff:\n{{ diff }}\n",
                            digest="9f2c5e0a" * 8, partials={},
                            limits={"max_output_bytes": 1048576, "timeout_seconds": 2.0})
    replaced_by: str | None
    form: str
    inputs: dict[str, dict[str, Any]]
    model: dict[str, Any]
    messages: list[Message]
    tests: list[dict[str, Any]]
    commit: str = Field(description="The commit this version was read from.")
    source: str = Field(description="The prompt file as committed (UTF-8 text, no BOM).")
    digest: str = Field(description="SHA-256 (hex) of the prompt file's bytes.")
    partials: dict[str, str] = Field(description=(
        "The partials its templates include, directly or through another partial: path under "
        "prompts/ -> text, at the same commit. With `source` and `limits`, a client renders "
        "exactly as `:render` does."))
    limits: RenderLimits


class VersionItem(BaseModel):
    version: str
    status: str
    commit: str
    author: str
    date: str
    message: str


class VersionList(BaseModel):
    model_config = _example(id="engineering/python-code-review", versions=[
        {"version": "1.2.0", "status": "active", "commit": _COMMIT, "author": "Priya R",
         "date": "2026-01-05T10:12:00+01:00", "message": "Ask for tests in every review"}])
    id: str
    versions: list[VersionItem] = Field(description="Oldest first.")


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"inputs": {"diff": "-a\n+b"}, "version": "1"}]})
    inputs: dict[str, Any] = Field(default_factory=dict)
    version: str | None = Field(default=None, max_length=100,
                                description="1.2.3, 1.2, 1 or a commit id.")


class RenderResponse(BaseModel):
    model_config = _example(messages=[{"role": "user", "content": "Review this diff:\n-a\n+b"}],
                            text="Review this diff:\n-a\n+b",
                            id="engineering/python-code-review", version="1.2.0", commit=_COMMIT)
    messages: list[Message]
    text: str
    id: str
    version: str
    commit: str


class SearchHit(PromptSummary):
    model_config = _example(**_SUMMARY_EXAMPLE, score=7.41,
                            snippet="[Python] code [review] of a diff...")
    score: float
    snippet: str = Field(description="Matched words in [brackets].")


class SearchResponse(BaseModel):
    model_config = _example(query="python rev", hits=[{**_SUMMARY_EXAMPLE, "score": 7.41,
                                                       "snippet": "[Python] code [review]..."}])
    query: str
    hits: list[SearchHit]


class Count(BaseModel):
    name: str
    count: int


class TagList(BaseModel):
    model_config = _example(tags=[{"name": "python", "count": 4}])
    tags: list[Count]


class CollectionList(BaseModel):
    model_config = _example(collections=[{"name": "engineering", "count": 12}])
    collections: list[Count]


class UsageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"prompt": "engineering/python-code-review", "version": "1.2.0",
                      "client_type": "desktop"}]})
    prompt: str = Field(max_length=500)
    version: str | None = Field(default=None, max_length=100)
    client_type: str | None = Field(default=None, max_length=50, description=(
        "desktop, web, codex, cli, mcp, sdk or other; defaults to the X-Client-Type header"))


class UsageAccepted(BaseModel):
    model_config = _example(accepted=True)
    accepted: bool = Field(description=(
        "True: the event is committed to the usage database. False: this server does not "
        "record usage (started without a usage database)."))


class PromptCount(BaseModel):
    prompt_id: str
    count: int


class TeamCount(BaseModel):
    team: str
    count: int


class ClientTypeCount(BaseModel):
    client_type: str
    count: int


class RenderErrorRate(BaseModel):
    prompt_id: str
    renders: int
    errors: int
    error_rate: float


class ClientCount(BaseModel):
    client_type: str
    client_name: str = Field(description="The name the client gave itself (MCP's clientInfo).")
    count: int


class UsageSummary(BaseModel):
    model_config = _example(since=1767225600.0, total=42,
                            top_prompts=[{"prompt_id": "engineering/commit-message", "count": 30}],
                            per_team=[{"team": "platform", "count": 40}],
                            per_client_type=[{"client_type": "desktop", "count": 25}],
                            per_client=[{"client_type": "mcp", "client_name": "codex-mcp-client",
                                         "count": 12}],
                            render_error_rates=[{"prompt_id": "engineering/commit-message",
                                                 "renders": 20, "errors": 1,
                                                 "error_rate": 0.05}])
    since: float | None
    total: int
    top_prompts: list[PromptCount]
    per_team: list[TeamCount]
    per_client_type: list[ClientTypeCount]
    per_client: list[ClientCount] = Field(description=(
        "Events by client type and the client's own name, for clients that give one (MCP)."))
    render_error_rates: list[RenderErrorRate]


class Me(BaseModel):
    model_config = _example(name="alice", role="contributor", team="platform")
    name: str = Field(description='The key\'s name; "anonymous" where the server needs no key.')
    role: str = Field(description="consumer, contributor or admin: what this caller may see.")
    team: str | None


class RefreshResult(BaseModel):
    model_config = _example(commit=_COMMIT, changed=True, error=None, pending=False)
    commit: str | None = Field(description="The indexed commit after the check.")
    changed: bool = Field(description="Whether a new index was swapped in.")
    error: str | None
    pending: bool = Field(description="True when the check did not finish in time (202).")


class Health(BaseModel):
    model_config = _example(status="ok")
    status: str


class ProblemOut(BaseModel):
    line: int
    col: int
    code: str
    message: str


class PromptErrorOut(BaseModel):
    path: str
    id: str | None
    serving_version: str | None = Field(description="The last good version still served, if "
                                                    "any.")
    serving_commit: str | None
    problems: list[ProblemOut]


_ADMIN_ONLY = ("; its text, which names the server's files, to an admin key only: others read "
               "a generic reason (the text is in the server's log)")


class UsageStatus(BaseModel):
    healthy: bool
    last_error: str | None = Field(description="The last failed write" + _ADMIN_ONLY + ".")
    written: int
    dropped: int
    failed: int


class IndexCacheStatus(BaseModel):
    model_config = _example(saved_commit=_COMMIT, last_error=None)
    saved_commit: str | None = Field(description=(
        "The commit whose parsed prompts are on disk for the next start; null until the first "
        "index is written (just after start, in the background)."))
    last_error: str | None = Field(description="The last failed write" + _ADMIN_ONLY + ".")


class Ready(BaseModel):
    model_config = _example(status="ready", commit=_COMMIT, ref="main",
                            built_at=1767225600.0, age_seconds=4.2, prompts=118,
                            repo_error=None, reload_error=None, fetch_error=None,
                            prompt_errors=[], usage=None,
                            index_cache={"saved_commit": _COMMIT, "last_error": None})
    status: str = Field(description="ready, or not_ready (503) while no index is built or the "
                                    "repository is unreadable.")
    commit: str | None
    ref: str
    built_at: float | None
    age_seconds: float | None
    prompts: int
    repo_error: str | None = Field(description=(
        "Why the repository cannot be read (503)" + _ADMIN_ONLY + "."))
    reload_error: str | None = Field(description=(
        "Why the ref's newest commit could not be indexed; the last index keeps serving."))
    fetch_error: str | None = Field(description="Why `git fetch` failed" + _ADMIN_ONLY + ".")
    prompt_errors: list[PromptErrorOut] = Field(description=(
        "Files invalid on the branch that this caller may know of."))
    usage: UsageStatus | None
    index_cache: IndexCacheStatus | None = Field(description=(
        "The directory kept between runs (serve --index-cache); null when there is none."))
