"""What short queries get beyond the lists every query gets: pseudo-relevance
feedback (Rocchio on vectors) and coverage of the query's words.

Two or three words say little: "troop buildup" is a topic, and the articles that are
about it share much more than those two words. So a short query is searched once, the
centroid of its best articles' vectors is added to the query's vector, and the dense
lists are searched again with that (the keyword lists stay as they are). Long queries
(a headline, a sentence) already say what they want and are searched once.

Coverage: with two or three words, an article that holds none of them is found by
the vectors alone, which for so little text are loose (an article about an airbase
comes close to "troop buildup"). An article's fused score is scaled by the share of
the query's words it contains anywhere (title or body, stemmed as the keyword index
reads them): (1 - COVERAGE_WEIGHT) + COVERAGE_WEIGHT * share. It still ranks; it
ranks below articles that hold the words, unless its other evidence is far stronger.
Coverage is on by default and feedback off (docs/quality.md says on which tasks that
was decided).
"""

from __future__ import annotations

import numpy as np

from ..index.linalg import unit_rows
from .keyword import DISPLAY_STOPWORDS, WORD

SHORT_QUERY_WORDS = 4  # a query of at most this many words gets feedback
FEEDBACK_ARTICLES = 3  # the best articles of the first pass that make the centroid
FEEDBACK_WEIGHT = 1.0  # the centroid's weight against the query's (Rocchio's beta over alpha)
COVERAGE_WEIGHT = 0.35  # how much of a short query's article score rides on holding its words


def is_short(query: str) -> bool:
    return len(WORD.findall(query)) <= SHORT_QUERY_WORDS


def expanded_query(query_vector: np.ndarray, article_vectors: np.ndarray, weight: float = FEEDBACK_WEIGHT) -> np.ndarray:
    """The query's vector moved toward the centroid of the given articles' vectors."""
    if not len(article_vectors):
        return query_vector
    centroid = unit_rows(article_vectors.mean(axis=0))
    return unit_rows(unit_rows(query_vector) + weight * centroid)


def query_words(query: str) -> list[list[str]]:
    """Each word of the query that says something (not a stop word), as the FTS5 terms
    any of which counts as that word. A hyphenated word counts as its parts, each of
    which may also stand joined to the others ("build-up": build or buildup, up or
    buildup; "US-Russia": us, russia), so "U.S.-Russia talks" still holds Russia."""
    words: list[list[str]] = []
    for word in WORD.findall(query.lower()):
        parts = word.split("-")
        joined = ["".join(parts)] if len(parts) > 1 else []
        for part in parts:
            if part in DISPLAY_STOPWORDS or len(part) < 2:
                continue
            variants = [part, *joined]
            if variants not in words:
                words.append(variants)
    return words


def coverage_factor(share: float, weight: float = COVERAGE_WEIGHT) -> float:
    return (1 - weight) + weight * share
