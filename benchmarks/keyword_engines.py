"""Two keyword engines side by side at archive scale (issue 16): SQLite FTS5 as search
uses it today (BM25; the words in half the rows or more left out of the match), and
tantivy (BM25 with block-max WAND, segments), on the same generated paragraphs.

    python benchmarks/keyword_engines.py [--paragraphs 1000000] [--work DIR] [--rounds 3]

The paragraphs are real BBC paragraphs drawn at random (benchmarks/open_scale.py's pool),
each with a serial number, a day (15 years, round robin) and one of 100 sources. Each
engine indexes them once (build time and size printed; with --work the indexes are kept
and reused). Then the queries of benchmarks/open_scale.py and benchmarks/tasks ask each
engine for its top 100, unfiltered, within one source (1% of the rows) and within 18
months (10%); warm p50 and p95 over --rounds passes, and how many of FTS5's top 10 each
query's tantivy top 10 holds (the two stem and weigh words differently). Prints JSON with
the CPU. Needs `pip install tantivy` (not a dependency of newssearch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from open_scale import QUERIES, REPO  # noqa: E402

SOURCES = 100
DAYS = 15 * 365
LIMIT = 100
FIRST_DAY = dt.date(2010, 1, 1)


def pool_of(source: Path) -> list[str]:
    pool = []
    for file in sorted(source.glob("*/*.txt")):
        text = file.read_text(encoding="latin-1")
        pool.extend(p.strip() for p in text.split("\n\n")[1:] if len(p.split()) >= 12)
    return pool


def rows(count: int, source: Path):
    pool = pool_of(source)
    rng = random.Random(0)
    for number in range(count):
        yield number + 1, f"{rng.choice(pool)} ({number})", number % DAYS, number % SOURCES


def all_queries() -> list[str]:
    found = list(QUERIES)
    for path in sorted((REPO / "benchmarks" / "tasks").glob("*/queries.jsonl")):
        found += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return found


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


# SQLite FTS5 -------------------------------------------------------------------------------
class Fts5:
    def __init__(self, path: Path):
        import sqlite_utils

        self.path = path
        self.db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False))

    def build(self, count: int, source: Path) -> None:
        from newssearch.index.storage.fts import FTS_TOKENIZER

        conn = self.db.conn
        conn.execute(f"CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, tokenize='{FTS_TOKENIZER}')")
        conn.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, day INTEGER, source INTEGER)")
        batch = []
        for row in rows(count, source):
            batch.append(row)
            if len(batch) == 50_000:
                self._write(batch)
                batch = []
        self._write(batch)
        conn.execute("CREATE INDEX meta_day ON meta (day)")
        conn.execute("CREATE INDEX meta_source ON meta (source)")
        conn.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('optimize')")
        conn.commit()

    def _write(self, batch: list[tuple]) -> None:
        with self.db.conn:
            self.db.conn.executemany("INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)",
                                     [(i, text) for i, text, _, _ in batch])
            self.db.conn.executemany("INSERT INTO meta VALUES (?, ?, ?)", [(i, d, s) for i, _, d, s in batch])

    def search(self, text: str, where: tuple[str, list] | None) -> list[int]:
        """Top LIMIT row ids as search does it (`Candidates._bm25`): telling words matched."""
        from newssearch.index.storage.fts import match_expression
        from newssearch.index.storage.term_counts import averages_record, row_count, rows_holding, stems, telling
        from newssearch.search.keyword import query_terms

        terms = query_terms(text)
        averages = averages_record(self.db, "paragraphs_fts")
        words = stems(self.db, terms)
        held = rows_holding(self.db, self.path, "paragraphs_fts", averages, [s for found in words for s in found])
        chosen = telling(terms, words, held, row_count(averages))
        condition, params = where or ("1", [])
        join = "JOIN meta m ON m.id = paragraphs_fts.rowid" if where else ""
        sql = (f"SELECT paragraphs_fts.rowid FROM paragraphs_fts {join} WHERE paragraphs_fts MATCH ? AND {condition} "
               "ORDER BY bm25(paragraphs_fts) LIMIT ?")
        found = [r[0] for r in self.db.execute(sql, [match_expression(chosen), *params, LIMIT])]
        if len(found) < LIMIT and len(chosen) < len(terms):
            found = [r[0] for r in self.db.execute(sql, [match_expression(terms), *params, LIMIT])]
        return found


# tantivy -----------------------------------------------------------------------------------
class Tantivy:
    def __init__(self, path: Path):
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", stored=False, tokenizer_name="en_stem")
        builder.add_integer_field("id", stored=False, indexed=False, fast=True)
        builder.add_integer_field("day", stored=False, indexed=True, fast=True)
        builder.add_integer_field("source", stored=False, indexed=True, fast=True)
        self.schema = builder.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))

    def build(self, count: int, source: Path) -> None:
        writer = self.index.writer(heap_size=512_000_000, num_threads=2)
        for number, text, day, origin in rows(count, source):
            writer.add_document(self.tantivy.Document(text=text, id=number, day=day, source=origin))
        writer.commit()
        writer.wait_merging_threads()

    def search(self, text: str, where: tuple[str, int, int] | None) -> list[int]:
        from newssearch.search.keyword import query_terms

        tantivy = self.tantivy
        query = self.index.parse_query(" ".join(query_terms(text)), ["text"])
        if where:
            field, low, high = where
            narrowing = tantivy.Query.range_query(self.schema, field, tantivy.FieldType.Integer, low, high)
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, narrowing)])
        hits = self.searcher.search(query, LIMIT, count=False).hits
        return self.searcher.fast_field_values("id", [address for _, address in hits])

    def open(self) -> None:
        self.index.reload()
        self.searcher = self.index.searcher()


def timed(search, texts: list[str], where, rounds: int) -> tuple[dict, dict[str, list[int]]]:
    answers = {text: search(text, where) for text in texts}  # warm
    times = []
    for _ in range(rounds):
        for text in texts:
            began = time.perf_counter()
            search(text, where)
            times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return ({"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * len(times))], 2),
             "searches": len(times)}, answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=1_000_000)
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "raw")
    parser.add_argument("--work", type=Path, help="keep the indexes here (reused when present)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from newssearch.index.models.machine import cpu_description

    scratch = None
    if args.work is None:
        scratch = tempfile.TemporaryDirectory(prefix="newssearch-keyword-")
        args.work = Path(scratch.name)
    args.work.mkdir(parents=True, exist_ok=True)
    report: dict = {"cpu": cpu_description(), "paragraphs": args.paragraphs, "engines": {}}
    fts_path, tantivy_path = args.work / f"fts5-{args.paragraphs}.db", args.work / f"tantivy-{args.paragraphs}"
    fresh = not fts_path.exists()
    fts = Fts5(fts_path)
    began = time.perf_counter()
    if fresh:
        fts.build(args.paragraphs, args.source)
    report["engines"]["fts5"] = {"build_s": round(time.perf_counter() - began, 1) if fresh else None,
                                 "size_mb": round(folder_size(fts_path) / 1e6, 1)}
    fresh = not tantivy_path.exists()
    engine = Tantivy(tantivy_path)
    began = time.perf_counter()
    if fresh:
        engine.build(args.paragraphs, args.source)
    engine.open()
    report["engines"]["tantivy"] = {"build_s": round(time.perf_counter() - began, 1) if fresh else None,
                                    "size_mb": round(folder_size(tantivy_path) / 1e6, 1)}
    texts = all_queries()
    report["queries"] = len(texts)
    ten_percent = DAYS // 10
    filters = {"none": (None, None), "1% (one source)": (("m.source = ?", [7]), ("source", 7, 7)),
               "10% (18 months)": (("m.day BETWEEN ? AND ?", [0, ten_percent - 1]), ("day", 0, ten_percent - 1))}
    report["runs"] = []
    for name, (fts_where, tantivy_where) in filters.items():
        fts_times, fts_found = timed(fts.search, texts, fts_where, args.rounds)
        tantivy_times, tantivy_found = timed(engine.search, texts, tantivy_where, args.rounds)
        overlap = [len(set(fts_found[t][:10]) & set(tantivy_found[t][:10])) for t in texts if fts_found[t]]
        report["runs"].append({"filter": name, "fts5": fts_times, "tantivy": tantivy_times,
                               "top10_shared_mean": round(statistics.mean(overlap), 2) if overlap else None})
        print(json.dumps(report["runs"][-1]), file=sys.stderr)
    json.dump(report, sys.stdout, indent=1)
    print()
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
