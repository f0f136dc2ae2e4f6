"""The vector index: FAISS, with paragraph row ids as FAISS ids.

It is derived data: SQLite holds every vector, so the file can always be rebuilt.
`VectorIndex` is the small interface the rest of newssearch uses (add, remove,
search, save, load, count). Behind it is one of three backends (`backends.py`): exact
search up to `SWITCH_POINT` vectors, an approximate IVF index of 8-bit vectors beyond,
and past `COMPRESS_POINT` an IVF index of 48-byte codes whose best candidates are
re-scored with the exact vectors (`exact_vectors`, which the archive points at SQLite).
The exact index is the reference the approximate ones are tested against. The kind is
the type of the FAISS index in the file, so a file says what it is.

Files are opened memory-mapped (the vectors stay on disk until a search reads them);
a mapped index cannot be changed, so the first add or remove takes a private copy.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import faiss
import numpy as np

from .backends import EXACT, PQ, ExactBackend, IvfBackend, PqBackend, backend_for, lists_for, training_size
from .files import sync_directory

FAISS_NAME = "vectors.faiss"

# Up to this many vectors the exact index is used, beyond it the approximate one.
# Measured by `benchmarks/scale.py --switch` (docs/benchmarks.md, "Vectors at scale"):
# one exact query (k=100, one thread, 384-float MiniLM-derived vectors) on the 2-core
# reference machine has p95 3.5 ms at 50,000 vectors, 12 ms at 100,000, 25 ms at
# 200,000 and 49 ms at 400,000, growing linearly; IVF-SQ8 stays under 4 ms there with
# recall@10 0.96-0.98. The target is about 10 ms for the vector search, a fifth of the
# 50 ms a query may take (the searcher may search again, deeper, and searches the
# article vectors too), so exact search is kept up to 100,000 vectors.
SWITCH_POINT = 100_000
# An IVF index is rebuilt (from SQLite) when it holds this many times the vectors
# its number of lists suits, or fewer than half the switch point.
REBUILD_GROWTH = 4
# Past this many vectors the IVF lists hold 48-byte product-quantised codes instead of
# 384-byte vectors (8x less memory and disk), and the best REFINE x k candidates of a
# search (at most REFINE_EXTRA more than k) are re-scored exactly. Measured by
# `benchmarks/scale.py` and `benchmarks/ivf_settings.py` (docs/benchmarks.md, "Vectors at
# scale"): at 10M vectors re-scoring 400 candidates for k=100 keeps recall@10 >= 0.99.
COMPRESS_POINT = 4_000_000
REFINE, REFINE_EXTRA = 4, 300

ExactVectors = Callable[[Sequence[int]], tuple[np.ndarray, np.ndarray]]  # ids -> (ids, vectors)
Keep = Callable[[np.ndarray], np.ndarray]  # ids -> which of them pass (a boolean mask)




class VectorIndex:
    """Inner-product search over (optionally normalised) paragraph vectors."""

    def __init__(self, dimension: int, index: faiss.Index | None = None, mapped: bool = False):
        self.dimension = dimension
        self._backend: ExactBackend | IvfBackend = (backend_for(index) if index is not None
                                                    else ExactBackend.empty(dimension))
        self._mapped = mapped
        self._auto = True  # become approximate when an add crosses the switch point
        self._expected = 0  # while building: how many vectors are coming
        self.exact_vectors: ExactVectors | None = None  # re-scores a compressed index's candidates
        self._compress = True

    @classmethod
    def build(cls, dimension: int, batches: Iterable[tuple[np.ndarray, np.ndarray]],
              count: int | None = None, sample: np.ndarray | None = None, compress: bool = True) -> VectorIndex:
        """An index of every (ids, vectors) batch. With `count`, the number of vectors
        the batches hold, the kind is chosen by size (exact up to `SWITCH_POINT`);
        without it the index is exact (small in-memory indexes). An approximate index
        trains its lists on `sample` when given (vectors drawn across the whole archive),
        else on the first vectors the batches bring. `compress=False`: never the compressed
        kind (an index with nothing to re-score its candidates with)."""
        index = cls(dimension)
        index._compress = compress
        index._auto = count is not None
        index._expected = count or 0
        if count is not None and count > SWITCH_POINT and sample is not None and len(sample):
            index._backend = index._approximate_kind(count).trained(sample, count)
        for ids, vectors in batches:
            index.add(ids, vectors)
        index._expected = 0
        return index

    @staticmethod
    def training_sample_size(count: int) -> int:
        """How many vectors `build` wants in `sample` to train an index of `count`
        vectors: 0 when that index is exact."""
        return training_size(lists_for(count)) if count > SWITCH_POINT else 0

    @classmethod
    def load(cls, path: Path, mmap: bool = True) -> VectorIndex:
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        index = faiss.read_index(str(path), flags)
        return cls(index.d, index, mapped=mmap)

    @property
    def kind(self) -> str:
        """One of "exact", "ivf-sq8" and "ivf-pq"."""
        return self._backend.kind

    def needs_rebuild(self) -> bool:
        """Whether a rebuild from the stored vectors would choose differently: an
        approximate index that has outgrown its lists or shrunk below the switch point
        (an exact one becomes approximate by itself when it grows)."""
        backend = self._backend
        if backend.kind == EXACT:
            return False
        count = len(self)
        # Halfway past a point in either direction, so that a size near one does not flip-flop.
        wrong_kind = (count > 2 * COMPRESS_POINT and self._compress) if backend.kind != PQ else count < COMPRESS_POINT // 2
        return count > REBUILD_GROWTH * backend.sized_for() or count < SWITCH_POINT // 2 or wrong_kind

    def save(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        os.replace(self.write_temporary(path), path)
        sync_directory(path.parent)

    def write_temporary(self, path: Path) -> Path:
        """Write the index beside `path` under a temporary name, flushed to disk, and
        return that name; the caller renames it into place."""
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            faiss.write_index(self._backend.index, str(temporary))
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return temporary

    def __len__(self) -> int:
        return len(self._backend)

    def ids(self) -> np.ndarray:
        """Every id in the index, sorted."""
        return self._backend.ids()

    def ids_digest(self) -> str:
        """SHA-256 of the ids in the order the index holds them: recorded when the file
        is saved, it tells on open whether a file holds the ids it was saved with
        without reading every id from SQLite."""
        return hashlib.sha256(self._backend.stored_ids().tobytes()).hexdigest()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        self._writable()
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        backend = self._backend
        if (self._auto and isinstance(backend, ExactBackend)
                and len(backend) + len(ids) > SWITCH_POINT and self._enough_to_train(len(backend) + len(ids))):
            held_ids, held = backend.contents()
            ids, vectors = np.concatenate([held_ids, ids]), np.concatenate([held, vectors])
            expected = max(len(ids), self._expected)
            self._backend = backend = self._approximate_kind(expected).trained(vectors, expected)
        backend.add(ids, vectors)

    def _approximate_kind(self, count: int) -> type[IvfBackend]:
        return PqBackend if self._compress and count > COMPRESS_POINT else IvfBackend

    def _enough_to_train(self, held: int) -> bool:
        """While building with a known count, keep vectors exact until there are enough
        to train the lists that count asks for."""
        expected = self._expected
        return held >= min(expected, training_size(lists_for(expected))) if expected else True

    def remove(self, ids: Iterable[int]) -> int:
        ids = np.fromiter(ids, dtype=np.int64)
        if not len(ids):
            return 0
        self._writable()
        return self._backend.remove(ids)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
               share: float | None = None, keep: Keep | None = None) -> list[tuple[int, float]]:
        """Up to k (id, score) pairs, best first; with `allowed`, only among those ids
        (the filter is applied inside the search, so k results come back when k exist).
        `share` and `keep`: a filter applied after the search instead, letting about this
        share of the vectors through (an approximate index searches as deep as that filter
        needs); `keep` says which of the k best ids pass (before a compressed index
        re-scores them), and only those come back."""
        k = min(k, len(self))
        if k <= 0:
            return []
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is not None:
            if not len(allowed):
                return []
            k = min(k, len(allowed))
        threads = faiss.omp_get_max_threads()
        # One query on one thread: FAISS would split an exact search across threads, and
        # on 2 busy cores waiting for the other thread costs far more than it saves
        # (measured 0.6 ms on one thread, 24 ms on two, for 10,000 vectors).
        faiss.omp_set_num_threads(1)
        refine = self._backend.kind == PQ and self.exact_vectors is not None
        try:
            asked = k + min((REFINE - 1) * k, REFINE_EXTRA) if refine else k
            scores, ids = self._backend.search(query, asked, allowed, share)
        finally:
            faiss.omp_set_num_threads(threads)
        found = ids[0] >= 0
        if refine:
            candidates = ids[0][found]
            return self._rescored(query[0], candidates[keep(candidates)] if keep is not None else candidates, k)
        hits, scores = ids[0][found][:k], scores[0][found][:k]
        if keep is not None:
            passed = keep(hits)
            hits, scores = hits[passed], scores[passed]
        return [(int(i), float(s)) for i, s in zip(hits, scores)]

    def _rescored(self, query: np.ndarray, candidates: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best candidates by their exact vectors' inner product with the query."""
        found, vectors = self.exact_vectors(candidates.tolist())
        scores = vectors @ query
        best = np.lexsort((found, -scores))[:k]  # equal scores by id, so the order is stable
        return [(int(found[i]), float(scores[i])) for i in best]

    def _writable(self) -> None:
        """A mapped index is read-only (FAISS aborts the process on a write): copy it
        into memory first."""
        if self._mapped:
            self._backend = backend_for(faiss.deserialize_index(faiss.serialize_index(self._backend.index)))
            self._mapped = False
