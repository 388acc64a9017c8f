"""Governance benchmark: `check` and `history` on a repository of 1,000 prompts, 2,000 commits.

The repository is written with ``git fast-import`` (seconds, not minutes): the first commit adds
1,000 valid prompts in 20 collections and two partials (each included by 25 prompts); each of the
next 1,999 commits changes one prompt and raises its version. Every tenth commit changes the
prompt whose history is timed, so it has 200 versions spread over the whole history. A ``pr``
branch then does what a busy pull request does: five prompts changed, one deprecated, one added,
and a partial changed with its 25 including prompts bumped.

Figures, each the median of 5 runs of the real CLI (process start-up included, one warm-up run):

1. ``promptctl check --base main --head pr`` (target 5 s), after checking that it exits 0;
2. ``promptctl check --base main`` with ``pr`` checked out (the work tree: what CI runs);
3. ``promptctl history c00/p0000`` (target 0.5 s), after checking that it lists 201 versions;
4. for the split of 3: ``History(repo).versions("c00/p0000")`` in process (the walk and the
   parsing of each distinct blob, without process start-up or the command's library load).

Run: ``python bench/governance.py [--json] [--keep DIR]``. Nothing here asserts a timing; a
command that fails where it should pass is a finding (exit 1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from foundation import FastImport

PROMPTS = 1000
COMMITS = 2000
COLLECTIONS = 20
TRACKED = "c00/p0000"  # the prompt whose history is timed
TRACKED_EVERY = 10
RUNS = 5
CHECK_TARGET_S = 5.0
HISTORY_TARGET_S = 0.5


def prompt_id(index: int) -> str:
    return f"c{index % COLLECTIONS:02d}/p{index:04d}"


def prompt_text(index: int, version: str, *, status: str = "active", note: str = "") -> str:
    partial = "" if index % 20 >= 2 else f'\n{{% include "_partials/part{index % 20}.md" %}}'
    extra = "replaced_by: c00/p0000\n" if status == "deprecated" else ""
    return (
        f"---\ntitle: Prompt {index}\ndescription: Benchmark prompt number {index}.\n"
        f"version: {version}\nstatus: {status}\nowners: [\"@bench/team{index % 7}\"]\n{extra}"
        "tags: [bench]\ninputs:\n  topic:\n    type: string\n    required: true\n"
        "  tone:\n    type: string\n    enum: [plain, formal]\n    default: plain\n"
        "tests:\n  - name: renders\n    inputs: {topic: gears}\n    expect: {contains: gears}\n"
        f"---\nWrite about {{{{ topic }}}} in a {{{{ tone }}}} tone.{note}{partial}\n"
    )


def build(repo: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream = FastImport()
    versions = dict.fromkeys(range(PROMPTS), 0)  # patch number of each prompt

    def path(index: int) -> str:
        return f"prompts/{prompt_id(index)}.prompt.md"

    files: dict[str, str | None] = {path(i): prompt_text(i, "1.0.0") for i in range(PROMPTS)}
    files["prompts/_partials/part0.md"] = "Keep it short.\n"
    files["prompts/_partials/part1.md"] = "Cite your sources.\n"
    files["promptctl.yaml"] = "approvals:\n  team: 1\n  global: 2\n"
    stream.commit("main", "1,000 prompts", files)
    for number in range(2, COMMITS + 1):
        index = 0 if number % TRACKED_EVERY == 0 else 1 + number % (PROMPTS - 1)
        versions[index] += 1
        version = f"1.0.{versions[index]}"
        stream.commit("main", f"{prompt_id(index)} {version}",
                      {path(index): prompt_text(index, version, note=f" Edit {number}.")})
    # The pull request, on top of main.
    change: dict[str, str | None] = {}
    for index in (101, 202, 303, 404, 505):
        versions[index] += 1
        change[path(index)] = prompt_text(index, f"1.0.{versions[index]}", note=" PR edit.")
    change[path(606)] = prompt_text(606, f"1.0.{versions[606] + 1}", status="deprecated")
    change["prompts/c00/new-prompt.prompt.md"] = prompt_text(PROMPTS, "0.1.0", status="draft")
    change["prompts/_partials/part1.md"] = "Cite your sources, with links.\n"
    for index in range(1, PROMPTS, 20):  # the 50 prompts that include part1
        if path(index) not in change:
            change[path(index)] = prompt_text(index, f"1.0.{versions[index] + 1}")
    stream.commit("pr", "a busy pull request", change, parent="refs/heads/main")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream.data(),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "promptctl", *args, "--repo", str(repo)],
                          capture_output=True, text=True, check=False)


def timed(repo: Path, *args: str) -> float:
    cli(repo, *args)  # warm-up: the OS file cache, not ours (promptctl keeps none)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        cli(repo, *args)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def walk_in_process(repo: Path) -> float:
    from promptctl.history import History

    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        History(repo, "HEAD").versions(TRACKED)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def require(ok: bool, finding: str) -> None:
    if not ok:
        print(f"FINDING: {finding}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    log = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory(prefix="promptctl-governance-") as scratch:
        repo = args.keep or Path(scratch) / "repo"
        start = time.perf_counter()
        build(repo)
        count = subprocess.run(["git", "rev-list", "--count", "pr"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
        print(f"built {repo}: {PROMPTS} prompts, {count} commits on pr, in "
              f"{time.perf_counter() - start:.1f} s", file=log)

        first = cli(repo, "check", "--base", "main", "--head", "pr", "--json")
        require(first.returncode == 0, f"check --head pr failed:\n{first.stdout}{first.stderr}")
        changed = len(json.loads(first.stdout)["changed"])
        check_head = timed(repo, "check", "--base", "main", "--head", "pr")
        subprocess.run(["git", "checkout", "-q", "pr"], cwd=repo, check=True)
        work = cli(repo, "check", "--base", "main")
        require(work.returncode == 0, f"check (work tree) failed:\n{work.stdout}{work.stderr}")
        check_tree = timed(repo, "check", "--base", "main")
        listed = cli(repo, "history", TRACKED, "--json")
        require(listed.returncode == 0, f"history failed:\n{listed.stderr}")
        versions = len(json.loads(listed.stdout))
        require(versions == COMMITS // TRACKED_EVERY + 1,
                f"history listed {versions} versions, expected {COMMITS // TRACKED_EVERY + 1}")
        history = timed(repo, "history", TRACKED)
        walk = walk_in_process(repo)

    figures = {
        "check_head_s": {"measured": round(check_head, 3), "target": CHECK_TARGET_S,
                         "changed_prompts": changed},
        "check_work_tree_s": {"measured": round(check_tree, 3), "target": CHECK_TARGET_S},
        "history_s": {"measured": round(history, 3), "target": HISTORY_TARGET_S,
                      "versions": versions},
        "history_walk_in_process_s": {"measured": round(walk, 3), "target": None},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    rows = [
        (f"check --base main --head pr ({changed} changed prompts)", check_head, CHECK_TARGET_S),
        ("check --base main (pr checked out, the work tree)", check_tree, CHECK_TARGET_S),
        (f"history {TRACKED} ({versions} versions, {COMMITS} commits)", history,
         HISTORY_TARGET_S),
    ]
    print(f"\nmedian of {RUNS} runs of the real CLI, process start-up included:")
    for label, measured, target in rows:
        verdict = "ok" if measured <= target else "OVER"
        print(f"  {label:<60} {measured:6.3f} s  (target {target:.1f} s)  {verdict}")
    print(f"  {'of which History.versions in process (walk + parsing)':<60} {walk:6.3f} s")


if __name__ == "__main__":
    main()
