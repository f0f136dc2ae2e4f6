"""Kill `index` with SIGKILL at random moments, run it again each time, and check that
nothing is lost, duplicated or orphaned, and that the end result equals a clean build."""

import os
import random
import signal
import subprocess
import sys

import pytest

from newssearch import Archive

from conftest import FAKE_MODEL
from newssearch.testing.crash import (
    assert_consistent,
    change_some_articles,
    index_content,
    make_corpus,
    run_writer,
    search_results,
)

pytestmark = pytest.mark.slow
ROUNDS = 20

def test_index_survives_kill_9_at_random_moments(tmp_path, fake_embedder):
    corpus = make_corpus(tmp_path / "corpus")
    index = tmp_path / "killed"
    rng = random.Random(20261129)
    killed = 0
    for round_number in range(ROUNDS):
        if round_number:
            change_some_articles(corpus, rng, round_number)
        if run_writer(index, corpus, kill_after=rng.uniform(0.4, 2.0)) == -signal.SIGKILL:
            killed += 1
        if (index / "newssearch.db").exists():
            assert_consistent(index, corpus)
    assert killed >= ROUNDS // 2, f"only {killed} of {ROUNDS} runs were killed mid-way"
    assert run_writer(index, corpus, kill_after=None) == 0
    assert_consistent(index, corpus, complete=True)

    with Archive.open(tmp_path / "clean", model=FAKE_MODEL, create=True) as clean:
        clean.index([corpus])
        with Archive.open(index) as survivor:
            assert index_content(survivor) == index_content(clean)
            assert search_results(survivor) == search_results(clean)


DISK_FULL_WRITER = """
import resource, signal, sys
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch.index.models import embedders
from newssearch.index import indexer
embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
indexer.ARTICLES_PER_BATCH = 20
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))
from newssearch.cli.app import main
sys.argv = ["newssearch", "index", "--index", sys.argv[1], "--model", FAKE_MODEL, sys.argv[2]]
main()
"""


def test_a_full_disk_stops_with_one_line_and_keeps_what_was_committed(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(400):
        (corpus / f"{n:03}.txt").write_text(f"Story {n}\n\n" + f"Paragraph about event {n} and more words. " * 40,
                                           encoding="utf-8")
    index = tmp_path / "index"
    result = subprocess.run([sys.executable, "-c", DISK_FULL_WRITER, str(index), str(corpus),
                             os.path.dirname(__file__)], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"Error: cannot write to the index at {index} (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    with Archive.open(index) as archive:
        kept = archive.store.counts()["articles"]
        assert 0 < kept < 400
        assert archive.search("event", k=3)
        assert archive.check()["ok"]
    with Archive.open(index) as archive:
        report = archive.index([corpus])
        assert report.unchanged == kept and report.added == 400 - kept
