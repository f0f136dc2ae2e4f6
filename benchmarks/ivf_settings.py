"""Two settings of the approximate vector indexes, measured: how many IVF lists a
filtered search must probe, and how many candidates a compressed (IVF-PQ) index must
re-score with the exact vectors.

    python benchmarks/ivf_settings.py --size 10000000 --kind ivf-pq [--shares 0.01,0.001] [--queries 60]

Vectors and queries are scale.py's (the same files under --work, made when missing);
the index is built once and kept under --work as probes-KIND-SIZE.faiss. One query at a
time on one thread, k=100 (the searcher's first depth).

- Filters: for filters allowing a random share of the ids, recall@10 (against the exact
  top 10 among the allowed ids) and latency by lists probed, doubling from the default
  to all of them; then what `VectorIndex.search` itself probes (its rule, `FILTER_MEET`
  in index/storage/backends.py). A compressed index re-scores its best 400 (read from
  the mapped vector file). A filter of at least `search/filtered.py`'s WIDE share is also
  searched as search does it: deeper unfiltered hits, the allowed ones kept.
- Re-scoring (IVF-PQ only, no filter, default probes): recall@10 and recall@100 against
  exact search when the best 100, 132, 200, 400 or 800 candidates by their codes are
  re-scored with their exact vectors (`REFINE` in index/storage/vectors.py).

Prints JSON lines, with the CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import faiss
import numpy as np

from scale import CHUNK, K, exact_top, ids_of, make_vectors, seed_vectors, vector_file  # type: ignore[import-not-found]


class _OneParagraphArticles:
    """A store for `Filtered` in which each vector is an article of one paragraph."""

    def __init__(self, allowed: np.ndarray):
        self.allowed = allowed

    def filtered_article_ids(self, where: object) -> np.ndarray:
        return self.allowed

    def paragraph_runs(self, article_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        return self.allowed, self.allowed + 1

    def paragraph_article_ids(self, paragraph_ids: list[int]) -> dict[int, int]:
        return {i: i for i in paragraph_ids}


def index_file(work: Path, kind: str, data: np.ndarray) -> Path:
    from newssearch.index.storage import vectors as vector_module

    path = work / f"probes-{kind}-{len(data)}.faiss"
    if not path.exists():
        vector_module.SWITCH_POINT = 0
        vector_module.COMPRESS_POINT = 0 if kind == "ivf-pq" else 10**12
        batches = ((ids_of(len(data))[s:s + CHUNK], np.asarray(data[s:s + CHUNK])) for s in range(0, len(data), CHUNK))
        vector_module.VectorIndex.build(data.shape[1], batches, count=len(data)).save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--kind", choices=["ivf-sq8", "ivf-pq"], default="ivf-pq")
    parser.add_argument("--shares", default="0.01,0.001")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--from", dest="source", default="/tmp/bbc-head")
    parser.add_argument("--work", type=Path, default=Path("/tmp/newssearch-scale"))
    args = parser.parse_args()

    from newssearch.index.models.machine import cpu_description
    from newssearch.index.storage.backends import id_selector
    from newssearch.index.storage.vectors import REFINE, VectorIndex
    from newssearch.search.filtered import WIDE, Filtered
    from newssearch.search.filters import Filter

    args.work.mkdir(parents=True, exist_ok=True)
    seeds = seed_vectors(Path(args.source) if args.source else None)
    data = vector_file(args.work, args.size, seeds)
    queries = make_vectors(args.queries, 10**9 + args.size, seeds)
    path = index_file(args.work, args.kind, data)
    raw = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    index = VectorIndex.load(path)
    compressed = index.kind == "ivf-pq"
    index.exact_vectors = lambda ids: (np.asarray(ids, dtype=np.int64), np.asarray(data[np.asarray(ids) - 1]))
    faiss.omp_set_num_threads(1)
    print(json.dumps({"cpu": cpu_description(), "kind": index.kind, "vectors": len(index), "lists": raw.nlist,
                      "default_probes": raw.nprobe}), flush=True)

    def measure(search, truth: np.ndarray) -> dict:
        search(queries[0])  # first touch
        walls, recalls = [], []
        for query, best in zip(queries, truth):
            started = time.perf_counter()
            found = search(query)
            walls.append(time.perf_counter() - started)
            recalls.append(len(set(found[:10]) & set(best.tolist())) / 10)
        return {"p50_ms": round(float(np.percentile(walls, 50)) * 1000, 1),
                "p95_ms": round(float(np.percentile(walls, 95)) * 1000, 1), "recall@10": round(float(np.mean(recalls)), 3)}

    if compressed:
        truth = exact_top(data, queries, K)
        for candidates in (100, 132, 200, 400, 800):
            at10, at100 = [], []
            for query, best in zip(queries, truth):
                _, ids = raw.search(query[None], candidates)
                found = ids[0][ids[0] >= 0]
                found = found[np.argsort(-(np.asarray(data[found - 1]) @ query))][:K]
                at10.append(len(set(found[:10].tolist()) & set(best[:10].tolist())) / 10)
                at100.append(len(set(found.tolist()) & set(best.tolist())) / K)
            print(json.dumps({"rescored": candidates, "k": K, "recall@10": round(float(np.mean(at10)), 3),
                              "recall@100": round(float(np.mean(at100)), 3)}), flush=True)
    for share in (float(s) for s in args.shares.split(",")):
        allowed = np.sort(np.random.default_rng(7).choice(ids_of(len(data)), int(len(data) * share), replace=False))
        truth = exact_top(data, queries, 10, allowed)
        selector, _keep = id_selector(allowed)
        probes = raw.nprobe
        while True:
            params = faiss.SearchParametersIVF()
            params.sel, params.nprobe = selector, min(raw.nlist, probes)

            def fixed(query: np.ndarray, params=params) -> list[int]:
                _, ids = raw.search(query[None], K * REFINE if compressed else K, params=params)
                found = ids[0][ids[0] >= 0]
                if compressed:
                    found = found[np.argsort(-(np.asarray(data[found - 1]) @ query))]
                return found.tolist()

            print(json.dumps({"share": share, "allowed": len(allowed), "probes": params.nprobe,
                              **measure(fixed, truth)}), flush=True)
            if probes >= raw.nlist:
                break
            probes *= 2
        rule = measure(lambda query: [i for i, _ in index.search(query, K, allowed)], truth)
        print(json.dumps({"share": share, "allowed": len(allowed), "probes": "VectorIndex.search", **rule}), flush=True)
        if share >= WIDE:  # search/filtered.py asks for deeper unfiltered hits and keeps the allowed ones
            within = Filtered(_OneParagraphArticles(allowed), Filter(), articles_total=len(data))
            wide = measure(lambda query: [i for i, _ in within.search(index, query, K)], truth)
            print(json.dumps({"share": share, "allowed": len(allowed), "probes": "Filtered.search (wide)", **wide}),
                  flush=True)


if __name__ == "__main__":
    main()
