"""Ablation of the retrieval levers, on every task: writes docs/quality.md.

    python benchmarks/ablation.py [--work DIR] [--windows] [--output docs/quality.md]

Tasks: the BBC headline task (../shared/data/bbc/headline-task) and the two demo tasks
built from ../shared/data/demo by make_demo_tasks.py. Each task is indexed once into
WORK/<task>/index (kept, so a second run embeds nothing) and every variant below is
scored on that same index, with the default model. --windows also builds a second
index whose long paragraphs are windowed at 126 tokens (the length the model was
trained on) instead of the model's 254, and scores the default on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
from pathlib import Path

from newssearch import Archive
from newssearch.index.models import embedders
from newssearch.search.evaluate import load_task, run_queries, score_rankings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_demo_tasks import make_task  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

# (label, mode, search options): one lever changed at a time, default last.
VARIANTS = [
    ("BM25 over paragraphs (keyword mode)", "keyword", {}),
    ("dense over paragraphs (semantic mode)", "semantic", {}),
    ("plain hybrid: RRF of those two lists", "hybrid", {"fusion": "rrf", "article_lists": ()}),
    ("score fusion of those two lists", "hybrid", {"article_lists": ()}),
    ("+ article vectors", "hybrid", {"article_lists": ("dense",)}),
    ("+ article vectors + article BM25", "hybrid", {"article_lists": ("dense", "keyword")}),
    ("+ article vectors + article BM25 + leads (default)", "hybrid", {}),
    ("same five lists, RRF instead of score fusion", "hybrid", {"fusion": "rrf"}),
]
WINDOW_TOKENS = 126


def tasks(work: Path) -> dict[str, Path]:
    found = {}
    bbc = SHARED / "bbc" / "headline-task"
    if bbc.is_dir():
        found["BBC headlines"] = bbc
    demo = SHARED / "demo"
    for name, label in (("wikinews-2019_2020", "Wikinews headlines"),
                        ("whitehouse-2021-11_2022-03", "White House headlines")):
        articles = demo / name / "articles.jsonl"
        if articles.is_file():
            folder = work / "tasks" / name
            if not (folder / "corpus.jsonl").is_file():
                make_task(articles, folder)
            found[label] = folder
    if not found:
        sys.exit(f"no tasks found under {SHARED}")
    return found


def score(index: Path, task_folder: Path, mode: str, options: dict) -> dict[str, float]:
    with Archive.open(index, create=True) as archive:
        task = load_task(task_folder)
        archive.index([task.corpus])
        rankings, _ = run_queries(archive.searcher(), task, mode, **options)
        return score_rankings(rankings, task.qrels)


def windowed(index: Path, task_folder: Path) -> dict[str, float]:
    original = embedders.SentenceTransformerEmbedder.max_tokens
    embedders.SentenceTransformerEmbedder.max_tokens = property(lambda self: WINDOW_TOKENS)
    try:
        return score(index, task_folder, "hybrid", {})
    finally:
        embedders.SentenceTransformerEmbedder.max_tokens = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "newssearch-ablation")
    parser.add_argument("--windows", action="store_true", help="also measure 126-token windows (re-embeds)")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "quality.md")
    args = parser.parse_args()

    found = tasks(args.work)
    variants = list(VARIANTS)
    if args.windows:
        variants.append((f"default, long paragraphs windowed at {WINDOW_TOKENS} tokens", "windows", {}))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label, mode, options in variants:
        results[label] = {}
        for task, folder in found.items():
            index = args.work / folder.name / "index"
            if mode == "windows":
                metrics = windowed(args.work / folder.name / f"index-w{WINDOW_TOKENS}", folder)
            else:
                metrics = score(index, folder, mode, options)
            results[label][task] = metrics
            print(json.dumps({"variant": label, "task": task, **{k: round(v, 4) for k, v in metrics.items()}}),
                  flush=True)
    write_table(args.output, found, results)
    print(f"wrote {args.output}", file=sys.stderr)


def write_table(path: Path, found: dict[str, Path], results: dict[str, dict[str, dict[str, float]]]) -> None:
    header = "| lever | " + " | ".join(found) + " |"
    lines = [
        "# Retrieval quality: ablation",
        "",
        f"Produced by `python benchmarks/ablation.py` on {dt.date.today().isoformat()} "
        f"({platform.machine()}, {platform.python_implementation()} {platform.python_version()}), "
        "model all-MiniLM-L6-v2. Each cell: MRR@10 / nDCG@10, article level. Each row changes one "
        "lever against the row above it; the row marked (default) is what `newssearch query` does.",
        "",
        "Tasks: BBC headlines (2,096 headlines → 2,225 BBC bodies, 2004–05); Wikinews headlines "
        "(294 → 294 Wikinews articles, 2019–20); White House headlines (624 distinct titles → 690 "
        "briefing-room releases, 2021–22, many near-identical readouts). Built by "
        "`benchmarks/make_demo_tasks.py`.",
        "",
        header,
        "|---|" + "---|" * len(found),
    ]
    for label, by_task in results.items():
        cells = [f"{by_task[t]['mrr@10']:.4f} / {by_task[t]['ndcg@10']:.4f}" for t in found]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Levers: *score fusion* scales each list to [0, 1] between its best and 100th candidate "
        "and averages with equal weights; *RRF* sums 1/(60 + rank). *Article vectors*: the query "
        "against the mean of an article's paragraph vectors. *Article BM25*: FTS5 BM25 over the "
        "article's whole text. *Leads*: the query against each article's first paragraph after the "
        "headline. Paragraph lists score an article by its best paragraph.",
        "",
        "Measured on the BBC task while building this and not adopted (one-off runs against the "
        "three-list default of the time, 0.8639): windowing long paragraphs at 126 tokens instead of "
        "254, 0.8588 (`--windows` re-measures it against today's default); joining every paragraph "
        "under 30 words to its neighbour, 0.8331; adding each adjacent word pair of the query as an "
        "FTS5 phrase, BM25 alone fell from 0.7751 to 0.6933.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
