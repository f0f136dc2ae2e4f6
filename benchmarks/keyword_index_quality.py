"""Search quality with the keyword index (tantivy) against SQLite's FTS5 (issue 16: the
keyword side that scales must rank as well): the same archive, the same queries, the
keyword lists from one engine and then the other, in one process.

    python benchmarks/keyword_index_quality.py --work DIR [--task FOLDER ...] [--modes hybrid keyword]

Each task (BEIR folder; default: the BBC headline task, corpus/'s short queries and
the White House and Wikinews headline tasks when ../shared has them) is indexed into
DIR/<task> with the default model (reused when present; NEWSSEARCH_PRECISION chooses
the number format), then its queries run with each engine. Prints JSON with the CPU:
MRR@10, nDCG@10 and recall@10 per task, mode and engine, and the change; also the
keyword index matching every query word (`tantivy, every word`: before 2026-12-04,
words in half the documents or more were matched too) and its change against the
keyword index as search uses it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from open_scale import REPO, every_word_matched  # noqa: E402
from newssearch.index.models.machine import cpu_description  # noqa: E402

from newssearch import Archive  # noqa: E402
from newssearch.search.evaluate import load_task, run_queries, score_rankings  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
METRICS = ("mrr@10", "ndcg@10", "recall@10")


def default_tasks(scratch: Path) -> list[Path]:
    tasks = [SHARED / "bbc" / "headline-task", REPO / "benchmarks" / "tasks" / "corpus-short"]
    demo = SHARED / "demo"
    if demo.exists():
        import subprocess

        out = scratch / "demo-tasks"
        if not out.exists():
            subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_demo_tasks.py"), str(out), str(demo)],
                           check=True, capture_output=True)
        tasks += sorted(p for p in out.iterdir() if p.is_dir())
    return [t for t in tasks if t.exists()]


def measure(archive: Archive, task, mode: str) -> dict[str, float]:
    rankings, _ = run_queries(archive.searcher(), task, mode)
    metrics = score_rankings(rankings, task.qrels)
    return {name: round(metrics[name], 4) for name in METRICS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=None, help="keep the task indexes here (reused when present)")
    parser.add_argument("--task", type=Path, action="append", help="a BEIR task folder (repeatable)")
    parser.add_argument("--modes", nargs="+", default=["hybrid", "keyword"])
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="newssearch-keyword-quality-"))
    report: dict = {"cpu": cpu_description(), "tasks": {}}
    for folder in args.task or default_tasks(work):
        task = load_task(folder)
        index = work / f"{folder.name}-index"
        with Archive.open(index, create=True) as archive:
            if not archive.store.has_paragraphs():
                archive.index([task.corpus])
            entry: dict = {"queries": len(task.queries), "paragraphs": archive.store.counts().get("paragraphs")}
            for mode in args.modes:
                archive.refresh()
                assert archive.keywords is not None, archive.notices
                tantivy = measure(archive, task, mode)
                with every_word_matched():
                    every_word = measure(archive, task, mode)
                archive._keywords, archive._keywords_checked = None, True  # keyword lists from FTS5
                fts5 = measure(archive, task, mode)
                archive._keywords_checked = False
                entry[mode] = {"fts5": fts5, "tantivy": tantivy,
                               "change": {m: round(tantivy[m] - fts5[m], 4) for m in METRICS},
                               "tantivy, every word": every_word,
                               "common words left out: change": {m: round(tantivy[m] - every_word[m], 4)
                                                                 for m in METRICS}}
            report["tasks"][folder.name] = entry
            print(json.dumps({folder.name: entry}), file=sys.stderr, flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
