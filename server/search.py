"""The read API's search index: tantivy, kept on disk and mapped into memory.

Decision 0012 measured it against SQLite FTS5 (which the command line keeps): FTS5 computes bm25
for every matching prompt before it takes the top 20, where tantivy's top-k retrieval skips the
blocks of postings that cannot enter the page. The answers keep the read API's behaviour:

- User text is never query syntax: it is cut into words (runs of letters and digits, as FTS5's
  unicode61 tokenizer does), case and diacritics folded, with the very analyzer the index used.
  Every word must match; the last one is a prefix unless the text ends in whitespace.
- A prefix is expanded into term queries from the index's own term dictionary (sorted, with the
  number of prompts holding each term): its ``_COMPLETIONS`` most frequent completions in each
  field, as FTS5's prefix index in effect ranks a prefix's most common words. One- and two-letter
  prefixes are remembered per searcher.
- Prompts with every word in their id, title, description or tags come first, then those that
  need their templates too. Within each, deprecated prompts come after the others (a query of
  its own, run only when the others leave room), then by score (field weights as boosts), then
  by id: the top k are re-sorted, and fetched again wider while a tie straddles the cut.
- Snippets are cut for the hits returned only, from the prompt's own text around the first
  matched word of its best field (the title, the description or the text the caller reads).

A ``PromptSearch`` has one writer (the server's reloader thread), made for each update and
dropped after it; a ``Searcher`` is a point-in-time view, so a server keeps answering from the
index it serves while the next one is committed.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import itertools
import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from promptctl.search import MARK_END, MARK_START, Hit

log = logging.getLogger("promptctl.server.search")

# Bump when the fields or the analyzer change: an index written by another format is emptied
# and rebuilt (tantivy itself refuses a different schema, not a different analyzer).
FORMAT = 1
_MARKER = "promptctl-search.json"
_WEIGHTS = {"id": 3.0, "title": 10.0, "description": 4.0, "tags": 8.0, "body": 1.0}
_META = ("id", "title", "description", "tags")
_COMPLETIONS = 64  # a prefix's completions per field
_MEMO_PREFIX = 2  # prefixes this short are expanded once per searcher
_MEMO_SIZE = 4096
_LONGEST_TERM = 100  # bytes; longer words (base64, minified code) are not indexed
_SNIPPET_WORDS = 12
_SNIPPET_BEFORE = 3  # words of context before the first match
# How far the top k is fetched to order a tie that straddles the page's end by id. Beyond it a
# tie keeps the index's order: a library of near-identical prompts ties thousands of them on a
# common word, and reading them all cost up to 10,000 documents for one page.
_TIE_FETCH = 512
# Characters searched for a word in none of its usual cases (JavaScript), and for one written
# with diacritics (Straße for strasse), the slow ways; beyond them a snippet shows the other
# words, or the description.
_SLOW_SCAN = 8_192
_FOLD_SCAN = 2_048
_FOLDS = re.compile("[\u00c0-\u024f\u1e00-\u1eff\ufb00-\ufb06]")  # Latin with diacritics, ligatures
_WRITER_HEAP = 32_000_000  # bytes; tantivy's floor is 15 MB a thread
# tantivy's simple tokenizer: alphanumeric runs (the lookbehind: never half a word, wherever a
# scan starts)
_TOKEN = re.compile(r"(?<![^\W_])[^\W_]+")
_RUN = re.compile(r"[^\W_]+")  # the same words, in a text read backwards
_SPLIT = re.compile(r"([^\W_]+)")  # text -> what comes before a word, the word, ...
# From a word's start or what precedes it: up to n words, the first to the last (group 1).
_WORDS_AFTER = {n: re.compile(rf"[\W_]*(?:([^\W_]+(?:[\W_]+[^\W_]+){{0,{n - 1}}}))?")
                for n in range(1, _SNIPPET_WORDS + 1)}


def _analyzer(*, longest: int | None) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    builder = builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold())
    if longest is not None:
        builder = builder.filter(tantivy.Filter.remove_long(longest))
    return builder.build()


_INDEXED = _analyzer(longest=_LONGEST_TERM)
_QUERY = _analyzer(longest=None)  # a longer query word matches nothing, rather than anything


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")  # the id, whole
    builder.add_text_field("digest", stored=True, tokenizer_name="raw")
    for name in _WEIGHTS:
        # Frequencies without positions: no phrase queries, a smaller index.
        builder.add_text_field(name, stored=name in ("title", "description"),
                               tokenizer_name="words", index_option="freq")
    builder.add_integer_field("deprecated", indexed=True)
    return builder.build()


_SCHEMA = _schema()
_DEPRECATED = tantivy.Query.term_query(_SCHEMA, "deprecated", 1)


@dataclass(frozen=True)
class SearchDoc:
    id: str
    digest: str  # sha256 of the prompt file (kept per doc, for restart diffs)
    status: str  # "deprecated" ranks after the others
    title: str
    description: str
    tags: tuple[str, ...]
    body: str  # the templates' sources joined by "\n\n"


# A word's weighted term queries in a field, as clauses of its query, by (word, field).
_Clauses = dict[tuple[str, str], list[tuple[tantivy.Occur, tantivy.Query]]]


@dataclass(frozen=True)
class _Word:
    term: str  # folded, as indexed
    prefix: bool


def _query_words(text: str) -> list[_Word]:
    """The distinct words of free text, folded as the index folds them; the last one is a
    prefix unless the text ends in whitespace (or repeats an earlier word)."""
    terms = _QUERY.analyze(text)
    words: list[_Word] = []
    for position, term in enumerate(terms):
        if any(word.term == term for word in words):
            continue
        last = position == len(terms) - 1
        words.append(_Word(term, last and not text[-1].isspace()))
    return words


class Searcher:
    """A point-in-time view: later updates do not change what it answers (an index being served
    keeps its own). Safe to use from several threads."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self._searcher = searcher
        self._completions: dict[tuple[str, str], list[str]] = {}
        self._deprecated: bool | None = None  # whether any prompt is (deleted ones count)

    def __len__(self) -> int:
        return int(self._searcher.num_docs)

    def search(self, text: str, *, limit: int = 20, allowed: AbstractSet[str] | None = None,
               snippet_text: Callable[[str], str | None] | None = None) -> list[Hit]:
        """The best ``limit`` prompts with every word of ``text``, among ``allowed`` ids when
        given (hits outside it never take a place). ``snippet_text(id)`` gives the text to cut
        a hit's snippet from (its file's text: a leading front matter is skipped); without it,
        or when it gives None, snippets come from the title and the description."""
        words = _query_words(text)
        if not words or limit <= 0 or len(self) == 0:
            return []
        if any(len(w.term.encode()) >= _LONGEST_TERM for w in words):
            return []  # such a word was never indexed
        restrict = None
        if allowed is not None:
            if not allowed:
                return []
            if len(allowed) * 4 < len(self):
                # A few ids among many: asking the index for them beats filtering the top k.
                restrict = tantivy.Query.term_set_query(_SCHEMA, "key", sorted(allowed))
                allowed = None
        # A prefix's completions in each field, looked up once for both tiers.
        completed = {(w.term, field): self._complete(field, w.term) if w.prefix else [w.term]
                     for w in words for field in _WEIGHTS}
        clauses: _Clauses = {}  # the weighted term queries, made once for both tiers
        kept: list[tuple[float, str, tantivy.Document]] = []
        # The documents read, by address (within this view, one address is one id), for
        # both tiers: the hits the first tier kept are known without reading them again.
        read: dict[tuple[int, int], tuple[str, tantivy.Document]] = {}
        seen: set[tuple[int, int]] = set()  # the addresses of the hits kept
        for fields in (_META, tuple(_WEIGHTS)):
            query = _every_word(words, fields, completed, clauses)
            if query is None:
                continue
            for deprecated in (False, True) if self._has_deprecated() else (False,):
                musts = [(tantivy.Occur.Must, query)]
                if self._has_deprecated():
                    musts.append((tantivy.Occur.Must if deprecated else tantivy.Occur.MustNot,
                                  _DEPRECATED))
                if restrict is not None:
                    musts.append((tantivy.Occur.Must, restrict))
                kept.extend(self._top(tantivy.Query.boolean_query(musts), limit - len(kept),
                                      allowed, seen, read))
                if len(kept) >= limit:
                    break
            if len(kept) >= limit:
                break
        marks = _Marks(words)
        return [Hit(prompt_id, score, _snippet(marks, doc, prompt_id, snippet_text))
                for score, prompt_id, doc in kept]

    def _has_deprecated(self) -> bool:
        if self._deprecated is None:
            self._deprecated = self._searcher.doc_freq("deprecated", 1) > 0
        return self._deprecated

    def _complete(self, field: str, prefix: str) -> list[str]:
        """The most frequent indexed terms of ``field`` starting with ``prefix``."""
        key = (field, prefix)
        terms = self._completions.get(key)
        if terms is None:
            terms = [term for term, _count in
                     self._searcher.terms_with_prefix(field, prefix, limit=_COMPLETIONS)]
            if len(prefix) <= _MEMO_PREFIX:
                if len(self._completions) >= _MEMO_SIZE:
                    self._completions.clear()
                self._completions[key] = terms
        return terms

    def _top(self, query: tantivy.Query, room: int, allowed: AbstractSet[str] | None,
             seen: set[tuple[int, int]], read: dict[tuple[int, int], tuple[str, tantivy.Document]],
             ) -> list[tuple[float, str, tantivy.Document]]:
        """Up to ``room`` best matches of ``query`` by score then id, among ``allowed`` and not
        at an address in ``seen`` (which grows by them). The top k comes back by score alone, so
        it is fetched wider (doubling, up to ``_TIE_FETCH`` once the page is full) until it
        holds ``room`` wanted hits and no tie with what was left out. ``read``: the documents
        read so far, by address."""
        share = 1.0 if allowed is None else max(len(allowed) / len(self), 0.25)
        fetch = int((room + len(seen)) / share) + 1
        while True:
            hits = self._searcher.search(query, fetch, count=False).hits
            rows = []
            last = None  # the score of the room-th wanted hit: those below it are not read
            for score, address in hits:
                if last is not None and score < last:
                    break  # sorted by score: the rest fall after the page too
                where = (address.segment_ord, address.doc)
                if where in seen:
                    continue
                known = read.get(where)
                if known is None:
                    doc = self._searcher.doc(address)
                    known = read[where] = (str(doc.get_first("key")), doc)
                if allowed is None or known[0] in allowed:
                    rows.append((float(score), known[0], known[1], where))
                    if len(rows) == room:
                        last = score
            if len(hits) < fetch or (last is not None and hits[-1][0] < last):
                break  # everything left out scores below the last hit kept
            if fetch >= _TIE_FETCH and last is not None:
                break  # a tie wider than this keeps the index's order past the page
            fetch *= 2
        rows.sort(key=lambda row: (-row[0], row[1]))
        del rows[room:]
        seen.update(row[3] for row in rows)
        return [(score, prompt_id, doc) for score, prompt_id, doc, _where in rows]


