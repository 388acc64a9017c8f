"""MCP benchmark: the figures ``promptctl mcp`` and ``/mcp`` are held to, measured here.

1. ``promptctl mcp`` on this repository: from process start to the answer to ``initialize``
   (target 1 s: an agent spawns the server for every session), and, for the record, to the
   answer to the first ``prompts/list`` (the SDK and the library loaded);
2. the same on N prompts (default 10,000, distinct content from the public corpora) served from
   the branch with a kept index (``--ref main``; the first run builds and keeps it, the next
   ones reuse it): ``initialize`` (target 1.5 s) and the first ``prompts/list``; and the work
   tree of the same N prompts, which is loaded file by file;
3. ``promptctl serve``'s ``/mcp`` over the same N prompts, one client (the SDK's own, over
   Streamable HTTP): ``prompts/list`` through every page, and ``prompts/get`` of distinct
   prompts; p50 and p95 per call (target 10 ms each).

The machine may be busy: every figure is printed with the load average at the time.

Run: ``python bench/mcp.py [--count N] [--runs R] [--corpora PATH] [--json]``. Nothing is
asserted. Exit 0 when measured, or when the corpora are absent (parts 2 and 3 are skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from foundation import (
    DEFAULT_CORPORA,
    _p95,
    build_repository,
    corpus_texts,
    free_port,
    git,
    load_average,
    log,
    wait_ready,
)

# This script is named after the protocol, like the SDK's package: once foundation is imported,
# its folder leaves the import path so that ``import mcp`` finds the SDK, not this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
REPO_ROOT = Path(__file__).resolve().parents[1]
PROMPTCTL = [sys.executable, "-m", "promptctl"]
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "1"}}}

Figures = dict[str, dict[str, Any]]


def report(figures: Figures, key: str, label: str, seconds: list[float],
           target: float | None) -> None:
    median = statistics.median(seconds)
    worst = max(seconds)
    verdict = "-" if target is None else ("ok" if median <= target else "over")
    shown = f"{median * 1000:.1f} ms median, {worst * 1000:.1f} ms max of {len(seconds)}"
    aim = f"target {target * 1000:.0f} ms" if target is not None else "no target"
    log(f"  {label}: {shown} ({aim}: {verdict}; {load_average()})")
    figures[key] = {"label": label, "median_s": round(median, 4), "max_s": round(worst, 4),
                    "runs": len(seconds), "target_s": target, "verdict": verdict,
                    "loadavg": os.getloadavg()}


def report_calls(figures: Figures, key: str, label: str, seconds: list[float],
                 target: float) -> None:
    p50, p95 = statistics.median(seconds), _p95(seconds)
    verdict = "ok" if p95 <= target else "over"
    log(f"  {label}: p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms over {len(seconds)} "
        f"calls (target {target * 1000:.0f} ms: {verdict}; {load_average()})")
    figures[key] = {"label": label, "p50_s": round(p50, 5), "p95_s": round(p95, 5),
                    "calls": len(seconds), "target_s": target, "verdict": verdict,
                    "loadavg": os.getloadavg()}


def stdio_start(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to the answer to initialize, and to the first prompts/list."""
    started = time.perf_counter()
    proc = subprocess.Popen([*PROMPTCTL, "mcp", "--poll", "0", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(INIT).encode() + b"\n")
        proc.stdin.flush()
        answer = json.loads(proc.stdout.readline())
        initialized = time.perf_counter() - started
        if "result" not in answer:
            raise SystemExit(f"FINDING: initialize failed: {answer}")
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
                         b'{"jsonrpc":"2.0","id":2,"method":"prompts/list"}\n')
        proc.stdin.flush()
        listed = json.loads(proc.stdout.readline())
        if "result" not in listed:
            raise SystemExit(f"FINDING: prompts/list failed: {listed}")
        return initialized, time.perf_counter() - started
    finally:
        proc.stdin.close()
        proc.wait(timeout=120)
        proc.stdout.close()


def bench_stdio(figures: Figures, key: str, label: str, args: list[str], runs: int,
                env: dict[str, str], init_target: float) -> None:
    initialized, listed = [], []
    for _ in range(runs):
        first, second = stdio_start(args, env)
        initialized.append(first)
        listed.append(second)
    report(figures, f"{key}_initialize", f"{label}: initialize from process start",
           initialized, init_target)
    report(figures, f"{key}_first_list", f"{label}: first prompts/list from process start",
           listed, None)


