"""The approximate vector index against the exact reference, and the choice between them.

Small switch points (monkeypatched) make a few thousand vectors enough."""

from __future__ import annotations

import numpy as np
import pytest

from newssearch import Archive
from newssearch.index.storage import vectors as vector_module
from newssearch.index.storage.backends import EXACT, IVF, PQ
from newssearch.index.storage.vectors import FAISS_NAME, VectorIndex

DIMENSION = 48
COUNT = 4000


def clustered(count: int, seed: int, centres: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = np.random.default_rng(0).standard_normal((centres, DIMENSION)).astype(np.float32)
    x = middle[rng.integers(0, centres, count)] + 0.6 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


VECTORS = clustered(COUNT, 1)
IDS = np.arange(COUNT, dtype=np.int64) * 3 + 7  # row ids with gaps
QUERIES = clustered(60, 2)


def batches(size: int = 500):
    for start in range(0, COUNT, size):
        yield IDS[start:start + size], VECTORS[start:start + size]


@pytest.fixture
def small_switch(monkeypatch):
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 1000)


@pytest.fixture
def exact():
    return VectorIndex.build(DIMENSION, batches())


@pytest.fixture
def approximate(small_switch):
    index = VectorIndex.build(DIMENSION, batches(), count=COUNT)
    assert index.kind == IVF
    return index


def recall_at_10(approximate: VectorIndex, exact: VectorIndex, allowed: np.ndarray | None = None) -> float:
    found = []
    for query in QUERIES:
        truth = {i for i, _ in exact.search(query, 10, allowed)}
        found.append(len(truth & {i for i, _ in approximate.search(query, 10, allowed)}) / len(truth))
    return float(np.mean(found))


def test_approximate_recall_against_exact(approximate, exact):
    assert recall_at_10(approximate, exact) >= 0.95
    assert np.array_equal(approximate.ids(), np.sort(IDS))
    assert len(approximate) == COUNT


def test_a_deep_search_returns_k_hits(approximate):
    assert len(approximate.search(QUERIES[0], 3000)) == 3000
    assert len(approximate.search(QUERIES[0], 10**6)) == COUNT


def test_filters_return_k_hits_within_the_filter(approximate, exact):
    rng = np.random.default_rng(3)
    for share in (0.5, 0.05, 0.003):
        allowed = np.sort(rng.choice(IDS, max(3, int(COUNT * share)), replace=False))
        for query in QUERIES[:10]:
            hits = approximate.search(query, 10, allowed)
            assert len(hits) == min(10, len(allowed))
            assert set(i for i, _ in hits) <= set(allowed.tolist())
        assert recall_at_10(approximate, exact, allowed) >= 0.95
    few = IDS[[5, 1234, 3999]]  # fewer than k: all of them
    assert sorted(i for i, _ in approximate.search(QUERIES[0], 10, few)) == sorted(few.tolist())
    spread = np.array([IDS[0], 10**12], dtype=np.int64)  # far apart: a hash set, not a bitmap
    assert [i for i, _ in approximate.search(QUERIES[0], 10, spread)] == [IDS[0]]
    assert approximate.search(QUERIES[0], 10, np.zeros(0, dtype=np.int64)) == []


