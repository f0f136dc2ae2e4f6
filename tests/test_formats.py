"""Every input format on small samples written here: HTML, WARC, feeds, tables,
compressed files, stdin; the metadata every article gets; and end to end through
`Archive.index` and a keyword search."""

import bz2
import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.index.formats.metadata import complete, date_from_name, domain
from newssearch.index.formats.records import Article
from newssearch.index.formats.sources import ReadOptions, Skip, collect_files, read_file, read_stdin_jsonl

from newssearch.testing.warcs import article_paragraphs, html_page, write_warc

PARAGRAPHS = [
    "The harbour council voted on Tuesday to rebuild the old sea wall before the winter storms arrive.",
    "Engineers said the work would take eighteen months and cost more than four million pounds in total.",
    "Residents who live near the quay welcomed the decision but asked for the footpath to stay open.",
]


def read(path: Path, options: ReadOptions | None = None) -> tuple[list[Article], list[Skip]]:
    items = list(read_file(path, options))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Skip)]


def index_and_find(paths: list[Path], query: str, options: ReadOptions | None = None):
    with Archive.open(create=True) as archive:
        report = archive.index(paths, read_options=options)
        hits = archive.search(query, k=5, mode="keyword")
    return report, hits


# HTML -------------------------------------------------------------------------------

def test_html_main_text_and_metadata(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(html_page("Sea wall to be rebuilt", PARAGRAPHS, site="Coast Herald", author="Ann Lee",
                              date="2022-01-10"), encoding="utf-8")
    [article], skips = read(path)
    assert skips == []
    assert (article.title, article.date, article.author, article.source) == (
        "Sea wall to be rebuilt", "2022-01-10", "Ann Lee", "Coast Herald")
    assert article.text.split("\n\n")[-3:] == PARAGRAPHS
    assert "Subscribe" not in article.text and "Home" not in article.text
    assert article.key == str(path)


def test_html_declared_legacy_charset(tmp_path):
    page = html_page("Prices", ["The fare rose to £5 at the café, and the council said the rise was fair."],
                     date="2021-11-02").replace('charset="utf-8"', 'charset="windows-1252"')
    path = tmp_path / "p.htm"
    path.write_bytes(page.encode("cp1252"))
    [article], _ = read(path)
    assert "£5 at the café" in article.text


@pytest.mark.parametrize("content, reason", [
    (b"\x00\x01\x02\xff" * 500, "binary content"),
    (b"   \n  ", "no article text"),
    (b"<html><body><div><<<>>></div></html", "no article text found in the HTML"),
    (b"<<<<<<<>>>>>>" * 10, "no article text found in the HTML"),
])
def test_bad_html_is_skipped_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "bad.html"
    path.write_bytes(content)
    assert read(path) == ([], [Skip(str(path), reason)])


# WARC -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_response_records_become_articles(tmp_path, name):
    path = tmp_path / name
    uris = write_warc(path, 4)
    articles, skips = read(path)
    assert skips == []
    assert [a.url for a in articles] == uris
    first = articles[0]
    assert first.key.startswith(f"{path}#<urn:uuid:")
    assert (first.title, first.source, first.date, first.author) == (
        "Harbour story number 0", "Example News", "2022-01-10", "Jane Doe")
    assert first.metadata["crawl_date"] == "2022-01-11T08:00:00Z"
    assert first.text.split("\n\n")[-3:] == article_paragraphs(0)
    # fastwarc reads ahead in large blocks, so a small file is consumed by its first record
    assert 0 < sum(a.size for a in articles) <= path.stat().st_size


def test_warc_broken_record_is_skipped_and_reading_goes_on(tmp_path):
    path = tmp_path / "broken.warc"
    uris = write_warc(path, 5, broken_at=2)
    articles, skips = read(path)
    assert [a.url for a in articles] == uris and len(uris) == 4
    assert [(s.line, s.reason.split(" (")[0]) for s in skips] == [(3, "broken WARC record")]


def test_truncated_warc_gz_keeps_what_came_before(tmp_path):
    path = tmp_path / "cut.warc.gz"
    write_warc(path, 6)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) * 2 // 3])
    articles, skips = read(path)
    assert 2 <= len(articles) < 6
    assert skips[-1].line is None and skips[-1].reason.startswith("truncated or corrupt gzip file")


