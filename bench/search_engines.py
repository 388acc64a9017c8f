"""Search engines side by side: SQLite FTS5 as the command line uses it, the read API's engine
(``server/search.py``, tantivy) and the first tantivy experiment, on the same distinct-content
prompts and the same distinct queries, in process.

All answer what the read API asks: every word, the last one a prefix (search-as-you-type),
title x10, tags x8, description x4, id x3 and body x1, the top 20, a snippet for each hit
returned. The queries are those of ``bench/scale.py`` (corpus words, no query twice), so no
answer cache can help any engine.

For the read API's engine it also prints: search with and without snippets (the snippet text
comes from memory: reading the blob is the caller's cost), the index build, an update of one
prompt, a re-open with its kept digests, its size on disk beside the prompt files', and the
memory of a separate process that opens the 10k index and answers the queries.

Run: ``python bench/search_engines.py [--count 10000] [--repo WORK_TREE]`` (``--repo``: a
library already built, e.g. by ``foundation.build_repository``). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation import DEFAULT_CORPORA, _p95, build_repository, corpus_texts, load_average, log
from scale import distinct_queries

from promptctl.library import Library
from promptctl.model import Prompt
from promptctl.search import SearchIndex, query_terms

# bench/server.py would shadow the server package: once the benches' helpers are imported, this
# folder leaves the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from server.search import PromptSearch, SearchDoc  # noqa: E402

LIMIT = 20
_WORD = re.compile(r"[a-z]{4,12}")


def _timed(search: Callable[[str], list[Any]], queries: list[str]) -> dict[str, float]:
    for query in queries[:20]:  # warm-up, not measured
        search(query + " ")
    samples, hits = [], 0
    for query in queries:
        start = time.perf_counter()
        hits += len(search(query))
        samples.append((time.perf_counter() - start) * 1000)
    return {"p95_ms": _p95(samples), "median_ms": sorted(samples)[len(samples) // 2],
            "mean_hits": hits / len(queries)}


def fts5(prompts: list[Prompt], queries: list[str]) -> dict[str, float]:
    index = SearchIndex()
    start = time.perf_counter()
    index.add(prompts)
    built = time.perf_counter() - start
    figures = _timed(lambda q: index.search(q, limit=LIMIT), queries)
    figures["index_s"] = built
    return figures


def tantivy_figures(prompts: list[Prompt], queries: list[str]) -> dict[str, float] | None:
    """The first experiment (decision 0012): tantivy's regex query for the prefix and its own
    snippet generator over a stored body."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    for name in ("id", "title", "description", "tags", "body"):
        builder.add_text_field(name, stored=True, tokenizer_name="default")
    schema = builder.build()
    folder = tempfile.mkdtemp(prefix="tantivy-")
    index = tantivy.Index(schema, path=folder)
    start = time.perf_counter()
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for prompt in prompts:
        writer.add_document(tantivy.Document(
            id=prompt.id, title=prompt.title, description=prompt.description,
            tags=" ".join(prompt.tags), body="\n\n".join(t.source for t in prompt.templates)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    built = time.perf_counter() - start
    searcher = index.searcher()
    boosts = {"title": 10.0, "tags": 8.0, "description": 4.0, "id": 3.0, "body": 1.0}

    def search(text: str) -> list[tuple[float, str]]:
        terms = query_terms(text)
        if not terms:
            return []
        words = []
        for word, term in terms:
            prefix = term.endswith("*")
            token = word.lower()
            per_field = []
            for field, boost in boosts.items():
                if prefix:
                    inner = tantivy.Query.regex_query(schema, field, re.escape(token) + ".*")
                else:
                    inner = tantivy.Query.term_query(schema, field, token)
                per_field.append((tantivy.Occur.Should, tantivy.Query.boost_query(inner, boost)))
            words.append((tantivy.Occur.Must, tantivy.Query.boolean_query(per_field)))
        query = tantivy.Query.boolean_query(words)
        found = searcher.search(query, LIMIT).hits
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
        out = []
        for score, address in found:
            doc = searcher.doc(address)
            out.append((score, snippets.snippet_from_doc(doc).to_html()))
        return out

    figures = _timed(search, queries)
    figures["index_s"] = built
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def search_doc(prompt: Prompt) -> SearchDoc:
    return SearchDoc(prompt.id, prompt.digest, prompt.status, prompt.title, prompt.description,
                     tuple(prompt.tags), "\n\n".join(t.source for t in prompt.templates))


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def read_api_engine(docs: list[SearchDoc], queries: list[str], texts: dict[str, str],
                    folder: Path) -> dict[str, float]:
    """server/search.py: build, searches with and without snippets, one update, a re-open."""
    index = PromptSearch.open(folder)
    start = time.perf_counter()
    searcher = index.update(docs, ())
    figures = {"index_s": time.perf_counter() - start}
    updates = []
    for n, doc in enumerate(docs[:: max(1, len(docs) // 10)][:10]):
        changed = SearchDoc(doc.id, f"changed-{n}", doc.status, doc.title + " revised",
                            doc.description, doc.tags, doc.body)
        start = time.perf_counter()
        searcher = index.update([changed], ())
        updates.append((time.perf_counter() - start) * 1000)
    figures["update_ms"] = statistics.median(updates)
    figures["update_max_ms"] = max(updates)
    docs.clear()  # the documents were the builder's: a server holds none of them
    gc.collect()
    plain = _timed(lambda q: searcher.search(q, limit=LIMIT), queries)
    snipped = _timed(lambda q: searcher.search(q, limit=LIMIT, snippet_text=texts.get), queries)
    figures.update({f"plain_{k}": v for k, v in plain.items()})
    figures.update({f"snippets_{k}": v for k, v in snipped.items()})
    index.close()
    start = time.perf_counter()
    again = PromptSearch.open(folder)
    kept = again.kept()
    figures["reopen_ms"] = (time.perf_counter() - start) * 1000
    figures["kept"] = len(kept)
    again.close()
    figures["disk_mib"] = _size(folder) / 2**20
    return figures


_HOLDER = """
import json, sys, time
from pathlib import Path
sys.path[:] = [p for p in sys.path if p not in ("", ".")]
from server.search import PromptSearch

def rss_kib(field="VmRSS:"):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

queries = json.loads(sys.stdin.read())
base = rss_kib()
index = PromptSearch.open(Path(sys.argv[1]))
searcher = index.searcher()
opened = rss_kib()
for query in queries[:20]:
    searcher.search(query + " ", limit=20)
took = []
for query in queries:
    start = time.perf_counter()
    searcher.search(query, limit=20)
    took.append((time.perf_counter() - start) * 1000)
took.sort()
print(json.dumps({"p50_ms": took[len(took) // 2], "p95_ms": took[int(len(took) * 0.95) - 1],
                  "python_kib": base, "opened_kib": opened, "searched_kib": rss_kib(),
                  # VmHWM, not ru_maxrss: that one starts from the RSS of the benchmark that
                  # started this process (Linux carries it over the exec).
                  "peak_kib": rss_kib("VmHWM:"),
                  "docs": len(searcher)}))
"""


def holder_memory(folder: Path, queries: list[str]) -> dict[str, float]:
    """The memory of a fresh process that opens the kept index and answers the queries (and
    how fast, without snippets)."""
    done = subprocess.run([sys.executable, "-c", _HOLDER, str(folder)], input=json.dumps(queries),
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repo", type=Path, help="a library work tree to use instead")
    parser.add_argument("--only-read-api", action="store_true",
                        help="skip FTS5 and the first tantivy experiment")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="search-engines-"))
    try:
        if args.repo is not None:
            library_root = args.repo
        elif not args.corpora.is_dir():
            log(f"corpora not found at {args.corpora}, skipping")
            return 0
        else:
            library_root = work / "repo"
            texts_, _skipped = corpus_texts(args.corpora)
            build_repository(library_root, texts_, args.count)
        log("loading the library ...")
        prompts = list(Library.from_work_tree(library_root).prompts.values())
        files = {p.id: (library_root / p.path).read_text(encoding="utf-8") for p in prompts}
        files_bytes = sum(len(t.encode()) for t in files.values())
        words = sorted({w for p in prompts[:2000] for t in p.templates
                        for w in _WORD.findall(t.source.lower())})
        queries = distinct_queries(words, 300, 2)
        print(f"{len(prompts):,} prompts ({files_bytes / 2**20:.1f} MiB of prompt files), "
              f"300 distinct queries, top {LIMIT}, in process ({load_average()})")
        engines: list[tuple[str, Callable[[list[Prompt], list[str]], dict[str, float] | None]]]
        engines = [] if args.only_read_api else [
            ("sqlite fts5, with snippets", fts5),
            ("tantivy, first experiment (regex prefix, its snippets)", tantivy_figures)]
        for name, run in engines:
            figures = run(prompts, queries)
            if figures is not None:
                print(f"  {name}: p95 {figures['p95_ms']:.2f} ms, median "
                      f"{figures['median_ms']:.2f} ms, {figures['mean_hits']:.1f} hits a query, "
                      f"indexed in {figures['index_s']:.1f} s ({load_average()})")
        folder = work / "search"
        docs = [search_doc(p) for p in prompts]
        del prompts  # a server no longer holds every prompt parsed (issue #11)
        gc.collect()
        read_api = read_api_engine(docs, queries, files, folder)
        print(f"  read API engine (server/search.py), {load_average()}:")
        print(f"    search without snippets: p50 {read_api['plain_median_ms']:.2f} ms, p95 "
              f"{read_api['plain_p95_ms']:.2f} ms, {read_api['plain_mean_hits']:.1f} hits a query")
        print(f"    search with snippets:    p50 {read_api['snippets_median_ms']:.2f} ms, p95 "
              f"{read_api['snippets_p95_ms']:.2f} ms")
        print(f"    index build {read_api['index_s']:.2f} s; update of one prompt "
              f"{read_api['update_ms']:.0f} ms median, {read_api['update_max_ms']:.0f} ms max "
              f"(a commit to disk)")
        print(f"    re-open with its {read_api['kept']:,.0f} kept digests "
              f"{read_api['reopen_ms']:.0f} ms")
        print(f"    on disk {read_api['disk_mib']:.1f} MiB for {files_bytes / 2**20:.1f} MiB of "
              f"prompt files ({read_api['disk_mib'] / (files_bytes / 2**20):.0%})")
        memory = holder_memory(folder, queries)
        print(f"    a process holding it: RSS {memory['python_kib'] / 1024:.0f} MiB bare, "
              f"{memory['opened_kib'] / 1024:.0f} MiB opened, {memory['searched_kib'] / 1024:.0f}"
              f" MiB after the 300 queries ({memory['docs']:,.0f} prompts); its search without "
              f"snippets p50 {memory['p50_ms']:.2f} ms, p95 {memory['p95_ms']:.2f} ms "
              f"({load_average()})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
