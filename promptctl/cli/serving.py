"""``serve`` (the read API under uvicorn), ``keys add`` and ``openapi``."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from promptctl.cli.completion import choices
from promptctl.cli.help import Group, command
from promptctl.cli.options import JsonOption, RepoOption

DEFAULT_KEYS_FILE = Path("promptctl-keys.yaml")
KEYS_HELP = """API keys of the read API (stored hashed).

A running `promptctl serve --keys FILE` picks up keys added and revoked here from its next
request, without a restart.

Examples:
    promptctl keys add desktop-app --role consumer --team design --keys keys.yaml
    promptctl keys list --keys keys.yaml
    promptctl keys revoke desktop-app --keys keys.yaml
"""
KeysFileOption = Annotated[Path, typer.Option("--keys", metavar="FILE", dir_okay=False,
                                              help="The keys file.")]


def register(app: typer.Typer) -> None:
    command(app, "serve")(serve)
    command(app, "openapi")(openapi)
    keys = typer.Typer(name="keys", help=KEYS_HELP, no_args_is_help=True, cls=Group)
    command(keys, "add")(keys_add)
    command(keys, "list")(keys_list)
    command(keys, "revoke")(keys_revoke)
    app.add_typer(keys)


def _default_usage_db() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "promptctl" / "usage.sqlite3"


def _default_search_workers() -> int:
    """One search process per core beside the server's, up to four."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _default_index_cache(repo: Path, ref: str) -> Path:
    """One directory per repository and ref, under the user's cache directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    name = hashlib.sha256(f"{repo.resolve()}\0{ref}".encode()).hexdigest()[:16]
    return Path(cache) / "promptctl" / "index" / name


def serve(
    repo: RepoOption = None,
    ref: Annotated[str, typer.Option("--ref", help="The branch (or ref) to serve.")] = "main",
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", min=0, max=65535,
                                               help="Port to bind (0: any free port).")] = 8000,
    keys: Annotated[Path | None, typer.Option(
        "--keys", help="Keys file from `promptctl keys add`; without it, anonymous consumer "
                       "access (loopback only).", dir_okay=False)] = None,
    poll: Annotated[float, typer.Option(
        "--poll", metavar="SECONDS", min=0,
        help="Seconds between checks of the ref for new commits (0: never; the refresh endpoint "
             "still works).")] = 5.0,
    fetch: Annotated[str | None, typer.Option(
        "--fetch", metavar="REMOTE", help="Run `git fetch REMOTE` before each check (a "
                                          "`git clone --mirror` keeps --ref current; in a "
                                          "normal clone serve --ref REMOTE/main).")] = None,
    allow_anonymous: Annotated[bool, typer.Option(
        "--allow-anonymous", help="Allow anonymous access on a non-loopback address.")] = False,
    usage_db: Annotated[Path | None, typer.Option(
        "--usage-db", help="SQLite file for usage events [default: "
                           "$XDG_STATE_HOME/promptctl/usage.sqlite3].", dir_okay=False,
        show_default=False)] = None,
    usage_retention_days: Annotated[float, typer.Option(
        "--usage-retention-days", metavar="DAYS", min=0,
        help="Delete usage events older than this many days (checked hourly; 0: keep them "
             "all).")] = 365.0,
    rate_limit: Annotated[float, typer.Option(
        "--rate-limit", min=0, help="Requests per second per key, after a burst of twice as "
                                    "many (0: no limit).")] = 50.0,
    index_cache: Annotated[Path | None, typer.Option(
        "--index-cache", help="Directory where the server keeps its records of the prompts, "
                              "its search index and the prompts' texts for snippets between "
                              "runs, so that a restart is quick [default: "
                              "$XDG_CACHE_HOME/promptctl/index/<repo and ref>].",
        file_okay=False, show_default=False)] = None,
    no_index_cache: Annotated[bool, typer.Option(
        "--no-index-cache", help="Keep nothing between runs: every start examines every "
                                 "prompt.")] = False,
    search_workers: Annotated[int | None, typer.Option(
        "--search-workers", metavar="N", min=0,
        help="Processes that answer searches beside the server's own, over the index cache "
             "(0: the server alone; needs the index cache) [default: the cores but one, at "
             "most 4].", show_default=False)] = None,
    webhook_secret_env: Annotated[str | None, typer.Option(
        "--webhook-secret-env", metavar="NAME",
        help="Environment variable holding the GitHub webhook secret for "
             "/api/v1/admin/refresh.")] = None,
) -> None:
    """Serve the read API over a branch of the repository (bare clones too).

    Examples:
        promptctl serve --repo . --ref main
        promptctl serve --repo /srv/prompts.git --keys keys.yaml --host 0.0.0.0 --fetch origin
    """
    from promptctl.errors import UsageError
    from promptctl.gitreader import bound_pack_maps
    from promptctl.repository import resolve_root
    from server.auth import KeyStore
    from server.index import IndexBuilder
    from server.settings import Settings, anonymous_notice, check_exposure
    from server.telemetry import configure_logging

    secret = None
    if webhook_secret_env is not None:
        secret = os.environ.get(webhook_secret_env)
        if not secret:
            raise UsageError(f"--webhook-secret-env {webhook_secret_env}: that environment "
                             "variable is empty or unset; export the webhook's secret in it")
    root = resolve_root(repo)
    cache_dir = None if no_index_cache else index_cache or _default_index_cache(root, ref)
    if cache_dir is None and search_workers:
        raise UsageError("--search-workers needs the index cache (its workers read the search "
                         "index from it): drop --no-index-cache, or --search-workers")
    settings = Settings(repo=root, ref=ref, host=host, port=port, keys_file=keys,
                        poll_seconds=poll, fetch_remote=fetch, allow_anonymous=allow_anonymous,
                        usage_db=usage_db or _default_usage_db(), webhook_secret=secret,
                        usage_retention_days=usage_retention_days or None,
                        index_cache=cache_dir,
                        search_workers=0 if cache_dir is None else (
                            _default_search_workers() if search_workers is None
                            else search_workers),
                        rate_per_second=rate_limit, rate_burst=max(1, int(rate_limit * 2)))
    # Everything that can be refused is refused here, before the port is bound.
    check_exposure(settings)
    if keys is not None:
        KeyStore.load(keys)
    bound_pack_maps()  # the server reads every blob once, then holds little of it
    builder = IndexBuilder(settings.repo, ref)
    builder.head()
    sock = _bind(host, port)
    notice = anonymous_notice(settings)
    if notice:
        from promptctl.cli.output import note  # here: rich only when there is a note

        note(f"note: {notice}")
    configure_logging()
    if cache_dir is not None and index_cache is None:
        # The default location holds one directory per repository and ref ever served here.
        from server.store import remove_stale

        remove_stale(cache_dir.parent, cache_dir)
    # The first build starts before the web stack is imported and the port bound: its worker
    # processes read and load the prompts meanwhile.
    builder.head_start(settings.index_cache)
    import uvicorn

    from server.app import create_app

    app = create_app(settings, builder)
    config = uvicorn.Config(app, host=host, port=sock.getsockname()[1], log_config=None,
                            access_log=False, ws="none", lifespan="on",
                            timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    if sys.stderr.isatty():
        _announce_when_ready(server, app.state.server, host, sock.getsockname()[1])
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after a graceful shutdown
        from promptctl.cli.output import note

        note("stopped")
    finally:
        sock.close()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the first build starts: a port in use is a usage
    error said plainly, not a log line after seconds of work."""
    from promptctl.errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every answer waits for a delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} is in use on {host}; pick another with --port (or "
                             "PORT= for scripts/run), or stop what listens there") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"port {port} needs privileges on this system; pick one above 1023 "
                             "with --port") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}; check --host") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _announce_when_ready(server: Any, state: Any, host: str, port: int) -> None:
    """On a terminal, one plain line once the first index is served: where, and how to stop."""
    import threading
    import time

    def wait() -> None:
        while not server.should_exit:
            index = state.index
            if server.started and index is not None:
                shown = f"[{host}]" if ":" in host else host
                url = f"http://{shown}:{port}"
                errors = f" ({len(index.errors)} with errors, see {url}/readyz)" \
                    if index.errors else ""
                count = len(index.entries)
                noun = "prompt" if count == 1 else "prompts"
                print(f"Serving {count} {noun}{errors} at {url}; docs at "
                      f"{url}/docs; Ctrl-C to stop", file=sys.stderr, flush=True)
                return
            time.sleep(0.05)

    threading.Thread(target=wait, name="announce", daemon=True).start()