def test_warc_crawl_date_is_the_last_date_fallback(tmp_path):
    path = tmp_path / "nodate.warc"
    write_warc(path, 1)
    path.write_bytes(path.read_bytes().replace(b'<meta property="article:published_time" content="2022-01-10">',
                                               b" " * 62))
    [article], _ = read(path)
    assert article.date == "2022-01-11T08:00:00Z"


# Feeds ------------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Coast Herald</title><link>https://www.coastherald.example/</link>
<item><title>Sea wall to be rebuilt</title><link>https://www.coastherald.example/sea-wall</link>
<guid>sea-wall-1</guid><pubDate>Mon, 10 Jan 2022 09:30:00 +0100</pubDate><dc:creator>Ann Lee</dc:creator>
<description>Short summary.</description>
<content:encoded><![CDATA[<p>{0}</p><p>{1}</p><div class="ad">{2}</div>]]></content:encoded></item>
<item><title>Summary only</title><link>https://www.coastherald.example/summary</link>
<description>&lt;p&gt;A ferry strike stopped all crossings to the island for two days this week.&lt;/p&gt;</description>
</item>
<item><title>Nothing here</title></item>
</channel></rss>
""".format(*PARAGRAPHS)

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>
<entry><title>Bridge reopens</title><id>urn:wire:1</id><link href="https://wire.example/bridge"/>
<updated>2022-02-01T12:00:00Z</updated><author><name>Bo Chen</name></author>
<content type="html">&lt;p&gt;The bridge reopened to traffic after repairs to its deck were finished early.&lt;/p&gt;</content>
</entry></feed>
"""


def test_rss_entries_with_content_or_summary(tmp_path):
    path = tmp_path / "news.rss"
    path.write_text(RSS, encoding="utf-8")
    articles, skips = read(path)
    first, second = articles
    assert (first.key, first.title, first.url, first.date, first.author, first.source) == (
        f"{path}#sea-wall-1", "Sea wall to be rebuilt", "https://www.coastherald.example/sea-wall",
        "2022-01-10T08:30:00Z", "Ann Lee", "Coast Herald")
    assert first.text == "\n\n".join(PARAGRAPHS)
    assert second.text == "A ferry strike stopped all crossings to the island for two days this week."
    assert [(s.line, s.reason) for s in skips] == [(3, "feed entry has no text")]


def test_atom_feed_and_xml_that_is_not_a_feed(tmp_path):
    for name in ("wire.atom", "wire.xml"):
        (tmp_path / name).write_text(ATOM, encoding="utf-8")
    assert [a.key for a in read(tmp_path / "wire.atom")[0]] == [f"{tmp_path / 'wire.atom'}#urn:wire:1"]
    [article], _ = read(tmp_path / "wire.xml")
    assert (article.title, article.date, article.author, article.url) == (
        "Bridge reopens", "2022-02-01T12:00:00Z", "Bo Chen", "https://wire.example/bridge")
    (tmp_path / "data.xml").write_text("<?xml version='1.0'?><records><r>1</r></records>", encoding="utf-8")
    assert read(tmp_path / "data.xml") == ([], [Skip(str(tmp_path / "data.xml"), "not a feed")])


# Tables -----------------------------------------------------------------------------

