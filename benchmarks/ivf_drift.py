"""Recall of the approximate index on an archive whose topics drift, by what its lists
were trained on: the first vectors a build streams (an archive's oldest paragraphs) or a
sample spread over the whole archive (what a rebuild from SQLite uses now).

    python benchmarks/ivf_drift.py [--count 300000]

Random clustered unit vectors (384 dimensions): the first half around 500 centres, the
second half around 500 others (the newer topics). Queries come from the newer topics;
recall@10 is against exact search. Prints one JSON line per training choice.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from newssearch.index.storage.vectors import VectorIndex

DIMENSION = 384


def clusters(centres: int, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, DIMENSION)).astype(np.float32)
    middle /= np.linalg.norm(middle, axis=1, keepdims=True)
    x = middle[rng.integers(0, centres, count)] + rng.standard_normal((count, DIMENSION)).astype(np.float32) * 0.04
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300_000)
    args = parser.parse_args()
    count = args.count
    vectors = np.vstack([clusters(500, count // 2, 1), clusters(500, count - count // 2, 2)]).astype(np.float32)
    ids = np.arange(count, dtype=np.int64)
    queries = clusters(500, 300, 2)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]

    def batches():
        for start in range(0, count, 50_000):
            yield ids[start:start + 50_000], vectors[start:start + 50_000]

    step = max(1, count // VectorIndex.training_sample_size(count))
    for label, sample in (("first vectors streamed (oldest)", None), ("sample over the whole archive", vectors[::step])):
        started = time.perf_counter()
        index = VectorIndex.build(DIMENSION, batches(), count=count, sample=sample)
        seconds = time.perf_counter() - started
        found = [[i for i, _ in index.search(q, 10)] for q in queries]
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)]))
        print(json.dumps({"trained_on": label, "kind": index.kind, "vectors": count, "build_s": round(seconds, 1),
                          "recall@10_newer_topics": round(recall, 3)}))


if __name__ == "__main__":
    main()