def keys_add(
    name: Annotated[str, typer.Argument(metavar="NAME",
                                        help="A unique name for the key (shown in logs).")],
    role: Annotated[str, typer.Option("--role", metavar="[consumer|contributor|admin]",
                                      autocompletion=choices("consumer", "contributor", "admin"),
                                      help="What the key may read and do.")],
    team: Annotated[str | None, typer.Option("--team", help="The team usage is counted "
                                                            "for.")] = None,
    keys: Annotated[Path, typer.Option("--keys", help="The keys file (created if absent).",
                                       dir_okay=False)] = DEFAULT_KEYS_FILE,
) -> None:
    """Create a key: print it once and store only its SHA-256 hash.

    Examples:
        promptctl keys add desktop-app --role consumer --team design --keys keys.yaml
    """
    from promptctl.cli.output import note
    from server.auth import add_key

    key = add_key(keys, name, role, team)
    typer.echo(key)
    note(f"stored the hash of key {name!r} ({role}) in {keys}; the key is printed only this "
         "once: hand it over now")


def keys_list(
    keys: KeysFileOption = DEFAULT_KEYS_FILE,
    as_json: JsonOption = False,
) -> None:
    """List the keys: name, role, team, when created and when last used (never a key or its hash).

    "last used" is what a server running with this keys file recorded, to the second, in
    FILE.last-used.json beside it.

    Examples:
        promptctl keys list --keys keys.yaml
        promptctl keys list --keys keys.yaml --json
    """
    from rich.table import Table
    from rich.text import Text

    from promptctl.cli.output import console, print_json
    from server.auth import list_keys

    rows = list_keys(keys)
    if as_json:
        print_json(rows)
        return
    table = Table("name", "role", "team", "created", "last used", box=None, pad_edge=False)
    for row in rows:
        table.add_row(Text(row["name"], style="bold"), Text(row["role"]), Text(row["team"] or ""),
                      Text(row["created"] or "-"), Text(row["last_used"] or "never"))
    console.print(table)
    console.print(f"{len(rows)} key(s) in {keys}", style="dim", markup=False)


def keys_revoke(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The key to remove.")],
    keys: KeysFileOption = DEFAULT_KEYS_FILE,
) -> None:
    """Revoke a key: remove it from the keys file. A running server refuses it (401) from its
    next request.

    Examples:
        promptctl keys revoke desktop-app --keys keys.yaml
    """
    from promptctl.cli.output import console
    from server.auth import revoke_key

    record = revoke_key(keys, name)
    console.print(f"Revoked key {record.name!r} ({record.role}) in {keys}", markup=False)


def openapi() -> None:
    """Print the read API's OpenAPI document (JSON, sorted keys).

    Examples:
        promptctl openapi > docs/openapi.json
    """
    import json

    from server.app import create_app
    from server.settings import Settings

    document = create_app(Settings(repo=Path("."))).openapi()
    typer.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
