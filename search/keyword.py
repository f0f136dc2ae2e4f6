"""Keyword search with SQLite FTS5 (BM25). User text is reduced to plain words, so
quotes, NEAR, AND, *, : and parentheses never reach FTS5 as syntax."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..index.storage.fts import match_expression

if TYPE_CHECKING:
    from ..index.storage.store import Store
    from .filters import Filter

WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)
MAX_TERMS = 64


def query_terms(text: str) -> list[str]:
    """Distinct lower-cased words of a query, in order; a hyphenated word gives its
    parts and the parts joined ("build-up": build, up, buildup), which the keyword
    index holds for every hyphenated word of the text too."""
    terms: list[str] = []
    for word in WORD.findall(text.lower()):
        parts = word.split("-")
        for term in parts + (["".join(parts)] if len(parts) > 1 else []):
            if term not in terms:
                terms.append(term)
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
    # A hyphenated word is marked whole ("build-up" for "buildup").
    return re.compile(r"\b(" + "|".join(re.escape(s) for s in stems) + r")\w*(?:-\w+)*", re.IGNORECASE)


def terms_covered(paragraph: str, pattern: re.Pattern[str] | None) -> int:
    """How many distinct query stems the paragraph contains."""
    if pattern is None:
        return 0
    return len({match.group(1).lower() for match in pattern.finditer(paragraph)})


def fts_expression(text: str) -> str | None:
    """The FTS5 MATCH expression the keyword lists search for `text`: its words ORed."""
    return match_expression(query_terms(text))


def keyword_search(store: Store, text: str, limit: int, where: Filter) -> list[tuple[int, int, float]]:
    """(paragraph id, article id, score) best first; score is BM25, higher is better."""
    return store.bm25_paragraphs(query_terms(text), limit, where)


def article_keyword_search(store: Store, text: str, limit: int, where: Filter) -> list[tuple[int, float]]:
    """(article id, score) best first, BM25 over each article's whole text."""
    return store.bm25_articles(query_terms(text), limit, where)
