"""Completion benchmark: one shell completion, as the shell runs it, at 1,000 prompts (target:
150 ms each, process start included).

Builds a Git work tree of 1,000 prompts in a temporary directory, every file different (seeded
titles, tags, owners, inputs and bodies drawn from word lists, spread over 12 collections and some
sub-folders), then runs the console script the way bash does on a key press
(``_PROMPTCTL_COMPLETE=complete_bash COMP_WORDS=... COMP_CWORD=...``) over distinct prefixes:

- prompt ids (``promptctl show <prefix>``, ``render``, ``history``, ``test``);
- tags (``promptctl list --tag <prefix>``), owners (``--owner``), collections (``--collection``);
- ids after ``--repo DIR`` and command names (``promptctl <prefix>``): these are answered by
  typer, after the app is built, rather than by ``promptctl.cli.quick``; for comparison.

The first tag completion, which scans every front matter and writes the cache, is reported on its
own ("cold"); each figure is the median and p95 of its runs. The machine's load average is printed
before and after, since these machines are shared. Run: ``python bench/completion.py [--json]
[--count 1000]``; nothing is asserted on the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNT = 1000
TARGET_MS = 150.0
SEED = 11

COLLECTIONS = ["engineering", "docs", "ops", "security", "data", "ml", "support", "legal",
               "sales", "design", "research", "embedded"]
SUBFOLDERS = ["", "", "", "review", "drafts", "team-a", "team-b"]
VERBS = ["review", "summarise", "explain", "draft", "triage", "translate", "audit", "classify",
         "rewrite", "plan", "compare", "extract", "critique", "outline", "score", "check"]
NOUNS = ["pull-request", "incident", "contract", "dataset", "schema", "query", "release", "ticket",
         "email", "design-doc", "api", "runbook", "experiment", "invoice", "policy", "commit",
         "log", "migration", "firmware", "paper", "proposal", "bug-report", "changelog", "spec"]
TAG_WORDS = ["python", "go", "rust", "sql", "security", "privacy", "latency", "cost", "ux",
             "a11y", "legal", "gdpr", "billing", "oncall", "postmortem", "ci", "testing", "docs",
             "tone", "summary", "classification", "extraction", "translation", "planning",
             "kubernetes", "terraform", "ml-ops", "evaluation", "hiring", "sales-ops", "support",
             "firmware", "embedded", "frontend", "backend", "data-quality", "observability"]
TEAMS = ["platform", "sre", "docs-guild", "ml-research", "security", "data", "support-eng",
         "legal-ops", "design-systems", "growth", "embedded", "finance"]
BODY_WORDS = ["the", "a", "clear", "concise", "careful", "user", "input", "output", "each",
              "step", "list", "why", "how", "risk", "edge", "case", "example", "format", "reply",
              "answer", "context", "goal", "audience", "keep", "short", "cite", "note", "table",
              "bullet", "summary", "evidence", "assumption", "question"]


def make_prompt(rng: random.Random, number: int) -> tuple[str, str, list[str], list[str]]:
    """One prompt's path under prompts/, its text, tags and owners; ``number`` keeps every file
    distinct."""
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    collection = rng.choice(COLLECTIONS)
    sub = rng.choice(SUBFOLDERS)
    name = f"{verb}-{noun}-{number:04d}"
    rel = "/".join(p for p in (collection, sub, name) if p)
    tags = [*rng.sample(TAG_WORDS, rng.randint(1, 4)), f"{collection}-{rng.randrange(40)}"]
    owners = [f"@acme/{t}" for t in rng.sample(TEAMS, rng.randint(1, 2))]
    if rng.random() < 0.3:
        owners.append(f"@dev{rng.randrange(300)}")
    body = " ".join(rng.choice(BODY_WORDS) for _ in range(rng.randint(20, 120)))
    block_tags = rng.random() < 0.3
    tag_text = ("\n" + "".join(f"  - {t}\n" for t in tags)).rstrip("\n") if block_tags else (
        "[" + ", ".join(tags) + "]")
    text = (
        "---\n"
        f"title: {verb.capitalize()} a {noun.replace('-', ' ')} ({number})\n"
        f"description: {verb.capitalize()}s one {noun.replace('-', ' ')}; variant {number}.\n"
        f"version: {rng.randint(0, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}\n"
        f"status: {rng.choice(['draft', 'active', 'active', 'deprecated'])}\n"
        f"owners: [{', '.join(json.dumps(o) for o in owners)}]\n"
        f"tags: {tag_text}\n"
        "inputs:\n"
        f"  {noun.replace('-', '_')}:\n"
        "    type: string\n"
        "    required: true\n"
        "---\n"
        f"{body}\n\n{{{{ {noun.replace('-', '_')} }}}}\n"
    )
    return rel, text, tags, owners


def build(root: Path, count: int) -> dict[str, set[str]]:
    rng = random.Random(SEED)
    ids: set[str] = set()
    tags: set[str] = set()
    owners: set[str] = set()
    for number in range(count):
        rel, text, its_tags, its_owners = make_prompt(rng, number)
        target = root / "prompts" / f"{rel}.prompt.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        ids.add(rel)
        tags.update(its_tags)
        owners.update(its_owners)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return {"ids": ids, "tags": tags, "owners": owners}


def promptctl() -> list[str]:
    script = Path(sys.executable).parent / "promptctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "promptctl"]


def complete(root: Path, env: dict[str, str], words: list[str]) -> tuple[float, list[str]]:
    """One completion of the last word of ``words``: its wall time (ms) and what it offered."""
    run_env = {**env, "_PROMPTCTL_COMPLETE": "complete_bash",
               "COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1)}
    start = time.perf_counter()
    proc = subprocess.run(promptctl(), cwd=root, env=run_env, capture_output=True, text=True,
                          check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"completion of {words} failed ({proc.returncode}): {proc.stderr}")
    return elapsed, proc.stdout.split()


def prefixes(values: set[str], rng: random.Random, count: int) -> list[str]:
    """Distinct prefixes of distinct values, 1 to 8 characters long."""
    chosen: list[str] = []
    for value in rng.sample(sorted(values), min(len(values), count * 3)):
        prefix = value[: rng.randint(1, min(8, len(value)))]
        if prefix not in chosen:
            chosen.append(prefix)
        if len(chosen) == count:
            break
    return chosen


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"runs": len(times), "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(p95, 1)}


def measure(root: Path, env: dict[str, str], truth: dict[str, set[str]],
            per_kind: int) -> dict[str, dict[str, float]]:
    rng = random.Random(SEED + 1)
    figures: dict[str, dict[str, float]] = {}
    cold, offered = complete(root, env, ["promptctl", "list", "--tag", ""])
    if set(offered) != truth["tags"]:
        raise SystemExit(f"tags offered differ from the tags written: "
                         f"{sorted(set(offered) ^ truth['tags'])[:10]}")
    figures["tags, cold cache"] = summary([cold])
    kinds = {
        "ids": (["show", "render", "history", "test"], truth["ids"], None),
        "tags": (["list"], truth["tags"], "--tag"),
        "owners": (["list", "search x"], truth["owners"], "--owner"),
        "collections": (["list"], {i.split("/")[0] for i in truth["ids"]}, "--collection"),
    }
    for kind, (commands, values, option) in kinds.items():
        times = []
        for number, prefix in enumerate(prefixes(values, rng, per_kind)):
            words = ["promptctl", *commands[number % len(commands)].split()]
            words += [option, prefix] if option else [prefix]
            elapsed, offered = complete(root, env, words)
            expected = {v for v in values if v.startswith(prefix)}
            if set(offered) != expected:
                raise SystemExit(f"{words}: offered {sorted(offered)[:5]}..., expected "
                                 f"{sorted(expected)[:5]}...")
            times.append(elapsed)
        figures[kind] = summary(times)
    slow = []  # with --repo the answer comes from typer's callbacks, after the app is built
    for prefix in prefixes(truth["ids"], rng, 10):
        elapsed, offered = complete(root, env, ["promptctl", "show", "--repo", str(root), prefix])
        if set(offered) != {v for v in truth["ids"] if v.startswith(prefix)}:
            raise SystemExit(f"show --repo {root} {prefix}: offered {sorted(offered)[:5]}...")
        slow.append(elapsed)
    figures["ids after --repo (through typer)"] = summary(slow)
    names = [complete(root, env, ["promptctl", p])[0] for p in ("s", "v", "re", "h", "c")]
    figures["command names (through typer)"] = summary(names)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--per-kind", type=int, default=20, help="distinct prefixes per kind")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    log = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        truth = build(root, args.count)
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache"), "NO_COLOR": "1"}
        env.pop("PROMPTCTL_DEBUG", None)
        load_before = os.getloadavg()
        complete(root, env, ["promptctl", "s"])  # warm the interpreter's files
        figures = measure(root, env, truth, args.per_kind)
        load_after = os.getloadavg()
    result = {"prompts": args.count, "cpus": os.cpu_count(), "target_ms": TARGET_MS,
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in load_after], "figures": figures}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.count} prompts, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' '.join(f'{x:.2f}' for x in load_after)} after", file=log)
    print(f"{'completion':<38} {'runs':>5} {'median':>9} {'p95':>9}  target {TARGET_MS:.0f} ms")
    for name, figure in figures.items():
        print(f"{name:<38} {figure['runs']:>5} {figure['median_ms']:>7.1f}ms "
              f"{figure['p95_ms']:>7.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
