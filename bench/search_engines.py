"""Search engines side by side: SQLite FTS5 as the server uses it, and ``tantivy`` (PyPI), on the
same distinct-content prompts and the same distinct queries, in process.

Both answer what the read API asks: every word, the last one a prefix (search-as-you-type),
title x10, tags x8, description x4, id x3 and body x1, the top 20, a snippet for each hit
returned. The queries are those of ``bench/scale.py`` (corpus words, no query twice), so no
answer cache can help either engine.

Run: ``python bench/search_engines.py [--count 10000]`` (tantivy is imported if installed:
``pip install tantivy``; it is not a dependency of promptctl). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation import DEFAULT_CORPORA, _p95, build_repository, corpus_texts, log
from scale import distinct_queries

from promptctl.library import Library
from promptctl.model import Prompt
from promptctl.search import SearchIndex, query_terms

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
    try:
        import tantivy  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    if not args.corpora.is_dir():
        log(f"corpora not found at {args.corpora}, skipping")
        return 0
    work = Path(tempfile.mkdtemp(prefix="search-engines-"))
    texts, _skipped = corpus_texts(args.corpora)
    build_repository(work, texts, args.count)
    prompts = list(Library.from_work_tree(work).prompts.values())
    shutil.rmtree(work, ignore_errors=True)
    words = sorted({w for p in prompts[:2000] for t in p.templates
                    for w in _WORD.findall(t.source.lower())})
    queries = distinct_queries(words, 300, 2)
    print(f"{len(prompts):,} prompts, 300 distinct queries, top {LIMIT} with snippets, "
          f"in process (load {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for name, run in (("sqlite fts5", fts5), ("tantivy", tantivy_figures)):
        figures = run(prompts, queries)
        if figures is None:
            print(f"  {name}: not installed")
            continue
        print(f"  {name}: p95 {figures['p95_ms']:.2f} ms, median {figures['median_ms']:.2f} ms, "
              f"{figures['mean_hits']:.1f} hits a query, indexed in {figures['index_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
