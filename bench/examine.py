"""The per-file CPU of a first start, in one process: what the server's worker processes do for
each prompt file (``server.records.examine``), stage by stage.

Every prompt file's blob of the repository's ``main`` is read once, then timed, in CPU seconds of
this process:

1. the .prompt.md front matters read by ``promptctl.frontmatter`` (with how many it leaves to
   PyYAML), by PyYAML's events and by PyYAML's nodes, each reader over all of them;
2. ``load_prompt`` over every file;
3. ``examine`` (load, checks, record and search document) over every file.

Run: ``python bench/examine.py [--repo DIR] [--count 10000] [--corpora PATH] [--json]``. Without
``--repo`` a library of ``--count`` prompts is built from the corpora
(``foundation.build_repository``, no two files alike) and committed in a temporary directory.
The load average is printed beside the figures: on a busy machine every figure is higher.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation import DEFAULT_CORPORA, build_repository, corpus_texts, git, load_average, log

# bench/server.py is not the server package: once foundation is imported, this folder leaves the
# import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from promptctl import frontmatter, yamlload  # noqa: E402
from promptctl.gitreader import GitRepository  # noqa: E402
from promptctl.loader import _fenced, load_prompt  # noqa: E402
from promptctl.model import MD_SUFFIX, YAML_SUFFIX  # noqa: E402
from promptctl.sources import SourceFile  # noqa: E402
from promptctl.validate import PromptChecks  # noqa: E402
from server.records import examine  # noqa: E402


def _cpu(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def _not_mine(text: str) -> bool:
    try:
        frontmatter.parse(text, 1, yamlload._plain)
    except frontmatter.NotMine:
        return True
    return False


def figures(repo: Path) -> dict[str, Any]:
    reader = GitRepository(repo)
    files = [reader.read(f) for f in reader.tree_files(reader.commit_id("main"))
             if f.path.endswith((MD_SUFFIX, YAML_SUFFIX)) and f.blob is not None]
    texts = [f.data.decode("utf-8", errors="replace") for f in files if f.path.endswith(MD_SUFFIX)]
    fronts = [parts[0] for parts in map(_fenced, texts) if isinstance(parts, tuple)]
    checks = PromptChecks({})
    blobs = [(f, str(i)) for i, f in enumerate(files)]

    def each(step: Callable[[SourceFile, str], object]) -> Callable[[], None]:
        def run() -> None:
            for file, blob in blobs:
                step(file, blob)  # dropped at once, as a worker drops what it sent back
        return run

    # examine first: the caches keyed by content (scalars, input schemas) start cold, as in a
    # worker process; the later figures find them warm.
    found: dict[str, Any] = {"prompts": len(files), "front_matters": len(fronts)}
    found["examine_cpu_s"] = _cpu(each(lambda file, blob: examine(file, blob, checks)))
    found["load_prompt_cpu_s"] = _cpu(each(lambda file, _blob: load_prompt(file)))
    found["frontmatter_cpu_s"] = _cpu(lambda: sum(map(_not_mine, fronts)))
    found["left_to_pyyaml"] = sum(map(_not_mine, fronts))
    found["pyyaml_events_cpu_s"] = _cpu(lambda: [yamlload._load_events(t, 1) and None
                                                 for t in fronts])
    found["pyyaml_nodes_cpu_s"] = _cpu(lambda: [yamlload._load_nodes(t, 1) and None
                                                for t in fronts])
    found["load"] = load_average()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="a prompt repository (default: one built)")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-examine-") as tmp:
        repo = args.repo
        if repo is None:
            if not args.corpora.is_dir():
                log(f"corpora not found at {args.corpora}, skipping")
                return 0
            repo = Path(tmp) / "repo"
            build_repository(repo, corpus_texts(args.corpora)[0], args.count)
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "prompts")
        found = figures(repo)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    per = 1e6 / max(found["front_matters"], 1)
    print(f"{found['prompts']:,} prompt files, {found['front_matters']:,} front matters "
          f"({found['load']})")
    for key, label in (("frontmatter_cpu_s", "front matter, promptctl.frontmatter"),
                       ("pyyaml_events_cpu_s", "front matter, PyYAML events"),
                       ("pyyaml_nodes_cpu_s", "front matter, PyYAML nodes")):
        print(f"  {label:<40} {found[key]:6.3f} s  {found[key] * per:6.1f} us each")
    print(f"  {'left to PyYAML by promptctl.frontmatter':<40} {found['left_to_pyyaml']:,}")
    for key, label in (("examine_cpu_s", "examine (first)"), ("load_prompt_cpu_s", "load_prompt")):
        print(f"  {label:<40} {found[key]:6.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
