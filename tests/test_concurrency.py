"""One writer at a time; readers keep answering while a writer works."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from newssearch import Archive, IndexBusyError
from newssearch.cli.app import app
from newssearch.index.storage.vectors import FAISS_NAME

from newssearch.testing.fake import SLOW_WRITER
from newssearch.testing.soak import run_soak

HOLD_LOCK = """
import sys, time
from pathlib import Path
from newssearch.index.storage.lock import WriteLock
lock = WriteLock(Path(sys.argv[1])); lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def other_writer(isolated):
    isolated.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(isolated)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    yield process
    process.kill()
    process.wait()


def test_a_second_writer_fails_at_once_naming_the_holder(corpus, other_writer, isolated):
    started = time.monotonic()
    with Archive.open(create=True) as archive:
        with pytest.raises(IndexBusyError, match=f"another newssearch process \\(pid {other_writer.pid}\\)"):
            archive.index([corpus])
    assert time.monotonic() - started < 5
    result = CliRunner().invoke(app, ["index", str(corpus)])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: another newssearch process (pid {other_writer.pid}) is writing to {isolated}; "
                             "wait for it to finish\n")


def test_a_lock_left_by_a_killed_writer_is_recovered(corpus, other_writer):
    os.kill(other_writer.pid, signal.SIGKILL)
    other_writer.wait()
    with Archive.open(create=True) as archive:
        assert archive.index([corpus]).added == 5


def test_a_reader_does_not_rewrite_files_while_a_writer_works(corpus, isolated, request):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    faiss_file = isolated / FAISS_NAME
    faiss_file.unlink()
    request.getfixturevalue("other_writer")
    with Archive.open() as archive:
        hits = archive.search("troop buildup", k=2)
    assert len(hits) == 2 and not faiss_file.exists()


def test_queries_keep_answering_while_another_process_indexes(corpus, isolated, tmp_path):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    folder = tmp_path / "more"
    folder.mkdir()
    for n in range(300):
        (folder / f"{n}.txt").write_text(f"Story {n}\n\nTroops gathered near the border again in report number {n}, "
                                         "officials said on Monday.", encoding="utf-8")
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(isolated), str(folder), "0.02"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answered, behind = [], []
    while writer.poll() is None:
        with Archive.open() as archive:
            hits = archive.search("troops near the border", k=5)
            answered.append(len(hits))
            behind.append(archive._keywords_behind)  # the keyword index as of the writer's last update
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert out.strip() == "300"
    assert len(answered) >= 3 and all(n == 5 for n in answered)
    assert any(behind), "searches during the run used the keyword index, not FTS5"
    with Archive.open() as archive:
        assert archive.store.counts()["articles"] == 305
        assert len(archive.vectors) == archive.store.counts()["paragraphs"]


@pytest.mark.slow
def test_soak_readers_while_a_writer_indexes(corpus, isolated, tmp_path, fake_embedder):
    """1,000 queries from two reader processes, all while a writer is mid-run."""
    from conftest import FAKE_MODEL

    with Archive.open(model=FAKE_MODEL, create=True) as archive:
        archive.index([corpus])
    outcome = run_soak(isolated, tmp_path, queries=1000)
    print(json.dumps(outcome))
    assert (outcome["writer_returncode"], outcome["writer_added"]) == (0, "400"), outcome["writer_errors"]
    readers = outcome["readers"]
    assert all("crashed" not in reader for reader in readers), readers
    assert sum(reader["error_count"] for reader in readers) == 0, [reader["errors"] for reader in readers]
    assert all(reader["answered"] == reader["queries"] for reader in readers)
    assert sum(reader["during_write"] for reader in readers) >= 1000
    for reader in readers:
        growth = reader["rss_kb_at_end"] - reader["rss_kb_after_50"]
        assert growth < 20_000, f"reader memory grew by {growth} KB"


def test_an_index_folder_that_cannot_be_written_is_one_clear_error(corpus, isolated):
    """Tests run as root, whom permissions do not stop: a folder where the lock file
    should be stands in for a folder without write permission."""
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    (isolated / "write.lock").unlink()
    (isolated / "write.lock").mkdir()
    result = CliRunner().invoke(app, ["index", str(corpus)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write to the index at {isolated} (Is a directory)\n"
    assert CliRunner().invoke(app, ["query", "troops"]).exit_code == 0
