"""The read API search's answers to a few thousand queries, saved to a file or compared with one
saved before: a change meant to make ``Searcher.search`` cheaper must give the same answers.

Two libraries: a repository's (its index built as the server builds it, snippets from the kept
texts) and a synthetic one made here, in memory, with what the first may lack (deprecated
prompts, tags, ids, diacritics, near-identical prompts that tie). Queries: ``scale.py``'s
distinct queries with several seeds, one- and two-letter prefixes, upper case, repeated words,
diacritics, words only in tags or ids, a trailing space; each asked with no allowed set, the
consumer's, a small one (asked of the index) and a half (filtered), a few with other limits and
without the prompts' texts.

Run: ``python bench/search_answers.py save|compare ANSWERS REPO CACHE_DIR``; ``compare`` prints
each query whose hits differ (id, score, snippet or matched words) and exits 1 if any does.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

from foundation import load_average
from scale import _WORD, distinct_queries

# bench/server.py would shadow the server package: once the benches' helpers are imported, this
# folder leaves the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from server import search  # noqa: E402
from server.index import IndexBuilder  # noqa: E402
from server.search import PromptSearch, SearchDoc, Searcher  # noqa: E402

Answers = dict[str, list[list[object]]]
Snippets = Callable[[str], str | None] | None

_DIACRITICS = ["résumé", "resume", "Résumé", "café", "cafe", "naïve", "naive", "Straße",
               "strasse", "über", "Über", "uber", "señor", "senor", "résu", "caf", "crème brûlée",
               "creme", "façade", "facade", "ﬁle", "file", "Ærø", "aero", "日本語", "日本",
               "niño", "nin", "déjà vu", "deja", "São Paulo", "sao"]
_ODD = ["", " ", "  ", "-", "c++", "C#", "e.g.", "foo-bar", "x_y", "a.b.c", "the the", "a a a",
        "x" * 120, "y" * 99, "z" * 100, "123", "1", "10", "0", "2024", "v2", "gpt-4", "GPT4",
        "json ", "JSON", "Json", "API", "api ", "sql", "SQL query", "http://example.com"]


def _prefixes(words: list[str]) -> list[str]:
    letters = sorted({w[0] for w in words} | set("abcdefghijklmnopqrstuvwxyz0123456789"))
    pairs = sorted({w[:2] for w in words})
    rng = random.Random(7)
    return letters + rng.sample(pairs, min(len(pairs), 150)) + [p + " " for p in letters[:10]]


def queries(words: list[str], extra: list[str]) -> list[str]:
    """Distinct queries over ``words`` (lowercase words of the library) and ``extra`` ones."""
    found: list[str] = []
    for seed in (1, 2, 3, 4):
        found += distinct_queries(words, 300, seed)
    rng = random.Random(11)
    sample = distinct_queries(words, 400, 99)
    found += [q.upper() for q in sample[:80]] + [q.title() for q in sample[80:160]]
    found += [q + " " for q in sample[160:240]]
    for query in sample[240:320]:
        parts = query.split()
        found.append(" ".join([*parts, rng.choice(parts)]))  # a word repeated
        found.append(" ".join([parts[-1], *parts]))
    found += _prefixes(words) + _DIACRITICS + _ODD + extra
    return list(dict.fromkeys(found))


def answer(searcher: Searcher, text: str, *, limit: int, allowed: AbstractSet[str] | None,
           snippet_text: Snippets) -> list[list[object]]:
    return [[hit.id, hit.score, hit.snippet, list(hit.matched)]
            for hit in searcher.search(text, limit=limit, allowed=allowed,
                                       snippet_text=snippet_text)]


def ask(searcher: Searcher, name: str, texts: list[str], ids: list[str],
        snippet_text: Snippets, consumer: AbstractSet[str] | None) -> Answers:
    rng = random.Random(5)
    small = frozenset(rng.sample(ids, max(1, len(ids) // 5)))  # asked of the index
    half = frozenset(rng.sample(ids, len(ids) // 2))  # the top k filtered
    allowed_sets: dict[str, AbstractSet[str] | None] = {
        "none": None, "small": small, "half": half, "empty": frozenset()}
    if consumer is not None:
        allowed_sets["consumer"] = consumer
    answers: Answers = {}
    for number, text in enumerate(texts):
        for allowed_name, allowed in allowed_sets.items():
            if allowed_name == "empty" and number % 50:
                continue
            key = json.dumps([name, text, allowed_name, 20, True])
            answers[key] = answer(searcher, text, limit=20, allowed=allowed,
                                  snippet_text=snippet_text)
        if number % 7 == 0:
            for limit in (1, 5, 50):
                key = json.dumps([name, text, "none", limit, True])
                answers[key] = answer(searcher, text, limit=limit, allowed=None,
                                      snippet_text=snippet_text)
            key = json.dumps([name, text, "none", 20, False])
            answers[key] = answer(searcher, text, limit=20, allowed=None, snippet_text=None)
    return answers


def synthetic() -> tuple[Searcher, dict[str, str], list[str]]:
    """A library of 1,500 prompts from a small vocabulary: many ties, deprecated prompts, tags,
    ids with words of their own, diacritics and upper case in the texts."""
    rng = random.Random(3)
    vocab = [w for w in _WORD.findall(" ".join(_corpus_words())) if len(w) >= 4][:400]
    vocab += ["résumé", "Straße", "café", "naïve", "Über", "JavaScript", "JSON", "façade"]
    docs: list[SearchDoc] = []
    texts: dict[str, str] = {}
    for number in range(1500):
        def words(count: int) -> str:
            return " ".join(rng.choice(vocab) for _ in range(count))
        prompt_id = f"{rng.choice(['team', 'ops', 'qa'])}/{rng.choice(vocab)}-{number % 97}"
        if any(d.id == prompt_id for d in docs[-50:]):
            prompt_id += f"-{number}"
        title = words(rng.randint(0, 4)).capitalize()
        description = words(rng.randint(0, 12))
        tags = tuple(rng.sample(["alpha", "beta", "gamma", "delta", "zeta-x", "qtag"],
                                rng.randint(0, 3)))
        if number % 13 == 0:  # near-identical prompts: ties
            title, description, tags = "Same title here", "same description", ("alpha",)
            body = "Same body " * 5
        else:
            body = ". ".join(words(rng.randint(3, 15)) for _ in range(rng.randint(1, 40)))
            if number % 5 == 0:
                body = body.upper()
        status = "deprecated" if number % 9 == 0 else "active"
        docs.append(SearchDoc(prompt_id, f"d{number}", status, title, description, tags, body))
        front = f"---\ntitle: {title}\ntags: {list(tags)}\n---\n" if number % 3 else ""
        texts[prompt_id] = front + body
    index = PromptSearch.open(None)
    index.update(docs, ())
    extra = ["alpha", "beta gam", "zeta", "qtag", "team", "ops", "qa", "same", "same title",
             "deprecated", "Same body", "q", "te"]
    return index.searcher(), texts, extra


def _corpus_words() -> Iterator[str]:
    yield ("review code change carefully explain summarize translate document tests unit "
           "python javascript function class method error handling security audit prompt model "
           "output format markdown table list write rewrite improve clarity concise detailed "
           "example examples input inputs user users data database query queries schema design")


def library_words(repo: Path) -> list[str]:
    files = subprocess.run(["git", "ls-files", "prompts"], cwd=repo, capture_output=True,
                           text=True, check=True).stdout.split()[:2000]
    return sorted({w for p in files for w in _WORD.findall((repo / p).read_text().lower())})


def collect(repo: Path, cache: Path) -> Answers:
    builder = IndexBuilder(repo, "main")
    builder.open_store(cache)
    index = builder.build()
    builder.persist(index.commit)
    words = library_words(repo)
    ids = sorted(index.entries)
    id_words = sorted({part for i in ids[:: max(1, len(ids) // 40)]
                       for part in i.replace("/", "-").split("-")})
    extra = ["bench", "bench ", "Bench", "be", "copilot", "fabric", "cop", "fab", *id_words,
             *ids[:20], *(" ".join(i.split("-")[:2]) for i in ids[:: max(1, len(ids) // 30)])]
    texts = queries(words, extra)
    consumer = index.views["consumer"].allowed
    answers = ask(index.searcher, "library", texts, ids,
                  index._snippet_text, consumer)
    searcher, kept, more = synthetic()
    small_words = sorted({w.lower() for t in kept.values() for w in _WORD.findall(t.lower())})
    answers.update(ask(searcher, "synthetic", queries(small_words, more)[:1500], sorted(kept),
                       kept.get, None))
    return answers


def main() -> int:
    action, file, repo, cache = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    started = time.monotonic()
    answers = collect(repo, cache)
    queries_asked = len({json.loads(k)[1] for k in answers})
    print(f"{len(answers)} answers to {queries_asked} distinct queries in "
          f"{time.monotonic() - started:.1f} s ({search.__file__}); {load_average()}")
    if action == "save":
        file.write_text(json.dumps(answers, ensure_ascii=False))
        return 0
    saved: Answers = json.loads(file.read_text())
    differ = 0
    for key in sorted(set(saved) | set(answers)):
        if saved.get(key) != answers.get(key):
            differ += 1
            if differ <= 20:
                print("DIFFERS", key)
                print("  saved:", saved.get(key))
                print("  now:  ", answers.get(key))
    print(f"{differ} of {len(saved)} answers differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
