"""Where a hybrid search's time goes in an archive built by `open_scale.py`.

    python benchmarks/hybrid_parts.py --index DIR [--rounds 3]

Times, warm, per search (ms, p50 / p95 over the ten queries of `open_scale.py` times
--rounds), each part of a hybrid search with a ready query vector, unfiltered and
within the filters of `open_scale.py`:
- `keyword paragraphs`: the paragraph BM25 list (the keyword index: tantivy), also with
  every query word matched (`all words`: before common words were left out of the match);
- `keyword articles`: the article BM25 list;
- `article vectors`: the article and lead vector lists;
- `dense paragraphs`: the paragraph vector list, with the re-scoring of a compressed
  index (`exact vectors`: the reads of the candidates' vectors from SQLite, timed apart);
- `whole`: `Searcher.search` (the keyword lists on a second thread).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import open_scale  # noqa: E402

exec(open_scale.HASH_MODEL)  # registers the hashing model the archive was built with

from newssearch import Archive  # noqa: E402
from newssearch.search import ties  # noqa: E402
from newssearch.search.filters import Filter  # noqa: E402
from newssearch.search.fusion import NORMALISE_OVER  # noqa: E402
from newssearch.search.keyword import article_keyword_search  # noqa: E402


def percentiles(times: list[float]) -> list[float]:
    times = sorted(times)
    return [round(statistics.median(times), 1), round(times[int(0.95 * len(times))], 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    archive = Archive.open(args.index)
    searcher = archive.searcher()
    store = searcher.keyword_store
    vectors = {}
    for query in open_scale.QUERIES:
        vectors[query] = query_vector(query)  # noqa: F821 (from HASH_MODEL)
    index = archive.vectors
    archive.article_vectors, archive.lead_vectors
    exact = index.exact_vectors
    reads: list[float] = []
    rows: list[int] = []

    def timed_reads(ids):
        started = time.perf_counter()
        found = exact(ids)
        reads.append(1000 * (time.perf_counter() - started))
        rows.append(len(ids))
        return found

    if exact is not None:
        index.exact_vectors = timed_reads

    def timed(call) -> list[float]:
        """p50 / p95 of `call` over the queries, --rounds times."""
        times = []
        for _ in range(args.rounds):
            for query in open_scale.QUERIES:
                started = time.perf_counter()
                call(query)
                times.append(1000 * (time.perf_counter() - started))
        return percentiles(times)

    report = {"index": str(args.index), "paragraphs": len(index), "vectors": index.kind, "filters": {}}
    for name, where in open_scale.FILTERS.items():
        where = Filter.parse(where.get("since"), where.get("until"), where.get("sources"), None)
        allowed = None
        if where.active:
            from newssearch.search.filtered import Filtered

            allowed = Filtered(archive.store, where, len(archive.article_vectors))
        parts = {
            "keyword paragraphs": lambda q: searcher._keyword_paragraphs(q, 100, where),
            "keyword articles": lambda q: ties.top(lambda n: article_keyword_search(store, q, n, where),
                                                   NORMALISE_OVER, store.article_order),
            "article vectors": lambda q: searcher._article_vector_lists(vectors[q], allowed, ("dense", "lead"),
                                                                        archive.store),
            "dense paragraphs": lambda q: searcher._dense_paragraphs(vectors[q], 100, allowed),
            "whole": lambda q: searcher.search(q, k=10, query_vector=vectors[q], where=where),
        }
        found = {}
        for part, call in parts.items():
            for query in open_scale.QUERIES:  # warm
                call(query)
            reads.clear(), rows.clear()
            found[part] = timed(call)
            if part == "dense paragraphs" and reads:
                found["exact vectors"] = percentiles(reads)
                found["exact vectors read per search"] = round(statistics.mean(rows))
            if part == "keyword paragraphs":
                with open_scale.every_word_matched():
                    found["keyword paragraphs, all words"] = timed(call)
        report["filters"][name] = found
    print(json.dumps(report))


if __name__ == "__main__":
    main()
