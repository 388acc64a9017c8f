"""The read API's search engine (server/search.py) on real tantivy indexes, in memory and in
tmp_path: what it finds, in which order, with which snippets, what a kept directory gives back,
and how it compares with the command line's FTS5 index on real prompts."""

from __future__ import annotations

import json
import logging
import random
import re
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest
import tantivy

from promptctl.library import Library
from promptctl.model import Prompt
from promptctl.search import MARK_END, MARK_START, SearchIndex, fts_query
from server import search
from server.search import _COMPLETIONS, PromptSearch, SearchDoc

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"


def doc(prompt_id: str, *, title: str = "", description: str = "", tags: Iterable[str] = (),
        body: str = "", status: str = "active", digest: str = "") -> SearchDoc:
    return SearchDoc(prompt_id, digest or f"digest-of-{prompt_id}", status, title, description,
                     tuple(tags), body)


def indexed(*docs: SearchDoc, path: Path | None = None) -> PromptSearch:
    index = PromptSearch.open(path)
    index.update(docs, ())
    return index


def ids(index: PromptSearch, text: str, **options: object) -> list[str]:
    return [hit.id for hit in index.searcher().search(text, **options)]  # type: ignore[arg-type]


def from_prompt(prompt: Prompt) -> SearchDoc:
    return SearchDoc(prompt.id, prompt.digest, prompt.status, prompt.title, prompt.description,
                     tuple(prompt.tags), "\n\n".join(t.source for t in prompt.templates))


# What a query finds --------------------------------------------------------------------------

LIBRARY = (
    doc("t/review", title="Code review", description="Reviews a diff for bugs",
        tags=["code-review", "quality"], body="Review this {{ language }} change carefully."),
    doc("t/resume", title="Résumé polish", description="Tightens a CV",
        body="Rewrite the résumé of {{ name }} for a Straße-level audience."),
    doc("t/cpp", title="C++ explainer", body="Explain C++ templates and C# generics."),
    doc("t/logic", title="Boolean logic", body="Explain NOT, AND and OR with truth tables."),
    doc("t/unicode", title="日本語 translation", body="Translate into 日本語 politely."),
)


@pytest.mark.parametrize(("text", "expected"), [
    ("review", ["t/review"]),
    ("revi", ["t/review"]),  # the last word is a prefix ...
    ("revi ", []),  # ... unless the text ends in whitespace
    ("REVIEW Code", ["t/review"]),  # case aside, in any order
    ("review bugs", ["t/review"]),  # every word must match ...
    ("review tables", []),  # ... in the same prompt
    ("resume", ["t/resume"]),  # diacritics folded in the text ...
    ("RÉSUMÉ", ["t/resume"]),  # ... and in the query
    ("strasse", ["t/resume"]),
    ("straße ", ["t/resume"]),
    ("c++", ["t/cpp", "t/review", "t/resume"]),  # a word and punctuation: the prefix "c"
    ("C# generics", ["t/cpp"]),
    ("NOT AND", ["t/logic"]),  # operators are words
    ("日本語", ["t/unicode"]),
    ("code-review", ["t/review"]),
    ("language", ["t/review"]),  # a template's text counts
])
def test_every_word_matches_folded_and_the_last_is_a_prefix(text: str,
                                                             expected: list[str]) -> None:
    index = indexed(*LIBRARY)
    assert sorted(ids(index, text)) == sorted(expected)


@pytest.mark.parametrize("text", [
    "", "   ", "-", "*", '"unbalanced', "((", "title:review", "review OR", "a AND (b",
    "\x00", "\\", "review~2", "review^10", "[1 TO 5]", "x" * 300, "é" * 120, "review " * 200,
])
def test_user_text_is_never_query_syntax(text: str) -> None:
    index = indexed(*LIBRARY)
    hits = index.searcher().search(text)
    if not any(ch.isalnum() for ch in text):
        assert hits == []  # no words: nothing to find
    assert all(hit.score > 0 for hit in hits)


def test_a_prefix_stands_for_its_most_frequent_completions() -> None:
    """A one-letter prefix is not every term that starts with it: its most frequent ones, so
    that it stays fast on a large vocabulary (FTS5's prefix index ranks the same way)."""
    rare = [doc(f"r/{n}", body=f"qx{n:03d}") for n in range(150)]
    common = [doc(f"c/{n}", body="quality matters") for n in range(5)]
    index = indexed(*rare, *common)
    found = ids(index, "q", limit=200)
    assert {d.id for d in common} <= set(found)
    assert len(found) == len(common) + _COMPLETIONS - 1  # "quality" and 63 of the rare words
    assert ids(index, "qx149") == ["r/149"]  # a longer prefix reaches the rare ones


