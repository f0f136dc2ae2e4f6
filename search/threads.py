"""One query is a handful of small searches: FAISS's OpenMP threads cost more to
start and synchronise than they save (on 2 busy cores, 10x: a 0.7 ms search took
9-12 ms), so searches run on one thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import faiss


@contextmanager
def one_thread() -> Iterator[None]:
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
