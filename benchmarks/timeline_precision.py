"""How well `newssearch timeline` counts "articles about the query": precision and
recall of the counted articles on the short-query tasks, for several floors.

    python benchmarks/timeline_precision.py [--task DIR --index DIR]...

Defaults: corpus-short (benchmarks/tasks/corpus-short over corpus/, indexed into a
temporary folder); add --task/--index pairs for others (e.g. the Wikinews category task
of make_short_task.py). For each floor, an article counts when it is among the search's
best POOL and its score is at least that share of the best one's (search/timeline.py);
precision = counted articles judged relevant / counted, recall = counted relevant /
all judged relevant, pooled over the task's queries. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from newssearch import Archive
from newssearch.index.models.machine import cpu_description
from newssearch.search import timeline
from newssearch.search.evaluate import hit_ids, load_task

REPO = Path(__file__).resolve().parents[1]
FLOORS = (0.3, 0.4, 0.5, 0.6, 0.7)


def measure(task_folder: Path, index: Path) -> None:
    task = load_task(task_folder)
    with Archive.open(index, create=True) as archive:
        archive.index([task.corpus])
        runs = {}
        for query_id, text in task.queries.items():
            hits = archive.search(text, k=timeline.POOL)
            runs[query_id] = [(hit.score, any(task.qrels[query_id].get(i, 0) > 0 for i in hit_ids(hit, task.keyed_under)))
                              for hit in hits]
    relevant = sum(1 for judged in task.qrels.values() for grade in judged.values() if grade > 0)
    for floor in FLOORS:
        counted = correct = 0
        for scored in runs.values():
            best = scored[0][0] if scored else 0.0
            kept = [is_relevant for score, is_relevant in scored if score >= floor * best]
            counted += len(kept)
            correct += sum(kept)
        print(json.dumps({"task": task.name, "floor": floor, "default": floor == timeline.FLOOR,
                          "precision": round(correct / counted, 3) if counted else None,
                          "recall": round(correct / relevant, 3), "counted_per_query": round(counted / len(runs), 1),
                          "cpu": cpu_description()}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", type=Path, action="append", default=[])
    parser.add_argument("--index", type=Path, action="append", default=[])
    args = parser.parse_args()
    if len(args.task) != len(args.index):
        parser.error("give one --index for each --task")
    with tempfile.TemporaryDirectory(prefix="newssearch-timeline-") as scratch:
        measure(REPO / "benchmarks" / "tasks" / "corpus-short", Path(scratch) / "index")
    for task, index in zip(args.task, args.index):
        measure(task, index)


if __name__ == "__main__":
    main()
