"""Several indexes searched as one (`Archives`, `--index A --index B`) against one index
holding all their articles: the same top 10 (articles, scores, paragraphs shown), and
what searching them together costs.

    python benchmarks/union_search.py [--shards 2,5] [--source ../shared/data/bbc/raw] [--rounds 3]

Indexes the BBC articles (one folder per category) with a hashing model of 384
dimensions (benchmarks/open_scale.py; the real model would only slow the builds, and
the union's keyword side does not depend on it) once as one index and once split into
N indexes by category, round robin. Then for each of the short-query task's queries
(benchmarks/tasks) and the BBC headline task's first 200, in keyword and hybrid mode
without story grouping: whether the union's top 10 equals the one index's, and each's
search time (median over --rounds passes, one thread per search). Prints JSON with the
CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from open_scale import HASH_MODEL, REPO  # noqa: E402

exec(HASH_MODEL)  # registers "hash-384" in this process


def queries(limit: int) -> list[str]:
    found: list[str] = []
    for path in sorted((REPO / "benchmarks" / "tasks").glob("*/queries.jsonl")):
        found += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    headlines = REPO.parent / "shared" / "data" / "bbc" / "headline-task" / "queries.jsonl"
    if headlines.exists():
        found += [json.loads(line)["text"] for line in headlines.read_text(encoding="utf-8").splitlines()[:limit]]
    return found


def top(archive, query: str, mode: str) -> list[tuple]:
    return [(h.article.key, h.score, [p.text for p in h.paragraphs])
            for h in archive.search(query, k=10, mode=mode, group=False)]


def timed(archive, texts: list[str], mode: str, rounds: int) -> float:
    runs = []
    for _ in range(rounds):
        times = []
        for text in texts:
            began = time.perf_counter()
            archive.search(text, k=10, mode=mode, group=False)
            times.append(time.perf_counter() - began)
        runs.append(statistics.median(times))
    return round(statistics.median(runs) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "raw")
    parser.add_argument("--shards", default="2,5")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--headlines", type=int, default=200, help="headline-task queries used")
    args = parser.parse_args()

    from newssearch import Archive, Archives
    from newssearch.index.models.machine import cpu_description

    categories = sorted(p for p in args.source.iterdir() if p.is_dir())
    texts = queries(args.headlines)
    report: dict = {"cpu": cpu_description(), "source": str(args.source), "queries": len(texts), "runs": []}
    with tempfile.TemporaryDirectory(prefix="newssearch-union-") as scratch:
        root = Path(scratch)
        with Archive.open(root / "one", model="hash-384", create=True) as archive:
            archive.index(categories)
        with Archive.open(root / "one") as single:
            single.parallel_search = False
            report["paragraphs"] = single.stats()["paragraphs"]
            for shards in (int(n) for n in args.shards.split(",")):
                parts = [root / f"{shards}-{n}" for n in range(shards)]
                for n, part in enumerate(parts):
                    with Archive.open(part, model="hash-384", create=True) as archive:
                        archive.index(categories[n::shards])
                with Archives.open(parts) as union:
                    union.parallel_search = False
                    for mode in ("keyword", "hybrid"):
                        same = sum(top(single, text, mode) == top(union, text, mode) for text in texts)
                        report["runs"].append({
                            "shards": shards, "mode": mode, "same_top10": same, "queries": len(texts),
                            "one_index_p50_ms": timed(single, texts, mode, args.rounds),
                            "union_p50_ms": timed(union, texts, mode, args.rounds)})
                        print(json.dumps(report["runs"][-1]), file=sys.stderr)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