# In which order -----------------------------------------------------------------------------


def test_tiers_then_deprecated_then_score_then_id() -> None:
    index = indexed(
        doc("b/body-heavy", body="lantern " * 30),  # the word only in the templates
        doc("a/title", title="Lantern"),
        doc("a/described", description="A lantern for the night"),
        doc("a/old", title="Lantern", status="deprecated"),
        doc("b/old-body", body="lantern " * 30, status="deprecated"),
        doc("z/twin", title="Lantern"),  # ties with a/title: by id
    )
    assert ids(index, "lantern") == [
        "a/title", "z/twin", "a/described",  # every word in id, title, description or tags
        "a/old",  # deprecated after the others of its tier
        "b/body-heavy", "b/old-body",  # then counting the templates
    ]
    scores = [hit.score for hit in index.searcher().search("lantern")]
    assert scores[0] == scores[1] > scores[2] > 0  # the title weighs more than a description


def test_ties_across_the_page_boundary_are_broken_by_id() -> None:
    twins = [doc(f"t/{n:02d}", title="Identical twin") for n in range(40)]
    index = indexed(*reversed(twins))
    assert ids(index, "twin", limit=5) == ["t/00", "t/01", "t/02", "t/03", "t/04"]
    assert ids(index, "twin", limit=40) == [d.id for d in twins]


def test_every_page_is_the_start_of_the_whole_order() -> None:
    """Distinct scores, ties straddling the page's end, both tiers, allowed sets: the first k
    hits are the first k of the whole order, whatever k."""
    docs = [doc(f"o/{n:02d}", title="Orchid " * (1 + n % 4), body="orchid " * (n % 3))
            for n in range(30)]
    docs += [doc(f"p/{n:02d}", body="orchid " * (1 + n % 5)) for n in range(30)]
    index = indexed(*reversed(docs))
    whole = ids(index, "orchid", limit=100)
    assert len(whole) == 60
    for allowed in (None, {d.id for d in docs[::2]}, {d.id for d in docs[5:50]}):
        wanted = [i for i in whole if allowed is None or i in allowed]
        for limit in range(1, 45):
            assert ids(index, "orchid", limit=limit, allowed=allowed) == wanted[:limit], limit


class _CountingReads:
    """A tantivy searcher that counts the documents read from it."""

    def __init__(self, inner: tantivy.Searcher) -> None:
        self.inner = inner
        self.read: list[tuple[int, int]] = []

    def doc(self, address: tantivy.DocAddress) -> tantivy.Document:
        self.read.append((address.segment_ord, address.doc))
        return self.inner.doc(address)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_document_is_read_once_and_only_for_the_page() -> None:
    """The hits the first tier kept are not read again by the second, and a hit that scores
    below the page's last one is not read at all."""
    docs = [doc(f"m/{n}", title="Marble " * (n + 1)) for n in range(5)]
    docs += [doc(f"t/{n}", body="marble " * (n + 1)) for n in range(5)]
    view = indexed(*docs).searcher()
    counting = _CountingReads(view._searcher)
    view._searcher = counting  # type: ignore[assignment]
    hits = view.search("marble", limit=10)
    assert [h.id for h in hits] == [f"m/{n}" for n in range(4, -1, -1)] + [
        f"t/{n}" for n in range(4, -1, -1)]
    assert len(counting.read) == len(set(counting.read)) == 10
    counting.read.clear()
    assert [h.id for h in view.search("marble", limit=3)] == ["m/4", "m/3", "m/2"]
    assert len(counting.read) == 3  # the fourth hit, fetched for its score, is not read


# Who may see what ----------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.02, 0.5, 0.98])
def test_hits_outside_allowed_never_appear_nor_take_a_place(share: float) -> None:
    """A small allowed set (asked of the index) and a large one (filtered after a wider top
    k) give the unrestricted order with the others left out."""
    docs = [doc(f"p/{n:03d}", title="Harbour" if n % 3 else "Harbour harbour harbour",
                body="harbour " * (n % 7)) for n in range(200)]
    index = indexed(*docs)
    everything = ids(index, "harbour", limit=200)
    assert len(everything) == 200
    allowed = {d.id for d in docs[: int(len(docs) * share)]}
    best_hidden = [i for i in everything if i not in allowed][:10]
    got = ids(index, "harbour", limit=10, allowed=allowed)
    assert got == [i for i in everything if i in allowed][:10]
    assert not set(got) & set(best_hidden)
    assert ids(index, "harbour", allowed=frozenset()) == []


