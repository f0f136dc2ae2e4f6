"""`check` finds what is broken; `check --repair` fixes it from SQLite."""

import json
import os

import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.index.storage.vectors import FAISS_NAME


@pytest.fixture
def indexed(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        return archive.directory


def check(*args):
    result = CliRunner().invoke(app, ["check", "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def test_a_fresh_index_is_consistent(indexed):
    assert check() == (0, {"ok": True, "problems": [], "repaired": [], "not_checked": []})


@pytest.mark.parametrize("damage, problem", [
    ("DELETE FROM vectors WHERE hash IN (SELECT text_hash FROM paragraphs LIMIT 1)", "have no stored vector"),
    ("DELETE FROM articles WHERE id = 1", "belong to no article"),
    ("INSERT INTO vectors (hash, vector) VALUES ('x', x'00')", "used by no paragraph"),
    ("DELETE FROM article_vectors WHERE article_id = 2", "article vectors disagree"),
    ("DELETE FROM articles_fts WHERE rowid = 2", "article text index disagrees"),
    ("DELETE FROM paragraphs WHERE id = 3", "FAISS ids differ"),
    ("INSERT INTO article_stories (article_id, follows, score, story_id, archive_size) VALUES (999, NULL, 0, 999, 1)",
     "story links belong to no article"),
    ("UPDATE paragraph_spans SET count = count + 1 WHERE article_id = 2", "paragraph spans disagree"),
])
def test_damage_is_found_and_repaired(indexed, damage, problem):
    with Archive.open() as archive:
        archive.store.db.execute(damage)
    code, before = check()
    assert code == 1 and any(problem in line for line in before["problems"]), before
    code, after = check("--repair")
    assert after["repaired"]
    if problem == "have no stored vector":  # those paragraphs wait for the next index run
        assert (code, after["problems"]) == (1, ["1 articles have no paragraphs"])
    else:
        assert (code, after["ok"]) == (0, True), after
    with Archive.open() as archive:
        assert archive.search("troops", k=3)


def test_missing_faiss_file_and_the_human_output(indexed):
    (indexed / FAISS_NAME).unlink()
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    assert "problem: the FAISS file is missing or unreadable" in result.stdout
    result = CliRunner().invoke(app, ["check", "--repair"])
    assert result.exit_code == 0 and "repaired: rebuilt the FAISS files from the stored vectors" in result.stderr
    assert (indexed / FAISS_NAME).exists()


def test_articles_that_lost_vectors_are_embedded_again_by_the_next_run(indexed, corpus, fake_embedder):
    with Archive.open() as archive:
        archive.store.db.execute("DELETE FROM vectors WHERE hash IN (SELECT text_hash FROM paragraphs WHERE article_id = 1)")
    check("--repair")
    fake_embedder.embedded.clear()
    with Archive.open() as archive:
        report = archive.index([corpus])
        assert report.updated == 1 and fake_embedder.embedded
    assert check() == (0, {"ok": True, "problems": [], "repaired": [], "not_checked": []})


def test_a_faiss_file_changed_behind_the_index_is_caught_by_its_checksum(indexed):
    """Same size, same time stamp, same ids, one flipped byte in a vector: only the
    SHA-256 recorded with the data tells."""
    path = indexed / FAISS_NAME
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, report = check()
    assert (code, report["problems"]) == (1, ["the FAISS file's checksum differs from the one recorded with the data"])
    code, report = check("--repair")
    assert (code, report["ok"]) == (0, True)


def test_the_faiss_file_identity_is_recorded_with_its_data_generation(indexed):
    with Archive.open() as archive:
        recorded = archive.settings["faiss_file"]
        assert recorded["generation"] == archive.store.generation() > 0
        assert recorded["size"] == (indexed / FAISS_NAME).stat().st_size and len(recorded["sha256"]) == 64
        archive.store.bump_generation()  # data committed after the file was written, as by a crash
    code, report = check()
    assert code == 1 and report["problems"][0].startswith("the FAISS file was written for data generation")
    with Archive.open() as archive:
        assert archive.search("troops", k=1)
        assert archive.notices == ["vector index out of date; rebuilt it from the stored vectors"]
    assert check()[0] == 0
