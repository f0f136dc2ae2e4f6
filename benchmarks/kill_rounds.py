"""The crash-safety test, longer: kill `index` with SIGKILL at random moments for many
rounds, checking the index after each, then compare with a clean build.

    python benchmarks/kill_rounds.py [--rounds 100] [--seed 1]

Uses the test suite's writer (a fake, slowed-down embedder, so the run measures the
storage path) on a slice of ../shared/data/bbc/raw (or generated articles).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from newssearch.testing.crash import (
    assert_consistent,
    change_some_articles,
    index_content,
    make_corpus,
    run_writer,
    search_results,
)
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch import Archive
from newssearch.index.models import embedders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newssearch-kill-") as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        corpus = make_corpus(root / "corpus")
        index = root / "killed"
        killed = failures = 0
        for round_number in range(args.rounds):
            if round_number:
                change_some_articles(corpus, rng, round_number)
            if run_writer(index, corpus, kill_after=rng.uniform(0.4, 2.0)) == -signal.SIGKILL:
                killed += 1
            try:
                if (index / "newssearch.db").exists():
                    assert_consistent(index, corpus)
            except AssertionError as error:
                failures += 1
                print(f"round {round_number}: {error}", file=sys.stderr)
        completed = run_writer(index, corpus, kill_after=None) == 0
        assert_consistent(index, corpus, complete=True)
        with Archive.open(root / "clean", model=FAKE_MODEL, create=True) as clean:
            clean.index([corpus])
            with Archive.open(index) as survivor:
                same_content = index_content(survivor) == index_content(clean)
                same_results = search_results(survivor) == search_results(clean)
    print(json.dumps({"rounds": args.rounds, "killed_mid_run": killed, "failed_checks": failures,
                      "final_run_completed": completed,
                      "same_content_as_clean_build": same_content,
                      "same_results_as_clean_build": same_results,
                      "seconds": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main()