def _every_word(words: list[_Word], fields: tuple[str, ...],
                completed: dict[tuple[str, str], list[str]], clauses: _Clauses,
                ) -> tantivy.Query | None:
    """Every word in one of ``fields``, each field's matches weighted; None if some word cannot
    match there. ``completed``: the terms each word stands for in each field; ``clauses``: their
    weighted term queries made so far, by word and field (it grows by those made here)."""
    musts = []
    for word in words:
        should = []
        for field in fields:
            made = clauses.get((word.term, field))
            if made is None:
                weight = _WEIGHTS[field]
                made = clauses[word.term, field] = [
                    (tantivy.Occur.Should, tantivy.Query.boost_query(
                        tantivy.Query.term_query(_SCHEMA, field, term, index_option="freq"),
                        weight))
                    for term in completed[word.term, field]]
            should += made
        if not should:
            return None
        musts.append((tantivy.Occur.Must, tantivy.Query.boolean_query(should)))
    return tantivy.Query.boolean_query(musts)


class PromptSearch:
    """The served prompts' search index: in directory ``path`` (kept between runs, readable by
    other processes) or in memory (path None). One writer (the server's reloader thread);
    searches from any thread."""

    def __init__(self, index: tantivy.Index) -> None:
        index.register_tokenizer("words", _INDEXED)
        index.config_reader("manual")  # a new view only when update() says so
        self._index: tantivy.Index | None = index
        self._lock = threading.Lock()
        self._current = Searcher(index.searcher())

    @classmethod
    def open(cls, path: Path | None) -> PromptSearch:
        """The index kept in ``path``, a directory of its own (made there if there is none). A
        directory that does not hold an index of this format is emptied and made again, with a
        warning."""
        if path is None:
            return cls(tantivy.Index(_SCHEMA))
        marker = path / _MARKER
        if path.is_dir() and any(path.iterdir()):
            try:
                written = json.loads(marker.read_text(encoding="utf-8"))
                if written != _format():
                    raise ValueError(f"written as {written}, this is {_format()}")
                return cls(tantivy.Index(_SCHEMA, path=str(path), reuse=True))
            except (OSError, ValueError) as error:  # tantivy raises ValueError for its errors
                log.warning("search index %s cannot be used (%s): it is made again", path, error)
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        made = cls(tantivy.Index(_SCHEMA, path=str(path), reuse=False))
        marker.write_text(json.dumps(_format()), encoding="utf-8")  # after: it vouches for it
        return made

    def kept(self) -> dict[str, str]:
        """id -> digest of the prompts the index holds (read from its stored fields)."""
        searcher = self._current._searcher
        count = searcher.num_docs
        if count == 0:
            return {}
        kept = {}
        for _score, address in searcher.search(tantivy.Query.all_query(), count,
                                               count=False).hits:
            doc = searcher.doc(address)
            kept[str(doc.get_first("key"))] = str(doc.get_first("digest"))
        return kept

    def update(self, added: Iterable[SearchDoc], removed: Iterable[str]) -> Searcher:
        """In one commit: the documents of ``removed`` ids and of ids ``added`` again are
        replaced. Returns the new view; views taken before still answer as they did. ``added``
        is read once, as it comes (a generator keeps a first build's memory small)."""
        with self._lock:
            index = self._opened()
            # An empty index (a first build) has nothing to replace but what this update adds
            # twice: 6 us a document saved, 60 ms at 10,000 prompts.
            empty = len(self._current) == 0
            ids: set[str] = set()
            writer = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            try:
                for prompt_id in removed:
                    writer.delete_documents_by_term("key", prompt_id)
                for doc in added:  # read once: a first build can stream its documents
                    # A delete applies to what was added before it: not to this document.
                    if not empty or doc.id in ids:
                        writer.delete_documents_by_term("key", doc.id)
                    else:
                        ids.add(doc.id)
                    writer.add_document(_document(doc))
                writer.commit()
                # The segments this commit made are merged now, by this thread, rather than
                # left to a writer about to be dropped.
                writer.wait_merging_threads()
            except BaseException:
                with contextlib.suppress(ValueError):  # consumed by a failed wait
                    writer.rollback()
                raise
            finally:
                del writer  # its lock and its memory go now, not when a traceback does
            index.reload()
            self._current = Searcher(index.searcher())
            return self._current

    def searcher(self) -> Searcher:
        return self._current

    def close(self) -> None:
        """Drop the index; searchers already taken go on answering."""
        with self._lock:
            self._index = None

    def _opened(self) -> tantivy.Index:
        if self._index is None:
            raise RuntimeError("the search index is closed")
        return self._index


