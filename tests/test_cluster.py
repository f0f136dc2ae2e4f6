"""`newssearch index --ray`: a real local Ray cluster (a head node and a second node
on this machine, each one CPU, on loopback; testing/ray_cluster.py), against a local
build of the same folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from newssearch import Archive
from newssearch.testing.crash import index_content
from newssearch.testing.ray_cluster import RAY, LocalCluster, free_port, kill

REPO = Path(__file__).resolve().parent.parent
FOLDER = REPO / "corpus" / "whitehouse" / "speeches-and-remarks"  # 23 speeches, about 600 paragraphs
QUERIES = ["troop buildup", "sanctions on Russia", "inflation and prices", "vaccines", "infrastructure bill"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    if not RAY.exists():
        pytest.skip("Ray is not installed (pip install 'newssearch[cluster]')")
    with LocalCluster(nodes=2, cpus=1) as running:
        yield running


def _index(target: Path, env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newssearch.cli", "index", str(FOLDER), "--index", str(target),
                             "--precision", "fp32", "--quiet", "--json", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(run: subprocess.Popen, timeout: float = 300) -> str:
    out, err = run.communicate(timeout=timeout)
    assert run.returncode == 0, err
    return out


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("local") / "index"
    env = {k: v for k, v in os.environ.items() if k != "NEWSSEARCH_MODEL"}
    _finished(_index(target, env))
    return target


def _rows(archive: Archive) -> list[tuple]:
    """Articles with their row ids, dates and sources (index_content goes by key)."""
    return archive.store.db.execute("SELECT id, key, date, source FROM articles ORDER BY key").fetchall()


def _same_index(built: Path, reference: Path) -> None:
    """Everything `index_content` compares; the vectors to 1e-5 (fp32 on one thread and
    two need not agree to the bit), the article vectors through them."""
    with Archive.open(built) as mine, Archive.open(reference) as theirs:
        got, want = index_content(mine), index_content(theirs)
        vectors, want_vectors = dict(got.pop("vectors")), dict(want.pop("vectors"))
        del got["article_vectors"], want["article_vectors"]
        assert _rows(mine) == _rows(theirs) and len(got["articles"]) == 23
        assert got == want
        assert set(vectors) == set(want_vectors)
        worst = max(float(np.abs(np.frombuffer(vectors[h], np.float32)
                                 - np.frombuffer(want_vectors[h], np.float32)).max()) for h in vectors)
        assert worst < 1e-5, worst
        for query in QUERIES:
            assert ([(h.article.key, round(h.score, 5)) for h in mine.search(query)]
                    == [(h.article.key, round(h.score, 5)) for h in theirs.search(query)]), query


@pytest.mark.slow
def test_a_build_across_two_nodes_equals_the_local_build(cluster: LocalCluster, local_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "on-ray"
    env = {k: v for k, v in cluster.env.items() if k != "NEWSSEARCH_MODEL"}
    report = _finished(_index(target, env, "--ray", cluster.address))
    assert '"added": 23' in report
    _same_index(target, local_build)


@pytest.mark.slow
def test_a_node_killed_mid_run_loses_nothing(cluster: LocalCluster, local_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "node-killed"
    env = {k: v for k, v in cluster.env.items() if k != "NEWSSEARCH_MODEL"}
    run = _index(target, env, "--ray", cluster.address)
    deadline = time.monotonic() + 120
    while not cluster.running("_worker_embed", 1):
        assert run.poll() is None, "the run ended before the second node embedded anything"
        assert time.monotonic() < deadline, "the second node never got a forward pass"
        time.sleep(0.05)
    kill(cluster.node(1))
    assert run.poll() is None  # killed mid-run
    _finished(run)
    _same_index(target, local_build)


def test_a_wrong_address_is_one_line(tmp_path: Path) -> None:
    if not RAY.exists():
        pytest.skip("Ray is not installed")
    env = {k: v for k, v in os.environ.items() if k != "NEWSSEARCH_MODEL"}
    result = subprocess.run([sys.executable, "-m", "newssearch.cli", "index", str(FOLDER), "--index",
                             str(tmp_path / "index"), "--ray", f"127.0.0.1:{free_port()}"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "Ray cluster" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("address, message", [
    ("nonsense", "is not a Ray address"),
    (":80", "is not a Ray address"),
    ("127.0.0.1:notaport", "is not a Ray address"),
])
def test_a_malformed_address_is_refused_before_anything_is_read(address: str, message: str) -> None:
    from newssearch import ClusterError
    from newssearch.index.cluster import connect

    with pytest.raises(ClusterError, match=message):
        connect(address)


class _Elsewhere:
    """The fake model embedding on another thread, as a cluster would: `submit` starts
    the work and returns the call that waits for it."""

    def __init__(self, inner, pool) -> None:
        self.inner, self.pool, self.name = inner, pool, inner.name
        self.dimension, self.normalized, self.max_tokens = inner.dimension, inner.normalized, inner.max_tokens
        self.texts_per_call = 4

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)

    def embed(self, texts):
        return self.submit(texts)()

    def submit(self, texts):
        return self.pool.submit(self.inner.embed, list(texts)).result


def test_a_pipelined_build_equals_a_plain_one(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from newssearch.index import cluster as cluster_module
    from newssearch.index import indexer

    shared = "A paragraph that two articles in different batches both hold, word for word."
    for number in range(6):
        (corpus / f"extra-{number}.txt").write_text(
            f"Extra story {number}\n\nIts own first paragraph, number {number}.\n\n{shared}\n", encoding="utf-8")
    monkeypatch.setattr(indexer, "ARTICLES_PER_BATCH", 2)
    with ThreadPoolExecutor(2) as pool:
        monkeypatch.setattr(cluster_module, "on_cluster", lambda local, address: _Elsewhere(local, pool))
        with Archive.open(tmp_path / "pipelined", create=True) as archive:
            report = archive.index([corpus], ray="anywhere")
    with Archive.open(tmp_path / "plain", create=True) as archive:
        plain = archive.index([corpus])
    assert report.added == plain.added > 6 and report.paragraphs_written == plain.paragraphs_written
    with Archive.open(tmp_path / "pipelined") as pipelined, Archive.open(tmp_path / "plain") as plain_archive:
        assert _rows(pipelined) == _rows(plain_archive)
        assert index_content(pipelined) == index_content(plain_archive)
