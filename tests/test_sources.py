import json
from pathlib import Path

import pytest

from newssearch.errors import InputError
from newssearch.index.formats.dates import parse_date
from newssearch.index.formats.sources import Article, Skip, collect_files, parse_text_article, read_file

from conftest import shared_path


def read(path: Path) -> list:
    return list(read_file(path))


def test_text_file_title_and_header_lines(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Headline here\nDate: 10 January 2022\nSource: Wire\nURL: https://x.test/a\n\nBody text.",
                    encoding="utf-8")
    [article] = read(path)
    assert (article.title, article.date, article.source, article.url) == (
        "Headline here", "2022-01-10", "Wire", "https://x.test/a")
    assert article.text == "Body text."
    assert article.key == str(path)


def test_header_lines_before_the_title_and_markdown_front_matter():
    fields, body = parse_text_article("---\ntitle: Front\ndate: 2021-11-02\ntags: x\n---\n\n# Ignored heading\nBody",
                                      markdown=True)
    assert fields["title"] == "Front" and fields["date"] == "2021-11-02"
    assert fields["metadata"] == {"tags": "x"}
    assert body.startswith("# Ignored heading")
    fields, body = parse_text_article("Date: 2022-02-01\n\nTitle line\nBody")
    assert fields == {"date": "2022-02-01", "title": "Title line"} and body == "Body"


def test_a_body_line_that_looks_like_a_header_is_kept():
    fields, body = parse_text_article("Title\n\nNote: this line is part of the story.")
    assert body == "Note: this line is part of the story."


def test_jsonl_beir_and_news_fields(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join([
        json.dumps({"_id": "d1", "title": "", "text": "Body one", "metadata": {"date": "2005-03-01"}}),
        "{not json",
        json.dumps({"id": 7, "headline": "H", "content": "Body two", "published": "Tue, 15 Mar 2022 10:00:00 +0100",
                    "source": {"name": "Wire"}, "link": "https://x.test", "authors": ["A", "B"], "lang": "en"}),
        json.dumps({"id": "nobody", "title": "No text"}),
        json.dumps(["not", "an", "object"]),
    ]), encoding="utf-8")
    items = read(path)
    articles = [i for i in items if isinstance(i, Article)]
    skips = [i for i in items if isinstance(i, Skip)]
    assert [a.doc_id for a in articles] == ["d1", "7"]
    assert articles[0].date == "2005-03-01" and articles[0].title is None
    second = articles[1]
    assert (second.title, second.date, second.source, second.url, second.author) == (
        "H", "2022-03-15T09:00:00Z", "Wire", "https://x.test", "A, B")
    assert second.metadata == {"lang": "en"}
    assert second.key == f"{path}#7"
    assert [(s.line, s.reason.split(" (")[0]) for s in skips] == [
        (2, "invalid JSON"), (4, "record has no text"), (5, "JSON record is not an object")]


def test_json_array_and_single_object(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps([{"text": "one"}, {"text": "two"}]), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"title": "T", "body": "three"}), encoding="utf-8")
    assert [a.text for a in read(tmp_path / "list.json")] == ["one", "two"]
    assert [a.key.endswith("#L1") for a in read(tmp_path / "one.json")] == [True]


def test_encodings(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Price rise\n\nIt costs £5 in café.".encode("latin-1"))
    (tmp_path / "bom.txt").write_bytes("\ufeffTitle\n\nBody é".encode("utf-8"))
    (tmp_path / "utf16.txt").write_bytes("Title\n\nBody ü".encode("utf-16"))
    assert read(tmp_path / "latin1.txt")[0].text == "It costs £5 in café."
    assert read(tmp_path / "bom.txt")[0].title == "Title"
    assert read(tmp_path / "utf16.txt")[0].text == "Body ü"


def test_bbc_latin1_file_keeps_the_pound_sign():
    path = shared_path("data", "bbc", "raw", "sport", "199.txt")
    [article] = read(path)
    assert "£" in article.text


def test_binary_and_empty_files_are_skipped(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (tmp_path / "title-only.txt").write_text("Just a title\n", encoding="utf-8")
    assert [s.reason for s in read(tmp_path / "bin.txt")] == ["binary content"]
    assert [s.reason for s in read(tmp_path / "empty.txt")] == ["no article text"]
    assert [s.reason for s in read(tmp_path / "title-only.txt")] == ["no article text"]


def test_collect_files_walks_folders_and_counts_unknown_formats(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.txt").write_text("T\n\nBody", encoding="utf-8")
    (tmp_path / "a" / "y.pdf").write_bytes(b"%PDF")
    (tmp_path / "a" / ".hidden.txt").write_text("T\n\nBody", encoding="utf-8")
    (tmp_path / "a" / "README.md").write_text("# About\n\nThis folder holds articles.", encoding="utf-8")
    files, skips = collect_files([tmp_path / "a"])
    assert [f.name for f in files] == ["x.txt"]
    assert [s.reason for s in skips] == ["unsupported format '.pdf'"]


def test_missing_path_and_empty_folder_are_errors(tmp_path):
    with pytest.raises(InputError, match="path not found"):
        collect_files([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="folder is empty"):
        collect_files([tmp_path / "empty"])


@pytest.mark.parametrize("raw, expected", [
    ("2022-01-10", "2022-01-10"),
    ("January 10, 2022", "2022-01-10"),
    ("2022-01-10T12:30:00+02:00", "2022-01-10T10:30:00Z"),
    ("2022-01-10 12:30", "2022-01-10T12:30:00"),
    ("1641816000", "2022-01-10T12:00:00Z"),
    ("not a date", None),
    ("2022-13-45", None),
])
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_the_whole_bbc_set_is_indexed_with_no_skips(fake_embedder):
    from newssearch import Archive

    raw = shared_path("data", "bbc", "raw")
    with Archive.open(create=True) as archive:
        report = archive.index([raw])
        assert (report.files, report.added, report.skipped) == (2225, 2225, [])
        # About 130 stories appear twice in the set: each is stored once, the other as its copy.
        assert report.copies == 137
        [latin1] = [a for a in archive.store.articles(range(1, 2226)).values() if a.path.endswith("sport/199.txt")]
        _, paragraphs = archive.article(latin1.id)
        assert any("£" in p.text for p in paragraphs)
        assert archive.check()["ok"]


@pytest.mark.parametrize("raw", ["-1", "March", "Tuesday", "10 January", "2022"])
def test_a_date_missing_its_year_month_or_day_is_not_made_up(raw):
    assert parse_date(raw) is None


def test_an_emptied_file_loses_its_articles_and_an_unreadable_one_keeps_them(tmp_path, fake_embedder, monkeypatch):
    from newssearch import Archive

    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(f"Story {name}\n\nSomething happened in {name} today.", encoding="utf-8")
    (folder / "c.csv").write_text("title,text\nRow one,The first row's story.\n", encoding="utf-8")
    with Archive.open(create=True) as archive:
        assert archive.index([folder]).added == 3
        (folder / "a.txt").write_text("  \n", encoding="utf-8")
        (folder / "c.csv").write_text("title,text\n", encoding="utf-8")
        (folder / "b.txt").write_bytes(b"\x00\x01" * 50)  # damaged, not emptied: keep what it held
        report = archive.index([folder])
        assert report.removed == 2
        assert [a.title for a in archive.store.articles(range(1, 10)).values()] == ["Story b.txt"]
