"""Keyword search with SQLite FTS5 (BM25). User text is reduced to plain words, so
quotes, NEAR, AND, *, : and parentheses never reach FTS5 as syntax."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..index.storage.store import Store
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


# Words too common to say whether a paragraph is about the query (for display only;
# the keyword search itself weighs words by BM25).
DISPLAY_STOPWORDS = frozenset("""a an and are as at be but by for from has have he her his in into is it its
    of on or she that the their they this to was were what when where which who will with""".split())


def term_stems(text: str) -> list[str]:
    """Query words cut to a crude stem (all but the last two letters of longer words),
    to spot them in text: for highlighting and for choosing what to show."""
    return [t[: max(4, len(t) - 2)] if len(t) > 4 else t for t in query_terms(text)
            if len(t) > 1 and t not in DISPLAY_STOPWORDS]


def term_pattern(text: str) -> re.Pattern[str] | None:
    """A regex that matches any word starting with one of the query's stems."""
    stems = sorted(set(term_stems(text)), key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def terms_covered(paragraph: str, pattern: re.Pattern[str] | None) -> int:
    """How many distinct query stems the paragraph contains."""
    if pattern is None:
        return 0
    return len({match.group(1).lower() for match in pattern.finditer(paragraph)})


def fts_expression(text: str) -> str | None:
    """An FTS5 MATCH expression that ORs the query's words, each quoted as a phrase."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join(f'"{term}"' for term in terms)


def _bm25(store: Store, text: str, columns: str, joins: str, table: str, limit: int, where: Filter) -> list[tuple]:
    """Rows of `columns` for the FTS5 `table` (joined to the articles as `a`) matching
    the query's words, best BM25 first, within the filter; a last column holds the
    score (higher is better)."""
    expression = fts_expression(text)
    if expression is None:
        return []
    condition, params = where.sql()
    return store.db.execute(
        f"SELECT {columns}, -bm25({table}) FROM {table} {joins} "
        f"WHERE {table} MATCH ? AND {condition} ORDER BY bm25({table}) LIMIT ?",
        [expression, *params, limit],
    ).fetchall()


def keyword_search(store: Store, text: str, limit: int, where: Filter) -> list[tuple[int, int, float]]:
    """(paragraph id, article id, score) best first; score is BM25, higher is better."""
    if where.active:
        rows = _bm25(store, text, "p.id, p.article_id",
                     "JOIN paragraphs p ON p.id = paragraphs_fts.rowid JOIN articles a ON a.id = p.article_id",
                     "paragraphs_fts", limit, where)
        return [(int(pid), int(aid), float(score)) for pid, aid, score in rows]
    # Without a filter the joins would run for every matching paragraph before the
    # limit; the articles of the best few are looked up afterwards instead.
    best = _bm25(store, text, "paragraphs_fts.rowid", "", "paragraphs_fts", limit, where)
    owners = store.paragraph_article_ids([int(pid) for pid, _ in best])
    return [(int(pid), owners[int(pid)], float(score)) for pid, score in best if int(pid) in owners]


def article_keyword_search(store: Store, text: str, limit: int, where: Filter) -> list[tuple[int, float]]:
    """(article id, score) best first, BM25 over each article's whole text."""
    joins = "JOIN articles a ON a.id = articles_fts.rowid" if where.active else ""  # rowid is the article id
    rows = _bm25(store, text, "articles_fts.rowid", joins, "articles_fts", limit, where)
    return [(int(article_id), float(score)) for article_id, score in rows]