def committed_opstamp(path: Path) -> int | None:
    """The commit of the search index in ``path`` (its ``meta.json``), or None."""
    try:
        return int(json.loads((path / "meta.json").read_text(encoding="utf-8"))["opstamp"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _format() -> dict[str, Any]:
    major, minor = importlib.metadata.version("tantivy").split(".")[:2]
    return {"format": FORMAT, "tantivy": f"{major}.{minor}"}


def _document(doc: SearchDoc) -> tantivy.Document:
    return tantivy.Document(
        key=doc.id, digest=doc.digest, id=doc.id, title=doc.title,
        description=doc.description, tags=" ".join(doc.tags), body=doc.body,
        deprecated=int(doc.status == "deprecated"))


# Snippets ---------------------------------------------------------------------------------


class _Marks:
    """The query's words, to find and mark in a prompt's own text."""

    def __init__(self, words: list[_Word]) -> None:
        self.words = words
        self.count = len(words)
        self.exact = frozenset(w.term for w in words if not w.prefix)
        self.prefixes = tuple(w.term for w in words if w.prefix)
        # Each word in its usual cases, found by str.find (no pattern to compile: every query
        # is new), the edges of the word checked after.
        self.cases = [tuple(dict.fromkeys((w.term, w.term.capitalize(), w.term.upper())))
                      for w in words]
        self._folded: tuple[str | None, list[tuple[str, int]]] = (None, [])  # the last text's
        # ASCII words, which an ASCII text holds in some case where its lowercase copy holds
        # them: one search of that copy finds both the usual cases and the others.
        self._ascii = [w.term.isascii() and w.term == w.term.lower() for w in words]
        self._found: tuple[str | None, list[tuple[int, int | None]]] = (None, [])  # last text's
        self._lowered: tuple[str | None, str] = (None, "")  # the last text's start, lowercased
        self._marked: dict[str, bool] = {}

    def marked(self, word: str) -> bool:
        known = self._marked.get(word)
        if known is None:
            folded = word.lower() if word.isascii() else "".join(_QUERY.analyze(word))
            known = self._marked[word] = (folded in self.exact
                                          or folded.startswith(self.prefixes))
        return known

    def scan(self, text: str, *, slow: bool = True) -> tuple[int, int]:
        """How many of the words ``text`` holds and where the first one starts; ``slow``: also
        in other cases and with diacritics, near its start."""
        if self._found[0] is not text:  # the same text again: scanned the slow way this time
            self._found = (text, self._starts(text))
        starts = self._found[1]
        found, first = 0, -1
        for number in range(self.count):
            start, other = starts[number]
            if start < 0 and slow:  # another case (JavaScript), diacritics (résumé)
                if other is None:
                    other = self._slow(number, text)
                    starts[number] = (start, other)
                start = other
            if start >= 0:
                found += 1
                first = start if first < 0 else min(first, start)
        return found, first

    def _starts(self, text: str) -> list[tuple[int, int | None]]:
        """For each word: where it first starts in ``text`` in one of its usual cases, and where
        ``_slow`` finds it (None: not looked for yet); -1 where it does not."""
        lowered = text.lower() if text.isascii() and any(self._ascii) else None
        starts: list[tuple[int, int | None]] = []
        for number, word in enumerate(self.words):
            if lowered is not None and self._ascii[number]:
                starts.append(self._ascii_starts(number, text, lowered))
                continue
            start = -1
            for case in self.cases[number]:
                start = _earliest(text, case, word.prefix, len(text) if start < 0 else start,
                                  start)
            starts.append((start, None))
        return starts

    def _ascii_starts(self, number: int, text: str, lowered: str) -> tuple[int, int]:
        """An ASCII word in an ASCII ``text`` (``lowered``, the same length, letter for letter):
        where it first starts in one of its usual cases, and where in any case within
        ``_SLOW_SCAN`` characters (as ``_slow`` finds it). The same answers as searching each
        case, in one pass."""
        size, chunk = len(text), min(len(text), _SLOW_SCAN)
        word, cases = self.words[number], self.cases[number]
        term, prefix = word.term, word.prefix
        length = len(term)
        other = -1
        at = lowered.find(term)
        while at >= 0:
            end = at + length
            if not (at and text[at - 1].isalnum()):
                if (prefix or end == size or not text[end].isalnum()) and \
                        text[at:end] in cases:
                    return at, other
                if other < 0 and end <= chunk and (
                        prefix or end == chunk or not text[end].isalnum()):
                    other = at
            at = lowered.find(term, at + 1)
        return -1, other

    def _slow(self, number: int, text: str) -> int:
        """The first ``_SLOW_SCAN`` characters lowercased, then (diacritics) as the analyzer
        folds them."""
        word, chunk = self.words[number], text[:_SLOW_SCAN]
        if self._lowered[0] is not text:  # once for all the words
            self._lowered = (text, chunk.lower())
        lowered = self._lowered[1]
        if len(lowered) == len(chunk):  # offsets kept
            start = _earliest(lowered, word.term, word.prefix, len(lowered), -1)
            if start >= 0 or chunk.isascii():
                return start
        chunk = chunk[:_FOLD_SCAN]
        if not _FOLDS.search(chunk):
            return -1  # no letter the analyzer folds into ASCII
        if self._folded[0] != chunk:
            self._folded = (chunk, [(str(token.text), int(token.char_offset_from))
                                    for token in _INDEXED.pre_tokenize(chunk).tokens])
        for folded, start in self._folded[1]:
            if folded.startswith(word.term) if word.prefix else folded == word.term:
                return start
        return -1


def _earliest(text: str, literal: str, prefix: bool, before: int, found: int) -> int:
    """Where ``literal`` first starts a word (the whole word unless ``prefix``) ahead of
    ``before``, else ``found``."""
    at = text.find(literal, 0, before + len(literal))
    while 0 <= at < before:
        end = at + len(literal)
        if not (at and text[at - 1].isalnum()) and (
                prefix or end == len(text) or not text[end].isalnum()):
            return at
        at = text.find(literal, at + 1, before + len(literal))
    return found


def _snippet(marks: _Marks, doc: tantivy.Document, prompt_id: str,
             snippet_text: Callable[[str], str | None] | None) -> str:
    """About ``_SNIPPET_WORDS`` words around the first match in the field with the most of the
    query's words (the title, the description, then the prompt's text), matches marked."""
    fields = [str(doc.get_first("title") or ""), str(doc.get_first("description") or "")]
    best: tuple[int, str, int] | None = None  # words found, field, first match
    for position in range(3):
        if position == 2:
            text = snippet_text(prompt_id) if snippet_text is not None else None
            if text is None:
                break
            fields.append(_without_front_matter(text))
        found, first = marks.scan(fields[position], slow=position < 2)
        if position == 2 and not found:  # templates can be long: the slow way only if need be
            found, first = marks.scan(fields[position])
        if found and (best is None or found > best[0]):
            best = (found, fields[position], first)
        if found == marks.count:
            break  # no later field can do better
    if best is None:  # the words are in the id or the tags, or where the caller gave no text
        return _cut(fields[1] or fields[0], 0, marks, before=0)
    return _cut(best[1], best[2], marks, before=_SNIPPET_BEFORE)


def _cut(text: str, anchor: int, marks: _Marks, *, before: int) -> str:
    """The words of ``text`` from ``before`` words ahead of the one at ``anchor``, matches
    marked, "..." where the text goes on."""
    tokens = _words_before(text, anchor, before) if before else []
    room = _SNIPPET_WORDS - len(tokens)
    if anchor and text[anchor - 1].isalnum():  # inside a word: the rest of it is not a word
        tokens.extend(match.span() for match in itertools.islice(
            _TOKEN.finditer(text, anchor), room))
        if not tokens:
            return ""
        return _with_marks(text, tokens[0][0], tokens[-1][1], tokens, marks)
    # From the start of a word, the next ``room`` words in one match, then split into words
    # and what separates them.
    after = _WORDS_AFTER[room].match(text, anchor) if room > 0 else None
    if after is not None and after.start(1) >= 0:
        start = tokens[0][0] if tokens else after.start(1)
        end = after.end(1)
    elif tokens:
        start, end = tokens[0][0], tokens[-1][1]
    else:
        return ""
    parts = _SPLIT.split(text[start:end])
    for number in range(1, len(parts), 2):  # the words
        if marks.marked(parts[number]):
            parts[number] = MARK_START + parts[number] + MARK_END
    return "".join(["..." if _TOKEN.search(text, 0, start) else "", *parts,
                    "..." if _TOKEN.search(text, end) else text[end:].rstrip()])


def _with_marks(text: str, start: int, end: int, tokens: list[tuple[int, int]],
               marks: _Marks) -> str:
    """``text[start:end]`` with the ``tokens`` that are matches marked, "..." where the text
    goes on."""
    out = ["..."] if _TOKEN.search(text, 0, start) else []
    position = start  # the text from here to the next marked word is copied as it is
    for token_start, token_end in tokens:
        word = text[token_start:token_end]
        if marks.marked(word):
            out.append(text[position:token_start])
            out.append(MARK_START + word + MARK_END)
            position = token_end
    out.append(text[position:end])
    out.append("..." if _TOKEN.search(text, end) else text[end:].rstrip())
    return "".join(out)


def _words_before(text: str, anchor: int, count: int) -> list[tuple[int, int]]:
    """The spans of the last ``count`` words that start within ``40 * count`` characters ahead
    of ``anchor`` (one cut short by ``anchor`` included), as ``_TOKEN`` finds them there: read
    backwards, so that only these few are matched."""
    low = max(0, anchor - 40 * count)
    spans: list[tuple[int, int]] = []
    for match in _RUN.finditer(text[low:anchor][::-1]):
        start = anchor - match.end()
        if start == low and low and text[low - 1].isalnum():
            break  # the rest of a word that starts before the window
        spans.append((start, anchor - match.start()))
        if len(spans) == count:
            break
    spans.reverse()
    return spans


def _without_front_matter(text: str) -> str:
    """A Markdown prompt's templates: what follows its front matter."""
    if not text.startswith("---"):
        return text
    end = text.find("\n---", 3)
    return text[text.find("\n", end + 4) + 1:] if end >= 0 else text
