"""Combining the dense and keyword result lists into one ranking.

Each list holds paragraph candidates (paragraph id, article id, score), best first.
Both fusions return a score per paragraph (to pick what to show) and per article
(to rank the results).
"""

from __future__ import annotations

from collections.abc import Sequence

Candidates = Sequence[tuple[int, int, float]]
Scores = tuple[dict[int, float], dict[int, float]]

FUSIONS = ("scores", "rrf")
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al., 2009)
NORMALISE_OVER = 100  # candidates of each list that span the [0, 1] scale


def _articles_by_best_paragraph(paragraph_scores: dict[int, float], owners: dict[int, int]) -> dict[int, float]:
    articles: dict[int, float] = {}
    for pid, score in paragraph_scores.items():
        article = owners[pid]
        if score > articles.get(article, float("-inf")):
            articles[article] = score
    return articles


def single(candidates: Candidates) -> Scores:
    """One retriever: its own scores; an article scores as its best paragraph."""
    paragraphs = {pid: score for pid, _, score in candidates}
    owners = {pid: article for pid, article, _ in candidates}
    return paragraphs, _articles_by_best_paragraph(paragraphs, owners)


def relative_scores(lists: Sequence[Candidates]) -> Scores:
    """Each list's scores scaled to [0, 1] between its best candidate and its
    NORMALISE_OVER-th (min-max), averaged with equal weights per paragraph (a
    paragraph missing from a list gets 0 there); an article scores as its best
    paragraph. Unlike rank fusion this keeps how far ahead a candidate is: a paragraph
    that alone has the query's rare words stands out. Scaling over a fixed number of
    candidates keeps the ranking independent of how many results were asked for."""
    paragraphs: dict[int, float] = {}
    owners: dict[int, int] = {}
    for candidates in lists:
        if not candidates:
            continue
        high = candidates[0][2]
        low = candidates[min(len(candidates), NORMALISE_OVER) - 1][2]
        spread = high - low
        for pid, article, score in candidates:
            scaled = max(score - low, 0.0) / spread if spread > 0 else 1.0
            paragraphs[pid] = paragraphs.get(pid, 0.0) + scaled / len(lists)
            owners[pid] = article
    return paragraphs, _articles_by_best_paragraph(paragraphs, owners)


def reciprocal_ranks(lists: Sequence[Candidates]) -> Scores:
    """Reciprocal rank fusion at article level: each list ranks articles by their
    best paragraph, and an article scores the sum of 1 / (RRF_K + rank)."""
    paragraphs: dict[int, float] = {}
    articles: dict[int, float] = {}
    for candidates in lists:
        article_rank: dict[int, int] = {}
        for rank, (pid, article, _) in enumerate(candidates, start=1):
            paragraphs[pid] = paragraphs.get(pid, 0.0) + 1.0 / (RRF_K + rank)
            article_rank.setdefault(article, len(article_rank) + 1)
        for article, rank in article_rank.items():
            articles[article] = articles.get(article, 0.0) + 1.0 / (RRF_K + rank)
    return paragraphs, articles


def fuse(lists: Sequence[Candidates], fusion: str = "scores") -> Scores:
    if len(lists) == 1:
        return single(lists[0])
    return relative_scores(lists) if fusion == "scores" else reciprocal_ranks(lists)