def bench_http(figures: Figures, repo: Path, tmp: Path, gets: int) -> None:
    import anyio

    port = free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "serve-cache")}
    server = subprocess.Popen([*PROMPTCTL, "serve", "--repo", str(repo), "--port", str(port),
                               "--poll", "0", "--rate-limit", "0", "--usage-db",
                               str(tmp / "usage.sqlite3")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
        lists, got = anyio.run(_http_calls, f"{url}/mcp", gets)
        raw_lists, raw_gets, pings = _raw_calls(f"{url}/mcp", gets)
    finally:
        server.terminate()
        server.wait(timeout=60)
    report_calls(figures, "http_list_page", "SDK client: prompts/list, one page of 100", lists,
                 0.010)
    report_calls(figures, "http_get", "SDK client: prompts/get (renders), distinct prompts", got,
                 0.010)
    report_calls(figures, "raw_list_page", "keep-alive JSON-RPC: prompts/list, one page of 100",
                 raw_lists, 0.010)
    report_calls(figures, "raw_get", "keep-alive JSON-RPC: prompts/get, distinct prompts",
                 raw_gets, 0.010)
    report_calls(figures, "raw_ping", "keep-alive JSON-RPC: ping (the floor on this machine)",
                 pings, 0.010)


def _raw_calls(url: str, gets: int) -> tuple[list[float], list[float], list[float]]:
    """The same calls as plain JSON-RPC POSTs on one kept-alive connection: what the server
    costs, without the SDK client (which opens a connection per request)."""
    accept = {"Accept": "application/json, text/event-stream",
              "Content-Type": "application/json"}
    with httpx.Client(timeout=60) as client:
        opened = client.post(url, headers=accept, json=INIT)
        headers = {**accept, "Mcp-Session-Id": opened.headers["mcp-session-id"],
                   "Mcp-Protocol-Version": "2025-11-25"}
        client.post(url, headers=headers,
                    json={"jsonrpc": "2.0", "method": "notifications/initialized"})

        def call(number: int, method: str, params: dict[str, Any]) -> tuple[float, Any]:
            started = time.perf_counter()
            answer = client.post(url, headers=headers, json={
                "jsonrpc": "2.0", "id": number, "method": method, "params": params})
            took = time.perf_counter() - started
            body = answer.text
            data = json.loads(body.split("data: ", 1)[1]) if body.startswith("event") \
                else answer.json()
            return took, data["result"]

        lists: list[float] = []
        names: list[str] = []
        cursor = None
        number = 10
        while True:
            number += 1
            took, result = call(number, "prompts/list", {"cursor": cursor} if cursor else {})
            lists.append(took)
            names += [p["name"] for p in result["prompts"]]
            cursor = result.get("nextCursor")
            if cursor is None:
                break
        step = max(1, len(names) // gets)
        got = []
        for name in names[1::step][:gets]:
            number += 1
            got.append(call(number, "prompts/get",
                            {"name": name, "arguments": {"input": f"raw {name}"}})[0])
        pings = [call(number + n + 1, "ping", {})[0] for n in range(200)]
    return lists, got, pings


async def _http_calls(url: str, gets: int) -> tuple[list[float], list[float]]:
    import mcp_types as types
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    lists: list[float] = []
    got: list[float] = []
    async with streamable_http_client(url) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        names: list[str] = []
        for _round in range(2):  # the first round warms the server's caches
            lists.clear()
            names.clear()
            cursor = None
            while True:
                started = time.perf_counter()
                page = await s.list_prompts(params=types.PaginatedRequestParams(cursor=cursor))
                lists.append(time.perf_counter() - started)
                names += [p.name for p in page.prompts]
                cursor = page.next_cursor
                if cursor is None:
                    break
        step = max(1, len(names) // gets)
        for name in names[::step][:gets]:
            started = time.perf_counter()
            await s.get_prompt(name, {"input": f"bench {name}"})
            got.append(time.perf_counter() - started)
        log(f"  ({len(names)} prompts listed in {len(lists)} pages)")
    return lists, got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000, help="prompts for parts 2 and 3")
    parser.add_argument("--runs", type=int, default=5, help="process starts per figure")
    parser.add_argument("--gets", type=int, default=500, help="prompts/get calls in part 3")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures: Figures = {}
    log(f"promptctl mcp bench: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"{load_average()}")
    with tempfile.TemporaryDirectory(prefix="mcp-bench-") as work:
        tmp = Path(work)
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
        log("1. this repository (work tree)")
        bench_stdio(figures, "repo", "this repository", ["--repo", str(REPO_ROOT)],
                    args.runs, env, 1.0)
        if not args.corpora.is_dir():
            log(f"corpora not found at {args.corpora}: parts 2 and 3 skipped")
        else:
            repo = tmp / "library"
            repo.mkdir()
            texts, _skipped = corpus_texts(args.corpora)
            build_repository(repo, texts, args.count)
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "bench")
            log(f"2. {args.count} prompts")
            cold = stdio_start(["--repo", str(repo), "--ref", "main"], env)
            log(f"  first run, building and keeping the index: initialize "
                f"{cold[0] * 1000:.0f} ms, first prompts/list {cold[1]:.2f} s ({load_average()})")
            figures["library_cold"] = {"initialize_s": round(cold[0], 4),
                                       "first_list_s": round(cold[1], 4),
                                       "loadavg": os.getloadavg()}
            bench_stdio(figures, "kept", f"{args.count} prompts, kept index (--ref main)",
                        ["--repo", str(repo), "--ref", "main"], args.runs, env, 1.5)
            bench_stdio(figures, "tree", f"{args.count} prompts, work tree",
                        ["--repo", str(repo)], max(1, args.runs // 2), env, 1.5)
            log(f"3. /mcp over {args.count} prompts, one client")
            bench_http(figures, repo, tmp, args.gets)
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
