"""The three kinds of FAISS index behind `VectorIndex`, with one small interface.

`ExactBackend` (every vector compared, float32) is the reference; `IvfBackend`
(IVF lists of 8-bit scalar-quantised vectors, 384 bytes a MiniLM vector) is what is
used past the switch point in `vectors.py`, and `PqBackend` (IVF lists of product-
quantised codes, 48 bytes a vector, whose best candidates `VectorIndex` re-scores with
the exact vectors from SQLite) past the compression point; both are tested against
the exact one. All three take SQLite row ids as FAISS ids and apply filters inside
the search with an ID selector. The kind is the type of the FAISS index, so it is
recorded in the file itself, as are the IVF's number of lists and default lists probed.
"""

from __future__ import annotations

import math
from typing import Protocol

import faiss
import numpy as np

EXACT = "exact"
IVF = "ivf-sq8"
PQ = "ivf-pq"

# IVF settings, from `benchmarks/scale.py` (see docs/benchmarks.md, "Vectors at scale").
LISTS_PER_SQRT = 2  # lists ~ 2 * sqrt(n), rounded to a power of two
MIN_LISTS, MAX_LISTS = 64, 16_384
PROBE_SHARE = 1 / 64  # lists probed by default: this share of them ...
MIN_PROBE = 48  # ... but at least this many
TRAIN_PER_LIST = 50  # k-means training points per list (FAISS asks for >= 39)
TRAIN_ITERATIONS = 10
SEED = 1234
# A filtered search probes enough lists to meet this many allowed vectors (or 10 a hit
# asked for, if more), expected from the filter's share; measured by
# `benchmarks/ivf_settings.py` (docs/benchmarks.md, "Vectors at scale").
FILTER_MEET, FILTER_MEET_PER_HIT = 5_000, 10
PQ_BYTES = 48  # bytes of code a vector: sub-vectors of 8 dimensions for MiniLM's 384


class Backend(Protocol):
    kind: str
    index: faiss.Index

    def __len__(self) -> int: ...
    def ids(self) -> np.ndarray: ...
    def stored_ids(self) -> np.ndarray: ...
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def remove(self, ids: np.ndarray) -> int: ...
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]: ...


def id_selector(allowed: np.ndarray) -> tuple[faiss.IDSelector, np.ndarray | None]:
    """A selector for `allowed` ids, and the array it reads (keep it alive while the
    selector is used). Row ids are dense, so a bitmap is usually smaller and faster
    than a hash set; a set is used when the ids are few and spread out."""
    allowed = np.ascontiguousarray(allowed, dtype=np.int64)
    top = int(allowed.max()) + 1
    if allowed.min() >= 0 and top <= 320 * len(allowed):
        bits = np.zeros(top, dtype=bool)
        bits[allowed] = True
        bitmap = np.packbits(bits, bitorder="little")
        return faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), bitmap  # n: bytes
    return faiss.IDSelectorBatch(allowed), None