def test_csv_columns_found_by_usual_names_in_any_case(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text('ID,Headline,Body,Published,URL,Lang\n'
                    f'n1,Sea wall,"{PARAGRAPHS[0]}\n\n{PARAGRAPHS[1]}",2022-01-10,https://www.herald.example/a,en\n'
                    'n2,No body,,2022-01-11,,en\n'
                    'n3,Too many,text,2022-01-12,u,en,extra\n', encoding="utf-8")
    articles, skips = read(path)
    [article] = articles
    assert (article.key, article.title, article.date, article.source, article.line) == (
        f"{path}#n1", "Sea wall", "2022-01-10", "herald.example", 2)
    assert article.text == f"{PARAGRAPHS[0]}\n\n{PARAGRAPHS[1]}"
    assert article.metadata == {"Lang": "en"}
    assert [(s.line, s.reason.split(" (")[0]) for s in skips] == [
        (5, "record has no text"), (6, "row has 7 fields, the header 6")]


def test_tsv_and_explicit_field_names(tmp_path):
    path = tmp_path / "export.tsv"
    path.write_text("story_key\tstory\theading\twhen\toutlet\tlink\n"
                    f"k9\t{PARAGRAPHS[2]}\tQuay path\t10/01/2022\tHerald\thttps://h.example/q\n", encoding="utf-8")
    assert read(path)[0] == []
    options = ReadOptions(text_field="STORY", title_field="heading", date_field="when", source_field="outlet",
                          url_field="link", id_field="story_key")
    [article], _ = read(path, options)
    assert (article.key, article.title, article.text, article.date, article.source, article.url) == (
        f"{path}#k9", "Quay path", PARAGRAPHS[2], "2022-10-01", "Herald", "https://h.example/q")


def test_read_options_apply_to_json_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"ref": "r1", "story": PARAGRAPHS[0], "body": "not this"}) + "\n", encoding="utf-8")
    [article], _ = read(path, ReadOptions(text_field="story", id_field="ref"))
    assert (article.key, article.text) == (f"{path}#r1", PARAGRAPHS[0])
    assert read(path, ReadOptions(text_field="missing"))[1][0].reason == "record has no text (looked for: missing)"


def test_csv_large_field_latin1_and_bad_row(tmp_path):
    path = tmp_path / "big.csv"
    big = "word " * 60_000  # over csv's default 128 KiB field limit
    path.write_bytes((f'title,text\nBig,"{big}"\nPrice,"It costs £5 in the café."\nBad,"unterminated\n')
                     .encode("latin-1"))
    articles, skips = read(path)
    assert [a.title for a in articles[:2]] == ["Big", "Price"]
    assert articles[1].text == "It costs £5 in the café."


def test_csv_mostly_utf8_with_a_stray_legacy_byte(tmp_path):
    path = tmp_path / "mixed.csv"
    rows = "".join(f"t{i},plain ascii row number {i}\n" for i in range(5000))
    path.write_bytes(b"title,text\n" + rows.encode() + "Caf\u00e9,\u00a35 caf\u00e9\n".encode("cp1252"))
    articles, _ = read(path)
    assert articles[-1].text == "£5 café"


# Compressed -------------------------------------------------------------------------

def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_gzip_bz2_and_zip_of_supported_formats(tmp_path):
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(jsonl({"id": "g1", "text": PARAGRAPHS[0]})))
    (tmp_path / "b.csv.bz2").write_bytes(bz2.compress(f"id,text\nb1,{PARAGRAPHS[1]}\n".encode()))
    with zipfile.ZipFile(tmp_path / "c.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2022-03-01-wall.txt", f"Wall\n\n{PARAGRAPHS[2]}")
        archive.writestr("inner/d.jsonl", jsonl({"id": "z1", "text": "zip jsonl"}, {"text": "second"}))
        archive.writestr("notes.pdf", b"%PDF")
        archive.writestr("__MACOSX/._x.txt", b"junk")
    [gz], _ = read(tmp_path / "a.jsonl.gz")
    assert (gz.key, gz.text) == (f"{tmp_path / 'a.jsonl.gz'}#g1", PARAGRAPHS[0])
    [b], _ = read(tmp_path / "b.csv.bz2")
    assert b.key.endswith("b.csv.bz2#b1")
    articles, skips = read(tmp_path / "c.zip")
    zip_path = tmp_path / "c.zip"
    assert [a.key for a in articles] == [f"{zip_path}::2022-03-01-wall.txt", f"{zip_path}::inner/d.jsonl#z1",
                                         f"{zip_path}::inner/d.jsonl#L2"]
    assert articles[0].date == "2022-03-01" and all(a.path == str(zip_path) for a in articles)
    assert [str(s) for s in skips] == [f"{zip_path}::notes.pdf: unsupported format '.pdf'"]
    assert sum(a.size for a in articles) <= zip_path.stat().st_size


