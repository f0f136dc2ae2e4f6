"""Retrieval quality and embeddings in bfloat16 against fp32, on every task this machine has.

    python benchmarks/precision_quality.py [--work ~/.cache/newssearch-precision] [--only LABELS]

For each task of benchmarks/ablation.py (BBC, Wikinews and White House headlines, the
corpus/ short queries, the Wikinews category queries where built), the task's corpus is
indexed twice, with `--precision fp32` and `--precision bf16`, and scored with the
default search (MRR@10, nDCG@10 at article level, as `newssearch eval`). The cosine of
each paragraph's bf16 vector to its fp32 one is read from the two indexes (same texts,
same order). Issue 17 asks for mean cosine >= 0.999 and MRR@10 / nDCG@10 within 0.005.
Prints one JSON line per task, then a summary line; CPU named in each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from newssearch import Archive
from newssearch.index.models.machine import cpu_description
from newssearch.search.evaluate import load_task, run_queries, score_rankings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ablation import tasks  # noqa: E402

PRECISIONS = ("fp32", "bf16")


def index_and_score(index: Path, folder: Path, precision: str) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    with Archive.open(index, create=True) as archive:
        task = load_task(folder)
        archive.index([task.corpus], precision=precision)
        rankings, _ = run_queries(archive.searcher(), task, "hybrid")
        vectors = dict(archive.store.db.execute("SELECT hash, vector FROM vectors").fetchall())
        return score_rankings(rankings, task.qrels), vectors


def cosines(one: dict, other: dict) -> np.ndarray:
    shared = sorted(set(one) & set(other))
    a = np.array([np.frombuffer(one[k], dtype=np.float32) for k in shared])
    b = np.array([np.frombuffer(other[k], dtype=np.float32) for k in shared])
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "newssearch-precision")
    parser.add_argument("--short-task", type=Path, help="the Wikinews category task (make_short_task.py's output)")
    parser.add_argument("--only", help="these tasks only (comma-separated labels)")
    args = parser.parse_args()
    found = tasks(args.work, args.short_task)
    if args.only:
        found = {label: found[label] for label in args.only.split(",")}
    worst = {"mrr@10": 0.0, "ndcg@10": 0.0, "mean_cosine": 1.0}
    for label, (folder, _) in found.items():
        name = folder.name if folder.name != "headline-task" else "bbc-headline-task"
        scores, vectors = {}, {}
        for precision in PRECISIONS:
            scores[precision], vectors[precision] = index_and_score(args.work / name / f"index-{precision}", folder,
                                                                    precision)
        cosine = cosines(vectors["fp32"], vectors["bf16"])
        row = {"task": label, "cpu": cpu_description(), "paragraphs_compared": int(cosine.size),
               "mean_cosine": round(float(cosine.mean()), 6) if cosine.size else None,
               "min_cosine": round(float(cosine.min()), 6) if cosine.size else None}
        for metric in ("mrr@10", "ndcg@10"):
            row[metric] = {p: round(scores[p][metric], 4) for p in PRECISIONS}
            row[f"{metric}_change"] = round(scores["bf16"][metric] - scores["fp32"][metric], 4)
            worst[metric] = max(worst[metric], abs(row[f"{metric}_change"]))
        if cosine.size:
            worst["mean_cosine"] = min(worst["mean_cosine"], row["mean_cosine"])
        print(json.dumps(row), flush=True)
    print(json.dumps({"summary": "bf16 against fp32, worst over the tasks", "cpu": cpu_description(),
                      "largest_mrr@10_change": round(worst["mrr@10"], 4),
                      "largest_ndcg@10_change": round(worst["ndcg@10"], 4),
                      "lowest_mean_cosine": worst["mean_cosine"]}))


if __name__ == "__main__":
    main()