# Snippets ------------------------------------------------------------------------------------

FILE = """---
title: Incident postmortem
description: Blameless postmortems.
---
Write a blameless postmortem for the incident described below. Start with a timeline, then
the contributing factors, then what we change so that the pager stays quiet next time.
"""


def test_snippets_are_cut_from_the_prompts_text_for_the_hits_returned() -> None:
    docs = [doc(f"s/{n:02d}", title=f"Incident {n}", body=FILE) for n in range(30)]
    index = indexed(*docs)
    asked: list[str] = []

    def text(prompt_id: str) -> str:
        asked.append(prompt_id)
        return FILE

    hits = index.searcher().search("contributing fac", limit=3, snippet_text=text)
    assert len(hits) == 3
    assert sorted(asked) == [h.id for h in hits]
    assert hits[0].snippet == ("...timeline, then\nthe [contributing] [factors], then what we "
                               "change so that the...")
    # The title holds every word: it is the snippet, whole, no cut.
    hit = index.searcher().search("incident", limit=1, snippet_text=text)[0]
    assert hit.snippet == "[Incident] 0"
    # Without the text (or when the caller has none): the title or the description.
    assert index.searcher().search("incid", limit=1)[0].snippet == "[Incident] 0"
    blind = index.searcher().search("pager", limit=1, snippet_text=lambda _id: None)[0]
    assert blind.snippet == "Incident 0"  # the word is only in text the caller did not give


@pytest.mark.parametrize(("body", "query", "snippet"), [
    ("Use JavaScript modules.", "javascript", "Use [JavaScript] modules."),
    ("Polish the Résumé now.", "resume", "Polish the [Résumé] now."),
    ("Send it to the Straße team.", "strasse", "...it to the [Straße] team."),
    ("ONE two THREE four", "three fo", "ONE two [THREE] [four]"),
    ("x_review y", "review", "x_[review] y"),
])
def test_snippets_find_words_in_any_case_and_with_diacritics(body: str, query: str,
                                                             snippet: str) -> None:
    index = indexed(doc("s/one", title="Unrelated", body=body))
    hits = index.searcher().search(query, snippet_text=lambda _id: body)
    assert [h.snippet for h in hits] == [snippet]


def test_a_long_text_is_cut_on_both_sides() -> None:
    body = " ".join(f"w{n}" for n in range(100)) + " needle " + " ".join(
        f"v{n}" for n in range(100))
    index = indexed(doc("s/long", body=body))
    hit = index.searcher().search("needle ", snippet_text=lambda _id: body)[0]
    assert hit.snippet == "...w97 w98 w99 [needle] v0 v1 v2 v3 v4 v5 v6 v7..."


@pytest.mark.parametrize(("body", "query", "snippet"), [
    # A word in its usual cases is found before the same word in another case earlier on.
    ("the jAvA way, then Java again", "java", "...[jAvA] way, then [Java] again"),
    # Only in another case: found the slow way near the start of the text...
    ("Write it in jAvAsCrIpT today", "javascript", "Write it in [jAvAsCrIpT] today"),
    # ...and not past _SLOW_SCAN characters, where the snippet is the description.
    ("filler " * 1200 + "jAvAsCrIpT", "javascript", "About scripts"),
    ("filler " * 1200 + "JAVASCRIPT", "javascript", "...filler filler filler [JAVASCRIPT]"),
    # The words before a match are whole: one cut by the window ahead of it is left out.
    ("intro " + "x" * 150 + " alpha beta needle", "needle", "...alpha beta [needle]"),
    ("x" * 150 + "_alpha beta needle", "needle", "...alpha beta [needle]"),
])
def test_snippets_pick_the_usual_case_and_whole_words(body: str, query: str,
                                                      snippet: str) -> None:
    index = indexed(doc("s/one", title="Unrelated", description="About scripts", body=body))
    hits = index.searcher().search(query, snippet_text=lambda _id: body)
    assert [h.snippet for h in hits] == [snippet]