def test_truncated_gzip_keeps_earlier_lines(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    lines = [{"id": f"r{i}", "text": f"record {i} " + os.urandom(200).hex()} for i in range(400)]
    data = gzip.compress(jsonl(*lines))
    path.write_bytes(data[:len(data) // 2])
    articles, skips = read(path)
    assert 10 < len(articles) < 400
    assert [a.doc_id for a in articles] == [f"r{i}" for i in range(len(articles))]
    assert skips[-1].reason.startswith("truncated or corrupt gzip file")


@pytest.mark.parametrize("name, content, reason", [
    ("x.jsonl.gz", b"not gzip at all", "not a readable gzip file"),
    ("x.txt.bz2", b"not bzip2", "not a readable bzip2 file"),
    ("x.zip", b"PK\x03\x04 broken", "not a readable zip file"),
])
def test_corrupt_archives_are_skipped(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    articles, skips = read(tmp_path / name)
    assert articles == [] and [s.reason.split(" (")[0] for s in skips] == [reason]


def test_compressed_file_of_an_unsupported_format_is_not_collected(tmp_path):
    (tmp_path / "a.pdf.gz").write_bytes(gzip.compress(b"%PDF"))
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"T\n\nBody"))
    files, skips = collect_files([tmp_path])
    assert [f.name for f in files] == ["b.txt.gz"]
    assert [s.reason for s in skips] == ["unsupported format '.gz'"]


# stdin ------------------------------------------------------------------------------

def test_stdin_jsonl_keys():
    stream = io.BytesIO(jsonl({"id": "s1", "text": "one"}, {"text": "two"}) + b"{broken\n")
    items = list(read_stdin_jsonl(stream))
    assert [i.key for i in items if isinstance(i, Article)] == ["stdin#s1", "stdin#L2"]
    assert [str(i) for i in items if isinstance(i, Skip)][0].startswith("stdin:3: invalid JSON")


def test_index_dash_reads_stdin_on_the_command_line():
    data = jsonl({"id": "p1", "title": "Piped", "text": PARAGRAPHS[0], "date": "2022-01-10"})
    result = CliRunner().invoke(app, ["index", "-", "--json"], input=data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 1
    with Archive.open() as archive:
        [hit] = archive.search("sea wall", mode="keyword")
        assert (hit.article.doc_id, hit.article.path) == ("p1", "stdin")


def test_field_options_on_the_command_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"ref,story\nc7,{PARAGRAPHS[1]}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["index", str(path), "--text-field", "story", "--id-field", "ref", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 1


# Metadata ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("2022-01-10-title.txt", "2022-01-10"),
    ("20220110_x.html", "2022-01-10"),
    ("story_2021.11.02.md", "2021-11-02"),
    ("2022-13-10-x.txt", None),
    ("1850-01-01.txt", None),
    ("id-123456789.txt", None),
    ("2022-01_10.txt", None),
    ("x20220110.txt", None),
    ("20221310.txt", None),
])
def test_date_from_file_name(name, expected):
    assert date_from_name(name) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://www.bbc.co.uk/news/x", "bbc.co.uk"), ("http://wire.example:8080/a", "wire.example"),
    ("not a url", None), (None, None), ("https://localhost/x", None),
])
def test_domain(url, expected):
    assert domain(url) == expected


