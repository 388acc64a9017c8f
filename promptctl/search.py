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

# bm25 weights, in column order: id, status, born, died, digest (not indexed), title,
# description, tags, body. The small columns come before the body: a row's columns are read up
# to the last one a query needs, and filtering on born/died must not read every matching body.
_WEIGHTS = (3.0, 0.0, 0.0, 0.0, 0.0, 10.0, 4.0, 8.0, 1.0)
_META_COLUMNS = "id title description tags"
_WORD = re.compile(r"\w+", re.UNICODE)
_AUTOMERGE = 4  # FTS5's default
_CRISIS = 16  # FTS5's default
_CRISIS_OFF = 128  # well below FTS5's bound of 2,000 segments in an index
MARK_START, MARK_END = "[", "]"


# How many prompts with some of the words are ranked to pick the ones with the most words.
_SOME_WORDS_POOL = 200


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    snippet: str
    matched: tuple[str, ...] = ()  # the query's words this prompt contains, in query order


def _connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    if path != ":memory:":
        # A file kept between runs (the server's index cache): readers map it into memory, and
        # a write is one WAL append per build.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA mmap_size=2147483648")
    return db


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
    """An FTS5 index of prompts, in memory by default; safe to share between threads.

    Generations let a server keep serving one version of the library while it indexes the
    next one in the same table: rows carry the generation that added them (``born``) and the
    one that replaced them (``died``), and a search for generation ``g`` sees the rows alive at
    ``g``. Replacing one prompt then costs one row instead of a new index of every prompt.
    Without a generation (the command line), every row is generation 0 and always alive.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.db = _connect(path)
        self._lock = threading.Lock()  # one connection: statements and transactions take turns
        # Prefix indexes of 1 to 3 characters: search-as-you-type ends queries with short
        # prefixes, and without its own index a one-letter prefix ("write a") costs 50 ms to
        # rank and 350 ms to snippet on 10,000 corpus prompts (17 ms and 1 ms with it, for 10%
        # more index).
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
            "id, status UNINDEXED, born UNINDEXED, died UNINDEXED, digest UNINDEXED, title, "
            "description, tags, body, "
            "tokenize='unicode61 remove_diacritics 2', "
            "prefix='1 2 3')"
        )

    def add(self, prompts: Iterable[Prompt], *, generation: int = 0) -> None:
        self.update(prompts, (), generation=generation)

    def update(self, added: Iterable[Prompt], replaced: Iterable[str], *, generation: int) -> None:
        """In one transaction: the rows of ``replaced`` ids die at ``generation`` and the
        ``added`` prompts are born at it. Searches of older generations do not see the change."""
        rows = [
            (
                p.id,
                p.status,
                generation,
                None,
                p.digest,
                p.title,
                p.description,
                " ".join(p.tags),
                "\n\n".join(t.source for t in p.templates),
            )
            for p in added
        ]
        gone = list(replaced)
        with self._lock, self.db:
            for start in range(0, len(gone), 500):
                chunk = gone[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                self.db.execute(
                    f"UPDATE docs SET died = ? WHERE died IS NULL AND id IN ({marks})",  # noqa: S608
                    (generation, *chunk),
                )
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def merging(self, on: bool) -> None:
        """Turn FTS5's merging of index segments after each write off (a first build that adds
        its rows in many transactions) or back on (its defaults, kept in the index).

        Off, a write merges nothing until a level holds ``_CRISIS_OFF`` segments (FTS5's
        "crisismerge", 16 by default), so adding 10,000 corpus prompts in 50 transactions
        merges nothing at all: 40% less time than with FTS5's defaults. Unmerged segments cost
        searches a millisecond or two and the next writes the merging put off: ``merge`` does
        it at once."""
        automerge, crisis = (_AUTOMERGE, _CRISIS) if on else (0, _CRISIS_OFF)
        with self._lock, self.db:
            self.db.execute("INSERT INTO docs(docs, rank) VALUES ('automerge', ?)", (automerge,))
            self.db.execute("INSERT INTO docs(docs, rank) VALUES ('crisismerge', ?)", (crisis,))

    def merge(self, pages: int = 64) -> int:
        """Merge index segments, ``pages`` pages a step, until FTS5 finds nothing to merge
        (what merging after each write would have done); searches go on between the steps.
        Returns the steps taken."""
        steps = 0
        while True:
            with self._lock, self.db:
                before = self.db.total_changes
                self.db.execute("INSERT INTO docs(docs, rank) VALUES ('merge', ?)", (pages,))
                # FTS5's documented test: fewer than 2 changes means no work was done.
                done = self.db.total_changes - before < 2
            steps += 1
            if done:
                return steps

    def move_to(self, path: str) -> None:
        """Copy this index into the file ``path`` (replacing what it held) and go on from
        there. Searches go on meanwhile: the copy is read in steps, and only the switch to the
        file waits for them."""
        target = _connect(path)
        try:
            self.db.backup(target, pages=4096)
            target.execute("PRAGMA journal_mode=WAL")
            # The copy went through the write-ahead log: fold it into the file now, or the
            # next write (a reload) would pay for checkpointing the whole index.
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            target.close()
            raise
        with self._lock:
            old, self.db = self.db, target
        old.close()

    def alive(self) -> tuple[int, dict[str, str]]:
        """The latest generation and the rows alive at it (id -> digest of the prompt file):
        what a file kept from an earlier run holds. Rows that had died are dropped.

        Read from FTS5's own content table (c0 id, c2 born, c3 died, c4 digest): through the
        virtual table every row would be read whole, bodies included."""
        with self._lock, self.db:
            dead = [rowid for (rowid,) in self.db.execute(
                "SELECT id FROM docs_content WHERE c3 IS NOT NULL")]
            for start in range(0, len(dead), 500):
                chunk = dead[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                self.db.execute(f"DELETE FROM docs WHERE rowid IN ({marks})", chunk)  # noqa: S608
            rows = self.db.execute("SELECT c0, c2, c4 FROM docs_content").fetchall()
        latest = max((int(born) for _id, born, _digest in rows), default=0)
        return latest, {str(i): str(d) for i, _born, d in rows}

    def purge(self, generation: int) -> None:
        """Drop the rows that died at or before ``generation`` (no search needs them any more)."""
        with self._lock, self.db:
            self.db.execute("DELETE FROM docs WHERE died IS NOT NULL AND died <= ?", (generation,))

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def search(self, text: str, *, limit: int = 20, allowed: AbstractSet[str] | None = None,
               generation: int | None = None, some_words: bool = False) -> list[Hit]:
        """Ranked hits; ``allowed`` restricts to the ids a caller may see (filters, roles).

        Up to three tiers: prompts with every word in their id, title, description or tags
        come first, then those with every word only counting their templates, then, with
        ``some_words`` and a query of several words, those with some of the words, the most
        words first. Ranking is the costly part (bm25 reads every matching row's statistics)
        and a common word matches most templates, so each tier runs only when the ones before
        leave room. The some-words tier ranks every row with any of the words (up to about
        90 ms for common words over 10,000 prompts), so the command line asks for it and the
        read API, which answers each keystroke, does not.
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
                for rowid, prompt_id, score in self._ranked(match, generation):
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
                kept.extend(self._some_words(terms, generation, wanted, limit - len(kept)))
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

    def _some_words(self, terms: list[tuple[str, str]], generation: int | None,
                    wanted: Callable[[str], bool],
                    room: int) -> list[tuple[int, str, float, tuple[str, ...]]]:
        """Up to ``room`` prompts with some of the words (those with all of them are already
        kept), the most words first, then by rank; each with the words it matched.

        The best ``_SOME_WORDS_POOL`` by rank are sorted by words matched: bm25 sums the
        scores of the words a row has, so a row with more words seldom ranks below that."""
        pool: dict[int, tuple[str, float]] = {}
        ids: set[str] = set()
        match = " OR ".join(term for _word, term in terms)
        for rowid, prompt_id, score in self._ranked(match, generation):
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

    def _ranked(self, match: str, generation: int | None) -> Iterator[tuple[int, str, float]]:
        weights = ", ".join(str(w) for w in _WEIGHTS)
        alive = "died IS NULL" if generation is None else \
            "born <= :generation AND (died IS NULL OR died > :generation)"
        # Only our own constants are formatted in; the user's text is a bound parameter.
        sql = (
            f"SELECT rowid, id, bm25(docs, {weights}) AS rank "  # noqa: S608
            f"FROM docs WHERE docs MATCH :match AND {alive} "
            "ORDER BY status = 'deprecated', rank, id"  # id: equal scores in a stable order
        )
        for rowid, prompt_id, rank in self.db.execute(sql, {"match": match,
                                                            "generation": generation}):
            yield rowid, prompt_id, -float(rank)