def test_remove(approximate, exact):
    gone = IDS[:COUNT // 2]
    assert approximate.remove(gone) == len(gone) == exact.remove(gone)
    assert np.array_equal(approximate.ids(), exact.ids())
    for query in QUERIES[:10]:
        assert not {i for i, _ in approximate.search(query, 50)} & set(gone.tolist())
    assert recall_at_10(approximate, exact) >= 0.95


@pytest.mark.parametrize("kind", [EXACT, IVF])
def test_save_and_memory_mapped_load(tmp_path, small_switch, kind):
    index = VectorIndex.build(DIMENSION, batches(), count=COUNT if kind == IVF else None)
    path = tmp_path / FAISS_NAME
    index.save(path)
    saved = path.read_bytes()
    loaded = VectorIndex.load(path)
    assert loaded.kind == kind and loaded._mapped
    assert np.array_equal(loaded.ids(), index.ids())
    for query in QUERIES[:5]:
        assert loaded.search(query, 10) == index.search(query, 10)
    # A write takes a private copy: the mapped file is never changed.
    loaded.remove(IDS[:10])
    loaded.add(IDS[:10], VECTORS[:10])
    assert not loaded._mapped and len(loaded) == COUNT
    assert path.read_bytes() == saved


def test_kind_is_chosen_by_size(small_switch):
    assert VectorIndex.build(DIMENSION, batches(), count=COUNT).kind == IVF
    assert VectorIndex.build(DIMENSION, batches()).kind == EXACT  # no count: small in-memory indexes
    below = VectorIndex.build(DIMENSION, ((IDS[:900], VECTORS[:900]),), count=900)
    assert below.kind == EXACT


def test_adding_past_the_switch_point_becomes_approximate(small_switch, exact):
    growing = VectorIndex(DIMENSION)
    for ids, vectors in batches(300):
        growing.add(ids, vectors)
        assert growing.kind == (EXACT if len(growing) <= 1000 else IVF)
    assert np.array_equal(growing.ids(), np.sort(IDS))
    assert recall_at_10(growing, exact) >= 0.95
    # trained for ~1,200 vectors, it holds 4,000: a rebuild would choose more lists
    assert growing.needs_rebuild()
    assert not exact.needs_rebuild()


def test_an_archive_past_the_switch_point_uses_the_approximate_index(corpus, monkeypatch):
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 8)
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        assert archive.vectors.kind == IVF
        hits = archive.search("troops near Ukraine", k=3, mode="semantic")
        assert hits
    with Archive.open() as archive:
        assert VectorIndex.load(archive.directory / FAISS_NAME).kind == IVF
        assert archive.check()["ok"]
        assert [h.article.id for h in archive.search("troops near Ukraine", k=3, mode="semantic")] == \
            [h.article.id for h in hits]
        (archive.directory / FAISS_NAME).unlink()
        assert archive.check(repair=True)["ok"]
        assert VectorIndex.load(archive.directory / FAISS_NAME).kind == IVF


def test_a_rebuild_trains_its_lists_on_the_whole_archive(small_switch):
    """An archive whose topics drift: its oldest vectors alone would leave the newer
    topics without lists of their own."""
    older, newer = clustered(14_000, 3, centres=20), -clustered(6_000, 4, centres=20)
    vectors = np.vstack([older, newer]).astype(np.float32)
    ids = np.arange(len(vectors), dtype=np.int64)

    def stream():
        for start in range(0, len(ids), 500):
            yield ids[start:start + 500], vectors[start:start + 500]

    size = VectorIndex.training_sample_size(len(ids))
    assert len(older) > size > 0 and VectorIndex.training_sample_size(999) == 0
    step = len(ids) // size
    for sample, covered in ((None, False), (vectors[::step], True)):
        index = VectorIndex.build(DIMENSION, stream(), count=len(ids), sample=sample)
        assert index.kind == IVF and len(index) == len(ids)
        quantizer = index._backend.index.quantizer
        centroids = quantizer.reconstruct_n(0, quantizer.ntotal)
        nearest = (newer @ centroids.T).max(axis=1).mean()
        assert (nearest > 0.5) == covered, nearest


def test_an_archive_rebuild_samples_paragraphs_from_every_period(corpus, monkeypatch):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        ids = archive.store.paragraph_ids()
        sample = archive.store.vector_sample(3, 64)
        assert 1 <= len(sample) <= 3 and sample.shape[1] == 64
        everything = archive.store.vector_sample(10_000, 64)
        assert len(everything) == len(ids)  # asked for more than there are: every one


@pytest.fixture
def compressed(monkeypatch):
    """An index past both points (the switch to IVF, the compression to codes), its
    candidates re-scored with the exact vectors."""
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 1000)
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", 2000)
    index = VectorIndex.build(DIMENSION, batches(), count=COUNT)
    assert index.kind == PQ
    index.exact_vectors = exact_vectors_of
    return index


def exact_vectors_of(ids):
    rows = np.searchsorted(IDS, ids)
    return IDS[rows], VECTORS[rows]


def test_a_compressed_index_rescores_its_candidates_exactly(compressed, exact):
    assert recall_at_10(compressed, exact) >= 0.95
    for query in QUERIES[:10]:
        hits = compressed.search(query, 20)
        ids = np.array([i for i, _ in hits])
        assert np.allclose([s for _, s in hits], exact_vectors_of(ids)[1] @ query, atol=1e-6)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    compressed.exact_vectors = None  # without the exact vectors: its own approximate scores
    assert len(compressed.search(QUERIES[0], 20)) == 20
    assert compressed._backend.index.code_size * COUNT < VECTORS.nbytes / 4