def _reference_scan(marks: search._Marks, text: str, slow: bool) -> tuple[int, int]:
    """``_Marks.scan`` as it was first written: each case of each word searched on its own."""
    found, first = 0, -1
    for number, word in enumerate(marks.words):
        start = -1
        for case in marks.cases[number]:
            start = search._earliest(text, case, word.prefix,
                                     len(text) if start < 0 else start, start)
        if start < 0 and slow:
            start = marks._slow(number, text)
        if start >= 0:
            found += 1
            first = start if first < 0 else min(first, start)
    return found, first


def _reference_cut(text: str, anchor: int, marks: search._Marks, before: int) -> str:
    """``_cut`` as it was first written: every word of the window ahead of the anchor matched."""
    tokens = list(search._TOKEN.finditer(text, max(0, anchor - 40 * before), anchor))[
        -before:] if before else []
    for match in search._TOKEN.finditer(text, anchor):
        if len(tokens) >= search._SNIPPET_WORDS:
            break
        tokens.append(match)
    if not tokens:
        return ""
    start, end = tokens[0].start(), tokens[-1].end()
    out = ["..."] if search._TOKEN.search(text, 0, start) else []
    position = start
    for token in tokens:
        word = token.group()
        out.append(text[position:token.start()])
        out.append(MARK_START + word + MARK_END if marks.marked(word) else word)
        position = token.end()
    out.append("..." if search._TOKEN.search(text, end) else text[end:].rstrip())
    return "".join(out)


_VOCABULARY = ["java", "Java", "JAVA", "jAva", "JavaScript", "javascript", "résumé", "RESUME",
               "straße", "STRASSE", "İstanbul", "ΣΟΦΙΑ", "σοφια", "ﬁle", "FILE", "data_set",
               "x", "a1", "1a", "go", "GO", "café", "naïve", "ǅemal", "日本語", "x" * 130]
_SEPARATORS = [" ", "  ", "\n", ", ", ".", "-", "_", "/", "(", "—", "\t", "é", ""]


def test_snippet_scans_and_cuts_answer_as_their_plain_versions() -> None:
    """The scan (one lowercase search for every case of an ASCII word in an ASCII text) and the
    cut (the words ahead of a match read backwards) against their plain versions, on texts of
    every size with words in odd cases, across the slow scan's limit, cut by the window."""
    rng = random.Random(12)

    def text(size: int, ascii_only: bool) -> str:
        words = [w for w in _VOCABULARY if w.isascii()] if ascii_only else _VOCABULARY
        separators = [s for s in _SEPARATORS if s.isascii()] if ascii_only else _SEPARATORS
        return "".join(rng.choice(words) + rng.choice(separators) for _ in range(size))

    checked = 0
    for _ in range(400):
        chosen = rng.sample(_VOCABULARY[:-1], rng.choice((1, 1, 2, 3)))
        if rng.random() < 0.5:
            chosen[-1] = chosen[-1][:max(1, len(chosen[-1]) - rng.randrange(0, 4))]
        words = search._query_words(" ".join(chosen) + rng.choice(("", " ")))
        if not words:
            continue
        marks = search._Marks(words)
        for size in (0, 3, 40, 2_000):
            body = text(size, rng.random() < 0.6)
            if size == 2_000:  # a word across the slow scan's limit
                cut = rng.randrange(search._SLOW_SCAN - 6, search._SLOW_SCAN + 2)
                body = body[:cut] + rng.choice(_VOCABULARY) + body[cut:]
            for slow in (False, True):
                assert marks.scan(body, slow=slow) == _reference_scan(marks, body, slow), (
                    chosen, slow)
            for anchor in (0, rng.randrange(len(body) + 1), rng.randrange(len(body) + 1)):
                for before in (0, 3):
                    assert search._cut(body, anchor, marks, before=before) == \
                        _reference_cut(body, anchor, marks, before), (chosen, anchor, before)
            checked += 1
    assert checked > 1_000


# Updates, views and what is kept -------------------------------------------------------------


