"""The vector index at scale: exact against approximate (IVF-SQ8) and compressed
(IVF-PQ, re-scored exactly), as `VectorIndex` builds, saves, opens (memory-mapped) and
searches them.

    python benchmarks/scale.py --sizes 1000000,5000000 [--kinds exact,ivf-sq8,ivf-pq] [--from INDEX_DIR] [--work DIR]
    python benchmarks/scale.py --switch --sizes 12500,25000,50000,100000,200000

Vectors: with --from (an index folder; default /tmp/bbc-idx when it exists) its real
MiniLM paragraph vectors are the seed: each benchmark vector is normalise(a + 0.5 b +
g) for two random real vectors a, b and Gaussian noise g of norm 0.5 (at 9,000
vectors IVF finds this mix slightly harder than the real vectors themselves, so its
recall is not flattered). Queries are made the same way. Without an index, random
clustered unit vectors. They are written to a memory-mapped file under --work.

Per size and backend, each in a fresh process: build time and peak RSS; file size;
open time (memory-mapped) and the peak RSS of the process that then answered the
queries; p50/p95 latency of one query (k=100, what the searcher asks for first),
unfiltered and with a filter allowing --filter-share of the ids; recall@10 against
exact search by brute force (numpy, in chunks). --switch instead times exact and
approximate search at smaller sizes to find where exact search stops being fast
enough. The compressed index re-scores its best 4 x k candidates with their exact
vectors, read here from the mapped vector file (an archive reads them from SQLite:
`open_scale.py --compress` times that). Prints JSON lines, and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DIMENSION = 384
CHUNK = 100_000
K = 100


def seed_vectors(source: Path | None) -> np.ndarray | None:
    if source is None or not (source / "newssearch.db").exists():
        return None
    db = sqlite3.connect(f"file:{source / 'newssearch.db'}?mode=ro", uri=True)
    blobs = [r[0] for r in db.execute("SELECT vector FROM vectors")]
    db.close()
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1).copy()


def make_vectors(count: int, seed: int, seeds: np.ndarray | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if seeds is None:  # random clustered: 1,000 random centres
        centres = np.random.default_rng(0).standard_normal((1000, DIMENSION)).astype(np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        x = centres[rng.integers(0, 1000, count)] + rng.standard_normal((count, DIMENSION), dtype=np.float32) * 0.05
    else:
        x = seeds[rng.integers(0, len(seeds), count)] + 0.5 * seeds[rng.integers(0, len(seeds), count)]
        x += rng.standard_normal((count, seeds.shape[1]), dtype=np.float32) * (0.5 / np.sqrt(seeds.shape[1]))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def vector_file(work: Path, count: int, seeds: np.ndarray | None) -> np.ndarray:
    path = work / f"vectors-{count}-{'real' if seeds is not None else 'random'}.f32"
    dimension = DIMENSION if seeds is None else seeds.shape[1]
    if not path.exists():
        out = np.lib.format.open_memmap(f"{path}.tmp.npy", "w+", np.float32, (count, dimension))
        for start in range(0, count, CHUNK):
            out[start:start + CHUNK] = make_vectors(min(CHUNK, count - start), start + 1, seeds)
        out.flush()
        del out
        os.replace(f"{path}.tmp.npy", path)
    return np.load(path, mmap_mode="r")


def ids_of(count: int) -> np.ndarray:
    return np.arange(1, count + 1, dtype=np.int64)  # SQLite row ids


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Ids of the k best vectors for each query, by brute force in chunks."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    rows = np.arange(len(vectors)) if allowed is None else np.sort(allowed - 1)
    for start in range(0, len(rows), 4 * CHUNK):
        chunk = rows[start:start + 4 * CHUNK]
        block = np.asarray(vectors[chunk[0]:chunk[-1] + 1] if allowed is None else vectors[chunk])
        scores = queries @ block.T
        best_scores = np.hstack([best_scores, scores])
        best_ids = np.hstack([best_ids, np.broadcast_to(chunk + 1, scores.shape)])
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(best_scores, keep, 1)
        best_ids = np.take_along_axis(best_ids, keep, 1)
    return best_ids


def timed_searches(index, queries: np.ndarray, allowed: np.ndarray | None) -> tuple[dict, list[list[int]]]:
    """Search each query alone: wall and CPU-time percentiles (CPU time shows what the
    search costs when other processes compete for the two cores), and the ids found."""
    index.search(queries[0], K, allowed)  # first touch
    walls, cpus, found = [], [], []
    for query in queries:
        wall, cpu = time.perf_counter(), time.thread_time()
        hits = index.search(query, K, allowed)
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
        found.append([i for i, _ in hits])
    stats = {"p50_ms": round(float(np.percentile(walls, 50)) * 1000, 2),
             "p95_ms": round(float(np.percentile(walls, 95)) * 1000, 2),
             "cpu_p50_ms": round(float(np.percentile(cpus, 50)) * 1000, 2),
             "cpu_p95_ms": round(float(np.percentile(cpus, 95)) * 1000, 2),
             "min_hits": min(len(f) for f in found)}
    return stats, found


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike getrusage's, not inherited from the parent
    across fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# children ----------------------------------------------------------------------------
def child_build(args: argparse.Namespace) -> dict:
    from newssearch.index.storage import vectors as vector_module

    data = np.load(args.data, mmap_mode="r")
    count = len(data)
    if args.kind == "exact":
        count_hint = None  # build() without a count is exact
    else:
        vector_module.SWITCH_POINT = 0
        vector_module.COMPRESS_POINT = 0 if args.kind == "ivf-pq" else 10**12
        count_hint = count
    started = time.perf_counter()
    batches = ((ids_of(count)[s:s + CHUNK], np.asarray(data[s:s + CHUNK])) for s in range(0, count, CHUNK))
    index = vector_module.VectorIndex.build(data.shape[1], batches, count=count_hint)
    built = time.perf_counter() - started
    index.save(Path(args.file))
    return {"kind": index.kind, "build_s": round(built, 1), "save_s": round(time.perf_counter() - started - built, 1),
            "file_mb": round(os.path.getsize(args.file) / 2**20, 1), "build_peak_rss_mb": round(peak_rss_mb())}


def child_query(args: argparse.Namespace) -> dict:
    from newssearch.index.storage.vectors import VectorIndex

    queries = np.load(args.query_file)
    allowed = np.load(args.allowed)
    started = time.perf_counter()
    index = VectorIndex.load(Path(args.file))
    opened = time.perf_counter() - started
    if index.kind == "ivf-pq":  # re-scored with exact vectors, here from the mapped vector file
        data = np.load(args.data, mmap_mode="r")
        index.exact_vectors = lambda ids: (np.asarray(ids, dtype=np.int64), np.asarray(data[np.asarray(ids) - 1]))
    rss_open = peak_rss_mb()
    out: dict = {"open_ms": round(opened * 1000, 1), "rss_after_open_mb": round(rss_open)}
    for name, subset in (("unfiltered", None), ("filtered", allowed)):
        stats, found = timed_searches(index, queries[:args.limit], subset)
        out[name] = {**stats, "ids": found}
    out["query_peak_rss_mb"] = round(peak_rss_mb())
    return out


def run_child(*argv: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"child {argv[:2]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth)]))


# the runs ------------------------------------------------------------------------------
def scale_run(args: argparse.Namespace, count: int, seeds: np.ndarray | None) -> list[dict]:
    work = Path(args.work)
    data = vector_file(work, count, seeds)
    queries = make_vectors(args.queries, 10**9 + count, seeds)
    allowed = np.sort(np.random.default_rng(count).choice(ids_of(count), max(1, int(count * args.filter_share)),
                                                         replace=False))
    np.save(work / "queries.npy", queries)
    np.save(work / "allowed.npy", allowed)
    truth = exact_top(data, queries, 10)
    truth_filtered = exact_top(data, queries, 10, allowed)
    rows = []
    for kind in args.kinds.split(","):
        file = work / f"{kind}-{count}.faiss"
        built = run_child("--child", "build", "--kind", kind, "--data", str(data.filename), "--file", str(file))
        limit = args.queries if kind != "exact" else min(args.queries, args.exact_queries)
        asked = run_child("--child", "query", "--file", str(file), "--data", str(data.filename),
                          "--query-file", str(work / "queries.npy"),
                          "--allowed", str(work / "allowed.npy"), "--limit", str(limit))
        row = {"vectors": count, "load_average": round(os.getloadavg()[0], 1), **built, **{k: v for k, v in asked.items() if k not in ("unfiltered", "filtered")}}
        for name, ground in (("unfiltered", truth), ("filtered", truth_filtered)):
            part = asked[name]
            found = part.pop("ids")
            row[name] = {**part, "recall@10": round(recall(found, ground), 3), "queries": len(found)}
        print(json.dumps(row), flush=True)
        rows.append(row)
        file.unlink()
    return rows


def switch_run(args: argparse.Namespace, count: int, seeds: np.ndarray | None) -> dict:
    from newssearch.index.storage import vectors as vector_module

    work = Path(args.work)
    data = np.asarray(vector_file(work, count, seeds))
    queries = make_vectors(args.queries, 10**9 + count, seeds)
    truth = exact_top(data, queries, 10)
    row: dict = {"vectors": count, "load_average": round(os.getloadavg()[0], 1)}
    for kind in ("exact", "ivf-sq8"):
        vector_module.SWITCH_POINT = 0 if kind != "exact" else 10**12
        index = vector_module.VectorIndex.build(data.shape[1], [(ids_of(count), data)], count=count)
        file = work / f"switch-{kind}.faiss"
        index.save(file)
        index = vector_module.VectorIndex.load(file)
        stats, found = timed_searches(index, queries, None)
        row[kind] = {**stats, "recall@10": round(recall(found, truth), 3)}
        file.unlink()
    print(json.dumps(row), flush=True)
    return row


def markdown(rows: list[dict]) -> str:
    lines = ["| vectors | backend | build s | file MB | build peak RSS MB | open ms | query peak RSS MB "
             "| p50 / p95 ms | recall@10 | filtered p50 / p95 ms | filtered recall@10 | filtered min hits |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        u, f = r["unfiltered"], r["filtered"]
        lines.append(f"| {r['vectors']:,} | {r['kind']} | {r['build_s']} | {r['file_mb']} | {r['build_peak_rss_mb']} "
                     f"| {r['open_ms']} | {r['query_peak_rss_mb']} | {u['p50_ms']} / {u['p95_ms']} | {u['recall@10']} "
                     f"| {f['p50_ms']} / {f['p95_ms']} | {f['recall@10']} | {f['min_hits']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--switch", action="store_true")
    parser.add_argument("--kinds", default="exact,ivf-sq8")
    parser.add_argument("--from", dest="source", default="/tmp/bbc-idx")
    parser.add_argument("--work", default="/tmp/newssearch-scale")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=50, help="queries timed on the (slow) exact index")
    parser.add_argument("--filter-share", type=float, default=0.01)
    parser.add_argument("--child", choices=["build", "query"])
    parser.add_argument("--kind")
    parser.add_argument("--data")
    parser.add_argument("--file")
    parser.add_argument("--query-file")
    parser.add_argument("--allowed")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_build(args) if args.child == "build" else child_query(args)))
        return
    Path(args.work).mkdir(parents=True, exist_ok=True)
    seeds = seed_vectors(Path(args.source) if args.source else None)
    print(json.dumps({"vectors": "real-derived" if seeds is not None else "random clustered",
                      "seed_vectors": 0 if seeds is None else len(seeds)}), flush=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.switch:
        for count in sizes:
            switch_run(args, count, seeds)
        return
    rows = [row for count in sizes for row in scale_run(args, count, seeds)]
    print(markdown(rows))


if __name__ == "__main__":
    main()
