"""What grouping results by story does to retrieval quality, and how often a result
page repeats a story without it.

    python benchmarks/story_grouping.py [--work DIR] [--only "BBC headlines,corpus/ short queries"]

For every task ablation.py knows (indexes kept in WORK/<task>/index, shared with it),
the default search's top 10 is scored three ways: grouped by story as `newssearch
query` shows it (each hit, then the matches of its story listed under it: "in place");
grouped, counting the hits only ("strict"); and not grouped. Without grouping, it also
counts the top-10 pages that hold two or more articles of one story, and the repeats on
them. Prints one JSON line per task and a table.
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
from newssearch.search.evaluate import hit_ids, load_task, score_rankings  # noqa: E402
from newssearch.search.keyword import query_terms  # noqa: E402


def measure(index: Path, folder: Path) -> dict[str, float]:
    with Archive.open(index, create=True) as archive:
        task = load_task(folder)
        archive.index([task.corpus])
        searcher = archive.searcher()
        judged = [q for q in task.queries if q in task.qrels and query_terms(task.queries[q])]
        vectors = searcher.embed_queries([task.queries[q] for q in judged])
        in_place: dict[str, list[str]] = {q: [] for q in task.qrels if q in task.queries}
        strict, flat = dict(in_place), dict(in_place)
        pages = repeats = 0
        for query_id, vector in zip(judged, vectors):
            query = task.queries[query_id]
            grouped = searcher.search(query, k=10, query_vector=vector)
            plain = searcher.search(query, k=10, query_vector=vector, group=False)
            in_place[query_id] = _ids([shown for hit in grouped for shown in (hit, *hit.same_story)], task)
            strict[query_id] = _ids(grouped, task)
            flat[query_id] = _ids(plain, task)
            stories = [h.story_id for h in plain if h.story_id is not None]
            pages += len(stories) > len(set(stories))
            repeats += len(stories) - len(set(stories))
        stats = archive.store.db.execute(
            "SELECT count(*), count(DISTINCT story_id) FROM article_stories").fetchone()
    measured = {"in_place": in_place, "strict": strict, "flat": flat}
    return {**{f"{name}_{k}": v for name, ranking in measured.items()
               for k, v in score_rankings(ranking, task.qrels).items()},
            "queries": len(in_place), "pages_repeating_a_story": pages, "repeated_articles": repeats,
            "articles": stats[0], "stories": stats[1]}


def _ids(shown: list, task) -> list[str]:  # noqa: ANN001 - hits or grouped articles; a Task
    return list(dict.fromkeys(doc_id for item in shown for doc_id in hit_ids(item, task.keyed_under)))


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
    print("| task | articles → stories | MRR@10 in place / strict / not grouped | nDCG@10 in place / strict / "
          "not grouped | top-10 pages repeating a story when not grouped |")
    print("|---|---|---|---|---|")
    for label, r in rows.items():
        print(f"| {label} | {r['articles']:,} → {r['stories']:,} | {r['in_place_mrr@10']:.4f} / "
              f"{r['strict_mrr@10']:.4f} / {r['flat_mrr@10']:.4f} | {r['in_place_ndcg@10']:.4f} / "
              f"{r['strict_ndcg@10']:.4f} / {r['flat_ndcg@10']:.4f} | {r['pages_repeating_a_story']} of "
              f"{r['queries']} ({r['repeated_articles']} repeats) |")


if __name__ == "__main__":
    main()
