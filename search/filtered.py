"""What a filter lets the paragraph vector search see.

A narrow filter gives FAISS the list of paragraph ids it allows (searched inside the
index, so k hits come back when k exist). A wide one would need a long list: at 1M
paragraphs a filter of 10% allows some 100,000, and listing them from SQLite costs
more than the search (docs/benchmarks.md). For a wide filter the search asks instead
for enough unfiltered hits, as deep as the filter needs, and keeps those whose article
passes: the same hits, as the hits a filtered search finds in the lists it probes are
the best allowed ones among them."""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from .filters import Filter

WIDE = 0.05  # share of the articles from which a filter is searched without a list of paragraph ids
SLACK = 1.5  # hits asked for beyond what the filter's share says should pass
# Which of a wide filter's hits pass: tested against the runs of the filter's paragraph
# ids (from the articles' id spans) when it lets through at most this many articles a
# hit to test, else by looking up each hit's article (a random row read each). A 10%
# filter lets 5,000 articles through at 1M paragraphs, 11 ms to list, and 50,000 at 10M,
# 106 ms (benchmarks/filter_parts.py), against ~2,000 hits to look up.
LIST_PER_HIT = 4


class Filtered:
    """The articles a filter lets through (listed once, by whichever search thread
    first needs them), and the dense search within it."""

    def __init__(self, store: Any, where: Filter, articles_total: int):
        self.store = store
        self.where = where
        self.articles_total = articles_total
        self._lock = threading.RLock()
        self._articles: np.ndarray | None = None
        self._paragraphs: np.ndarray | None = None
        self._wanted: set[int] | None = None
        self._runs: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def articles(self) -> np.ndarray:
        with self._lock:
            if self._articles is None:
                self._articles = self.store.filtered_article_ids(self.where)
            return self._articles

    @property
    def share(self) -> float:
        return len(self.articles) / max(self.articles_total, 1)

    @property
    def wide(self) -> bool:
        return self.share >= WIDE and self.share > 0

    def paragraph_ids(self) -> np.ndarray:
        if self._paragraphs is None:
            self._paragraphs = self.store.paragraph_ids_of(self.articles.tolist())
        return self._paragraphs

    def bound(self, vectors: int) -> int:
        """At most how many paragraphs pass (exact once listed)."""
        return len(self._paragraphs) if self._paragraphs is not None else vectors

    def search(self, vectors: Any, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best (paragraph id, score) within the filter."""
        if not len(self.articles):
            return []
        if not self.wide:
            return vectors.search(query, k, self.paragraph_ids())
        ask = math.ceil(k / self.share * SLACK) + 32
        while True:
            kept = vectors.search(query, ask, share=self.share, keep=self._passes)
            if len(kept) >= k or ask >= len(vectors):
                return kept[:k]
            ask *= 4

    def _passes(self, paragraph_ids: np.ndarray) -> np.ndarray:
        """Which paragraphs belong to an article the filter lets through."""
        if self._runs is not None or len(self.articles) <= LIST_PER_HIT * len(paragraph_ids):
            with self._lock:
                if self._runs is None:
                    self._runs = self.store.paragraph_runs(self.articles.tolist())
            return in_runs(paragraph_ids, *self._runs)
        if self._wanted is None:
            self._wanted = set(self.articles.tolist())
        owners = self.store.paragraph_article_ids(paragraph_ids.tolist())
        return np.fromiter((owners.get(int(pid)) in self._wanted for pid in paragraph_ids), dtype=bool,
                           count=len(paragraph_ids))


def in_runs(ids: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Which ids lie in one of the runs [start, stop) (runs that do not overlap)."""
    if not len(starts):
        return np.zeros(len(ids), dtype=bool)
    order = np.argsort(starts)
    starts, stops = starts[order], stops[order]
    at = np.searchsorted(starts, ids, side="right") - 1
    return (at >= 0) & (ids < stops[np.maximum(at, 0)])
