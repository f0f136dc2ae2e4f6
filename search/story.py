"""Reading story threads (computed at index time by index/stories.py): one story's
articles in time order, and the articles most like a given one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..index.storage.rows import StoredArticle
from ..index.storage.store import Store
from ..index.storage.vectors import VectorIndex

SIMILAR_DEPTH = 20  # neighbours looked at per result wanted (one per story is kept)


@dataclass
class StoryArticle:
    article: StoredArticle
    follows: int | None  # the earlier article it was linked to
    likeness: float  # to that article
    lead: str | None  # its first paragraph
    copies: list[StoredArticle] = field(default_factory=list)


@dataclass
class Story:
    id: int
    articles: list[StoryArticle]  # in time order; the first is the first report

    @property
    def sources(self) -> list[str]:
        found = [a.article.source for a in self.articles] + [c.source for a in self.articles for c in a.copies]
        return list(dict.fromkeys(s for s in found if s))

    def to_dict(self) -> dict[str, Any]:
        from .shapes import copy_json  # typing_extensions: not for plain-text queries (cold_query.py)

        dates = [a.article.date for a in self.articles if a.article.date]
        first = dates[0][:10] if dates else None
        return {
            "story_id": self.id, "size": len(self.articles), "sources": self.sources,
            "first_date": first, "last_date": dates[-1][:10] if dates else None,
            "articles": [{
                **copy_json(a.article),
                "first_report": n == 0, "day": _days_between(first, a.article.date),
                "follows": a.follows, "likeness": round(a.likeness, 4), "lead": a.lead,
                "also_published_by": [{"id": c.id, "source": c.source, "url": c.url, "date": c.date}
                                      for c in a.copies],
            } for n, a in enumerate(self.articles)],
        }


def _days_between(first: str | None, date: str | None) -> int | None:
    if not first or not date:
        return None
    return (dt.date.fromisoformat(date[:10]) - dt.date.fromisoformat(first)).days


def story_of(store: Store, article: StoredArticle) -> Story:
    """The story the article is in (a syndicated copy: its original's). An article not
    linked yet (stories are computed by `index`) is a story of its own."""
    original = article.copy_of or article.id
    found = store.stories_of([original])
    story_id = found[original][0] if original in found else original
    members = store.story_members(story_id) if original in found else []
    links = {m.article_id: (m.follows, m.score) for m in members} or {original: (None, 0.0)}
    ordered = store.chronological(list(links))
    articles = store.articles(ordered)
    leads = store.leads(ordered)
    copies = store.copies_of(ordered)
    return Story(story_id, [StoryArticle(articles[a], links[a][0], links[a][1], leads.get(a), copies.get(a, []))
                            for a in ordered if a in articles])


@dataclass
class Similar:
    rank: int
    likeness: float
    article: StoredArticle
    story_id: int | None
    story_size: int

    def to_dict(self) -> dict[str, Any]:
        from .shapes import copy_json

        return {**copy_json(self.article), "rank": self.rank, "likeness": round(self.likeness, 6),
                "story_id": self.story_id, "story_size": self.story_size}


def similar(store: Store, article_vectors: VectorIndex, article: StoredArticle, k: int) -> list[Similar]:
    """The k articles most like this one (cosine of article vectors), one per story,
    other stories than its own; its own story is `story_of`."""
    original = article.copy_of or article.id
    ids, vectors = store.article_vectors_of([original])
    if not len(ids):
        return []
    own = store.stories_of([original]).get(original, (original, 1))[0]
    depth = k * SIMILAR_DEPTH
    while True:
        neighbours = [(a, s) for a, s in article_vectors.search(vectors[0], depth + 1) if a != original]
        stories = store.stories_of([a for a, _ in neighbours])
        kept: list[tuple[int, float]] = []
        seen = {own}
        for article_id, score in neighbours:
            story = stories.get(article_id, (article_id, 1))[0]
            if story not in seen:
                seen.add(story)
                kept.append((article_id, score))
        if len(kept) >= k or depth + 1 >= len(article_vectors):
            break
        depth *= 4
    kept = kept[:k]
    articles = store.articles([a for a, _ in kept])
    return [Similar(rank, score, articles[a], *stories.get(a, (None, 1)))
            for rank, (a, score) in enumerate(kept, start=1) if a in articles]
