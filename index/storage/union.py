"""Several index folders read as one: the reads search makes of a `Store` and a
`VectorIndex`, over all of them at once.

An id in the union carries its index's place in the list in its high bits
(`UnionIds`): index 0's ids are its own, index 1's are 2**40 higher, and so on, so
articles, paragraphs and stories of different indexes never share an id and each id
says which index to ask. Keyword scores are BM25 over the union's statistics, so they
compare across indexes as one index's would: from the folders' keyword indexes when
every folder's is current (union_keywords.py), else from their FTS5 tables
(union_bm25.py); never a mix, as the two engines' scores do not compare."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from .candidates import ArticleFilter
from .rows import Paragraph, StoredArticle
from .stories import StoryRow
from .store import Store
from .union_bm25 import UnionBM25
from . import union_keywords
from .vectors import Keep, VectorIndex

SHIFT = 40  # bits of an index's own ids: about 10**12 rows each
LOCAL = (1 << SHIFT) - 1
Value = TypeVar("Value")


def union_id(place: int, local: int) -> int:
    return (place << SHIFT) | local


def place_of(identifier: int) -> tuple[int, int]:
    """(the index's place in the union, its own id)."""
    return identifier >> SHIFT, identifier & LOCAL


class UnionStore:
    """`Store`'s reads for search, over several stores; ids as `union_id` makes them."""

    def __init__(self, stores: Sequence[Store]):
        self.stores = list(stores)
        self._keyword = UnionBM25(self.stores)

    # ids --------------------------------------------------------------------------------
    def _by_place(self, ids: Iterable[int]) -> dict[int, list[int]]:
        split: dict[int, list[int]] = {}
        for identifier in ids:
            place, local = place_of(int(identifier))
            if 0 <= place < len(self.stores):
                split.setdefault(place, []).append(local)
        return split

    def _keyed(self, ids: Iterable[int], read: Callable[[Store, list[int]], dict[int, Value]],
               value: Callable[[int, Value], Any] = lambda place, found: found) -> dict[int, Any]:
        """read(store, its ids) for each store holding some of `ids`, keys (and, through
        `value`, values) turned into union ids."""
        found: dict[int, Any] = {}
        for place, local in self._by_place(ids).items():
            for key, item in read(self.stores[place], local).items():
                found[union_id(place, key)] = value(place, item)
        return found

    def _ids(self, place: int, ids: np.ndarray) -> np.ndarray:
        return (np.int64(place) << SHIFT) | ids.astype(np.int64)

    # reads ------------------------------------------------------------------------------
    def has_paragraphs(self) -> bool:
        return any(store.has_paragraphs() for store in self.stores)

    def filtered_article_ids(self, where: ArticleFilter) -> np.ndarray:
        return np.concatenate([self._ids(p, s.filtered_article_ids(where)) for p, s in enumerate(self.stores)])

    def filtered_paragraph_ids(self, where: ArticleFilter) -> np.ndarray:
        return np.concatenate([self._ids(p, s.filtered_paragraph_ids(where)) for p, s in enumerate(self.stores)])

    def paragraph_ids_of(self, article_ids: Sequence[int]) -> np.ndarray:
        found = [self._ids(place, self.stores[place].paragraph_ids_of(local))
                 for place, local in self._by_place(article_ids).items()]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def paragraph_runs(self, article_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        runs = [tuple(self._ids(place, ends) for ends in self.stores[place].paragraph_runs(local))
                for place, local in self._by_place(article_ids).items()]
        if not runs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate([s for s, _ in runs]), np.concatenate([e for _, e in runs])

    def paragraph_article_ids(self, paragraph_ids: Sequence[int]) -> dict[int, int]:
        return self._keyed(paragraph_ids, Store.paragraph_article_ids, union_id)

    def paragraph_order(self, paragraph_ids: Sequence[int]) -> dict[int, tuple[str, int, int]]:
        return self._keyed(paragraph_ids, Store.paragraph_order)

    def article_order(self, article_ids: Sequence[int]) -> dict[int, str]:
        return self._keyed(article_ids, Store.article_order)

    def article_dates(self, article_ids: Sequence[int]) -> dict[int, str | None]:
        return self._keyed(article_ids, Store.article_dates)

    def articles(self, ids: Iterable[int]) -> dict[int, StoredArticle]:
        return self._keyed(ids, Store.articles, self._article)

    def article(self, article_id: int) -> StoredArticle | None:
        return self.articles([article_id]).get(article_id)

    def articles_by_doc_id(self, doc_id: str) -> list[StoredArticle]:
        return [self._article(place, found) for place, store in enumerate(self.stores)
                for found in store.articles_by_doc_id(doc_id)]

    def article_paragraphs(self, article_id: int) -> list[Paragraph]:
        place, local = place_of(article_id)
        return [self._paragraph(place, p) for p in self.stores[place].article_paragraphs(local)]

    def paragraphs(self, ids: Iterable[int]) -> dict[int, Paragraph]:
        return self._keyed(ids, Store.paragraphs, self._paragraph)

    def copies_of(self, article_ids: Sequence[int]) -> dict[int, list[StoredArticle]]:
        return self._keyed(article_ids, Store.copies_of,
                           lambda place, copies: [self._article(place, c) for c in copies])

    def leads(self, article_ids: Sequence[int]) -> dict[int, str]:
        return self._keyed(article_ids, Store.leads)

    def stories_of(self, article_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        # A story links articles of one index: stories are found when an index is written.
        return self._keyed(article_ids, Store.stories_of, lambda place, story: (union_id(place, story[0]), story[1]))

    def story_members(self, story_id: int) -> list[StoryRow]:
        place, local = place_of(story_id)
        return [StoryRow(union_id(place, row.article_id),
                         union_id(place, row.follows) if row.follows is not None else None,
                         row.score, union_id(place, row.story_id))
                for row in self.stores[place].story_members(local)]

    def chronological(self, article_ids: Sequence[int]) -> list[int]:
        """Dated articles by (date, key), then undated ones by key, as `Store.chronological`."""
        dates = self.article_dates(article_ids)
        keys = self.article_order(article_ids)
        return sorted(keys, key=lambda a: (dates.get(a) is None, dates.get(a) or "", keys[a], a))

    def article_vectors_of(self, article_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        found = [(place, *self.stores[place].article_vectors_of(local))
                 for place, local in self._by_place(article_ids).items()]
        found = [(place, ids, vectors) for place, ids, vectors in found if len(ids)]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.stores[0].dimension), dtype=np.float32)
        return (np.concatenate([self._ids(place, ids) for place, ids, _ in found]),
                np.vstack([vectors for _, _, vectors in found]))

    def articles_containing(self, terms: Sequence[str], article_ids: Sequence[int]) -> set[int]:
        return {union_id(place, a) for place, local in self._by_place(article_ids).items()
                for a in self.stores[place].articles_containing(terms, local)}

    def date_range(self) -> tuple[str | None, str | None]:
        ranges = [store.date_range() for store in self.stores]
        firsts = [first for first, _ in ranges if first]
        lasts = [last for _, last in ranges if last]
        return (min(firsts) if firsts else None, max(lasts) if lasts else None)

    def _tantivy(self) -> bool:
        # A folder whose index is behind a writer sends the union to FTS5: its left-out
        # articles would skew the union's BM25 statistics.
        return all(store.keywords is not None and not store.keywords_behind for store in self.stores)

    def _best_keywords(self, part: str, terms: Sequence[str], limit: int,
                       where: ArticleFilter) -> list[tuple[int, int, float]]:
        """(place, local id, score) from the keyword indexes' `part` ("paragraphs" or "articles")."""
        indexes = [store.keywords for store in self.stores]
        tokens = indexes[0].tokens(terms)  # type: ignore[union-attr]
        return union_keywords.best([getattr(index, part) for index in indexes], tokens,
                                   [store.keyword_filter(where) for store in self.stores], limit)

    def bm25_paragraphs(self, terms: Sequence[str], limit: int, where: ArticleFilter) -> list[tuple[int, int, float]]:
        best = (self._best_keywords("paragraphs", terms, limit, where) if self._tantivy()
                else self._keyword.best("paragraphs_fts", terms, limit, where))
        found = [(union_id(place, row), score) for place, row, score in best]
        owners = self.paragraph_article_ids([p for p, _ in found])
        return [(p, owners[p], score) for p, score in found if p in owners]

    def bm25_articles(self, terms: Sequence[str], limit: int, where: ArticleFilter) -> list[tuple[int, float]]:
        best = (self._best_keywords("articles", terms, limit, where) if self._tantivy()
                else self._keyword.best("articles_fts", terms, limit, where))
        return [(union_id(place, row), score) for place, row, score in best]

    # union ids into rows ----------------------------------------------------------------
    @staticmethod
    def _article(place: int, article: StoredArticle) -> StoredArticle:
        return dataclasses.replace(article, id=union_id(place, article.id),
                                   copy_of=union_id(place, article.copy_of) if article.copy_of is not None else None)

    @staticmethod
    def _paragraph(place: int, paragraph: Paragraph) -> Paragraph:
        return dataclasses.replace(paragraph, id=union_id(place, paragraph.id),
                                   article_id=union_id(place, paragraph.article_id))


class UnionVectors:
    """Several `VectorIndex`es searched as one: each's best, merged by score."""

    def __init__(self, indexes: Sequence[VectorIndex]):
        self.indexes = list(indexes)

    def __len__(self) -> int:
        return sum(len(index) for index in self.indexes)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               share: float | None = None, keep: Keep | None = None) -> list[tuple[int, float]]:
        found: list[tuple[int, float]] = []
        for place, index in enumerate(self.indexes):
            own = None
            if allowed is not None:
                own = allowed[(allowed >> SHIFT) == place] & LOCAL
                if not len(own):
                    continue
            own_keep = None if keep is None else (lambda ids, place=place: keep(union_id(place, ids)))
            found += [(union_id(place, i), score) for i, score in index.search(query, k, own, share, own_keep)]
        # Best first (the searcher orders equal scores itself: search/ties.py).
        return sorted(found, key=lambda hit: -hit[1])[:k]
