"""What story threads cost an indexing run: the same files indexed into a fresh index
with stories linked (the default) and without, each run in a fresh process with the
default model, alternating, `--rounds` times each.

    python benchmarks/story_cost.py [PATH ...] [--rounds 2]

PATH defaults to corpus/. Prints one JSON line per run (seconds, the seconds spent
linking stories, paragraphs embedded per second) and the median ratio of the run times.
Run it alone on the machine: it measures time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys, time
from newssearch import Archive
from newssearch.index import indexer
indexer.LINK_STORIES = sys.argv[1] == "on"
started = time.perf_counter()
with Archive.open(sys.argv[2], create=True) as archive:
    report = archive.index(sys.argv[3:])
print(json.dumps({"stories": sys.argv[1], "seconds": round(time.perf_counter() - started, 2),
                  "story_seconds": round(report.story_seconds, 2), "articles": report.added,
                  "paragraphs_per_second": round(report.paragraphs_per_second, 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(REPO / "corpus")])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from newssearch.index.models.machine import cpu_description

    print(json.dumps({"cpu": cpu_description(), "paths": args.paths}))
    seconds: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(args.rounds):
        for setting in ("off", "on"):
            with tempfile.TemporaryDirectory() as tmp:
                out = subprocess.run([sys.executable, "-c", CHILD, setting, str(Path(tmp) / "index"), *args.paths],
                                     check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            seconds[setting].append(row["seconds"])
            print(json.dumps(row), flush=True)
    on, off = statistics.median(seconds["on"]), statistics.median(seconds["off"])
    print(json.dumps({"median_on": on, "median_off": off, "on_over_off": round(on / off, 3)}))


if __name__ == "__main__":
    main()