def test_fallbacks_in_order_and_nfc():
    decomposed = "Cafe\u0301"
    article = Article(key="k", path="p", text=decomposed, title=decomposed, url="https://www.x.example/a",
                      metadata={"crawl_date": "2020-05-05T00:00:00Z"})
    complete(article, "2021-02-03-x.txt")
    assert (article.date, article.source, article.text, article.title) == ("2021-02-03", "x.example", "Café", "Café")
    article = Article(key="k", path="p", text="t", metadata={"crawl_date": "2020-05-05T00:00:00Z"})
    assert complete(article, "x.txt").date == "2020-05-05T00:00:00Z"
    article = Article(key="k", path="p", text="t", date="1999-01-01", source="Own")
    assert (complete(article, "2021-02-03.txt").date, article.source) == ("1999-01-01", "Own")


def test_file_date_is_never_the_modification_time(tmp_path):
    path = tmp_path / "undated.txt"
    path.write_text("Title\n\nBody text.", encoding="utf-8")
    [article], _ = read(path)
    assert article.date is None


def test_header_date_beats_file_name(tmp_path):
    path = tmp_path / "2020-01-01-story.txt"
    path.write_text("Title\nDate: 2022-01-10\n\nBody text.", encoding="utf-8")
    assert read(path)[0][0].date == "2022-01-10"


# Files that are not what they say ---------------------------------------------------

def test_collect_files_skips_links_loops_and_special_files(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "good.txt").write_text("T\n\nBody", encoding="utf-8")
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    os.mkfifo(root / "pipe.txt")
    (root / "folder.txt").mkdir()
    (root / "folder.txt" / "inner.md").write_text("# T\n\nBody", encoding="utf-8")
    files, skips = collect_files([root])
    assert [f.name for f in files] == ["good.txt", "inner.md"]
    assert sorted((Path(s.path).name, s.reason) for s in skips) == [
        ("dangling.txt", "broken symbolic link"), ("loop.txt", "symbolic link loop"),
        ("pipe.txt", "not a regular file")]


def test_odd_file_names(tmp_path):
    names = ["with space.txt", "new\nline.txt", "nön-äscii 新闻.html"]
    (tmp_path / names[0]).write_text(f"One\n\n{PARAGRAPHS[0]}", encoding="utf-8")
    (tmp_path / names[1]).write_text(f"Two\n\n{PARAGRAPHS[1]}", encoding="utf-8")
    (tmp_path / names[2]).write_text(html_page("Three", PARAGRAPHS[2:]), encoding="utf-8")
    files, _ = collect_files([tmp_path])
    assert sorted(f.name for f in files) == sorted(names)
    assert all(len(read(f)[0]) == 1 for f in files)


def test_unreadable_file_is_a_skip(tmp_path, monkeypatch):
    path = tmp_path / "secret.html"
    path.write_text(html_page("T", PARAGRAPHS), encoding="utf-8")
    real_open = Path.open

    def open_file(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_file)
    assert read(path) == ([], [Skip(str(path), "cannot read: Permission denied")])


@pytest.mark.parametrize("name", ["a.csv", "a.rss", "a.warc", "a.jsonl.gz"])
def test_binary_content_with_a_text_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00\x9f\x92\x96" * 2000)
    articles, skips = read(path)
    assert articles == [] and len(skips) >= 1


# End to end: each format indexed and found -----------------------------------------

