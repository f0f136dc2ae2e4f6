"""A wide filter is searched without a list of paragraph ids (search/filtered.py): the
same hits as the search inside FAISS with that list."""

from __future__ import annotations

import numpy as np
import pytest

from newssearch import Archive
from newssearch.index.storage import vectors as vector_module
from newssearch.index.storage.vectors import VectorIndex
from newssearch.search import filtered
from newssearch.search.filtered import Filtered
from newssearch.search.filters import Filter

from test_vectors import COUNT, DIMENSION, IDS, QUERIES, batches

FILTERS = [{"since": "2022-01-01"}, {"sources": ["wire"]}, {"until": "2022-02-01", "sources": ["example", "money"]},
           {"since": "2030-01-01"}]
QUERIES_TEXT = ["troops near the border", "interest rates", "sanctions against Moscow", "football"]


def results(archive: Archive, mode: str, where: dict) -> list:
    return [(h.article.key, round(h.score, 9), [p.id for p in h.paragraphs])
            for q in QUERIES_TEXT for h in archive.search(q, k=5, mode=mode, group=False, **where)]


@pytest.mark.parametrize("where", FILTERS, ids=range(len(FILTERS)))
def test_wide_and_narrow_filters_give_the_same_hits(corpus, isolated, monkeypatch, where):
    with Archive.open(isolated, create=True) as archive:
        archive.index([corpus])
        for mode in ("semantic", "hybrid"):
            monkeypatch.setattr(filtered, "WIDE", 2.0)  # every filter as a list of paragraph ids
            listed = results(archive, mode, where)
            monkeypatch.setattr(filtered, "WIDE", 0.0)  # every filter by checking hits' articles ...
            for listing in (0, 10**9):  # ... each one looked up, or against the filter's listed paragraphs
                monkeypatch.setattr(filtered, "LIST_PER_HIT", listing)
                assert results(archive, mode, where) == listed, (mode, listing)


class _Store:
    """Articles are paragraph id % 10; the filter lets article 3 through (a tenth)."""

    def filtered_article_ids(self, where: Filter) -> np.ndarray:
        return np.array([3])

    def paragraph_ids_of(self, article_ids: list[int]) -> np.ndarray:
        return IDS[IDS % 10 == 3]

    def paragraph_runs(self, article_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        ids = self.paragraph_ids_of(article_ids)
        return ids, ids + 1

    def paragraph_article_ids(self, paragraph_ids: list[int]) -> dict[int, int]:
        return {int(p): int(p) % 10 for p in paragraph_ids}


KEEP_BY = pytest.mark.parametrize("listing", [0, 10**9], ids=["looked-up", "listed"])


@KEEP_BY
def test_an_approximate_index_finds_the_same_hits_for_a_wide_filter(monkeypatch, listing):
    monkeypatch.setattr(filtered, "LIST_PER_HIT", listing)
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 1000)
    index = VectorIndex.build(DIMENSION, batches(), count=COUNT)
    assert index.kind == "ivf-sq8"
    wide = Filtered(_Store(), Filter(), articles_total=10)
    assert wide.wide and wide.share == pytest.approx(0.1)
    allowed = IDS[IDS % 10 == 3]
    for query in QUERIES[:20]:
        for k in (10, 100):
            assert wide.search(index, query, k) == index.search(query, k, allowed)


@KEEP_BY
def test_a_compressed_index_re_scores_only_the_hits_a_wide_filter_keeps(monkeypatch, listing):
    from test_vectors import VECTORS, exact_vectors_of

    monkeypatch.setattr(filtered, "LIST_PER_HIT", listing)
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 1000)
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", 2000)
    index = VectorIndex.build(DIMENSION, batches(), count=COUNT)
    assert index.kind == "ivf-pq"
    read: list[int] = []

    def exact(ids):
        read.extend(ids)
        return exact_vectors_of(ids)

    index.exact_vectors = exact
    wide = Filtered(_Store(), Filter(), articles_total=10)
    allowed = IDS[IDS % 10 == 3]
    truth = VectorIndex.build(DIMENSION, ((allowed, VECTORS[np.searchsorted(IDS, allowed)]),))
    found = []
    for query in QUERIES[:20]:
        read.clear()
        hits = wide.search(index, query, 10)
        assert len(hits) == 10 and all(i % 10 == 3 for i, _ in hits)
        assert read and all(i % 10 == 3 for i in read)  # only kept candidates were read
        assert np.allclose([s for _, s in hits], exact_vectors_of([i for i, _ in hits])[1] @ query, atol=1e-6)
        best = {i for i, _ in truth.search(query, 10)}
        found.append(len(best & {i for i, _ in hits}) / 10)
    assert np.mean(found) >= 0.95


def test_ids_in_runs():
    starts, stops = np.array([20, 5, 40]), np.array([23, 6, 41])
    ids = np.array([4, 5, 6, 19, 20, 22, 23, 40, 41, 1000])
    assert filtered.in_runs(ids, starts, stops).tolist() == [False, True, False, False, True, True, False, True,
                                                             False, False]
    assert filtered.in_runs(ids, starts[:0], stops[:0]).tolist() == [False] * len(ids)
