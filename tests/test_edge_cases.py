"""Inputs that once ended in a traceback or lost data (issue 12): each is one clear
line and a non-zero exit, or costs only the field or record that is bad."""

from __future__ import annotations

import csv
import errno
import json
import pathlib

import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.index.formats.dates import parse_date
from newssearch.search.filters import Filter

from test_eval import make_task

HOSTILE_DATES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2022-01-019", "2022-001-01"]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_a_date_that_cannot_be_stored_or_is_malformed_is_no_date(value):
    assert parse_date(value) is None


def test_dates_that_are_fine_stay_fine():
    assert parse_date("2022-1-5") == "2022-01-05"
    assert parse_date("2022-01-10T10:00:00+02:00") == "2022-01-10T08:00:00Z"


def records(tmp_path: pathlib.Path) -> list[dict]:
    dates = ["2022-01-01", "2022-01-02", HOSTILE_DATES[0], HOSTILE_DATES[2], "2022-01-05", HOSTILE_DATES[1]]
    return [{"id": f"r{n}", "title": f"Harbour story {n}", "date": date,
             "text": f"Ships number {n} arrived in the harbour on a day with a story of its own {n * 7}."}
            for n, date in enumerate(dates)]


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_one_bad_date_costs_that_field_not_the_file(tmp_path, kind):
    rows = records(tmp_path)
    path = tmp_path / f"feed.{kind}"
    if kind == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    with Archive.open(create=True) as archive:
        report = archive.index([path])
        assert report.added == 6
        dates = dict(archive.store.db.execute("SELECT doc_id, date FROM articles").fetchall())
        assert dates == {"r0": "2022-01-01", "r1": "2022-01-02", "r2": None, "r3": None, "r4": "2022-01-05",
                         "r5": None}
        reasons = [str(skip) for skip in report.skipped]
        assert len(reasons) == 3 and all("the article is kept, undated" in r for r in reasons)
        assert "0001-01-01T00:00:00+05:00" in reasons[0]


def test_a_record_that_breaks_the_reader_costs_that_record_only(tmp_path, monkeypatch):
    from newssearch.index.formats import records as records_module

    real = records_module._as_text

    def fragile(value):
        if value == "poison":
            raise OverflowError("a value no reader expected")
        return real(value)

    monkeypatch.setattr(records_module, "_as_text", fragile)
    rows = [{"id": str(n), "text": f"Story {n} about ships in the harbour.", "source": "poison" if n == 1 else "Wire"}
            for n in range(4)]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with Archive.open(create=True) as archive:
        report = archive.index([path])
    assert report.added == 3
    assert [str(s) for s in report.skipped] == [f"{path}:2: record could not be read "
                                               "(OverflowError: a value no reader expected)"]


@pytest.fixture
def indexed(corpus):
    result = run("index", corpus)
    assert result.exit_code == 0, result.output
    return corpus


@pytest.mark.parametrize("identifier", ["²", "99999999999999999999", "0", "٣"])
def test_show_with_an_odd_id_is_one_line(indexed, identifier):
    assert "no article with id" in one_line_error(run("show", identifier))


def test_a_huge_k_is_one_line(indexed):
    assert "at most 10,000" in one_line_error(run("query", "harbour", "-k", "1000000000000000000"))


def test_usage_errors_are_one_line_with_exit_code_2(indexed):
    assert "Missing argument" in one_line_error(run("query"), code=2)
    assert "--limit" in one_line_error(run("query", "x", "-k", "many"), code=2)
    assert "No such command" in one_line_error(run("frobnicate"), code=2)


def test_an_index_under_a_folder_that_cannot_be_read_is_one_line(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    real_exists = pathlib.Path.exists

    def exists(self, *args, **kwargs):
        if str(self).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "exists", exists)
    for command in (["stats"], ["query", "harbour"], ["index", tmp_path]):
        line = one_line_error(run(*command, "--index", locked / "index"))
        assert "cannot reach" in line and "Permission denied" in line


def test_eval_with_a_non_utf8_queries_file_is_one_line(tmp_path):
    task = make_task(tmp_path / "task")
    (task / "queries.jsonl").write_bytes(b'{"_id": "q1", "text": "caf\xe9"}\n')
    assert "is not UTF-8 text" in one_line_error(run("eval", task))


def test_eval_with_a_non_numeric_qrels_score_is_one_line(tmp_path):
    task = make_task(tmp_path / "task")
    (task / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\tvery\n", encoding="utf-8")
    assert "test.tsv:2: the score 'very' is not a number" in one_line_error(run("eval", task))


def test_eval_compare_with_a_non_utf8_file_is_one_line(tmp_path):
    task = make_task(tmp_path / "task")
    saved = tmp_path / "saved.json"
    saved.write_bytes(b"\xff\xfe\x00garbage")
    assert "not a saved 'newssearch eval --json' result" in one_line_error(run("eval", task, "--compare", saved))


def test_eval_scores_a_query_without_words_as_finding_nothing(tmp_path):
    task = make_task(tmp_path / "task")
    with (task / "queries.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n" + json.dumps({"_id": "q4", "text": "?!"}))
    with (task / "qrels" / "test.tsv").open("a", encoding="utf-8") as handle:
        handle.write("q4\td1\t1\n")
    result = run("eval", task, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["queries"] == 4 and report["metrics"]["mrr@10"] <= 0.75


def test_a_full_disk_while_the_light_model_is_written_is_the_one_line_write_error(corpus, monkeypatch):
    def full(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    real = Archive._ensure_query_model
    monkeypatch.setattr(Archive, "_ensure_query_model", full)
    line = one_line_error(run("index", corpus))
    assert "No space left on device" in line and "everything indexed is kept" in line
    monkeypatch.setattr(Archive, "_ensure_query_model", real)
    with Archive.open() as archive:
        assert archive.stats()["articles"] == 5 and archive.check()["ok"]


def test_repair_of_more_stale_articles_than_one_sql_list_holds(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        db = archive.store.db
        stale = 33_000
        with archive.store.transaction():
            db.conn.executemany(
                "INSERT INTO articles (key, path, content_hash) VALUES (?, ?, 'h')",
                [(f"ghost-{n}", "ghost") for n in range(stale)])
            db.execute("INSERT INTO paragraphs (article_id, position, part, text, text_hash) "
                       "SELECT id, 1, 0, 'gone', 'no-such-vector' FROM articles WHERE key LIKE 'ghost-%'")
        assert not archive.check()["ok"]
        report = archive.check(repair=True)  # their paragraphs go; they wait for the next index run
        assert report["repaired"] and report["problems"] == [f"{stale} articles have no paragraphs"]
        waiting = db.execute("SELECT count(*) FROM articles WHERE needs_reindex = 1").fetchone()[0]
        assert waiting == stale


def test_a_source_given_as_a_string_is_one_source(indexed):
    assert Filter(sources="wire").sources == ("wire",)
    assert Filter.parse(sources="wire").sources == ("wire",)
    with Archive.open() as archive:
        hits = archive.search("troops", k=10, sources="example wire")
    assert hits and all(hit.article.source == "Example Wire" for hit in hits)
