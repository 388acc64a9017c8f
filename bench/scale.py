"""Scale benchmark: start, restart, memory, disk, search, `check --base` and `history` at 1k, 10k
and 100k prompts of distinct content.

Each library is built from the public corpora with ``foundation.build_repository`` (no two prompt
files alike), then written as a Git history with ``git fast-import``: one commit with every
prompt, then ``--commits`` commits (default 5,000) that each edit one prompt and raise its version
(every tenth one edits the prompt whose history is timed), and a ``pr`` branch that edits one
prompt, as a pull request does. A library over 10,000 prompts gets ``--large-commits`` (default
100) instead: ``build_repository`` puts each corpus's prompts in one folder, so every commit of a
100,000-prompt library writes a new 50,000-entry tree, and 5,000 of them take git an hour to
import and pack; the governance goals are for 10,000 prompts and 5,000 commits anyway.

Figures, printed beside the goal of each, with the load average at the time:

1. ``promptctl serve`` to ready with nothing kept, and its CPU seconds;
2. a restart with the index kept (one commit newer than the first start's), the median of three
   from the same kept index;
3. the server's resident memory after the searches, and the index cache's size on disk beside
   the prompt files' size;
4. search p95 over HTTP, one client, 300 distinct queries (words drawn from the corpus, no query
   sent twice), with the server's answer-cache hits reported apart;
5. 16 clients sending distinct searches: searches per second.

The server runs as ``promptctl serve`` does by default: with its search workers (one process per
core but one, ``server.searchpool``), whose memory is printed apart from the server's. The first
search starts them; the warm-up goes on until one has answered, so that their start does not
share the cores with the searches measured.

The searches are sent by ``foundation.http_load``, a keep-alive HTTP/1.1 client that costs the
shared machine little CPU; what it took per request is printed beside figures 4 and 5. A query
sent to the server before (the warm-up's, or an earlier figure's) may be answered from its
answer cache: such repeats are counted apart and left out of the figures.
6. ``promptctl check --base main --head pr`` (one prompt changed), wall time, and its peak memory
   (with git's, in a run of its own);
7. ``promptctl history ID`` beside ``git log --first-parent --oneline -- PATH``.

Run: ``python bench/scale.py [--sizes 1000,10000,100000] [--commits 5000] [--large-commits
100] [--only server|governance] [--json]``: by default one run builds and measures all three
sizes (about 10 minutes on 2 cores, most of it the 100,000-prompt library). Nothing is
asserted: the figures are printed next to their goals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from foundation import (
    DEFAULT_CORPORA,
    FastImport,
    build_repository,
    corpus_texts,
    free_port,
    http_load,
    load_average,
    log,
    new_key,
    served,
)

if TYPE_CHECKING:
    import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
TRACKED_EVERY = 10  # every tenth commit edits the prompt whose history is timed
QUERIES = 300
GOVERNANCE_GOALS_AT = 10_000  # the goals of check and history are for 10,000 prompts
RUNS = 3
_VERSION_LINE = re.compile(r"^version: .*$", re.MULTILINE)
_WORD = re.compile(r"[a-z]{4,12}")


# --- the library ------------------------------------------------------------------------------


@dataclass
class Library:
    repo: Path
    count: int
    commits: int
    tracked: str  # the id whose history is timed
    tracked_path: str
    changed: str  # the id the pr branch edits
    prompt_bytes: int
    words: list[str] = field(default_factory=list)


def _edited(text: str, version: str, note: str) -> str:
    return _VERSION_LINE.sub(f"version: {version}", text, count=1).rstrip("\n") + f"\n{note}\n"


def build_library(corpora: Path, root: Path, count: int, commits: int) -> Library:
    """``count`` distinct prompts and ``commits`` commits on main, plus a one-prompt ``pr``."""
    texts, _skipped = corpus_texts(corpora)
    files_dir = root / "files"
    build_repository(files_dir, texts, count)
    paths = sorted(p.relative_to(files_dir).as_posix()
                   for p in (files_dir / "prompts").rglob("*.prompt.md"))
    contents = {p: (files_dir / p).read_text(encoding="utf-8") for p in paths}
    shutil.rmtree(files_dir)
    repo = root / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = FastImport()
    stream.commit("main", f"{count:,} prompts", {**contents,
                                                  "promptctl.yaml": "approvals:\n  team: 1\n"})
    tracked_path = paths[0]
    patch: dict[str, int] = {}
    for number in range(2, commits + 1):
        path = tracked_path if number % TRACKED_EVERY == 0 else paths[(number * 7919) % count]
        patch[path] = patch.get(path, 0) + 1
        contents[path] = _edited(contents[path], f"1.0.{patch[path]}", f"Edit {number}.")
        stream.commit("main", f"{path} 1.0.{patch[path]}", {path: contents[path]})
    changed_path = paths[count // 2]
    pr_text = _edited(contents[changed_path], f"1.0.{patch.get(changed_path, 0) + 1}",
                      "Edited in a pull request.")
    stream.commit("pr", "one prompt changed", {changed_path: pr_text}, parent="refs/heads/main")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream.data(), check=True)
    # Packed as a clone has it: fast-import's pack chains each version onto the one before, and
    # reading the newest versions then costs ten times what it costs in a repacked repository.
    subprocess.run(["git", "repack", "-adfq", "--window=10"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    words = sorted({w for text in list(contents.values())[:2000]
                    for w in _WORD.findall(text.lower())})
    return Library(repo, count, commits, _id(tracked_path), tracked_path, _id(changed_path),
                   sum(len(t.encode()) for t in contents.values()), words)


def _id(path: str) -> str:
    return path.removeprefix("prompts/").removesuffix(".prompt.md")


# --- governance: check and history ------------------------------------------------------------


def _cli(repo: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """(wall seconds, the result) of ``promptctl ARGS --repo REPO``."""
    command = [sys.executable, "-m", "promptctl", *args, "--repo", str(repo)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", cwd=repo,
                          check=False)
    return time.perf_counter() - start, done


# Runs a command and prints its peak resident memory (KiB) on stderr's last line. A process's
# peak as wait4 reports it starts from the RSS of the process it was forked from, carried over
# its exec (Linux keeps the larger of the two): measured from this benchmark, which holds the
# library's texts, `check` said 343 MiB at 10,000 prompts and 2.4 GiB at 100,000, where it held
# 66 and 141 MiB. Started from this small process instead, the figure is the command's own.
_PEAK = ("import os, sys\n"
         "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)\n"
         "_pid, status, usage = os.wait4(pid, 0)\n"
         "print(f'peak-kib {usage.ru_maxrss}', file=sys.stderr)\n"
         "sys.exit(os.waitstatus_to_exitcode(status))\n")


def _peak_mib(repo: Path, *args: str) -> float | None:
    """The peak resident MiB of ``promptctl ARGS --repo REPO`` and what it starts (git)."""
    command = [sys.executable, "-c", _PEAK, sys.executable, "-m", "promptctl", *args,
               "--repo", str(repo)]
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", cwd=repo,
                          check=False)
    last = done.stderr.strip().rsplit("\n", 1)[-1]
    return int(last.split()[1]) / 1024 if last.startswith("peak-kib ") else None


def governance(library: Library) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    repo = library.repo
    samples = []
    check = ("check", "--base", "main", "--head", "pr", "--json")
    for _ in range(RUNS):
        seconds, done = _cli(repo, *check)
        if done.returncode != 0:
            log(f"FINDING: check --base main --head pr exited {done.returncode}: "
                f"{done.stdout[-500:]} {done.stderr[-500:]}")
        samples.append(seconds)
    figures["check_s"] = sorted(samples)[len(samples) // 2]
    figures["check_peak_mib"] = _peak_mib(repo, *check)  # a run of its own: not timed
    samples = []
    for _ in range(RUNS):
        seconds, done = _cli(repo, "history", library.tracked, "--json")
        samples.append(seconds)
    figures["history_versions"] = len(json.loads(done.stdout)) if done.returncode == 0 else None
    figures["history_s"] = sorted(samples)[len(samples) // 2]
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(["git", "log", "--first-parent", "--oneline", "--",
                        library.tracked_path], cwd=repo, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    figures["git_log_s"] = sorted(samples)[len(samples) // 2]
    return figures


# --- the server -------------------------------------------------------------------------------


def _rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    """The server's child processes (its search workers, and the resource tracker that
    multiprocessing starts with them)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def _dir_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / (1024 * 1024)


