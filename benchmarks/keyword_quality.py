"""Keyword search alone, FTS5 against tantivy, on a BEIR task (issue 16: would a keyword
engine that scales rank as well as the one search uses now?).

    python benchmarks/keyword_quality.py [--task ../shared/data/bbc/headline-task]

Both engines index the task's articles as paragraphs (the text split at blank lines,
the title first when there is one) with benchmarks/keyword_engines.py's setup: FTS5 as
`Candidates._bm25` searches it, tantivy with its English stemmer and BM25. Each query's
top 100 paragraphs become articles in order of their best paragraph; MRR@10 and
recall@10 at article level against the task's judgements (search/evaluate.py). Only the
keyword lists: hybrid search fuses them with the dense ones, so this bounds, not
predicts, the change to search. Prints JSON with the CPU. Needs `pip install tantivy`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from keyword_engines import LIMIT, Fts5, Tantivy  # noqa: E402
from open_scale import REPO  # noqa: E402


def paragraphs(task: Path):
    number = 0
    for line in (task / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        parts = ([record["title"]] if record.get("title") else []) + \
            [p.strip() for p in record.get("text", "").split("\n\n") if p.strip()]
        for part in parts:
            number += 1
            yield number, part, record["_id"]


def articles_in_order(rows: list[int], owners: dict[int, str]) -> list[str]:
    return list(dict.fromkeys(owners[row] for row in rows))[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "headline-task")
    args = parser.parse_args()

    from newssearch.index.models.machine import cpu_description
    from newssearch.search.evaluate import load_task, score_rankings

    task = load_task(args.task)
    owners: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="newssearch-keyword-quality-") as scratch:
        root = Path(scratch)
        fts = Fts5(root / "fts5.db")
        engine = Tantivy(root / "tantivy")
        from newssearch.index.storage.fts import FTS_TOKENIZER

        fts.db.conn.execute(f"CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, tokenize='{FTS_TOKENIZER}')")
        writer = engine.index.writer(heap_size=200_000_000, num_threads=1)
        import tantivy

        for number, text, article in paragraphs(args.task):
            owners[number] = article
            fts.db.conn.execute("INSERT INTO paragraphs_fts (rowid, text) VALUES (?, ?)", (number, text))
            writer.add_document(tantivy.Document(text=text, id=number, day=0, source=0))
        fts.db.conn.commit()
        writer.commit()
        writer.wait_merging_threads()
        engine.open()
        report: dict = {"cpu": cpu_description(), "task": str(args.task), "paragraphs": len(owners),
                        "queries": len(task.queries), "top": LIMIT, "engines": {}}
        for name, search in (("fts5", fts.search), ("tantivy", engine.search)):
            began = time.perf_counter()
            rankings = {query_id: articles_in_order(search(text, None), owners)
                        for query_id, text in task.queries.items()}
            metrics = score_rankings(rankings, task.qrels)
            report["engines"][name] = {"mrr@10": round(metrics["mrr@10"], 4),
                                       "recall@10": round(metrics.get("recall@10", float("nan")), 4),
                                       "seconds": round(time.perf_counter() - began, 2)}
            print(json.dumps({name: report["engines"][name]}), file=sys.stderr)
        fts.db.conn.close()
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
