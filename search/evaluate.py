"""Retrieval quality on a BEIR-format task (corpus.jsonl, queries.jsonl, qrels/test.tsv),
scored at article level: MRR@10, nDCG@10, P@10, Recall@1/10/100.

A task may also judge the articles of a folder indexed as it is (any formats): its
`task.json` names the folder (`{"corpus": "../../corpus"}`, relative to the task) and
its qrels name articles by their key relative to that folder (`a/b.txt`,
`feed.jsonl#id`)."""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..index.storage.rows import StoredArticle
from .keyword import query_terms
from .searcher import Hit, Searcher

CUTOFFS = (1, 10, 100)


@dataclass
class Task:
    name: str
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    keyed_under: Path | None = None  # judged by article key relative to this folder


def load_task(folder: str | Path, split: str = "test") -> Task:
    root = Path(folder).expanduser()
    corpus, queries_file, qrels_file = root / "corpus.jsonl", root / "queries.jsonl", root / "qrels" / f"{split}.tsv"
    keyed_under = None
    if (root / "task.json").is_file():
        try:
            described = json.loads("\n".join(_text_lines(root / "task.json")))
            corpus = keyed_under = (root / described["corpus"]).resolve()
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(f"{root / 'task.json'} does not name a corpus folder") from None
    for required in (corpus, queries_file, qrels_file):
        if not required.exists():
            raise InputError(f"not a BEIR task folder: {required} is missing")
    queries: dict[str, str] = {}
    for number, line in enumerate(_text_lines(queries_file), start=1):
        if line.strip():
            try:
                record = json.loads(line)
                queries[str(record["_id"])] = str(record["text"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError(f"{queries_file}:{number}: not a BEIR query record") from None
    qrels: dict[str, dict[str, int]] = {}
    for number, row in enumerate(csv.reader(_text_lines(qrels_file), delimiter="\t"), start=1):
        if len(row) < 3 or row[0] == "query-id":
            continue
        try:
            score = float(row[2])
            if not math.isfinite(score):
                raise ValueError(row[2])
        except ValueError:
            raise InputError(f"{qrels_file}:{number}: the score '{row[2][:20]}' is not a number") from None
        qrels.setdefault(row[0], {})[row[1]] = int(score)
    return Task(root.name, corpus, queries, qrels, keyed_under)



def _text_lines(path: Path) -> list[str]:
    """A task file's lines; one that is not UTF-8 text is the user's error, in one line."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None


def reciprocal_rank(ranking: Sequence[str], relevant: dict[str, int], cutoff: int = 10) -> float:
    for rank, doc in enumerate(ranking[:cutoff], start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg(ranking: Sequence[str], relevant: dict[str, int], cutoff: int = 10) -> float:
    """nDCG with linear gains, as BEIR/pytrec_eval compute it."""
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:cutoff], start=1))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:cutoff]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def precision(ranking: Sequence[str], relevant: dict[str, int], cutoff: int = 10) -> float:
    """Share of the first `cutoff` places held by relevant articles (an empty place counts
    as not relevant, as in trec_eval)."""
    return sum(1 for doc in ranking[:cutoff] if relevant.get(doc, 0) > 0) / cutoff


def recall(ranking: Sequence[str], relevant: dict[str, int], cutoff: int) -> float:
    wanted = {doc for doc, g in relevant.items() if g > 0}
    return len(wanted & set(ranking[:cutoff])) / len(wanted) if wanted else 0.0


def score_rankings(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean metrics over the queries that have relevance judgements."""
    judged = [q for q in qrels if q in rankings]
    if not judged:
        return {}
    metrics: dict[str, float] = {
        "mrr@10": sum(reciprocal_rank(rankings[q], qrels[q]) for q in judged),
        "ndcg@10": sum(ndcg(rankings[q], qrels[q]) for q in judged),
        "p@10": sum(precision(rankings[q], qrels[q]) for q in judged),
    }
    for cutoff in CUTOFFS:
        metrics[f"recall@{cutoff}"] = sum(recall(rankings[q], qrels[q], cutoff) for q in judged)
    return {name: value / len(judged) for name, value in metrics.items()}


def run_queries(searcher: Searcher, task: Task, mode: str = "hybrid",
                **options: Any) -> tuple[dict[str, list[str]], float]:
    """Article-level rankings (document ids, best first) for every judged query, and
    the seconds spent searching. `options` go to Searcher.search (fusion, article_lists)."""
    judged = [q for q in task.queries if q in task.qrels]
    # A query with no words to search for finds nothing: it counts, with an empty ranking.
    searchable = [q for q in judged if query_terms(task.queries[q])]
    started = time.perf_counter()
    vectors = searcher.embed_queries([task.queries[q] for q in searchable]) if mode != "keyword" else None
    rankings: dict[str, list[str]] = {q: [] for q in judged}
    for number, query_id in enumerate(searchable):
        hits = searcher.search(task.queries[query_id], k=max(CUTOFFS), mode=mode,
                               query_vector=vectors[number] if vectors is not None else None, **options)
        # A hit's grouped matches are shown under it (the page and the command line list
        # them): they come right after it.
        ranked = [doc_id for hit in hits for shown in (hit, *hit.same_story) for doc_id in hit_ids(shown, task.keyed_under)]
        rankings[query_id] = list(dict.fromkeys(ranked))  # a document counts once, where it first comes
    return rankings, time.perf_counter() - started


def hit_ids(hit: Hit | StoredArticle, keyed_under: Path | None = None) -> list[str]:
    """The ids a hit stands for in a ranking: itself and its syndicated copies (same
    text, other ids), in key order, whatever the task's judgements say about them (an
    article grouped under a hit: its own id). For a task keyed by article key, the
    keys relative to its corpus folder."""
    if isinstance(hit, StoredArticle):
        articles = [hit]
    else:
        articles = sorted((hit.article, *hit.copies), key=lambda article: article.key)
    if keyed_under is not None:
        prefix = str(keyed_under) + "/"
        return [a.key[len(prefix):] if a.key.startswith(prefix) else a.key for a in articles]
    return [article.doc_id or str(article.id) for article in articles]


def evaluation_summary(task: Task, mode: str, metrics: dict[str, float], index_report: dict[str, Any],
                       search_seconds: float, queries: int) -> dict[str, Any]:
    return {
        "task": task.name,
        "mode": mode,
        "queries": queries,
        "metrics": {name: round(value, 4) for name, value in metrics.items()},
        "indexing": index_report,
        "search_seconds": round(search_seconds, 2),
        "queries_per_second": round(queries / search_seconds, 1) if search_seconds else None,
    }


def compare(current: dict[str, Any], saved: dict[str, Any]) -> dict[str, float]:
    """Change of each metric from a saved evaluation to the current one."""
    before = saved.get("metrics", {})
    return {name: round(value - before[name], 4) for name, value in current["metrics"].items() if name in before}


def load_saved(path: str | Path, task: str, mode: str) -> dict[str, Any]:
    """A saved `eval --json` result: the file's one result, or among several (JSON
    lines or a list) the one for the same task and mode."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a saved 'newssearch eval --json' result (not UTF-8 text)") from None
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    try:
        document = json.loads(text)
        results = document if isinstance(document, list) else [document]
    except json.JSONDecodeError:
        try:
            results = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise InputError(f"{path} is not a saved 'newssearch eval --json' result") from None
    results = [r for r in results if isinstance(r, dict) and isinstance(r.get("metrics"), dict)]
    if not results:
        raise InputError(f"{path} is not a saved 'newssearch eval --json' result")
    matching = [r for r in results if r.get("task") == task and r.get("mode") == mode] or \
               [r for r in results if r.get("task") == task]
    if len(results) > 1 and not matching:
        raise InputError(f"{path} has no result for task '{task}'")
    return (matching or results)[0]
