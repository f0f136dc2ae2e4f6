"""Whatever text a user sends, and whatever state the files are in, newssearch answers
or refuses in one line: never a traceback, never an SQL error."""

import sqlite3

import pytest
from typer.testing import CliRunner

from newssearch import Archive, FilterError, IndexFormatError
from newssearch.cli.app import app

HOSTILE_QUERIES = [
    "troops\x00border", "\x1b[31mred\x1b[0m troops", "tab\tand\nnewline", "'; DROP TABLE articles; --",
    "\" OR 1=1 --", "NEAR(troops border, 2)", "troops AND NOT border", "{col}: troops", "^troops*",
    "x" * 100_000, "troops " * 20_000, "🙂 troops 🙂", "ｔｒｏｏｐｓ", "Trüppen", "a", "\u202etroops",
]


@pytest.fixture
def archive(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        yield archive


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_hostile_queries_are_answered(archive, query, mode):
    hits = archive.search(query, k=5, mode=mode)
    assert len(hits) <= 5
    assert archive.store.counts()["articles"] == 5


@pytest.mark.parametrize("query", ["", "   ", "?!.,;", "\x00\x01", "—–-"])
def test_queries_without_words_are_refused(archive, query):
    with pytest.raises(FilterError, match="no words to search for"):
        archive.search(query)


@pytest.mark.parametrize("source", ["'; DROP TABLE articles; --", "%", "_", "\x00", "x" * 10_000])
def test_filter_values_are_parameters(archive, source):
    assert archive.search("troops", sources=[source]) == []
    assert archive.store.counts()["articles"] == 5


def test_hostile_query_on_the_command_line(corpus):
    runner = CliRunner()
    runner.invoke(app, ["index", str(corpus)])
    for query in ("\" OR 1=1 --", "((troops", "x" * 100_000):
        result = runner.invoke(app, ["query", query])
        assert result.exit_code == 0 and result.exception is None
    result = runner.invoke(app, ["query", "?!"])
    assert result.exit_code == 1 and result.stderr == "Error: the query has no words to search for\n"


def test_a_corrupt_database_is_one_clear_error(corpus, isolated):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    database = isolated / "newssearch.db"
    for name in ("newssearch.db-wal", "newssearch.db-shm"):
        (isolated / name).unlink(missing_ok=True)
    data = bytearray(database.read_bytes())
    data[:16] = b"not a database!!"
    database.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="cannot open index database"):
        Archive.open()
    result = CliRunner().invoke(app, ["query", "troops"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot open index database") and result.stderr.count("\n") == 1


def test_a_database_that_is_not_an_index_is_left_alone(isolated):
    isolated.mkdir(parents=True)
    connection = sqlite3.connect(isolated / "newssearch.db")
    connection.execute("CREATE TABLE other (x)")
    connection.commit()
    result = CliRunner().invoke(app, ["stats"])
    assert (result.exit_code, result.stderr) == (1, f"Error: {isolated / 'newssearch.db'} is not a newssearch index\n")
    tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["other"]
