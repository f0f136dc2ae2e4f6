"""Keyword search with SQLite FTS5 (BM25). User text is reduced to plain words, so
quotes, NEAR, AND, *, : and parentheses never reach FTS5 as syntax."""

from __future__ import annotations

import re

from ..index.store import Store
from .filters import Filter

WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 64


def query_terms(text: str) -> list[str]:
    """Distinct lower-cased words of a query, in order."""
    terms: list[str] = []
    for word in WORD.findall(text.lower()):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def fts_expression(text: str) -> str | None:
    """An FTS5 MATCH expression that ORs the query's words, each quoted as a phrase."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join(f'"{term}"' for term in terms)


def keyword_search(store: Store, text: str, limit: int, where: Filter) -> list[tuple[int, int, float]]:
    """(paragraph id, article id, score) best first; score is BM25, higher is better."""
    expression = fts_expression(text)
    if expression is None:
        return []
    condition, params = where.sql()
    rows = store.db.execute(
        "SELECT p.id, p.article_id, -bm25(paragraphs_fts) AS score FROM paragraphs_fts "
        "JOIN paragraphs p ON p.id = paragraphs_fts.rowid JOIN articles a ON a.id = p.article_id "
        f"WHERE paragraphs_fts MATCH ? AND {condition} ORDER BY bm25(paragraphs_fts) LIMIT ?",
        [expression, *params, limit],
    )
    return [(int(pid), int(aid), float(score)) for pid, aid, score in rows]
