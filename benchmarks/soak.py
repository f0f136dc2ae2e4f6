"""The soak test, longer: reader processes query an index while a writer is held
mid-run until they have answered the number of queries asked for.

    python benchmarks/soak.py [--queries 10000] [--readers 2]

Prints one JSON line: the writer's outcome and, per reader, queries, errors, RSS
after 50 queries and at the end, and query latency p50/p95 (fake embedder, so the
numbers measure storage and search, not the model).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from newssearch.testing.fake import ARTICLES, FAKE_MODEL, FakeEmbedder
from newssearch.testing.soak import run_soak

from newssearch import Archive
from newssearch.index.models import embedders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--articles", type=int, default=400)
    args = parser.parse_args()
    embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
    with tempfile.TemporaryDirectory(prefix="newssearch-soak-") as scratch:
        work = Path(scratch)
        corpus = work / "corpus"
        corpus.mkdir()
        for name, text in ARTICLES.items():
            (corpus / Path(name).name).write_text(text, encoding="utf-8")
        with Archive.open(work / "index", model=FAKE_MODEL, create=True) as archive:
            archive.index([corpus])
        outcome = run_soak(work / "index", work, args.queries, args.readers, args.articles)
    outcome["total_errors"] = sum(reader.get("error_count", 1) for reader in outcome["readers"])
    outcome["total_during_write"] = sum(reader.get("during_write", 0) for reader in outcome["readers"])
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