def test_end_to_end_every_format(tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    (root / "2022-01-10-wall.html").write_text(
        html_page("Sea wall", ["Harbourmasters praised the granite breakwater design at length today."] + PARAGRAPHS),
        encoding="utf-8")
    write_warc(root / "crawl.warc.gz", 3)
    (root / "feed.rss").write_text(RSS.replace("ferry strike", "lighthouse keeper strike"), encoding="utf-8")
    (root / "table.csv").write_text("title,text,date\nOrchard,The cider orchard harvest doubled after "
                                    "a mild spring and a dry summer this year.,2021-09-01\n", encoding="utf-8")
    (root / "b.jsonl.bz2").write_bytes(bz2.compress(jsonl(
        {"id": "j1", "text": "The tramway extension opened to passengers on the first day of spring."})))
    with zipfile.ZipFile(root / "z.zip", "w") as archive:
        archive.writestr("2020-06-01-lido.md", "# Lido\n\nThe open air lido reopened with a heated pool and new "
                                               "changing rooms for swimmers.")
    report, _ = index_and_find([root], "x")
    assert [(s.line, s.reason) for s in report.skipped] == [(3, "feed entry has no text")]
    assert report.added == 1 + 3 + 2 + 1 + 1 + 1
    for query, expected in [("breakwater", "Sea wall"), ("harbour4 OR harbour2", "Harbour story number 2"),
                            ("lighthouse", "Summary only"), ("cider orchard", "Orchard"),
                            ("tramway", None), ("lido", "Lido")]:
        with Archive.open() as archive:
            hits = archive.search(query, k=3, mode="keyword")
        assert hits, query
        assert hits[0].article.title == expected, query
    with Archive.open() as archive:
        [hit] = archive.search("lido", mode="keyword")
        assert hit.article.date == "2020-06-01" and hit.article.path == str(root / "z.zip")
        [hit] = archive.search("breakwater", mode="keyword")
        assert (hit.article.date, hit.article.source) == ("2022-01-10", "Example News")


def test_reindexing_formats_is_unchanged_and_removal_follows_files(tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    write_warc(root / "crawl.warc", 3)
    (root / "feed.rss").write_text(RSS, encoding="utf-8")
    with Archive.open(create=True) as archive:
        first = archive.index([root])
        again = archive.index([root])
        (root / "feed.rss").unlink()
        gone = archive.index([root])
    assert (first.added, again.unchanged, again.added) == (5, 5, 0)
    assert gone.removed == 2


def test_a_parser_crash_on_one_page_is_a_skip(tmp_path, monkeypatch):
    from newssearch.index.formats import html

    def explode(text, url=None):
        raise RuntimeError("parser gave up")

    monkeypatch.setattr(html, "extract_page", explode)
    path = tmp_path / "p.html"
    path.write_text(html_page("T", PARAGRAPHS), encoding="utf-8")
    assert read(path)[1] == [Skip(str(path), "invalid HTML (RuntimeError: parser gave up)")]


@pytest.mark.parametrize("path, expected", [
    ("/archive/2022-01-10/000_8e24c4ccbe2509cc.txt", "2022-01-10"),
    ("/archive/2022/01/10/story.html", "2022-01-10"),
    ("/archive/20220110/story.txt", "2022-01-10"),
    ("/backup-2019-05-01/archive/story.txt", None),  # only the folder the file sits in
    ("/archive/2022/13/10/story.txt", None),
    ("story.txt", None),
])
def test_date_from_the_folder(path, expected):
    from newssearch.index.formats.metadata import date_from_folders

    assert date_from_folders(path) == expected


def test_a_file_name_date_wins_over_its_folder(tmp_path):
    folder = tmp_path / "2022-01-10"
    folder.mkdir()
    (folder / "2021-12-31-story.txt").write_text("Title\n\nBody text here.", encoding="utf-8")
    (folder / "story.txt").write_text("Title\n\nOther body text.", encoding="utf-8")
    assert [a.date for a in read_file(folder / "2021-12-31-story.txt")] == ["2021-12-31"]
    assert [a.date for a in read_file(folder / "story.txt")] == ["2022-01-10"]


def test_a_missing_library_is_one_error_not_a_skip_per_page(tmp_path, monkeypatch):
    from newssearch.errors import DependencyError
    from newssearch.index.formats import html

    def broken(*args, **kwargs):
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(html, "extract_page", broken)
    page = tmp_path / "p.html"
    page.write_text("<html><body><article><p>" + "A sentence about the news. " * 20 + "</p></article></body></html>",
                    encoding="utf-8")
    with pytest.raises(DependencyError, match="cannot be imported .*lxml_html_clean"):
        list(read_file(page))
    result = CliRunner().invoke(app, ["index", str(page)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: a library newssearch needs cannot be imported")
