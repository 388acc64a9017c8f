"""``mcp``: the prompts as a Model Context Protocol server over stdio, for coding agents."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from promptctl.cli.completion import choices
from promptctl.cli.help import command
from promptctl.cli.options import RepoOption


def register(app: typer.Typer) -> None:
    command(app, "mcp")(mcp)


def mcp(
    repo: RepoOption = None,
    ref: Annotated[str | None, typer.Option(
        "--ref", help="Serve this branch (or ref) of the repository instead of the work tree; "
                      "new commits on it are picked up.")] = None,
    server: Annotated[str | None, typer.Option(
        "--server", metavar="URL", help="Serve what the read API at URL serves to your key, "
                                        "instead of a local repository.")] = None,
    key_env: Annotated[str | None, typer.Option(
        "--key-env", metavar="NAME", help="Environment variable holding the API key for "
                                          "--server.")] = None,
    channel: Annotated[str, typer.Option(
        "--channel", metavar="[stable|experimental]",
        autocompletion=choices("stable", "experimental"),
        help="stable: approved prompts only (active, stable channel). experimental: also the "
             "experimental channel, and, from a local repository, drafts (what a "
             "contributor sees); with --server, only if your key's role allows it.")] = "stable",
    poll: Annotated[float, typer.Option(
        "--poll", metavar="SECONDS", min=0,
        help="Seconds between checks for changed prompts; clients are told when they change "
             "(0: never).")] = 2.0,
) -> None:
    """Serve the prompts to an agent over MCP (stdio): prompts, tools and skills.

    The agent starts this command itself; see docs/mcp.md for Codex, Claude Code and VS Code.

    Examples:
        promptctl mcp --repo ~/prompts
        promptctl mcp --server https://prompts.example.com --key-env PROMPTS_KEY
        claude mcp add prompts -- promptctl mcp --repo ~/prompts
    """
    from promptctl.errors import UsageError
    from promptctl.filters import check_choices
    from promptctl.mcp.stdio import serve

    check_choices(channel=channel)
    experimental = channel == "experimental"
    if server is not None:
        if repo is not None or ref is not None:
            raise UsageError("--server serves the read API's prompts: leave out --repo and "
                             "--ref, or leave out --server to serve a local repository")
        holder = _remote(server, _key(key_env), experimental)
    else:
        if key_env is not None:
            raise UsageError("--key-env is the key for --server; a local repository needs none")
        holder = _local(repo, ref, experimental)
    serve(holder, poll_seconds=poll)


def _key(key_env: str | None) -> str | None:
    from promptctl.errors import UsageError

    if key_env is None:
        return None
    key = os.environ.get(key_env, "").strip()
    if not key:
        raise UsageError(f"--key-env {key_env}: that environment variable is empty or unset; "
                         "export your API key in it (an admin creates one with `promptctl keys "
                         "add`)")
    return key


def _remote(url: str, key: str | None, experimental: bool) -> Any:
    from promptctl.errors import UsageError
    from promptctl.mcp.stdio import Holder

    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--server {url}: give the read API's base URL, e.g. "
                         "https://prompts.example.com")
    made: list[Any] = []  # the client, made in the loading thread (its imports are not light)

    def catalogue() -> Any:
        if not made:
            from promptctl.mcp.catalogue import ApiCatalogue

            made.append(ApiCatalogue(url, key, experimental))
        return made[0]

    def close() -> None:
        if made:
            made[0].close()

    return Holder(stamp=lambda: str(catalogue().revision()), load=lambda _stamp: catalogue(),
                  close=close)


def _local(repo: Path | None, ref: str | None, experimental: bool) -> Any:
    from promptctl.mcp.stdio import Holder
    from promptctl.repository import resolve_root

    root = resolve_root(repo)
    if ref is not None:
        return _indexed(root, ref, experimental)

    def load(now: str) -> Any:
        from promptctl.library import Library
        from promptctl.mcp.catalogue import LibraryCatalogue, on_channel
        from server.auth import Role, may_see

        role: Role = "contributor" if experimental else "consumer"
        return LibraryCatalogue(
            Library.from_work_tree(root),
            lambda p: may_see(role, p) and on_channel(p.channel, experimental),
            commit=None, stamp=now, root=root)

    return Holder(stamp=lambda: _tree_stamp(root), load=load)


def _indexed(root: Path, ref: str, experimental: bool) -> Any:
    """A branch is served by the read API's own index of it, kept on disk between runs (the
    directory ``promptctl serve`` keeps for the same repository and ref), so that a large
    library is listed quickly; the index follows the branch's new commits."""
    from promptctl.cli.serving import _default_index_cache
    from promptctl.mcp.stdio import Holder
    from promptctl.sources import GitTreeSource

    GitTreeSource(root, ref)  # an unknown ref is refused now, with its message
    state: Any = None
    views: Any = None
    caller: Any = None

    def stamp() -> str:
        nonlocal state, views, caller
        if state is None:
            from server.auth import Caller
            from server.mcp import Views
            from server.settings import Settings
            from server.state import ServerState

            settings = Settings(repo=root, ref=ref, poll_seconds=1.0,
                                index_cache=_default_index_cache(root, ref))
            state = ServerState.build(settings)
            state.start()
            views = Views()
            caller = Caller("local", "contributor" if experimental else "consumer", None)
            state.reloader.request_refresh().result(timeout=600)
        index = state.index
        if index is None:
            from promptctl.errors import RepositoryError

            raise RepositoryError(f"{ref} of {root} could not be indexed: "
                                  f"{state.reloader.repo_error or state.reloader.reload_error}")
        return str(index.commit)

    def load(_now: str) -> Any:
        from server.mcp import IndexCatalogue

        index = state.index
        return IndexCatalogue(state, index, caller, experimental, None,
                              views.ids(index, caller, experimental))

    def close() -> None:
        if state is not None:
            state.stop()

    return Holder(stamp=stamp, load=load, close=close)


def _tree_stamp(root: Path) -> str:
    """Every file under prompts/ (and promptctl.yaml) by path, size and modification time:
    changes when a file is added, removed or saved."""
    digest = hashlib.sha256()
    stack = [root / "prompts"]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
                continue
            info = entry.stat(follow_symlinks=False)
            digest.update(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    config = root / "promptctl.yaml"
    if config.exists():
        info = config.stat()
        digest.update(f"config\0{info.st_size}\0{info.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