def test_an_update_replaces_and_removes_and_earlier_views_answer_as_before() -> None:
    index = indexed(doc("u/a", title="Alpha", digest="1"), doc("u/b", title="Beta", digest="2"))
    before = index.searcher()
    after = index.update([doc("u/a", title="Gamma", digest="3")], ["u/b", "u/unknown"])
    assert index.searcher() is after
    assert (len(before), len(after)) == (2, 1)
    assert [h.id for h in before.search("alpha")] == ["u/a"]
    assert [h.id for h in before.search("beta")] == ["u/b"]
    assert [h.id for h in after.search("alpha")] == []
    assert [h.id for h in after.search("beta")] == []
    assert [h.id for h in after.search("gamma")] == ["u/a"]
    assert index.kept() == {"u/a": "3"}
    # Documents may come from a generator; an id both removed and added is the one added.
    streamed = index.update((doc(f"u/{n}", title="Delta", digest=str(n)) for n in "ab"), ["u/a"])
    assert sorted(h.id for h in streamed.search("delta")) == ["u/a", "u/b"]
    assert index.kept() == {"u/a": "a", "u/b": "b"}


def test_a_first_update_of_an_empty_index_keeps_the_last_document_of_an_id() -> None:
    # A first build adds without deleting (nothing is there yet), except an id it adds twice.
    index = PromptSearch.open(None)
    first = index.update(iter([doc("u/a", title="Alpha", digest="1"),
                               doc("u/b", title="Beta", digest="2"),
                               doc("u/a", title="Gamma", digest="3")]), ())
    assert len(first) == 2
    assert [h.id for h in first.search("alpha")] == []
    assert [h.id for h in first.search("gamma")] == ["u/a"]
    assert index.kept() == {"u/a": "3", "u/b": "2"}
    # Once it holds documents, an update replaces them as before.
    again = index.update([doc("u/b", title="Delta", digest="4")], ())
    assert (len(again), [h.id for h in again.search("beta")]) == (2, [])


def test_a_kept_directory_opens_with_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "search"
    first = indexed(*LIBRARY, path=path)
    want = {text: ids(first, text) for text in ("review", "c", "explain")}
    first.close()
    again = PromptSearch.open(path)
    assert again.kept() == {d.id: d.digest for d in LIBRARY}
    assert {text: ids(again, text) for text in want} == want
    # Another process reads it while this one holds it.
    script = ("import sys; from pathlib import Path; from server.search import PromptSearch; "
              "s = PromptSearch.open(Path(sys.argv[1])).searcher(); "
              "print(len(s), [h.id for h in s.search('revi')])")
    out = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert out.split() == ["5", "['t/review']"]
    again.close()


def _other_schema(path: Path) -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True)
    index = tantivy.Index(builder.build(), path=str(path))
    writer = index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(key="old"))
    writer.commit()
    writer.wait_merging_threads()
    (path / "promptctl-search.json").write_text(
        (path.parent / "marker.json").read_text(encoding="utf-8"), encoding="utf-8")


