"""How coverage of a subject rose and fell: the articles about a query, counted per
day, week or month.

"About the query" is a rule, measured (benchmarks/timeline_precision.py, docs/quality.md):
the hybrid search's best POOL articles whose fused score is at least FLOOR of the best
one's. Undated articles cannot be placed and are counted apart.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import FilterError
from .searcher import Hit, group_by_story

POOL = 500  # articles considered (the search's best)
FLOOR = 0.4  # share of the best score an article needs to count as about the query
PERIODS = ("day", "week", "month")


@dataclass
class Timeline:
    query: str
    by: str
    periods: list[tuple[str, int]]  # (first day of the period, articles), every period from first to last
    undated: int
    articles: list[Hit] = field(default_factory=list)  # the counted articles, best first

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "by": self.by, "floor": FLOOR, "pool": POOL,
                "periods": [{"start": start, "articles": count} for start, count in self.periods],
                "total": sum(count for _, count in self.periods), "undated": self.undated,
                "articles": [{"id": hit.article.id, "date": hit.article.date, "source": hit.article.source,
                              "title": hit.article.title, "score": round(hit.score, 6)} for hit in self.articles]}


def period_start(date: str, by: str) -> str:
    day = dt.date.fromisoformat(date[:10])
    if by == "month":
        return day.replace(day=1).isoformat()
    if by == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()  # Monday
    return day.isoformat()


def _next(start: str, by: str) -> str:
    day = dt.date.fromisoformat(start)
    if by == "month":
        return (day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)).isoformat()
    return (day + dt.timedelta(days=7 if by == "week" else 1)).isoformat()


def one_per_story(hits: list[Hit]) -> list[Hit]:
    """The first hit of each story, in the order given, the rest listed under it."""
    by_id = {hit.article.id: hit for hit in hits}
    stories = {hit.article.id: (hit.story_id, hit.story_size) for hit in hits if hit.story_id is not None}
    top, grouped = group_by_story(list(by_id), stories, len(hits))
    kept = [by_id[a] for a in top]
    for hit in kept:
        hit.same_story.extend(by_id[a].article for a in grouped[hit.article.id])
    for rank, hit in enumerate(kept, start=1):
        hit.rank = rank
    return kept


def about(hits: list[Hit]) -> list[Hit]:
    """The hits that count as about the query (see the module's docstring)."""
    if not hits:
        return []
    best = hits[0].score
    return [hit for hit in hits if hit.score >= FLOOR * best]


def build(query: str, hits: list[Hit], by: str, since: str | None = None, until: str | None = None) -> Timeline:
    if by not in PERIODS:
        raise FilterError(f"unknown period '{by}' (choose from {', '.join(PERIODS)})")
    counted = about(hits)
    dated = [hit for hit in counted if hit.article.date]
    counts = Counter(period_start(hit.article.date, by) for hit in dated)
    periods: list[tuple[str, int]] = []
    if counts or (since and until):
        # The periods the user asked for, else those from the first article to the last.
        start = period_start(since, by) if since else min(counts)
        last = period_start(until, by) if until else max(counts)
        while start <= last:
            periods.append((start, counts.get(start, 0)))
            start = _next(start, by)
    return Timeline(query, by, periods, len(counted) - len(dated), counted)


def in_date_order(hits: list[Hit], newest_first: bool) -> list[Hit]:
    """The hits about the query in date order (undated ones last, by relevance), ranked anew."""
    counted = about(hits)
    dated = sorted((hit for hit in counted if hit.article.date), key=lambda hit: hit.article.date or "",
                   reverse=newest_first)
    ordered = dated + [hit for hit in counted if not hit.article.date]
    for rank, hit in enumerate(ordered, start=1):
        hit.rank = rank
    return ordered


def facet_counts(hits: list[Hit]) -> dict[str, dict[str, int]]:
    """Articles about the query by source and by month (YYYY-MM), most first."""
    counted = about(hits)
    sources = Counter(hit.article.source or "(no source)" for hit in counted)
    months = Counter(hit.article.date[:7] if hit.article.date else "(undated)" for hit in counted)
    return {"source": dict(sources.most_common()), "month": dict(sorted(months.items()))}

