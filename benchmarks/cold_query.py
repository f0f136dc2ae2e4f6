"""Cold and warm query speed: what a user waits for.

    python benchmarks/cold_query.py --index DIR [--runs 5] [--warm 200]

Cold: `newssearch query` in a new process each time (import, open, load, search,
print), wall time and peak RSS of the child (os.wait4), median over --runs, for the
hybrid (default), semantic and keyword modes and for `--help`. Warm: the same
queries through the library on one open Archive (model loaded), p50/p95 over --warm
searches. Keyword index: what importing tantivy and opening the index's keyword index
(and checking it is current) cost in a fresh process, median over --runs. Build the index first, e.g. `newssearch index ../shared/data/bbc/raw
--index DIR`. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUERIES = ["troop buildup at the border", "oil prices rise", "new mobile phone launch", "election campaign tax",
           "football club manager sacked", "film wins award"]


def run_child(arguments: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(arguments)} failed: {process.stderr.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


def cold(command: str, index: Path, runs: int) -> dict[str, dict[str, float]]:
    cases = {
        "hybrid": [command, "query", QUERIES[0], "--index", str(index)],
        "semantic": [command, "query", QUERIES[0], "--mode", "semantic", "--index", str(index)],
        "keyword": [command, "query", QUERIES[0], "--mode", "keyword", "--index", str(index)],
        "help": [command, "--help"],
    }
    results = {}
    for name, arguments in cases.items():
        run_child(arguments)  # the files in the page cache, as for a user's second query
        measured = [run_child(arguments) for _ in range(runs)]
        results[name] = {"median_s": round(statistics.median(m[0] for m in measured), 3),
                         "min_s": round(min(m[0] for m in measured), 3),
                         "median_peak_rss_mb": round(statistics.median(m[1] for m in measured), 1)}
    return results


def warm(index: Path, searches: int) -> dict[str, float]:
    from newssearch import Archive

    with Archive.open(index) as archive:
        archive.search(QUERIES[0], k=10)  # loads everything once
        times = []
        cpu = time.process_time()  # every thread of this process: what a search costs a busy server
        for n in range(searches):
            started = time.perf_counter()
            archive.search(QUERIES[n % len(QUERIES)], k=10)
            times.append(time.perf_counter() - started)
        search_cpu = (time.process_time() - cpu) / searches
        embedder = archive.query_embedder
        embed_times = []
        cpu = time.process_time()
        for n in range(searches):
            started = time.perf_counter()
            embedder.embed([QUERIES[n % len(QUERIES)]])
            embed_times.append(time.perf_counter() - started)
        embed_cpu = (time.process_time() - cpu) / searches
    times.sort()
    embed_times.sort()
    return {"p50_ms": round(1000 * times[len(times) // 2], 2), "p95_ms": round(1000 * times[int(len(times) * 0.95)], 2),
            "mean_cpu_ms": round(1000 * search_cpu, 2),
            "query_embedding_p50_ms": round(1000 * embed_times[len(embed_times) // 2], 2),
            "query_embedding_mean_cpu_ms": round(1000 * embed_cpu, 2), "searches": searches}


KEYWORD_OPEN = """
import json, sys, time
started = time.perf_counter()
import tantivy
imported = time.perf_counter()
from newssearch import Archive
archive = Archive.open(sys.argv[1])
opened = time.perf_counter()
current = archive.keywords is not None
print(json.dumps({"import_ms": 1000 * (imported - started), "open_ms": 1000 * (time.perf_counter() - opened),
                  "current": current}))
"""


def keyword_index_cost(index: Path, runs: int) -> dict:
    found = [json.loads(subprocess.run([sys.executable, "-c", KEYWORD_OPEN, str(index)], capture_output=True,
                                       text=True, check=True).stdout) for _ in range(runs)]
    return {"import_tantivy_ms": round(statistics.median(f["import_ms"] for f in found), 1),
            "open_keyword_index_ms": round(statistics.median(f["open_ms"] for f in found), 1),
            "current": all(f["current"] for f in found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm", type=int, default=200)
    args = parser.parse_args()
    command = shutil.which("newssearch") or sys.exit("newssearch is not on PATH (activate the virtualenv)")
    from newssearch import Archive
    from newssearch.index.models.machine import cpu_description

    with Archive.open(args.index) as archive:
        counts = archive.store.counts()
    print(json.dumps({"index": str(args.index), "paragraphs": counts["paragraphs"], "articles": counts["articles"],
                      "cold": cold(command, args.index, args.runs), "warm": warm(args.index, args.warm),
                      "keyword_index": keyword_index_cost(args.index, args.runs),
                      "cpus": os.cpu_count(), "cpu": cpu_description()}))


if __name__ == "__main__":
    main()