def distinct_queries(words: list[str], count: int, seed: int) -> list[str]:
    """``count`` queries, no two alike: one to three corpus words, the last one cut short in
    about half of them (search-as-you-type)."""
    rng = random.Random(seed)
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < count:
        chosen = rng.sample(words, rng.choice((1, 1, 2, 2, 3)))
        if rng.random() < 0.5:
            chosen[-1] = chosen[-1][: max(2, len(chosen[-1]) - rng.randrange(1, 4))]
        query = " ".join(chosen)
        if query not in seen:
            seen.add(query)
            found.append(query)
    return found


def _searches(port: int, token: str, queries: list[str], clients: int,
              sent: set[str]) -> dict[str, Any]:
    """The queries not sent to this server before, by ``clients`` connections; ``sent`` (every
    query this server has seen) grows by them."""
    fresh = [q for q in dict.fromkeys(queries) if q not in sent]
    sent.update(fresh)
    load = http_load(port, ["/api/v1/search?" + urllib.parse.urlencode({"q": q}) for q in fresh],
                     clients=clients, headers={"Authorization": f"Bearer {token}"})
    return {"p95_ms": load.p95_ms, "per_second": load.per_second, "errors": load.errors,
            "repeats": len(queries) - len(fresh), "client_cpu_us": load.client_cpu_us}


