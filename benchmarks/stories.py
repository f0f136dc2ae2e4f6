"""Story threads measured against hand-labelled stories: the White House releases of
Nov 2021 - Mar 2022 (benchmarks/tasks/whitehouse-stories: 690 articles, 486 stories).

    python benchmarks/stories.py [--index DIR] [--chunks 10] [--quick]

- Our rule (index/stories.py) and the classic baseline, TF-IDF single-pass clustering
  with a time window (each article joins the most similar story active in the last W
  days, by cosine to the story's centroid, or starts one), are each tuned on the
  Nov-Dec 2021 articles (dev: the setting with the best B-cubed F1, which weighs
  every article alike, where pairwise F1 is ruled by the few largest stories) and
  scored on Jan-Mar 2022 (test) and on all: pairwise and B-cubed precision, recall, F1. The default rule's own scores are printed too.
- Incremental against batch: the articles are indexed in `--chunks` pieces in shuffled
  order (so later pieces hold earlier dates), the stories kept up to date after each
  piece; then every story is computed again in one pass (`stories.rebuild`). Both are
  scored; the vectors come from the index of the whole set (looked up by text, the
  same numbers the model gave), so this needs no model run.

The index of the whole set (--index, default WORK/whitehouse) is built with the default
model when missing. Prints one JSON line per result and a table.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from newssearch import Archive
from newssearch.index import stories
from newssearch.index.indexer import text_hash
from newssearch.index.models.machine import cpu_description
from newssearch.index.storage.rows import unpack

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO.parent / "shared" / "data" / "demo" / "whitehouse-2021-11_2022-03" / "articles.jsonl"
LABELS = REPO / "benchmarks" / "tasks" / "whitehouse-stories" / "labels.tsv"
DEV_BEFORE = "2022-01-01"


def gold_labels() -> dict[str, str]:
    with LABELS.open(encoding="utf-8", newline="") as f:
        next(f)
        return {row[0]: row[1] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def scores(predicted: dict[str, object], gold: dict[str, str], ids: list[str]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 of `predicted` over `ids`."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(ids, 2):
        same, right = predicted[a] == predicted[b], gold[a] == gold[b]
        tp += same and right
        fp += same and not right
        fn += right and not same
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    ours: dict[object, set[str]] = defaultdict(set)
    theirs: dict[str, set[str]] = defaultdict(set)
    for i in ids:
        ours[predicted[i]].add(i)
        theirs[gold[i]].add(i)
    bp = float(np.mean([len(ours[predicted[i]] & theirs[gold[i]]) / len(ours[predicted[i]]) for i in ids]))
    br = float(np.mean([len(ours[predicted[i]] & theirs[gold[i]]) / len(theirs[gold[i]]) for i in ids]))
    return {"pair_p": p, "pair_r": r, "pair_f1": _f1(p, r), "b3_p": bp, "b3_r": br, "b3_f1": _f1(bp, br)}


def _chosen(row: dict) -> tuple[float, float]:
    """Best dev B-cubed F1; of equals, the higher threshold (fewer wrong merges)."""
    return row["dev_b3_f1"], row["threshold"]


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def single_pass(records: list[dict], threshold: float, window: int) -> dict[str, int]:
    """The baseline: TF-IDF (sublinear tf, English stop words) single-pass clustering in
    time order; a story is active while its last article is at most `window` days old."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    ordered = sorted(records, key=lambda r: (r["date"], r["id"]))
    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [(r.get("title") or "") + "\n" + r["text"] for r in ordered]).toarray()
    centroids: list[np.ndarray] = []
    last: list[int] = []
    found: dict[str, int] = {}
    for record, vector in zip(ordered, matrix):
        day = dt.date.fromisoformat(record["date"]).toordinal()
        best, best_score = -1, -1.0
        for c, centroid in enumerate(centroids):
            if day - last[c] <= window:
                score = float(centroid @ vector) / (float(np.linalg.norm(centroid)) or 1.0)
                if score > best_score:
                    best, best_score = c, score
        if best >= 0 and best_score >= threshold:
            centroids[best] = centroids[best] + vector
            last[best] = day
        else:
            centroids.append(vector.copy())
            last.append(day)
            best = len(centroids) - 1
        found[record["id"]] = best
    return found


def story_labels(archive: Archive) -> dict[str, int]:
    rows = archive.store.db.execute(
        "SELECT a.doc_id, s.story_id FROM article_stories s JOIN articles a ON a.id = s.article_id").fetchall()
    labels = dict(rows)
    for doc_id, copy_of in archive.store.db.execute(  # a syndicated copy is in its original's story
            "SELECT a.doc_id, s.story_id FROM articles a JOIN article_stories s ON s.article_id = a.copy_of"):
        labels[doc_id] = copy_of
    return labels


def ours(archive: Archive, rule: stories.StoryRule) -> tuple[dict[str, int], float]:
    started = time.perf_counter()
    with archive.store.transaction():
        stories.rebuild(archive.store, rule)
    return story_labels(archive), time.perf_counter() - started


