"""Full-text search over prompts with SQLite FTS5 (standard library).

Weights favour title and tags over description, id and body; deprecated prompts come after
the others, since their successors are what a searcher should find first.

User text is never passed to FTS5 as query syntax: it is split into words, each word quoted, and
the last word of a query that does not end in a space is a prefix (search-as-you-type). Quotes,
``c++``, ``-`` and unicode are therefore plain text and never a syntax error.

Prompts with every word come first; when they leave room and the caller asks for it (the command
line does), those with some of the words follow, the most words first, and each hit says which
words it matched (``Hit.matched``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from promptctl.model import Prompt

# bm25 weights, in column order: id, status (not indexed), title, description, tags, body.
_WEIGHTS = (3.0, 0.0, 10.0, 4.0, 8.0, 1.0)
_META_COLUMNS = "id title description tags"
_WORD = re.compile(r"\w+", re.UNICODE)
MARK_START, MARK_END = "[", "]"


# How many prompts with some of the words are ranked to pick the ones with the most words.
_SOME_WORDS_POOL = 200


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    snippet: str
    matched: tuple[str, ...] = ()  # the query's words this prompt contains, in query order


def query_terms(text: str) -> list[tuple[str, str]]:
    """Each distinct word of free text (case aside) and its safe FTS5 term; the last one is a
    prefix unless the text ends in a space."""
    words = _WORD.findall(text)
    terms: dict[str, tuple[str, str]] = {}
    for index, word in enumerate(words):
        term = '"' + word.replace('"', '""') + '"'
        if index == len(words) - 1 and text and not text[-1].isspace():
            term += "*"
        terms.setdefault(word.casefold(), (word, term))
    return list(terms.values())


def fts_query(text: str, *, any_word: bool = False) -> str | None:
    """A safe FTS5 MATCH expression for free text (every word, or with ``any_word`` at least
    one), or None when it has no words."""
    terms = [term for _word, term in query_terms(text)]
    if not terms:
        return None
    return (" OR " if any_word else " AND ").join(terms)


class SearchIndex:
    """An FTS5 index of prompts in memory (the command line's, and ``promptctl mcp``'s over a
    work tree; the read API's is ``server.search``); safe to share between threads."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()  # one connection: statements and transactions take turns
        # Prefix indexes of 1 to 3 characters: search-as-you-type ends queries with short
        # prefixes, and without its own index a one-letter prefix ("write a") costs 50 ms to
        # rank and 350 ms to snippet on 10,000 corpus prompts (17 ms and 1 ms with it, for 10%
        # more index).
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
            "id, status UNINDEXED, title, description, tags, body, "
            "tokenize='unicode61 remove_diacritics 2', "
            "prefix='1 2 3')"
        )

    def add(self, prompts: Iterable[Prompt]) -> None:
        rows = [(p.id, p.status, p.title, p.description, " ".join(p.tags),
                 "\n\n".join(t.source for t in p.templates)) for p in prompts]
        with self._lock, self.db:
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def search(self, text: str, *, limit: int = 20, allowed: AbstractSet[str] | None = None,
               some_words: bool = False) -> list[Hit]:
        """Ranked hits; ``allowed`` restricts to the ids a caller may see (filters, roles).

        Up to three tiers: prompts with every word in their id, title, description or tags
        come first, then those with every word only counting their templates, then, with
        ``some_words`` and a query of several words, those with some of the words, the most
        words first. Ranking is the costly part (bm25 reads every matching row's statistics)
        and a common word matches most templates, so each tier runs only when the ones before
        leave room. The some-words tier ranks every row with any of the words (up to about
        90 ms for common words over 10,000 prompts): the command line asks for it.
        """
        terms = query_terms(text)
        query = fts_query(text)
        if query is None:
            return []
        words = tuple(word for word, _term in terms)
        kept: list[tuple[int, str, float, tuple[str, ...]]] = []
        seen: set[str] = set()

        def wanted(prompt_id: str) -> bool:
            return prompt_id not in seen and (allowed is None or prompt_id in allowed)

        with self._lock:
            for match in (f"{{{_META_COLUMNS}}} : ({query})", query):
                for rowid, prompt_id, score in self._ranked(match):
                    if not wanted(prompt_id):
                        continue
                    seen.add(prompt_id)
                    kept.append((rowid, prompt_id, score, words))
                    if len(kept) >= limit:
                        break
                if len(kept) >= limit:
                    break
            some = some_words and len(terms) > 1 and len(kept) < limit
            if some:
                kept.extend(self._some_words(terms, wanted, limit - len(kept)))
            if not kept:
                return []
            marks = ", ".join(str(int(rowid)) for rowid, *_rest in kept)
            # Snippets only for the hits kept: a snippet reads the row's whole text.
            snippets = dict(self.db.execute(
                f"SELECT rowid, snippet(docs, -1, '{MARK_START}', '{MARK_END}', '...', 12) "  # noqa: S608
                f"FROM docs WHERE docs MATCH :query AND rowid IN ({marks})",
                {"query": fts_query(text, any_word=True) if some else query},
            ))
        return [Hit(prompt_id, score, snippets.get(rowid, ""), matched)
                for rowid, prompt_id, score, matched in kept]

    def _some_words(self, terms: list[tuple[str, str]], wanted: Callable[[str], bool],
                    room: int) -> list[tuple[int, str, float, tuple[str, ...]]]:
        """Up to ``room`` prompts with some of the words (those with all of them are already
        kept), the most words first, then by rank; each with the words it matched.

        The best ``_SOME_WORDS_POOL`` by rank are sorted by words matched: bm25 sums the
        scores of the words a row has, so a row with more words seldom ranks below that."""
        pool: dict[int, tuple[str, float]] = {}
        ids: set[str] = set()
        match = " OR ".join(term for _word, term in terms)
        for rowid, prompt_id, score in self._ranked(match):
            if wanted(prompt_id) and prompt_id not in ids:
                ids.add(prompt_id)
                pool[rowid] = (prompt_id, score)
                if len(pool) >= max(room, _SOME_WORDS_POOL):
                    break
        if not pool:
            return []
        marks = ", ".join(str(int(rowid)) for rowid in pool)
        found: dict[int, list[str]] = {rowid: [] for rowid in pool}
        for word, term in terms:
            for (rowid,) in self.db.execute(
                    f"SELECT rowid FROM docs WHERE docs MATCH :term AND rowid IN ({marks})",  # noqa: S608
                    {"term": term}):
                found[rowid].append(word)
        order = sorted(pool, key=lambda rowid: -len(found[rowid]))  # stable: rank within
        return [(rowid, *pool[rowid], tuple(found[rowid])) for rowid in order[:room]]

    def _ranked(self, match: str) -> Iterator[tuple[int, str, float]]:
        weights = ", ".join(str(w) for w in _WEIGHTS)
        # Only our own constants are formatted in; the user's text is a bound parameter.
        sql = (
            f"SELECT rowid, id, bm25(docs, {weights}) AS rank "  # noqa: S608
            "FROM docs WHERE docs MATCH :match "
            "ORDER BY status = 'deprecated', rank, id"  # id: equal scores in a stable order
        )
        for rowid, prompt_id, rank in self.db.execute(sql, {"match": match}):
            yield rowid, prompt_id, -float(rank)
