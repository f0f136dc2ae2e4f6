"""The three FAISS files of an index folder, as derived files (derived.py): each
paragraph's vector (`vectors.faiss`), each article's mean vector (`articles.faiss`)
and each article's lead paragraph's vector (`leads.faiss`), built from SQLite."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .derived import DerivedFile
from .store import Store
from .vectors import FAISS_NAME, VectorIndex


def _empty(store: Store) -> VectorIndex:
    return VectorIndex(store.dimension)


def _build_paragraphs(store: Store) -> VectorIndex:
    """Exact or approximate by the number of paragraphs; an approximate index's lists
    are trained on paragraphs from the whole archive, not only its oldest."""
    dimension = store.dimension
    count = store.paragraph_count()
    size = VectorIndex.training_sample_size(count)
    sample = store.vector_sample(size, dimension) if size else None
    return VectorIndex.build(dimension, store.paragraph_vectors(dimension=dimension), count=count, sample=sample)


def _by_size(store: Store, batches: Iterable[tuple[np.ndarray, np.ndarray]], count: int, leads: bool) -> VectorIndex:
    """An article or lead vector index, exact or approximate by the number of articles
    (at 10M paragraphs an archive has about 500,000: exact search would take ~60 ms)."""
    size = VectorIndex.training_sample_size(count)
    sample = store.article_vector_sample(size, store.dimension, leads) if size else None
    return VectorIndex.build(store.dimension, batches, count=count, sample=sample, compress=False)


def _build_articles(store: Store) -> VectorIndex:
    return _by_size(store, store.all_article_vectors(store.dimension), store.article_vector_count(), leads=False)


def _build_leads(store: Store) -> VectorIndex:
    return _by_size(store, store.lead_vectors(store.dimension), store.article_vector_count(), leads=True)


def _right_dimension(vectors: VectorIndex, store: Store) -> bool:
    return vectors.dimension == store.dimension


def _same_ids_as_sqlite(vectors: VectorIndex, store: Store) -> bool:
    return bool(np.array_equal(vectors.ids(), store.paragraph_ids()))


def _paragraph_problems(vectors: VectorIndex, store: Store) -> list[str]:
    problems = []
    if vectors.dimension != store.dimension:
        problems.append(f"the FAISS file has dimension {vectors.dimension}, the index {store.dimension}")
    faiss_ids, sqlite_ids = vectors.ids(), store.paragraph_ids()
    if not np.array_equal(faiss_ids, sqlite_ids):
        only_faiss = len(np.setdiff1d(faiss_ids, sqlite_ids))
        only_sqlite = len(np.setdiff1d(sqlite_ids, faiss_ids))
        problems.append(f"FAISS ids differ from SQLite's ({only_faiss} only in FAISS, {only_sqlite} only in SQLite)")
    return problems


PARAGRAPH_FILE: DerivedFile[VectorIndex] = DerivedFile(
    name=FAISS_NAME, setting="faiss_file", what="vector index", label="the FAISS file",
    load=VectorIndex.load, build=_build_paragraphs, empty=_empty, digest=VectorIndex.ids_digest,
    accepts=_right_dimension, verify=_paragraph_problems, legacy=_same_ids_as_sqlite, required=True)
# Saved so that a query need not rebuild them: on a million paragraphs that took 0.9 s.
ARTICLE_FILE: DerivedFile[VectorIndex] = DerivedFile(
    name="articles.faiss", setting="article_faiss_file", what="article vector index", label="articles.faiss",
    load=VectorIndex.load, build=_build_articles,
    empty=_empty, digest=VectorIndex.ids_digest, accepts=_right_dimension)
LEAD_FILE: DerivedFile[VectorIndex] = DerivedFile(
    name="leads.faiss", setting="lead_faiss_file", what="lead vector index", label="leads.faiss",
    load=VectorIndex.load, build=_build_leads,
    empty=_empty, digest=VectorIndex.ids_digest, accepts=_right_dimension)
VECTOR_FILES = (PARAGRAPH_FILE, ARTICLE_FILE, LEAD_FILE)
