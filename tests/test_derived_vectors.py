"""The article and lead vector files: saved by each index run beside the paragraph
vectors, mapped by queries instead of rebuilt from SQLite, rebuilt when they do not
match the data, checked and repaired by `check`."""

import json
import os

import numpy as np
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.index.storage.vector_files import ARTICLE_FILE, LEAD_FILE


def ranking(archive):
    return [(h.article.key, round(h.score, 6)) for h in archive.search("troop buildup at the border", k=5)]


def test_an_index_run_saves_them_and_a_query_maps_them(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        directory = archive.directory
        built = ranking(archive)
        for file in (ARTICLE_FILE, LEAD_FILE):
            recorded = archive.settings[file.setting]
            assert recorded["generation"] == archive.store.generation()
            assert recorded["size"] == (directory / file.name).stat().st_size
    with Archive.open() as archive:
        assert archive.article_vectors._mapped and archive.lead_vectors._mapped
        assert len(archive.article_vectors) == archive.store.counts()["articles"]
        assert ranking(archive) == built
        assert archive.notices == []


def test_files_left_behind_by_newer_data_are_rebuilt_and_saved(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        directory = archive.directory
        before = archive.settings[ARTICLE_FILE.setting]
        with archive.store.transaction():  # as if a writer died after committing, before saving the files
            archive.store.db.execute("UPDATE settings SET value = value + 1 WHERE key = 'data_generation'")
    with Archive.open() as archive:
        articles = archive.article_vectors
        assert not articles._mapped  # rebuilt from SQLite...
        assert archive.settings[ARTICLE_FILE.setting]["generation"] == before["generation"] + 1  # ...and saved
        assert archive.notices == []
    with Archive.open(directory) as archive:
        assert archive.article_vectors._mapped


def test_a_file_with_other_ids_is_rebuilt(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        built = ranking(archive)
        path = archive.directory / LEAD_FILE.name
        recorded = archive.settings[LEAD_FILE.setting]
        leads = archive.lead_vectors
        leads._writable()
        [first] = leads.ids()[:1]
        leads.remove(np.array([first]))
        leads.add(np.array([10_000], dtype=np.int64), np.ones((1, leads.dimension), dtype=np.float32))
        leads.save(path)
    os.utime(path, ns=(recorded["mtime_ns"], recorded["mtime_ns"]))  # same size and time: only the ids differ
    with Archive.open() as archive:
        assert not archive.lead_vectors._mapped
        assert 10_000 not in archive.lead_vectors.ids()
        assert ranking(archive) == built


def test_check_finds_a_damaged_file_and_repair_rebuilds_it(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        path = archive.directory / ARTICLE_FILE.name
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # a vector's byte: ids, size and (restored) time unchanged
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = CliRunner().invoke(app, ["check", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"] == [
        "articles.faiss's checksum differs from the one recorded with the data"]
    repaired = CliRunner().invoke(app, ["check", "--repair", "--json"])
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.stdout)["ok"]
    assert bytes(data) != path.read_bytes()
