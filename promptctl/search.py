"""Full-text search over prompts with SQLite FTS5 (standard library).

Weights favour title and tags over description, id and body; deprecated prompts come after
the others, since their successors are what a searcher should find first.

User text is never passed to FTS5 as query syntax: it is split into words, each word quoted, and
the last word of a query that does not end in a space is a prefix (search-as-you-type). Quotes,
``c++``, ``-`` and unicode are therefore plain text and never a syntax error.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from promptctl.model import Prompt

# bm25 weights, in column order: id, title, description, tags, body.
_WEIGHTS = (3.0, 10.0, 4.0, 8.0, 1.0)
_WORD = re.compile(r"\w+", re.UNICODE)
MARK_START, MARK_END = "[", "]"


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    snippet: str


def fts_query(text: str) -> str | None:
    """A safe FTS5 MATCH expression for free text, or None when it has no words."""
    words = _WORD.findall(text)
    if not words:
        return None
    terms = ['"' + w.replace('"', '""') + '"' for w in words]
    if text and not text[-1].isspace():
        terms[-1] += "*"
    return " AND ".join(terms)


class SearchIndex:
    """An FTS5 index of prompts, in memory by default."""

    def __init__(self, path: str = ":memory:") -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
            "id, title, description, tags, body, status UNINDEXED, "
            "tokenize='unicode61 remove_diacritics 2', "
            "prefix='2 3')"
        )

    def add(self, prompts: Iterable[Prompt]) -> None:
        rows = [
            (
                p.id,
                p.title,
                p.description,
                " ".join(p.tags),
                "\n\n".join(t.source for t in p.templates),
                p.status,
            )
            for p in prompts
        ]
        with self.db:
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)", rows)

    def search(self, text: str, *, limit: int = 20, allowed: set[str] | None = None) -> list[Hit]:
        """Ranked hits; ``allowed`` restricts to the ids a caller may see (filters, roles)."""
        query = fts_query(text)
        if query is None:
            return []
        weights = ", ".join(str(w) for w in _WEIGHTS)
        # Only our own constants are formatted in; the user's text is a bound parameter.
        sql = (
            f"SELECT id, bm25(docs, {weights}) AS rank, "  # noqa: S608
            f"snippet(docs, -1, '{MARK_START}', '{MARK_END}', '...', 12) "
            "FROM docs WHERE docs MATCH ? ORDER BY status = 'deprecated', rank"
        )
        hits = []
        for prompt_id, rank, snippet in self.db.execute(sql, (query,)):
            if allowed is not None and prompt_id not in allowed:
                continue
            hits.append(Hit(prompt_id, -float(rank), snippet))
            if len(hits) >= limit:
                break
        return hits