class ExactBackend:
    """Inner products with every vector: `IndexIDMap2(IndexFlatIP)`."""

    kind = EXACT

    def __init__(self, index: faiss.Index):
        self.index = index

    @classmethod
    def empty(cls, dimension: int) -> ExactBackend:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return np.sort(self.stored_ids())

    def stored_ids(self) -> np.ndarray:
        """Every id, in the order the index holds them."""
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything held, in insertion order."""
        flat = faiss.downcast_index(self.index.index)
        vectors = faiss.rev_swig_ptr(flat.get_xb(), len(self) * flat.d).reshape(len(self), flat.d)
        return faiss.vector_to_array(self.index.id_map).astype(np.int64), vectors.copy()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None,
               share: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        if allowed is None:
            return self.index.search(query, k)
        selector, _keep = id_selector(allowed)
        return self.index.search(query, k, params=faiss.SearchParameters(sel=selector))


def lists_for(count: int) -> int:
    """Number of IVF lists for `count` vectors: about 2 * sqrt(count), a power of two."""
    target = LISTS_PER_SQRT * math.sqrt(max(count, 1))
    return int(min(MAX_LISTS, max(MIN_LISTS, 2 ** round(math.log2(target)))))


def probes_for(lists: int) -> int:
    return min(lists, max(MIN_PROBE, round(lists * PROBE_SHARE)))


def training_size(lists: int) -> int:
    return TRAIN_PER_LIST * lists


class IvfBackend:
    """`IndexIVFScalarQuantizer` (8 bits a dimension, inner product) holding the ids
    itself. Unfiltered searches probe `nprobe` lists; a filter probes more, in
    proportion to how few ids it allows. While that finds fewer than k hits and k
    exist, more lists are probed, up to all of them (which finds every vector)."""

    kind = IVF

    def __init__(self, index: faiss.Index):
        self.index = index

    @classmethod
    def trained(cls, sample: np.ndarray, count: int) -> IvfBackend:
        """An empty IVF index for about `count` vectors, its lists trained on `sample`
        (a spherical k-means: the vectors are unit length, compared by inner product)."""
        lists = min(lists_for(count), max(1, len(sample) // 39))
        index = cls._untrained(sample.shape[1], lists, len(sample))
        index.cp.spherical = True
        index.cp.niter = TRAIN_ITERATIONS
        index.cp.seed = SEED
        index.cp.max_points_per_centroid = TRAIN_PER_LIST * 2
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.nprobe = probes_for(lists)
        return cls(index)

    @staticmethod
    def _untrained(dimension: int, lists: int, samples: int) -> faiss.IndexIVF:
        return faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimension), dimension, lists,
                                             faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT, False)

    @property
    def lists(self) -> int:
        return int(self.index.nlist)

    def sized_for(self) -> int:
        """The number of vectors this many lists suit (the inverse of `lists_for`)."""
        return int((self.lists / LISTS_PER_SQRT) ** 2)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return np.sort(self.stored_ids())

    def stored_ids(self) -> np.ndarray:
        """Every id, in the order the index holds them (list by list)."""
        lists = self.index.invlists
        found = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                 for i in range(self.lists) if lists.list_size(i)]
        return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        return int(self.index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None,
               share: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """`share`: the caller filters the hits itself, for a filter letting this share of
        the vectors through: probe as many lists as a search with that filter would."""
        params = faiss.SearchParametersIVF()
        available = len(self)
        wanted = min(k, available)
        if allowed is not None:
            selector, _keep = id_selector(allowed)  # both must outlive the search
            params.sel = selector
            available = len(allowed)
            wanted = min(k, available)
        elif share is not None:
            available = max(1, math.ceil(len(self) * share))
        # A filter allowing a share s of the vectors probes up to nprobe / s lists (to meet as
        # many allowed vectors as an unfiltered search meets vectors), but no more than it takes
        # to meet FILTER_MEET of them: on 10M vectors a 1% filter then probes 5% of the lists,
        # not all of them, for recall@10 0.993 instead of 0.998 (0.979 instead of 1.0 at 5M).
        available = max(available, 1)
        # A caller filtering the hits itself asks for k so as to keep about k * share.
        kept = k if share is None or allowed is not None else math.ceil(k * share)
        enough = math.ceil(self.lists * max(FILTER_MEET, FILTER_MEET_PER_HIT * kept) / available)
        probes = min(self.lists, math.ceil(self.index.nprobe * len(self) / available),
                     max(self.index.nprobe, enough))
        while True:
            params.nprobe = probes
            scores, ids = self.index.search(query, k, params=params)
            if probes >= self.lists or int((ids[0] >= 0).sum()) >= wanted:
                return scores, ids
            probes = min(self.lists, probes * 4)  # too few in the lists probed (a deep search, or a filter)


class PqBackend(IvfBackend):
    """`IndexIVFPQ`: the IVF lists of `IvfBackend`, each vector a code of `PQ_BYTES`
    bytes (one byte per sub-vector: the nearest of 256 centroids of its residual from
    the list's centre). Its scores are approximate; `VectorIndex` asks it for more
    candidates than it needs and re-scores them with the exact vectors."""

    kind = PQ

    @staticmethod
    def _untrained(dimension: int, lists: int, samples: int) -> faiss.IndexIVF:
        codes = next(m for m in range(min(PQ_BYTES, dimension), 0, -1) if dimension % m == 0)
        # 256 centroids a sub-vector want ~39 x 256 training vectors; a tiny sample (tests) gets fewer.
        bits = int(min(8, max(1, math.log2(max(samples, 2) / 39))))
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dimension), dimension, lists, codes, bits, faiss.METRIC_INNER_PRODUCT)
        index.pq.cp.seed = SEED
        return index


def backend_for(index: faiss.Index) -> ExactBackend | IvfBackend:
    """The backend for an index read from a file."""
    if isinstance(index, faiss.IndexIDMap2):
        return ExactBackend(index)
    if isinstance(index, faiss.IndexIVFPQ):
        return PqBackend(index)
    if isinstance(index, faiss.IndexIVF):
        return IvfBackend(index)
    raise RuntimeError(f"unexpected FAISS index type {type(index).__name__}")
