"""Owners benchmark: ``owners`` for 10,000 paths against a 1,000-line CODEOWNERS (target: 1 s).

The CODEOWNERS file and the paths are generated (seeded, so every run sees the same ones) to look
like a large monorepo's: a default owner, extension and folder rules that match at any depth,
hundreds of anchored service and library folders, single files, ``docs/*``-style direct-children
rules, ``**`` rules and lines that leave a folder unowned. Three figures, each the median of 5:

1. in process: ``codeowners.parse`` (every pattern compiled) plus ``match`` of the 10,000 paths;
2. the real CLI: ``python -m promptctl owners --paths-from FILE --json`` (process start included);
3. for reference, the same matching without the index: every rule tried from the last line up.

Before timing, the indexed matcher's answer for every path is compared with the reference one; a
difference is a finding (exit 1). Run: ``python bench/owners.py [--json]``; nothing is asserted on
the timings.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from promptctl import codeowners

RULES = 1000
PATHS = 10_000
RUNS = 5
TARGET_S = 1.0
SEED = 7

EXTENSIONS = ["py", "ts", "tsx", "go", "rs", "java", "md", "yaml", "json", "proto", "sql", "sh"]
FOLDERS = ["src", "api", "tests", "docs", "internal", "cmd", "scripts", "fixtures", "migrations"]


def make_codeowners(rng: random.Random) -> str:
    """A 1,000-rule CODEOWNERS (plus a few comment lines) in the order people write them."""
    teams = [f"@acme/team-{i}" for i in range(60)]
    users = [f"@dev{i}" for i in range(200)]

    def owners() -> str:
        picked = rng.sample(teams, rng.randint(1, 2)) + rng.sample(users, rng.randint(0, 2))
        return " ".join(picked)

    lines = ["# Generated for bench/owners.py", "* @acme/default-owners"]
    for ext in EXTENSIONS:  # any depth, by type
        lines.append(f"*.{ext} {owners()}")
    for folder in ("logs/", "**/fixtures/", "**/__snapshots__/", "vendor/", "**/generated/**"):
        lines.append(f"{folder} {owners()}")
    while len(lines) < RULES + 1:
        service = rng.randrange(400)
        kind = rng.random()
        if kind < 0.45:
            lines.append(f"/services/svc-{service}/ {owners()}")
        elif kind < 0.65:
            lines.append(f"/services/svc-{service}/{rng.choice(FOLDERS)}/ {owners()}")
        elif kind < 0.80:
            lines.append(f"/services/svc-{service}/src/module_{rng.randrange(8)}/"
                         f"file_{rng.randrange(30)}.{rng.choice(EXTENSIONS)} {owners()}")
        elif kind < 0.88:
            lines.append(f"/libs/lib-{rng.randrange(80)}/**/*.{rng.choice(EXTENSIONS)} {owners()}")
        elif kind < 0.94:
            lines.append(f"/docs/area-{rng.randrange(50)}/* {owners()}")
        elif kind < 0.97:
            lines.append(f"/services/svc-{service}/{rng.choice(FOLDERS)}")  # unowned
        else:
            lines.append(f"/services/svc-*/{rng.choice(FOLDERS)}/*.{rng.choice(EXTENSIONS)} "
                         f"{owners()}")
    return "\n".join(lines) + "\n"


def make_paths(rng: random.Random) -> list[str]:
    paths = []
    for _ in range(PATHS):
        kind = rng.random()
        ext = rng.choice(EXTENSIONS)
        if kind < 0.7:
            depth = "/".join(rng.choice(FOLDERS) for _ in range(rng.randint(0, 2)))
            paths.append(f"services/svc-{rng.randrange(450)}/{rng.choice(FOLDERS)}/"
                         f"{depth + '/' if depth else ''}module_{rng.randrange(8)}/"
                         f"file_{rng.randrange(30)}.{ext}")
        elif kind < 0.85:
            paths.append(f"libs/lib-{rng.randrange(90)}/pkg/{rng.choice(FOLDERS)}/x.{ext}")
        elif kind < 0.95:
            paths.append(f"docs/area-{rng.randrange(60)}/{rng.choice(['', 'deep/'])}page.md")
        else:
            paths.append(f"{rng.choice(['README', 'Makefile', 'tools/run', 'logs/a'])}.{ext}")
    return paths


def reference_match(rules: codeowners.CodeOwners, path: str) -> int | None:
    """The deciding line without the index: every rule, last line first."""
    for rule in reversed(rules.rules):
        if rule.regex.match(path):
            return rule.line
    return None


def median_time(action: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    log = sys.stderr if args.json else sys.stdout
    rng = random.Random(SEED)
    text = make_codeowners(rng)
    paths = make_paths(rng)
    rules, problems = codeowners.parse(text)
    if problems or len(rules.rules) != RULES:
        print(f"FINDING: the generated CODEOWNERS has {len(rules.rules)} rules and problems "
              f"{problems[:3]}", file=sys.stderr)
        return 1
    indexed = [rules.match(p).rule for p in paths]
    got = [r.line if r else None for r in indexed]
    want = [reference_match(rules, p) for p in paths]
    if got != want:
        wrong = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
        print(f"FINDING: {paths[wrong]}: indexed line {got[wrong]}, reference line "
              f"{want[wrong]}", file=sys.stderr)
        return 1
    owned = sum(1 for r in indexed if r and r.owners)
    print(f"promptctl owners bench: {PATHS:,} paths, {RULES:,} rules, {owned:,} owned, "
          f"{len(set(got)):,} distinct deciding lines; median of {RUNS}", file=log)

    def in_process() -> None:
        parsed, _ = codeowners.parse(text)
        for path in paths:
            parsed.match(path)

    parse_s = median_time(lambda: codeowners.parse(text))
    in_process_s = median_time(in_process)
    reference_s = median_time(lambda: [reference_match(rules, p) for p in paths])

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "CODEOWNERS").write_text(text)
        listing = repo / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        command = [sys.executable, "-m", "promptctl", "owners", "--paths-from", str(listing),
                   "--json", "--repo", str(repo)]
        first = subprocess.run(command, capture_output=True, text=True, check=False)
        if first.returncode != 0 or len(json.loads(first.stdout)) != PATHS:
            print(f"FINDING: `promptctl owners` failed: {first.stderr.strip()}", file=sys.stderr)
            return 1
        cli_s = median_time(lambda: subprocess.run(command, capture_output=True, check=True))

    figures = {
        "parse": parse_s,
        "in_process": in_process_s,
        "cli": cli_s,
        "reference_no_index": reference_s,
    }
    rows = [
        ("parse + compile 1,000 rules", parse_s, None),
        ("in process: parse + match 10,000 paths", in_process_s, TARGET_S),
        ("promptctl owners --paths-from (process start included)", cli_s, TARGET_S),
        ("reference: no index, every rule from the last line up", reference_s, None),
    ]
    for label, value, target in rows:
        verdict = "" if target is None else f"  target {target:.1f} s: " + (
            "ok" if value <= target else "over")
        print(f"  {label:<58} {value:7.3f} s{verdict}", file=log)
    if args.json:
        print(json.dumps({k: round(v, 4) for k, v in figures.items()} | {"target_s": TARGET_S},
                         indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
