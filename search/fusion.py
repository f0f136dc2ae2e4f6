"""Combining result lists into one ranking.

Hybrid search has five lists: dense and keyword (BM25) candidates among paragraphs;
among whole articles (the query against the mean of each article's paragraph vectors;
BM25 over each article's full text); and among leads (the query against each
article's first paragraph). Paragraph lists hold (paragraph id,
article id, score), article lists (article id, score); all best first. A fusion returns
a score per paragraph (to pick what to show) and per article (to rank the results).
"""

from __future__ import annotations

from collections.abc import Sequence

ParagraphCandidates = Sequence[tuple[int, int, float]]
ArticleCandidates = Sequence[tuple[int, float]]
Scores = tuple[dict[int, float], dict[int, float]]

MODES = ("hybrid", "semantic", "keyword")  # dense and keyword fused; dense alone; keyword alone
FUSIONS = ("scores", "rrf")
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al., 2009)
NORMALISE_OVER = 100  # candidates of each list that span the [0, 1] scale
# In score fusion an article scores, in each paragraph list, its best paragraph plus
# this share of its second best: an article with two matching paragraphs is more likely
# about the query than one with a single matching sentence (docs/quality.md).
SECOND_PARAGRAPH = 0.2


def _scaled(scores: Sequence[float], lists: int) -> list[float]:
    """Min-max scaling between the best score and the NORMALISE_OVER-th (clipped at 0),
    so the scale does not depend on how many candidates were fetched; divided by the
    number of lists, whose scores are summed."""
    high = scores[0]
    low = scores[min(len(scores), NORMALISE_OVER) - 1]
    spread = high - low
    if spread <= 0:
        return [1.0 / lists] * len(scores)
    return [(score - low) / spread / lists if score > low else 0.0 for score in scores]


def _best_per_article(candidates: ParagraphCandidates) -> list[tuple[int, float]]:
    """Articles in the order of their best paragraph, with that paragraph's score."""
    best: dict[int, float] = {}
    for _, article, score in candidates:
        best.setdefault(article, score)
    return list(best.items())


def _rolled_up(candidates: ParagraphCandidates) -> list[tuple[int, float]]:
    """Articles scored by their best paragraph plus SECOND_PARAGRAPH of their second
    best (in the list), best first."""
    best: dict[int, float] = {}
    second: dict[int, float] = {}
    for _, article, score in candidates:
        if article not in best:
            best[article] = score
        elif article not in second:
            second[article] = score
    scored = [(article, score + SECOND_PARAGRAPH * second.get(article, 0.0)) for article, score in best.items()]
    return sorted(scored, key=lambda item: -item[1])  # stable: equal scores keep the list's order


def single(candidates: ParagraphCandidates) -> Scores:
    """One retriever: its own scores; an article scores as its best paragraph."""
    return {pid: score for pid, _, score in candidates}, dict(_best_per_article(candidates))


def relative_scores(paragraph_lists: Sequence[ParagraphCandidates],
                    article_lists: Sequence[ArticleCandidates] = ()) -> Scores:
    """Each list's scores scaled to [0, 1] and averaged with equal weights (a candidate
    missing from a list gets 0 there). An article's score averages its best paragraph
    in each paragraph list (plus a share of its second best: `_rolled_up`) and its score
    in each article list. Unlike rank fusion this keeps how far ahead a candidate is."""
    paragraphs: dict[int, float] = {}
    for candidates in paragraph_lists:
        if candidates:
            scaled = _scaled([score for *_, score in candidates], len(paragraph_lists))
            for (pid, _, _), value in zip(candidates, scaled):
                paragraphs[pid] = paragraphs.get(pid, 0.0) + value
    per_article = [_rolled_up(c) for c in paragraph_lists] + [list(a) for a in article_lists]
    articles: dict[int, float] = {}
    for candidates in per_article:
        if candidates:
            scaled = _scaled([score for _, score in candidates], len(per_article))
            for (article, _), value in zip(candidates, scaled):
                articles[article] = articles.get(article, 0.0) + value
    return paragraphs, articles


def reciprocal_ranks(paragraph_lists: Sequence[ParagraphCandidates],
                     article_lists: Sequence[ArticleCandidates] = ()) -> Scores:
    """Reciprocal rank fusion: a candidate scores the sum of 1 / (RRF_K + rank) over
    the lists; a paragraph list ranks articles by their best paragraph."""
    paragraphs: dict[int, float] = {}
    for candidates in paragraph_lists:
        for rank, (pid, _, _) in enumerate(candidates, start=1):
            paragraphs[pid] = paragraphs.get(pid, 0.0) + 1.0 / (RRF_K + rank)
    articles: dict[int, float] = {}
    for candidates in [_best_per_article(c) for c in paragraph_lists] + [list(a) for a in article_lists]:
        for rank, (article, _) in enumerate(candidates, start=1):
            articles[article] = articles.get(article, 0.0) + 1.0 / (RRF_K + rank)
    return paragraphs, articles


def fuse(paragraph_lists: Sequence[ParagraphCandidates], article_lists: Sequence[ArticleCandidates] = (),
         fusion: str = "scores") -> Scores:
    if len(paragraph_lists) == 1 and not article_lists:
        return single(paragraph_lists[0])
    combine = relative_scores if fusion == "scores" else reciprocal_ranks
    return combine(paragraph_lists, article_lists)
