"""What a filter costs a search before any list is ranked, the old way and the new, in
an archive built by `open_scale.py`.

    python benchmarks/filter_parts.py --index DIR [--rounds 3]

For each filter of `open_scale.py`, warm, median and slowest of --rounds in ms:
- `articles`: the ids of the articles it lets through. Old: dates compared as
  `substr(date, 1, 10)`, sources as `instr(lower(source), ?)` (a scan of the articles);
  new: `candidates.filter_sql` (whole dates and stored source values, through indexes).
- `paragraphs`: those articles' paragraph ids. Old: each paragraph read through the
  (article_id, ...) index; new: `Candidates.paragraph_ids_of` (from `paragraph_spans`).
- `keyword paragraphs, <query>`: the tantivy paragraph list (100 deep) for each of
  `open_scale.py`'s queries under a date filter. Old: a range query over the day fast
  field; new: the range's days as a set of terms (`KeywordFilter.days`).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
import open_scale  # noqa: E402

exec(open_scale.HASH_MODEL)  # registers the hashing model the archive was built with

import numpy as np  # noqa: E402

from newssearch import Archive  # noqa: E402
from newssearch.index.storage.keywords import KeywordFilter  # noqa: E402
from newssearch.index.storage.rows import batches  # noqa: E402
from newssearch.search.filters import Filter  # noqa: E402
from newssearch.search.keyword import query_terms  # noqa: E402


def old_articles(db, where: Filter) -> np.ndarray:
    clauses, params = [], []
    if where.since:
        clauses.append("substr(date, 1, 10) >= ?"), params.append(where.since)
    if where.until:
        clauses.append("substr(date, 1, 10) <= ?"), params.append(where.until)
    if where.sources:
        clauses.append("(" + " OR ".join("instr(lower(source), ?) > 0" for _ in where.sources) + ")")
        params.extend(s.lower() for s in where.sources)
    rows = db.execute(f"SELECT id FROM articles WHERE {' AND '.join(clauses)}", params)
    return np.fromiter((r[0] for r in rows), dtype=np.int64)


def old_paragraphs(db, article_ids: list[int]) -> np.ndarray:
    found = [row[0] for chunk, marks in batches(article_ids)
             for row in db.execute(f"SELECT id FROM paragraphs WHERE article_id IN ({marks})", chunk)]
    return np.asarray(found, dtype=np.int64)


def timed(call, rounds: int) -> tuple[list[float], object]:
    result = call()  # warm
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    return [round(statistics.median(times), 1), round(max(times), 1)], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    archive = Archive.open(args.index)
    store = archive.searcher().keyword_store
    db = store.db
    report: dict = {"index": str(args.index), "filters": {}}
    for name, given in open_scale.FILTERS.items():
        if not given:
            continue
        where = Filter.parse(given.get("since"), given.get("until"), given.get("sources"), None)
        found: dict = {}
        found["articles, old"], old = timed(lambda: old_articles(db, where), args.rounds)
        found["articles, new"], new = timed(lambda: store.filtered_article_ids(where), args.rounds)
        assert sorted(old.tolist()) == sorted(new.tolist())
        ids = new.tolist()
        found["articles"] = len(ids)
        found["paragraphs, old"], old = timed(lambda: old_paragraphs(db, ids), args.rounds)
        found["paragraphs, new"], new = timed(lambda: store.paragraph_ids_of(ids), args.rounds)
        assert sorted(old.tolist()) == sorted(new.tolist())
        found["paragraphs"] = len(new)
        if where.since or where.until:
            part, keyword_filter = store.keywords.paragraphs, store.keyword_filter(where)
            for query in open_scale.QUERIES:
                tokens = store.keywords.tokens(query_terms(query))
                search = lambda: part.search(tokens, 100, keyword_filter)  # noqa: E731
                with mock.patch.object(KeywordFilter, "days", lambda self: None):
                    found[f"keyword paragraphs, {query}, old"], old = timed(search, args.rounds)
                found[f"keyword paragraphs, {query}, new"], new = timed(search, args.rounds)
                assert old == new
        report["filters"][name] = found
    print(json.dumps(report))


if __name__ == "__main__":
    main()
