"""What grouping results by story does to retrieval quality, and how often a result
page repeats a story without it.

    python benchmarks/story_grouping.py [--work DIR] [--only "BBC headlines,corpus/ short queries"]

For every task ablation.py knows (indexes kept in WORK/<task>/index, shared with it),
the default search is scored with results grouped by story (what `newssearch query`
does) and without; and, without grouping, how many top-10 pages hold two or more
articles of one story, and how many articles on those pages are such repeats. Prints
one JSON line per task and a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ablation import tasks  # noqa: E402

from newssearch import Archive  # noqa: E402
from newssearch.index.models.machine import cpu_description  # noqa: E402
from newssearch.search.evaluate import load_task, run_queries, score_rankings  # noqa: E402


def measure(index: Path, folder: Path) -> dict[str, float]:
    with Archive.open(index, create=True) as archive:
        task = load_task(folder)
        archive.index([task.corpus])
        searcher = archive.searcher()
        grouped, _ = run_queries(searcher, task, "hybrid", group=True)
        flat, _ = run_queries(searcher, task, "hybrid", group=False)
        pages = repeats = 0
        for query_id in task.qrels:
            if query_id not in task.queries:
                continue
            hits = searcher.search(task.queries[query_id], k=10, group=False)
            stories = [h.story_id for h in hits if h.story_id is not None]
            extra = len(stories) - len(set(stories))
            pages += extra > 0
            repeats += extra
        counted = sum(1 for q in task.qrels if q in task.queries)
        stats = archive.store.db.execute(
            "SELECT count(*), count(DISTINCT story_id) FROM article_stories").fetchone()
    on = score_rankings(grouped, task.qrels)
    off = score_rankings(flat, task.qrels)
    return {**{f"grouped_{k}": v for k, v in on.items()}, **{f"flat_{k}": v for k, v in off.items()},
            "queries": counted, "pages_repeating_a_story": pages, "repeated_articles": repeats,
            "articles": stats[0], "stories": stats[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "newssearch-ablation")
    parser.add_argument("--short-task", type=Path)
    parser.add_argument("--only", help="comma-separated task labels, as ablation.py names them")
    args = parser.parse_args()
    found = tasks(args.work, args.short_task)
    if args.only:
        found = {task: found[task] for task in args.only.split(",")}
    print(json.dumps({"cpu": cpu_description(), "date": dt.date.today().isoformat()}))
    rows = {}
    for label, (folder, _) in found.items():
        name = folder.name if folder.name != "headline-task" else "bbc-headline-task"
        rows[label] = measure(args.work / name / "index", folder)
        print(json.dumps({"task": label, **{k: round(v, 4) for k, v in rows[label].items()}}), flush=True)
    print()
    print("| task | articles → stories | MRR@10 grouped / not | nDCG@10 grouped / not | P@10 grouped / not "
          "| top-10 pages repeating a story (not grouped) |")
    print("|---|---|---|---|---|---|")
    for label, r in rows.items():
        print(f"| {label} | {r['articles']:,} → {r['stories']:,} | {r['grouped_mrr@10']:.4f} / {r['flat_mrr@10']:.4f} "
              f"| {r['grouped_ndcg@10']:.4f} / {r['flat_ndcg@10']:.4f} | {r['grouped_p@10']:.4f} / "
              f"{r['flat_p@10']:.4f} | {r['pages_repeating_a_story']} of {r['queries']} "
              f"({r['repeated_articles']} repeats) |")


if __name__ == "__main__":
    main()
