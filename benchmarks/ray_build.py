"""Indexing on a Ray cluster against indexing in one process, on the same articles.

    python benchmarks/ray_build.py [--articles 600] [--nodes 2] [--cpus 1] [--precision auto] [--runs 2]

Starts a real Ray cluster on this machine (testing/ray_cluster.py: --nodes nodes of
--cpus CPUs each, on loopback), then builds a fresh index of the first --articles
articles of the BBC headline task in a child process, alternately in one process and
with `--ray ADDRESS`, --runs times each. Each build's rate is paragraphs embedded over
its whole run (reading, embedding, writing), and its embedding rate over the time spent
embedding (for the Ray run: waiting for the cluster's vectors, model loads included).
The first Ray index is compared with the first local one: articles, paragraphs, every
vector, and the top 10 (with scores) of a few queries.
On one machine the cluster has no more cores than the single process, so this measures
what the cluster costs, not what it gains; docs/scaling.md turns the rates into a
sizing table. Prints JSON with the CPU it ran on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERIES = ["oil prices rise", "election campaign tax", "football club manager sacked", "film wins award",
           "interest rates", "broadband internet", "chancellor budget", "tennis open final"]


def build(source: Path, index: Path, precision: str, env: dict[str, str], *extra: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "newssearch.cli", "index", str(source), "--index", str(index),
                           "--json", "--quiet", "--precision", precision, *extra],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"paragraphs": report["texts_embedded"], "seconds": report["seconds"],
            "paragraphs_per_s": round(report["texts_embedded"] / report["seconds"], 1),
            "embedding_per_s": report["paragraphs_per_second"], "precision": report["precision"]}


def compare(built: Path, reference: Path) -> dict:
    """How the cluster's index differs from the local one: rows, vectors, top 10s."""
    import numpy as np

    from newssearch import Archive
    from newssearch.testing.crash import index_content

    def rows(archive: Archive) -> list[tuple]:
        return archive.store.db.execute("SELECT id, key FROM articles ORDER BY key").fetchall()

    with Archive.open(built) as a, Archive.open(reference) as b:
        mine, theirs = index_content(a), index_content(b)
        same_articles = rows(a) == rows(b) and mine["articles"] == theirs["articles"]
        tops = [([(h.article.key, h.score) for h in a.search(q)], [(h.article.key, h.score) for h in b.search(q)])
                for q in QUERIES]
    vectors, want = ({h: np.frombuffer(v, dtype=np.float32) for h, v in c["vectors"]} for c in (mine, theirs))
    same_vectors = set(vectors) == set(want)
    return {"same_articles": same_articles, "same_paragraphs": mine["paragraphs"] == theirs["paragraphs"],
            "same_vector_keys": same_vectors, "vectors": len(vectors),
            "largest_vector_difference": max(float(np.abs(vectors[h] - want[h]).max()) for h in vectors)
            if same_vectors else None,
            "bit_identical_vectors": sum(vectors[h].tobytes() == want[h].tobytes() for h in vectors)
            if same_vectors else None,
            "lowest_cosine": min(float(vectors[h] @ want[h]) for h in vectors) if same_vectors else None,
            "queries_with_the_same_top10_articles":
                f"{sum([k for k, _ in x] == [k for k, _ in y] for x, y in tops)}/{len(QUERIES)}",
            "queries_with_identical_top10_and_scores": f"{sum(x == y for x, y in tops)}/{len(QUERIES)}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "headline-task")
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=1, help="CPUs per node")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    from newssearch.index.models.machine import cpu_description
    from newssearch.testing.ray_cluster import LocalCluster

    work = Path(tempfile.mkdtemp(prefix="newssearch-ray-build-"))
    try:
        lines = (args.task / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[: args.articles]
        source = work / "articles.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        runs: dict[str, list[dict]] = {"local": [], "ray": []}
        with LocalCluster(nodes=args.nodes, cpus=args.cpus) as cluster:
            env = {k: v for k, v in cluster.env.items() if k != "NEWSSEARCH_MODEL"}
            for number in range(args.runs):
                runs["local"].append(build(source, work / f"local-{number}", args.precision, env))
                runs["ray"].append(build(source, work / f"ray-{number}", args.precision, env,
                                         "--ray", cluster.address))
        same = compare(work / "ray-0", work / "local-0")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {kind: {key: statistics.median(r[key] for r in found) for key in ("paragraphs_per_s", "embedding_per_s")}
               for kind, found in runs.items()}
    print(json.dumps({"cpu": cpu_description(), "articles": len(lines), "nodes": args.nodes,
                      "cpus_per_node": args.cpus, "runs": runs, "medians": medians, "ray_index_vs_local": same,
                      "ray_vs_local": round(medians["ray"]["paragraphs_per_s"] / medians["local"]["paragraphs_per_s"], 3)},
                     indent=1))


if __name__ == "__main__":
    main()