def test_a_compressed_index_filters_and_removes(compressed, exact):
    rng = np.random.default_rng(5)
    for share in (0.3, 0.01):
        allowed = np.sort(rng.choice(IDS, int(COUNT * share), replace=False))
        for query in QUERIES[:10]:
            hits = compressed.search(query, 10, allowed)
            assert len(hits) == 10 and {i for i, _ in hits} <= set(allowed.tolist())
        assert recall_at_10(compressed, exact, allowed) >= 0.95
    gone = IDS[:COUNT // 2]
    assert compressed.remove(gone) == len(gone) == exact.remove(gone)
    assert np.array_equal(compressed.ids(), exact.ids())
    assert not {i for i, _ in compressed.search(QUERIES[0], 50)} & set(gone.tolist())


def test_a_compressed_index_saves_loads_and_knows_when_to_rebuild(tmp_path, compressed, monkeypatch):
    path = tmp_path / FAISS_NAME
    compressed.save(path)
    loaded = VectorIndex.load(path)
    assert loaded.kind == PQ and np.array_equal(loaded.ids(), compressed.ids())
    loaded.exact_vectors = exact_vectors_of
    assert loaded.search(QUERIES[0], 10) == compressed.search(QUERIES[0], 10)
    assert not compressed.needs_rebuild()
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", 10 * COUNT)  # now too small to compress
    assert compressed.needs_rebuild()
    plain = VectorIndex.build(DIMENSION, batches(), count=COUNT)
    assert plain.kind == IVF and not plain.needs_rebuild()
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", COUNT // 3)  # an 8-bit index past twice the point
    assert plain.needs_rebuild()
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", COUNT // 2)  # past it, not twice: kept
    assert not plain.needs_rebuild()


def test_an_archive_past_the_compression_point_searches_as_an_exact_one(corpus, monkeypatch, tmp_path):
    with Archive.open(tmp_path / "exact", create=True) as archive:
        archive.index([corpus])
        assert archive.vectors.kind == EXACT
        queries = ["troops near Ukraine", "interest rates", "election results"]
        truth = [[(h.article.id, h.score) for h in archive.search(q, k=3, mode="semantic")] for q in queries]
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 8)
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", 8)
    with Archive.open(tmp_path / "compressed", create=True) as archive:
        archive.index([corpus])
        assert archive.vectors.kind == PQ
        found = [[(h.article.id, h.score) for h in archive.search(q, k=3, mode="semantic")] for q in queries]
        assert [[i for i, _ in hits] for hits in found] == [[i for i, _ in hits] for hits in truth]
        assert np.allclose([s for hits in found for _, s in hits], [s for hits in truth for _, s in hits], atol=1e-6)
    with Archive.open(tmp_path / "compressed") as archive:
        assert archive.vectors.kind == PQ and archive.check()["ok"]
        assert [[h.article.id for h in archive.search(q, k=3, mode="semantic")] for q in queries] == \
            [[i for i, _ in hits] for hits in truth]


def test_article_and_lead_vectors_are_approximate_past_the_switch_point_never_compressed(corpus, monkeypatch, tmp_path):
    with Archive.open(tmp_path / "exact", create=True) as archive:
        archive.index([corpus])
        assert archive.article_vectors.kind == archive.lead_vectors.kind == EXACT
        truth = [h.article.id for h in archive.search("troops near Ukraine", k=3)]
    monkeypatch.setattr(vector_module, "SWITCH_POINT", 2)
    monkeypatch.setattr(vector_module, "COMPRESS_POINT", 2)
    with Archive.open(tmp_path / "approximate", create=True) as archive:
        archive.index([corpus])
        assert archive.vectors.kind == PQ
        assert archive.article_vectors.kind == archive.lead_vectors.kind == IVF
        assert len(archive.article_vectors) == archive.store.article_vector_count()
        assert [h.article.id for h in archive.search("troops near Ukraine", k=3)] == truth
        sample = archive.store.article_vector_sample(2, archive.store.dimension, leads=True)
        assert 1 <= len(sample) <= 2