class LookupEmbedder:
    """The vectors the model gave each text when the whole set was indexed (by text
    hash); token counts from the model's own tokenizer, so paragraphs split the same."""

    def __init__(self, source: Archive):
        self._source = source
        self._model = source.embedder
        self.name = self._model.name
        self.dimension = self._model.dimension
        self.normalized = getattr(self._model, "normalized", True)
        self.max_tokens = self._model.max_tokens

    def count_tokens(self, texts):  # noqa: ANN001, ANN201 - the Embedder protocol
        return self._model.count_tokens(texts)

    def embed(self, texts):  # noqa: ANN001, ANN201
        hashes = [text_hash(t) for t in texts]
        marks = ",".join("?" * len(hashes))
        rows = dict(self._source.store.db.execute(f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})",
                                                  hashes).fetchall())
        missing = [h for h in hashes if h not in rows]
        if missing:
            raise RuntimeError(f"{len(missing)} texts were not in the source index")
        return unpack([(0, rows[h]) for h in hashes], self.dimension)[1].copy()


def incremental(source: Archive, records: list[dict], chunks: int, seed: int = 7) -> tuple[dict, dict, list[float]]:
    """Stories kept up to date over `chunks` index runs in shuffled order, and the same
    archive's stories computed again in one pass."""
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        with Archive.open(Path(tmp) / "index", create=True, embedder=LookupEmbedder(source)) as archive:
            size = -(-len(shuffled) // chunks)
            for n in range(chunks):
                piece = shuffled[n * size:(n + 1) * size]
                with (folder / f"{n:03d}.jsonl").open("w", encoding="utf-8") as f:
                    f.writelines(json.dumps(r) + "\n" for r in piece)
                report = archive.index([folder])
                seconds.append(report.story_seconds)
            kept = story_labels(archive)
            with archive.store.transaction():
                stories.rebuild(archive.store)
            return kept, story_labels(archive), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path.home() / ".cache" / "newssearch-stories" / "whitehouse")
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="the default rule only, no tuning grid")
    args = parser.parse_args()
    if not ARTICLES.is_file():
        sys.exit(f"needs {ARTICLES} (the shared data)")
    records = [json.loads(line) for line in ARTICLES.open(encoding="utf-8") if line.strip()]
    gold = gold_labels()
    ids = [r["id"] for r in records]
    dev = [r["id"] for r in records if r["date"] < DEV_BEFORE]
    test = [r["id"] for r in records if r["date"] >= DEV_BEFORE]
    print(json.dumps({"cpu": cpu_description(), "date": dt.date.today().isoformat(), "articles": len(ids),
                      "dev": len(dev), "test": len(test)}))

    def scored(label: str, predicted: dict, settings: dict) -> dict:
        row = {"method": label, **settings, **{f"{part}_{k}": round(v, 4) for part, chosen in
                                               (("dev", dev), ("test", test), ("all", ids))
                                               for k, v in scores(predicted, gold, chosen).items()}}
        print(json.dumps(row), flush=True)
        return row

    table = []
    grid = [] if args.quick else [(th, w) for w in (1, 2, 3, 7) for th in np.arange(0.10, 0.71, 0.05)]
    baseline = [scored("baseline", single_pass(records, th, w), {"threshold": round(th, 3), "window": w})
                for th, w in grid]
    if baseline:
        table.append(("TF-IDF single-pass, time window (tuned on dev)", max(baseline, key=_chosen)))
    with Archive.open(args.index, create=True) as archive:
        archive.index([ARTICLES])
        rules = [] if args.quick else [stories.StoryRule(window_days=w, threshold=th, terms_weight=tw)
                                       for tw in (0.5, 0.7, 1.0) for w in (1, 2, 3)
                                       for th in np.arange(0.25, 0.576, 0.025)]
        tuned = []
        for rule in rules:
            labels, _ = ours(archive, rule)
            tuned.append(scored("ours", labels, {"threshold": round(rule.threshold, 3), "window": rule.window_days,
                                                 "terms_weight": rule.terms_weight}))
        if tuned:
            table.append(("ours (tuned on dev)", max(tuned, key=_chosen)))
        labels, seconds = ours(archive, stories.DEFAULT_RULE)
        table.append(("ours, the default rule", scored("default", labels, {"seconds": round(seconds, 2)})))
        kept, batch, step_seconds = incremental(archive, records, args.chunks)
        table.append((f"ours, kept up to date over {args.chunks} shuffled runs", scored("incremental", kept, {
            "story_seconds": round(sum(step_seconds), 2)})))
        table.append(("ours, the same archive in one pass", scored("batch", batch, {})))
    print()
    print("| method | settings | test pairwise P / R / F1 | test B-cubed F1 | all pairwise F1 | all B-cubed F1 |")
    print("|---|---|---|---|---|---|")
    for label, row in table:
        settings = ", ".join(f"{k} {row[k]}" for k in ("threshold", "window", "terms_weight") if k in row)
        print(f"| {label} | {settings} | {row['test_pair_p']:.3f} / {row['test_pair_r']:.3f} / "
              f"{row['test_pair_f1']:.3f} | {row['test_b3_f1']:.3f} | {row['all_pair_f1']:.3f} | "
              f"{row['all_b3_f1']:.3f} |")


if __name__ == "__main__":
    main()