_WORKER_ANSWERS = re.compile(r'^promptctl_search_answers_total\{by="worker"\} (\d+)', re.MULTILINE)


def _worker_up(client: httpx.Client, port: int, token: str, words: list[str],
               sent: set[str]) -> None:
    """Warm-up bursts of 16 clients until a search worker has answered: the first search
    starts the workers (a new interpreter and its imports, about 0.5 s of CPU), which would
    otherwise share the cores with the searches measured. Not measured; at most 20 s. A
    server on one core runs no worker (``promptctl serve``'s default: the cores but one)."""
    if (os.cpu_count() or 1) < 2:
        return
    deadline = time.monotonic() + 20
    seed = 1000
    while time.monotonic() < deadline:
        found = _WORKER_ANSWERS.search(client.get("/metrics").text)
        if found is not None and int(found.group(1)) > 0:
            return
        _searches(port, token, distinct_queries(words, 64, seed), 16, sent)
        seed += 1
        time.sleep(0.2)
    log("FINDING: no search worker answered within 20 s of warm-up")


def server_figures(library: Library, work: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    keys = work / "keys.yaml"
    reader = new_key(keys, "bench-reader", "consumer")
    port = free_port()
    cache = work / "index-cache"
    with served(library.repo, port, keys, work, cache, reader) as (client, seconds, cpu, pid):
        figures["start_s"], figures["start_cpu_s"] = seconds, cpu
        figures["start_load"] = load_average()
        ready = client.get("/readyz").json()
        figures["prompts_served"] = ready.get("prompts")
        for _ in range(600):  # the index cache is written after ready: let it finish
            saved = (client.get("/readyz").json().get("index_cache") or {}).get("saved_commit")
            if saved is not None:
                break
            time.sleep(0.1)
        # Warm-up with queries that are not measured, then 300 distinct ones.
        sent: set[str] = set()
        _searches(port, reader, distinct_queries(library.words, 30, 1), 1, sent)
        _worker_up(client, port, reader, library.words, sent)
        one = _searches(port, reader, distinct_queries(library.words, QUERIES, 2), 1, sent)
        figures["search_p95_ms"], figures["search_errors"] = one["p95_ms"], one["errors"]
        figures["search_repeats"] = one["repeats"]
        figures["search_client_cpu_us"] = one["client_cpu_us"]
        figures["search_load"] = load_average()
        many = _searches(port, reader, distinct_queries(library.words, 1000, 3), 16, sent)
        figures["search_per_second_16"] = many["per_second"]
        figures["search_errors_16"], figures["search_repeats_16"] = many["errors"], many["repeats"]
        figures["search_16_client_cpu_us"] = many["client_cpu_us"]
        figures["search_16_load"] = load_average()
        figures["rss_mib"] = _rss_mib(pid)
        workers = [_rss_mib(child) for child in _children(pid)]
        figures["search_workers"] = len(workers)
        figures["workers_rss_mib"] = sum(w for w in workers if w is not None)
    figures["cache_mib"] = _dir_mib(cache)
    # A restart over what the first run kept, one commit newer: RUNS times, each from the same
    # kept index (a copy), the median reported.
    subprocess.run(["git", "merge", "-q", "--ff-only", "pr"], cwd=library.repo, check=True,
                   capture_output=True)
    kept = work / "index-cache-kept"
    shutil.copytree(cache, kept)
    samples = []
    for _ in range(RUNS):
        shutil.rmtree(cache)
        shutil.copytree(kept, cache)
        with served(library.repo, port, keys, work, cache, reader) as (_c, seconds, _cpu, _pid):
            samples.append(seconds)
    figures["restart_s"] = sorted(samples)[len(samples) // 2]
    figures["restart_samples_s"] = samples
    figures["restart_load"] = load_average()
    subprocess.run(["git", "reset", "-q", "--hard", "main@{1}"], cwd=library.repo, check=True,
                   capture_output=True)
    return figures


# --- the table --------------------------------------------------------------------------------


def goals(count: int) -> dict[str, tuple[float, str]]:
    """figure -> (goal, "<=" or ">=") for a library of ``count`` prompts."""
    start_goal = 3.0 if count <= 10_000 else 15.0 * count / 100_000
    search_goal = 5.0 if count <= 10_000 else 10.0
    found = {
        "start_s": (start_goal, "<="),
        "restart_s": (1.0, "<="),
        "rss_mib": (150 + 2 * count / 1024, "<="),
        "search_p95_ms": (search_goal, "<="),
        "search_per_second_16": (1000.0, ">="),
    }
    if count == GOVERNANCE_GOALS_AT:
        found["check_s"] = (1.0, "<=")
    return found


LABELS = {
    "commits": "commits of history (check and history: goals at 10,000 and 5,000)",
    "start_s": "first start to ready, nothing kept (s)",
    "start_cpu_s": "  CPU seconds of that start",
    "restart_s": "restart with the index kept (s, median of 3)",
    "rss_mib": "server RSS (MiB)",
    "workers_rss_mib": "  its child processes' RSS: search workers, resource tracker (MiB)",
    "cache_mib": "index cache on disk (MiB)",
    "prompt_mib": "  prompt files (MiB)",
    "search_p95_ms": "search p95, 300 distinct queries, one client (ms)",
    "search_repeats": "  queries sent before, left out (answer cache)",
    "search_client_cpu_us": "  the load client's CPU a request (us)",
    "search_per_second_16": "16 clients, distinct searches (/s)",
    "search_repeats_16": "  queries sent before, left out (answer cache)",
    "search_16_client_cpu_us": "  the load client's CPU a request (us)",
    "check_s": "check --base, one prompt changed (s)",
    "check_peak_mib": "  its peak memory (MiB)",
    "history_s": "history ID (s)",
    "git_log_s": "  git log --first-parent -- path (s)",
}


def verdicts(count: int, figures: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, (goal, how) in goals(count).items():
        value = figures.get(key)
        if value is None:
            continue
        ok = value <= goal if how == "<=" else value >= goal
        found[key] = f"{how} {goal:g}: {'met' if ok else 'NOT met'}"
    if figures.get("cache_mib") is not None:
        ok = figures["cache_mib"] < figures["prompt_mib"]
        found["cache_mib"] = f"< prompt files: {'met' if ok else 'NOT met'}"
    if (count == GOVERNANCE_GOALS_AT and figures.get("history_s") is not None
            and figures.get("git_log_s")):
        ratio = figures["history_s"] / figures["git_log_s"]
        found["history_s"] = f"<= 2x git log: {ratio:.1f}x, {'met' if ratio <= 2 else 'NOT met'}"
    return found


def print_table(results: dict[int, dict[str, Any]], stream: TextIO = sys.stdout) -> None:
    sizes = sorted(results)
    print(f"\nscale figures ({load_average()} now; each figure's own load is in the JSON)",
          file=stream)
    header = ["figure", *(f"{n:,}" for n in sizes), "goal"]
    rows = [header]
    for key, label in LABELS.items():
        cells = [label]
        for size in sizes:
            value = results[size].get(key)
            cells.append("-" if value is None else f"{value:,}" if isinstance(value, int)
                         else f"{value:,.2f}")
        goal = "; ".join(f"{size:,}: {verdicts(size, results[size])[key]}" for size in sizes
                         if key in verdicts(size, results[size]))
        rows.append([*cells, goal])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    for row in rows:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                        for i, c in enumerate(row[:-1])) + "  " + row[-1], file=stream)
    loads = {f"{size:,}": {k: v for k, v in results[size].items() if k.endswith("_load")}
             for size in sizes}
    print(f"load average at each step: {json.dumps(loads)}", file=stream)


def run(corpora: Path, sizes: list[int], commits: int, large_commits: int, parts: set[str],
        keep: Path | None) -> dict[int, dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    for count in sizes:
        commits_here = commits if count <= GOVERNANCE_GOALS_AT else large_commits
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"scale-{count}-", dir=keep))
        started = time.perf_counter()
        log(f"building {count:,} distinct prompts and {commits_here:,} commits in {work}")
        library = build_library(corpora, work, count, commits_here)
        log(f"  built in {time.perf_counter() - started:.0f} s ({load_average()})")
        figures: dict[str, Any] = {"prompt_mib": library.prompt_bytes / (1024 * 1024),
                                   "commits": commits_here, "build_load": load_average()}
        if "governance" in parts:
            figures.update(governance(library))
            figures["governance_load"] = load_average()
            log(f"  check {figures['check_s']:.2f} s, history {figures['history_s']:.2f} s, "
                f"git log {figures['git_log_s']:.2f} s ({load_average()})")
        if "server" in parts:
            figures.update(server_figures(library, work))
            log(f"  start {figures['start_s']:.2f} s, restart {figures['restart_s']:.2f} s, "
                f"search p95 {figures['search_p95_ms']:.1f} ms ({load_average()})")
        results[count] = figures
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="library sizes, comma-separated (100000 takes a while)")
    parser.add_argument("--commits", type=int, default=5000,
                        help="commits of history, for libraries of up to 10,000 prompts")
    parser.add_argument("--large-commits", type=int, default=100,
                        help="commits of history, for libraries over 10,000 prompts")
    parser.add_argument("--only", choices=("governance", "server"),
                        help="measure only these figures")
    parser.add_argument("--keep", type=Path, help="build the libraries under DIR and keep them")
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        log(f"corpora not found at {args.corpora}, skipping")
        return 0
    parts = {args.only} if args.only else {"governance", "server"}
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = run(args.corpora, sizes, args.commits, args.large_commits, parts, args.keep)
    if args.json:
        print(json.dumps(results, indent=2))
    print_table(results, sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
