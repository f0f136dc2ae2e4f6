"""Readers querying while a writer indexes: the soak run behind the concurrency test
and benchmarks/soak.py.

The writer is held mid-run (lock taken, some batches committed, more to come) until
the readers have answered the number of queries asked for, so every one of those
queries runs during a write, however fast or slow the machine is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


# argv: index, folder, counter file, queries to wait for
GATED_WRITER = """
import os, sys, time
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch import Archive
from newssearch.index.models import embedders
from newssearch.index import indexer

class Gated(FakeEmbedder):
    calls = 0
    def embed(self, texts):
        Gated.calls += 1
        if Gated.calls == 5:  # some batches are committed, the rest waits for the readers
            target = os.path.getsize(sys.argv[3]) + int(sys.argv[4])
            deadline = time.monotonic() + 600
            while os.path.getsize(sys.argv[3]) < target and time.monotonic() < deadline:
                time.sleep(0.05)
        return super().embed(texts)

embedders.register_embedder(FAKE_MODEL, lambda name: Gated())
indexer.ARTICLES_PER_BATCH = 10
indexer.TEXTS_PER_EMBED_CALL = 8
with Archive.open(sys.argv[1], model=FAKE_MODEL, create=True) as archive:
    print(archive.index([sys.argv[2]]).added, flush=True)
"""

# argv: index, counter file, stop file
READER = """
import json, os, sys, time
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch import Archive
from newssearch.index.models import embedders
embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())

def rss_kb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

queries = ["troops near the border", "market shares", "election", "report 17", "officials said on Monday"]
counter = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
errors, answered, during_write, memory, latencies = [], 0, 0, [], []
archive, n = None, 0
while not os.path.exists(sys.argv[3]):
    try:
        if n % 25 == 0:  # a long-lived reader that opens again now and then to see new commits
            if archive is not None:
                archive.close()
            archive = Archive.open(sys.argv[1])
        writing = archive._lock.held_elsewhere()
        started = time.perf_counter()
        answered += len(archive.search(queries[n % len(queries)], k=5)) > 0
        latencies.append(time.perf_counter() - started)
        during_write += writing
        os.write(counter, b".")
    except Exception as error:
        errors.append(repr(error))
    n += 1
    if n == 50:
        memory.append(rss_kb())
memory.append(rss_kb())
latencies.sort()
print(json.dumps({"queries": n, "answered": answered, "during_write": during_write, "errors": errors[:5],
                  "error_count": len(errors), "rss_kb_after_50": memory[0], "rss_kb_at_end": memory[-1],
                  "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
                  "p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 2)}))
"""


def write_articles(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{n}.txt").write_text(f"Story {n}\n\nTroops, market shares and the election in report {n}, "
                                         "officials said on Monday.", encoding="utf-8")


def run_soak(index: Path, work: Path, queries: int, readers: int = 2, articles: int = 400) -> dict:
    """Index `articles` new articles into the existing `index` while `readers`
    processes query it; returns the writer's outcome and each reader's numbers."""
    folder, counter, stop = work / "more", work / "answered", work / "stop"
    write_articles(folder, articles)
    counter.write_bytes(b"")
    stop.unlink(missing_ok=True)
    started = time.monotonic()
    reader_processes = [subprocess.Popen([sys.executable, "-c", READER, str(index), str(counter), str(stop)],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                        for _ in range(readers)]
    writer = subprocess.Popen([sys.executable, "-c", GATED_WRITER, str(index), str(folder), str(counter),
                               str(queries)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer_out, writer_err = writer.communicate(timeout=900)
    stop.touch()
    results = []
    for process in reader_processes:
        out, err = process.communicate(timeout=120)
        results.append(json.loads(out) if process.returncode == 0 else {"crashed": err[-2000:]})
    return {"writer_returncode": writer.returncode, "writer_added": writer_out.strip(), "writer_errors": writer_err,
            "seconds": round(time.monotonic() - started, 1), "readers": results}
