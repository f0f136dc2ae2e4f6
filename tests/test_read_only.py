"""An index the user cannot write to (no permission, read-only mount) can still be
searched and checked; writing to it fails with one line and changes nothing.

Tests run as root, whom permissions do not stop, so the commands run as the
unprivileged user `nobody` in a child process."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from newssearch import Archive

from conftest import ARTICLES, FAKE_MODEL

NOBODY = 65534

# Runs the CLI with the fake model registered, as the test suite's archives use it.
CLI = """
import sys
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch.index.models import embedders
embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
from newssearch.cli.app import main
sys.argv = ["newssearch"] + sys.argv[1:]
main()
"""


def as_nobody(*args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NEWSSEARCH_MODEL": FAKE_MODEL, "HOME": "/nonexistent"}
    drop_privileges = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run([*drop_privileges, sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=120, env=environment)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder every user can read but only root can write (pytest's tmp_path is
    private to root), with the fake-model archive indexed in it."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv, to run commands as another user")
    folder = Path(tempfile.mkdtemp(prefix="newssearch-ro-"))
    try:
        folder.chmod(0o755)
        corpus = folder / "corpus"
        for name, text in ARTICLES.items():
            path = corpus / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        with Archive.open(folder / "index", model=FAKE_MODEL, create=True) as archive:
            archive.index([corpus])
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        probe = as_nobody("--help")
        if probe.returncode != 0:
            pytest.skip(f"user nobody cannot run this checkout's Python: {probe.stderr.strip()[-200:]}")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_read_only_index_answers_queries_and_checks(shared_folder):
    index = shared_folder / "index"
    before = snapshot(index)
    result = as_nobody("query", "troops near the border", "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    assert "Russia masses troops near Ukraine" in result.stdout.splitlines()[0]
    result = as_nobody("check", "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "index is consistent" in result.stderr and "not checked: paragraphs_fts integrity" in result.stderr
    assert snapshot(index) == before


def test_a_read_only_index_without_its_keyword_index_searches_fts5(shared_folder):
    index = shared_folder / "index"
    shutil.rmtree(index / "keywords")
    before = snapshot(index)
    result = as_nobody("query", "troops near the border", "--index", str(index), "--json", "--mode", "keyword")
    assert result.returncode == 0, result.stderr
    assert "Russia masses troops near Ukraine" in result.stdout
    assert snapshot(index) == before and not (index / "keywords").exists()


def test_writing_to_a_read_only_index_is_one_line_and_changes_nothing(shared_folder):
    index = shared_folder / "index"
    (shared_folder / "corpus" / "new.txt").write_text("New\n\nA new story about the harvest.", encoding="utf-8")
    before = snapshot(index)
    expected = (f"Error: the index at {index} is read-only here (no write permission or a read-only file "
                "system); it can be searched but not changed\n")
    for command in (["index", str(shared_folder / "corpus")], ["check", "--repair"]):
        if command[0] == "check":  # give repair something to do
            os.remove(index / "vectors.faiss")
            before = snapshot(index)
        result = as_nobody(*command, "--index", str(index))
        assert (result.returncode, result.stderr) == (1, expected)
    assert snapshot(index) == before


def test_an_index_folder_nobody_may_create_is_one_line(shared_folder):
    result = as_nobody("index", str(shared_folder / "corpus"), "--index", str(shared_folder / "new-index"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot create index folder {shared_folder / 'new-index'}")
    assert len(result.stderr.splitlines()) == 1


def test_a_read_only_index_being_written_by_its_owner_is_read_through_its_log(shared_folder):
    """While the owner has the database open (its -wal and -shm files exist), a
    reader without write permission still sees the committed data."""
    index = shared_folder / "index"
    owner = sqlite3.connect(index / "newssearch.db")
    owner.execute("PRAGMA journal_mode=WAL")
    owner.execute("UPDATE articles SET title = 'Edited headline' WHERE title LIKE 'Russia%'")
    owner.commit()
    try:
        for name in ("newssearch.db-wal", "newssearch.db-shm"):
            (index / name).chmod(0o644)
        result = as_nobody("query", "troops near the border", "--index", str(index), "--json", "--mode", "keyword")
        assert result.returncode == 0, result.stderr
        assert "Edited headline" in result.stdout.splitlines()[0]
    finally:
        owner.close()
