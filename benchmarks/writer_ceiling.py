"""How many paragraphs per second the single SQLite writer commits: the ceiling on what a
Ray cluster (`newssearch index --ray`) can speed indexing up to, however many CPUs or
GPUs embed for it.

    python benchmarks/writer_ceiling.py [--articles 5000] [--paragraphs 20] [--runs 2]

Builds an archive of real BBC paragraphs drawn at random (benchmarks/open_scale.py's
corpus) in a fresh process with a hashing model of 384 dimensions (the real model's
size; thousands of times faster than it), once with story links (the default) and once
without. The writer's rate is paragraphs written over the run's time less the time
spent in the hashing model: what reading, splitting, hashing, SQLite (rows, FTS5,
vectors), FAISS and story linking cost per paragraph on one process. Prints JSON with
the CPU it ran on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from open_scale import HASH_MODEL, REPO, corpus, run  # noqa: E402

BUILD = HASH_MODEL + """
import json, sys, time
from newssearch import Archive
from newssearch.index import indexer
indexer.LINK_STORIES = sys.argv[3] == "on"
with Archive.open(sys.argv[1], model="hash-384", create=True) as archive:
    report = archive.index([sys.argv[2]])
writing = report.seconds - report.embed_seconds
print(json.dumps({"stories": sys.argv[3], "paragraphs": report.paragraphs_written, "articles": report.added,
                  "seconds": round(report.seconds, 2), "model_seconds": round(report.embed_seconds, 2),
                  "story_seconds": round(report.story_seconds, 2),
                  "writer_paragraphs_per_s": round(report.paragraphs_written / writing, 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--paragraphs", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2, help="builds of each kind, alternating; medians reported")
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "raw")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="newssearch-writer-"))
    try:
        corpus(work / "corpus.jsonl", args.articles, args.paragraphs, args.source)
        runs = []
        for number in range(args.runs):
            for stories in ("on", "off"):
                index = work / f"index-{stories}-{number}"
                runs.append(run(BUILD, str(index), str(work / "corpus.jsonl"), stories))
                shutil.rmtree(index)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {stories: statistics.median(r["writer_paragraphs_per_s"] for r in runs if r["stories"] == stories)
               for stories in ("on", "off")}
    from newssearch.index.models.machine import cpu_description

    print(json.dumps({"cpu": cpu_description(), "articles": args.articles, "paragraphs_per_article": args.paragraphs,
                      "runs": runs, "writer_paragraphs_per_s_median": medians}, indent=1))


if __name__ == "__main__":
    main()
