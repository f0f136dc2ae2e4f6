"""`newssearch index --ray`: a real local Ray cluster (a head node and a second node
on this machine, each one CPU, on loopback), against a local build of the same folder.

The cluster is started with `ray start`, bounded in time, and torn down after (only its
own processes: those that name its temporary folder, and their children)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from newssearch import Archive

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
FOLDER = REPO / "corpus" / "whitehouse" / "speeches-and-remarks"  # 23 speeches, about 600 paragraphs
RAY = Path(sys.executable).with_name("ray")
QUERIES = ["troop buildup", "sanctions on Russia", "inflation and prices", "vaccines", "infrastructure bill"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (parent, command)
    return found


def _with_children(pids: set[int]) -> set[int]:
    table = _processes()
    found = set(pids)
    while True:
        more = {pid for pid, (parent, _) in table.items() if parent in found} - found
        if not more:
            return found
        found |= more


def _kill(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Cluster:
    def __init__(self, address: str, env: dict[str, str], temp: str, worker_port: int):
        self.address, self.env, self.temp, self.worker_port = address, env, temp, worker_port

    def worker_node(self) -> set[int]:
        """The second node's raylet and the processes under it (its Ray workers)."""
        raylets = {pid for pid, (_, command) in _processes().items()
                   if "raylet/raylet" in command and f"--node_manager_port={self.worker_port}" in command}
        return _with_children(raylets)

    def embedding_on_worker_node(self) -> bool:
        table = _processes()
        return any(table.get(pid, (0, ""))[1].startswith("ray::_worker_embed") for pid in self.worker_node())


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not RAY.exists():
        pytest.skip("Ray is not installed (pip install 'newssearch[cluster]')")
    temp = tempfile.mkdtemp(prefix="nsray-", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
           "RAY_USAGE_STATS_ENABLED": "0"}
    port, worker_port = _free_port(), _free_port()
    address = f"127.0.0.1:{port}"
    try:
        subprocess.run([str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                        "--num-cpus", "1", "--include-dashboard", "false", "--disable-usage-stats",
                        "--temp-dir", temp], env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([str(RAY), "start", "--address", address, "--node-ip-address", "127.0.0.1",
                        "--num-cpus", "1", "--node-manager-port", str(worker_port)],
                       env=env, check=True, capture_output=True, timeout=120)
        yield Cluster(address, env, temp, worker_port)
    finally:
        ours = {pid for pid, (_, command) in _processes().items() if temp in command}
        _kill(_with_children(ours) - {os.getpid()})
        shutil.rmtree(temp, ignore_errors=True)


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


def _contents(index: Path) -> tuple[list, list, dict[str, np.ndarray]]:
    with sqlite3.connect(index / "newssearch.db") as db:
        articles = db.execute("SELECT key, title, date, source, content_hash FROM articles ORDER BY key").fetchall()
        paragraphs = db.execute("SELECT a.key, p.position, p.part, p.text, p.text_hash FROM paragraphs p "
                                "JOIN articles a ON a.id = p.article_id ORDER BY 1, 2, 3").fetchall()
        vectors = {h: np.frombuffer(v, dtype=np.float32) for h, v in db.execute("SELECT hash, vector FROM vectors")}
    return articles, paragraphs, vectors


def _same_index(built: Path, reference: Path) -> None:
    articles, paragraphs, vectors = _contents(built)
    want_articles, want_paragraphs, want_vectors = _contents(reference)
    assert articles == want_articles and len(articles) == 23
    assert paragraphs == want_paragraphs
    assert set(vectors) == set(want_vectors)
    worst = max(float(np.abs(vectors[h] - want_vectors[h]).max()) for h in vectors)
    assert worst < 1e-5, worst
    with Archive.open(built) as mine, Archive.open(reference) as theirs:
        for query in QUERIES:
            assert ([(h.article.key, round(h.score, 5)) for h in mine.search(query)]
                    == [(h.article.key, round(h.score, 5)) for h in theirs.search(query)]), query


def test_a_build_across_two_nodes_equals_the_local_build(cluster: Cluster, local_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "on-ray"
    env = {k: v for k, v in cluster.env.items() if k != "NEWSSEARCH_MODEL"}
    report = _finished(_index(target, env, "--ray", cluster.address))
    assert '"added": 23' in report
    _same_index(target, local_build)


def test_a_node_killed_mid_run_loses_nothing(cluster: Cluster, local_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "node-killed"
    env = {k: v for k, v in cluster.env.items() if k != "NEWSSEARCH_MODEL"}
    run = _index(target, env, "--ray", cluster.address)
    deadline = time.monotonic() + 120
    while not cluster.embedding_on_worker_node():
        assert run.poll() is None, "the run ended before the second node embedded anything"
        assert time.monotonic() < deadline, "the second node never got a forward pass"
        time.sleep(0.05)
    _kill(cluster.worker_node())
    assert run.poll() is None  # killed mid-run
    _finished(run)
    _same_index(target, local_build)


def test_a_wrong_address_is_one_line(tmp_path: Path) -> None:
    if not RAY.exists():
        pytest.skip("Ray is not installed")
    env = {k: v for k, v in os.environ.items() if k != "NEWSSEARCH_MODEL"}
    result = subprocess.run([sys.executable, "-m", "newssearch.cli", "index", str(FOLDER), "--index",
                             str(tmp_path / "index"), "--ray", f"127.0.0.1:{_free_port()}"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "Ray cluster" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