@pytest.mark.parametrize("damage", ["older format", "other schema", "garbage", "no marker"])
def test_a_directory_it_cannot_use_is_emptied_and_made_again(
        tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "search"
    indexed(*LIBRARY, path=path).close()
    marker = path / "promptctl-search.json"
    (tmp_path / "marker.json").write_text(marker.read_text(encoding="utf-8"), encoding="utf-8")
    if damage == "older format":
        marker.write_text(json.dumps({**json.loads(marker.read_text()), "format": 0}))
    elif damage == "other schema":
        for child in path.iterdir():
            child.unlink()
        _other_schema(path)
    elif damage == "garbage":
        for child in path.iterdir():
            child.write_bytes(b"not an index" * 100)
    else:
        marker.unlink()
    with caplog.at_level(logging.WARNING, logger="promptctl.server.search"):
        index = PromptSearch.open(path)
    assert "cannot be used" in caplog.text
    assert index.kept() == {}
    assert len(index.searcher()) == 0
    index.update(LIBRARY, ())
    assert ids(index, "review") == ["t/review"]
    caplog.clear()
    index.close()
    with caplog.at_level(logging.WARNING, logger="promptctl.server.search"):
        assert PromptSearch.open(path).kept() == {d.id: d.digest for d in LIBRARY}
    assert caplog.text == ""


def test_searches_from_other_threads_during_updates(tmp_path: Path) -> None:
    base = [doc(f"c/{n:03d}", title=f"Compass {n}", body="north south east west")
            for n in range(300)]
    index = indexed(*base, path=tmp_path / "search")
    failures: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        try:
            while not stop.is_set():
                view = index.searcher()
                count = len(view)
                hits = view.search("compass nor", limit=50)
                assert len(hits) == 50
                assert count in (300, 301)
                assert len(view.search("compass nor", limit=50)) == 50  # the same view
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    for round_number in range(6):
        extra = [doc("c/extra", title=f"Compass extra {round_number}")] if round_number % 2 \
            else []
        index.update(extra, ["c/extra"])
        index.update([doc(f"c/{round_number:03d}", title=f"Compass {round_number}",
                          body=f"north round {round_number}")], ())
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(index.searcher()) == 301  # the last round added c/extra again
    assert ids(index, "round 5") == ["c/005"]


# Beside FTS5 ---------------------------------------------------------------------------------


def _queries(prompts: list[Prompt]) -> list[str]:
    """Typical queries: title words whole, cut short (typed so far), and with a second word
    from the same prompt's templates."""
    queries: list[str] = []
    for prompt in prompts:
        words = [w for w in prompt.title.lower().split() if w.isalpha() and len(w) > 3]
        body = [w for w in prompt.templates[0].source.lower().split() if w.isalpha()
                and len(w) > 5]
        for word in words[:2]:
            queries += [word + " ", word[:4]]
            if body:
                queries.append(f"{word} {body[len(body) // 2][:5]}")
    return sorted(set(queries))


def _compare(prompts: list[Prompt], queries: list[str]) -> tuple[int, int]:
    """For each query, with a limit above any result count: the same hits (when the last word
    is a prefix with more completions than the engine expands in some field, a subset: those
    with a rare completion only are left out), each engine putting the prompts with every word
    in id, title, description or tags before the others. Returns (queries, same first hit)."""
    fts = SearchIndex()
    fts.add(prompts)
    index = indexed(*(from_prompt(p) for p in prompts))
    limit = len(prompts) + 1
    vocabulary = _vocabulary(prompts)
    same_first = 0
    for text in queries:
        ours = [h.id for h in index.searcher().search(text, limit=limit)]
        theirs = [h.id for h in fts.search(text, limit=limit)]
        last = text.split()[-1]
        if text.endswith(" ") or max(len([w for w in words if w.startswith(last)])
                                     for words in vocabulary.values()) <= _COMPLETIONS:
            assert sorted(ours) == sorted(theirs), text
        else:
            assert ours, text
            assert set(ours) <= set(theirs), text
        meta = _in_meta(fts, text)
        assert set(ours[: len(meta)]) == meta, text
        same_first += bool(ours) and ours[0] == theirs[0]
    fts.close()
    return len(queries), same_first


def _vocabulary(prompts: list[Prompt]) -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for p in prompts:
        for name, text in (("id", p.id), ("title", p.title), ("description", p.description),
                           ("tags", " ".join(p.tags)), ("body", from_prompt(p).body)):
            fields.setdefault(name, set()).update(re.findall(r"[^\W_]+", text.lower()))
    return fields


def _in_meta(fts: SearchIndex, text: str) -> set[str]:
    """The prompts FTS5 finds with every word in id, title, description or tags."""
    match = f"{{id title description tags}} : ({fts_query(text)})"
    return {prompt_id for (prompt_id,) in
            fts.db.execute("SELECT id FROM docs WHERE docs MATCH ?", (match,))}


def test_the_same_hits_as_fts5_on_the_starter_prompts() -> None:
    prompts = list(Library.from_work_tree(ROOT).prompts.values())
    assert len(prompts) >= 10
    count, same_first = _compare(prompts, _queries(prompts))
    assert count >= 30
    assert same_first >= count * 0.9, (same_first, count)  # 72 of 73 when written


@pytest.mark.corpora
def test_the_same_hits_as_fts5_on_the_corpora(tmp_path: Path) -> None:
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent: the corpora are not part of this repository")
    from promptctl.formats import ImportProblem, import_file

    sources = [("copilot", sorted((CORPORA / "awesome-copilot" / "prompts").glob("*.prompt.md"))),
               ("fabric", sorted((CORPORA / "fabric" / "patterns").glob("*/system.md")))]
    for fmt, files in sources:
        for path in files:
            try:
                result = import_file(str(path), path.read_bytes(), fmt, collection=fmt,
                                     owners=["@corpus/owners"])
            except ImportProblem:
                continue
            target = tmp_path / result.path
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(result.text, encoding="utf-8")
    prompts = list(Library.from_work_tree(tmp_path).prompts.values())
    assert len(prompts) > 300
    count, same_first = _compare(prompts, _queries(prompts[::3]))  # a third: time
    assert count > 300
    assert same_first >= count * 0.6, (same_first, count)  # 69% when written
