"""Consuming repositories and the client SDK: the figures they are held to.

Over a Git repository of distinct prompts built from the public corpora (``foundation.py``'s
``build_repository``), served by ``promptctl serve`` on loopback:

1. ``promptctl sync`` of 50 references (``ID@1``, raw target) from the server with a cold cache
   and no lock (target 2 s), and again from a warm lock and cache (target 0.5 s); each as the
   command people run (a process: start-up included) and in-process (the work itself);
2. SDK ``get`` from a warm cache (target 50 us), over the 50 distinct prompts in turn; the
   first, cold ``get`` of each (a request) for the record;
3. SDK ``render`` against the core's own render (``inputs.resolve`` + ``Renderer.render``) of
   the same prompts and inputs (target: within 2x).

Run: ``python bench/consumers.py [--count N] [--runs N] [--corpora PATH] [--json]``. Nothing is
asserted; every figure is printed with the load average at the time. Exit 0 when measured or
when the corpora are absent.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from foundation import (
    DEFAULT_CORPORA,
    GIT_ENV,
    REPO_ROOT,
    build_repository,
    corpus_texts,
    free_port,
    git,
    load_average,
    log,
    wait_ready,
)

sys.path.insert(0, str(REPO_ROOT / "sdk"))

REFERENCES = 50
SYNC_COLD_TARGET_S = 2.0
SYNC_WARM_TARGET_S = 0.5
GET_TARGET_US = 50.0
RENDER_RATIO_TARGET = 2.0
VALUE = "bench-input-value"


@contextmanager
def serving(repo: Path, home: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, **GIT_ENV, "XDG_CACHE_HOME": str(home / "server-cache")}
    with (home / "serve.log").open("w") as output:
        proc = subprocess.Popen([sys.executable, "-m", "promptctl", "serve", "--repo", str(repo),
                                 "--port", str(port), "--rate-limit", "0", "--poll", "0"],
                                stdout=output, stderr=output, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, seconds=120, what=f"promptctl serve (see {home / 'serve.log'})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def timed(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def cli_sync(app: Path, cache: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "promptctl", "sync", "--repo", str(app)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    if proc.returncode != 0:
        raise SystemExit(f"promptctl sync failed: {proc.stderr}")


def in_process_sync(app: Path, cache: Path) -> None:
    from promptctl.consumers.sync import open_context, sync

    sync(open_context(app, cache_dir=cache / "prompt-engine" / "packages"))


def bench_sync(url: str, ids: list[str], base: Path, runs: int) -> dict[str, Any]:
    app = base / "app"
    app.mkdir()
    (app / "prompt-engine.yaml").write_text(
        f"source: {{server: {url}}}\nprompts:\n" + "".join(f"  - {i}@1\n" for i in ids))
    figures: dict[str, Any] = {}
    for how, run in (("command", cli_sync), ("in-process", in_process_sync)):
        cold, warm = [], []
        for attempt in range(runs):
            cache = base / f"cache-{how}-{attempt}"
            (app / "prompt-engine.lock").unlink(missing_ok=True)
            shutil.rmtree(app / ".prompt-engine", ignore_errors=True)
            cold.append(timed(functools.partial(run, app, cache)))
            warm.append(timed(functools.partial(run, app, cache)))
        figures[how] = {"cold_s": statistics.median(cold), "warm_s": statistics.median(warm),
                        "cold_runs": cold, "warm_runs": warm, "load": load_average()}
        log(f"[1] sync of {len(ids)} references ({how}, median of {runs}): cold cache, from "
            f"the server {figures[how]['cold_s']:.3f} s (target {SYNC_COLD_TARGET_S} s); warm "
            f"lock and cache {figures[how]['warm_s']:.3f} s (target {SYNC_WARM_TARGET_S} s); "
            f"{load_average()}")
        log(f"    each run, cold: {', '.join(f'{t:.3f}' for t in cold)} s (the first also "
            f"meets a server that has not read these prompts' history yet); warm: "
            f"{', '.join(f'{t:.3f}' for t in warm)} s")
    return figures


def bench_sdk(url: str, ids: list[str], base: Path) -> dict[str, Any]:
    from promptengine import PromptClient

    from promptctl import inputs

    figures: dict[str, Any] = {}
    with PromptClient(url, cache_dir=base / "sdk-cache", ttl=3600, report_usage=False) as sdk:
        cold = [timed(functools.partial(sdk.get, i, version="1")) for i in ids]
        figures["get_cold_us"] = statistics.median(cold) * 1e6
        rounds = 2000
        start = time.perf_counter()
        for _ in range(rounds):
            for prompt_id in ids:
                sdk.get(prompt_id, version="1")
        figures["get_warm_us"] = (time.perf_counter() - start) / (rounds * len(ids)) * 1e6
        log(f"[2] SDK get: warm cache (hits only) {figures['get_warm_us']:.2f} us a call over "
            f"{len(ids)} distinct prompts (target {GET_TARGET_US:g} us); cold (a request) median "
            f"{figures['get_cold_us']:.0f} us; {load_average()}")
        prompts = [sdk.get(i, version="1") for i in ids]
        cores = [(p._core, p._renderer) for p in prompts]  # the same objects the core renders

        def sdk_render() -> None:
            for prompt in prompts:
                prompt.render(input=VALUE)

        def core_render() -> None:
            for core, renderer in cores:
                renderer.render(core, inputs.resolve(core, {"input": VALUE}))

        for step in (sdk_render, core_render):
            step()  # warm: compiled templates, validators
        sdk_s = min(timed(sdk_render) for _ in range(20)) / len(ids)
        core_s = min(timed(core_render) for _ in range(20)) / len(ids)
        figures.update(render_sdk_us=sdk_s * 1e6, render_core_us=core_s * 1e6,
                       render_ratio=sdk_s / core_s, load=load_average())
        log(f"[3] render: SDK {sdk_s * 1e6:.1f} us, core {core_s * 1e6:.1f} us a prompt (best "
            f"of 20 rounds over {len(ids)} prompts): {sdk_s / core_s:.2f}x (target within "
            f"{RENDER_RATIO_TARGET:g}x); {load_average()}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=200, help="prompts in the repository")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        log(f"{args.corpora} is absent: nothing to measure")
        return 0
    texts, _skipped = corpus_texts(args.corpora)
    log(f"{os.cpu_count()} CPUs, {load_average()}")
    with tempfile.TemporaryDirectory(prefix="consumers-bench-") as tmp:
        base = Path(tmp)
        repo = base / "prompts-repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        build_repository(repo, texts, args.count)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "bench prompts")
        ids = sorted(str(p.relative_to(repo / "prompts"))[: -len(".prompt.md")]
                     for p in (repo / "prompts").rglob("*.prompt.md"))[:: max(1, args.count
                                                                              // REFERENCES)]
        ids = ids[:REFERENCES]
        with serving(repo, base) as url:
            results = {"references": len(ids), "prompts": args.count,
                       "sync": bench_sync(url, ids, base, args.runs),
                       "sdk": bench_sdk(url, ids, base)}
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
