"""Usage reports: how many ``POST /api/v1/usage`` the server acknowledges per second.

A Git repository of one prompt, the server started as ``promptctl serve`` with a usage file in
a temporary directory, and the load from a separate process (an asyncio httpx client of this
script): 4 and then 16 clients, each posting one event after the other for ``--seconds``. After
the server stops (SIGTERM), the rows in the usage file are counted: every event answered 202
must be there.

Run: ``python bench/usage.py [--seconds 5] [--json]``. Nothing is asserted but the row count:
figures are printed. Exit 1 when an acknowledged event is missing from the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
from foundation import _p95, free_port, git, log, wait_ready

REPO_ROOT = Path(__file__).resolve().parents[1]

PROMPT = """\
---
title: Greeting
description: Greets someone by name.
version: 1.0.0
status: active
owners: ["@acme/team"]
inputs:
  name: {type: string, required: true}
---
Hello, {{ name }}.
"""




async def _client_loop(url: str, index: int, deadline: float, latencies: list[float],
                       errors: list[int]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        sent = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            answer = await client.post("/api/v1/usage", json={
                "prompt": "demo/greet", "version": f"{index}-{sent}", "client_type": "cli"})
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 202:
                errors.append(answer.status_code)
            sent += 1


async def _load(url: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(_client_loop(url, i, deadline, latencies, errors)
                           for i in range(clients)))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "errors": len(errors),
            "per_second": len(latencies) / elapsed,
            "p95_ms": _p95(latencies) * 1000 if latencies else 0.0}


def measure(work: Path, clients: int, seconds: float) -> dict[str, Any]:
    repo = work / f"repo-{clients}"
    (repo / "prompts" / "demo").mkdir(parents=True)
    (repo / "prompts" / "demo" / "greet.prompt.md").write_text(PROMPT, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one prompt")
    usage = work / f"usage-{clients}.sqlite3"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "promptctl", "serve", "--repo", str(repo), "--port", str(port),
         "--poll", "0", "--rate-limit", "0", "--usage-db", str(usage), "--no-index-cache"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
    try:
        wait_ready(url, server)
        loaded = subprocess.run([sys.executable, __file__, "--load", url, "--clients",
                                 str(clients), "--seconds", str(seconds)],
                                capture_output=True, text=True, check=True)
        figures: dict[str, Any] = json.loads(loaded.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    with closing(sqlite3.connect(usage)) as conn:
        figures["rows"] = conn.execute("SELECT count(*) FROM usage_events").fetchone()[0]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        print(json.dumps(asyncio.run(_load(args.load, args.clients, args.seconds))))
        return 0
    results: dict[str, Any] = {}
    missing = False
    with tempfile.TemporaryDirectory(prefix="usage-bench-") as tmp:
        for clients in (4, 16):
            figures = measure(Path(tmp), clients, args.seconds)
            results[f"clients_{clients}"] = figures
            acknowledged = figures["requests"] - figures["errors"]
            missing |= figures["rows"] < acknowledged
            log(f"{clients:2d} clients: {figures['per_second']:,.0f} events/s, p95 "
                f"{figures['p95_ms']:.1f} ms, {figures['errors']} not 202, "
                f"{figures['rows']:,} rows for {acknowledged:,} acknowledged")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
