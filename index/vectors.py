"""The vector index: FAISS, with paragraph row ids as FAISS ids.

It is derived data: SQLite holds every vector, so the file can always be rebuilt.
`VectorIndex` is the small interface the rest of newssearch uses (add, remove,
search, save, load, count); the exact inner-product index is the reference.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

FAISS_NAME = "vectors.faiss"


class VectorIndex:
    """Exact inner-product search over (optionally normalised) paragraph vectors."""

    def __init__(self, dimension: int, index: faiss.Index | None = None):
        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @classmethod
    def build(cls, dimension: int, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> VectorIndex:
        index = cls(dimension)
        for ids, vectors in batches:
            index.add(ids, vectors)
        return index

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = faiss.read_index(str(path))
        return cls(index.d, index)

    def save(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        os.replace(self.write_temporary(path), path)
        sync_directory(path.parent)

    def write_temporary(self, path: Path) -> Path:
        """Write the index beside `path` under a temporary name, flushed to disk, and
        return that name; the caller renames it into place."""
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            faiss.write_index(self._index, str(temporary))
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return temporary

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """Every id in the index, sorted."""
        return np.sort(faiss.vector_to_array(self._index.id_map).astype(np.int64))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> int:
        ids = np.fromiter(ids, dtype=np.int64)
        if not len(ids):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Up to k (id, score) pairs, best first; with `allowed`, only among those ids
        (the filter is applied inside the search, so k results come back when k exist)."""
        k = min(k, len(self))
        if k <= 0:
            return []
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            scores, ids = self._index.search(query, k)
        else:
            if not len(allowed):
                return []
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            scores, ids = self._index.search(query, min(k, len(allowed)), params=faiss.SearchParameters(sel=selector))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def file_identity(path: Path) -> dict[str, int | str]:
    """Size, modification time and SHA-256 of a file. A rename keeps all three, so the
    identity of a temporary file is that of the file it becomes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    stat = os.stat(path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}


def sync_directory(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
