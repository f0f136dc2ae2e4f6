"""Build headline -> article retrieval tasks (BEIR format) from the team's demo sets,
as second and third quality checks beside the BBC task.

    python benchmarks/make_demo_tasks.py OUT_DIR [DEMO_DIR]

For each demo set (White House releases, Wikinews) it writes OUT_DIR/<set>/ with
corpus.jsonl (bodies only, empty titles), queries.jsonl (the distinct headlines) and
qrels/test.tsv (a headline is relevant to every article that carries it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT_DEMO = Path(__file__).resolve().parents[2] / "shared" / "data" / "demo"


def make_task(articles_file: Path, out: Path) -> tuple[int, int]:
    records = [json.loads(line) for line in articles_file.open(encoding="utf-8") if line.strip()]
    by_title: dict[str, list[str]] = {}
    for record in records:
        by_title.setdefault(record["title"], []).append(record["id"])
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for r in records:
            corpus.write(json.dumps({"_id": r["id"], "title": "", "text": r["text"],
                                     "metadata": {"date": r["date"]}}, ensure_ascii=False) + "\n")
    with (out / "queries.jsonl").open("w", encoding="utf-8") as queries, \
            (out / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for number, (title, ids) in enumerate(by_title.items()):
            queries.write(json.dumps({"_id": f"q{number}", "text": title}, ensure_ascii=False) + "\n")
            for doc_id in ids:
                qrels.write(f"q{number}\t{doc_id}\t1\n")
    return len(records), len(by_title)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    demo = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DEMO
    for folder in sorted(p for p in demo.iterdir() if (p / "articles.jsonl").is_file()):
        articles, queries = make_task(folder / "articles.jsonl", out / folder.name)
        print(f"{out / folder.name}: {articles} articles, {queries} queries")


if __name__ == "__main__":
    main()
