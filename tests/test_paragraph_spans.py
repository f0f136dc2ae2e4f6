"""A filter lists the paragraphs of the articles it lets through from each article's
span of paragraph ids (schema 011, kept by triggers), and lets the date and source
indexes find those articles: the same paragraphs and articles as reading every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newssearch import Archive
from newssearch.index.storage.candidates import filter_sql
from newssearch.search.filters import Filter


def write(folder: Path, name: str, title: str, paragraphs: list[str], source: str = "Coast Wire",
          date: str = "2020-03-01") -> None:
    body = "\n\n".join(paragraphs)
    (folder / name).write_text(f"{title}\nSource: {source}\nDate: {date}\n\n{body}\n", encoding="utf-8")


def paragraphs_of_each(archive: Archive) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for paragraph_id, article_id in archive.store.db.execute("SELECT id, article_id FROM paragraphs ORDER BY id"):
        found.setdefault(article_id, []).append(paragraph_id)
    return found


def listed_as_by_reading_every_row(archive: Archive) -> None:
    expected = paragraphs_of_each(archive)
    store = archive.store
    for article_id, ids in expected.items():
        assert sorted(store.paragraph_ids_of([article_id]).tolist()) == ids
    everything = sorted(i for ids in expected.values() for i in ids)
    assert sorted(store.paragraph_ids_of(list(expected)).tolist()) == everything
    assert store.paragraph_ids_of([]).tolist() == []
    assert archive.check()["ok"], archive.check()


def test_spans_follow_articles_added_rewritten_removed_and_handed_to_a_copy(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    shared = ["Floods closed the coastal road on Sunday after heavy rain.",
              "Engineers said the bridge would stay shut until repairs are made."]
    write(folder, "a.txt", "Floods close road", shared)
    write(folder, "b.txt", "Road shut", shared, source="Valley Herald")  # a syndicated copy of a.txt
    write(folder, "c.txt", "Harvest", ["The harvest festival drew crowds.", "Prices of apples fell.",
                                       "Farmers were pleased."], date="2020-04-02")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        listed_as_by_reading_every_row(archive)
        write(folder, "c.txt", "Harvest", ["The harvest festival drew record crowds.", "Farmers were pleased."],
              date="2020-04-02")
        (folder / "a.txt").unlink()  # b.txt takes its paragraphs over
        write(folder, "d.txt", "Storm", ["A storm felled trees across the valley."], date="2020-05-03")
        archive.index([folder])
        assert archive.store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
        listed_as_by_reading_every_row(archive)


def test_an_article_whose_ids_are_not_one_run_is_read_paragraph_by_paragraph(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    write(folder, "a.txt", "Floods", [f"Paragraph {n} about the floods on the coast road." for n in range(5)])
    write(folder, "b.txt", "Storm", ["A storm felled trees across the valley."])
    with Archive.open(create=True) as archive:
        archive.index([folder])
        db = archive.store.db
        first = paragraphs_of_each(archive)[1]
        db.execute("DELETE FROM paragraphs WHERE id = ?", [first[2]])  # a gap in article 1's run
        text_hash = db.execute("SELECT text_hash FROM paragraphs WHERE id = ?", [first[0]]).fetchone()[0]
        db.execute("INSERT INTO paragraphs (article_id, position, part, text, text_hash) VALUES (1, 9, 0, 'x', ?)",
                   [text_hash])  # one after article 2's
        low, high, count = db.execute("SELECT first, last, count FROM paragraph_spans WHERE article_id = 1").fetchone()
        assert count == len(first) and high - low + 1 > count
        expected = paragraphs_of_each(archive)
        assert sorted(archive.store.paragraph_ids_of([1, 2]).tolist()) == sorted(expected[1] + expected[2])


def test_a_span_out_of_step_is_found_and_rebuilt(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    write(folder, "a.txt", "Floods", ["Floods closed the coastal road.", "The bridge stays shut."])
    with Archive.open(create=True) as archive:
        archive.index([folder])
        archive.store.db.execute("UPDATE paragraph_spans SET count = count + 1")
        archive.store.db.execute("INSERT INTO paragraph_spans VALUES (99, 1, 2, 2)")
        problems = archive.check()["problems"]
        assert any("paragraph spans disagree" in p for p in problems)
        assert any("paragraph spans belong to no paragraphs" in p for p in problems)
        assert archive.check(repair=True)["ok"]
        listed_as_by_reading_every_row(archive)


DATES = st.one_of(st.none(), st.text(alphabet="0123456789-T:Z +x/", max_size=14),
                  st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()))


@settings(max_examples=300, deadline=None)
@given(dates=st.lists(DATES, max_size=12), since=st.one_of(st.none(), st.dates().map(str)),
       until=st.one_of(st.none(), st.dates().map(str)))
def test_whole_date_comparisons_let_through_what_the_first_ten_characters_do(dates, since, until):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, date TEXT)")
    db.executemany("INSERT INTO articles (date) VALUES (?)", [(d,) for d in dates])
    condition, params = filter_sql(Filter(since, until))
    fast = db.execute(f"SELECT id FROM articles a WHERE {condition}", params).fetchall()
    slow = db.execute("SELECT id FROM articles WHERE (? IS NULL OR substr(date, 1, 10) >= ?) "
                      "AND (? IS NULL OR substr(date, 1, 10) <= ?)", [since, since, until, until]).fetchall()
    assert fast == slow


def test_sources_and_places_are_matched_by_their_stored_values_as_by_substring(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    for n, source in enumerate(["Coast Wire", "COAST WIRE", "Valley Herald", "Île Presse", "île presse"]):
        write(folder, f"{n}.txt", f"Story {n}", [f"Story number {n} from {source} about the valley."], source=source)
    with Archive.open(create=True) as archive:
        archive.index([folder])
        store = archive.store
        for sources in (["coast"], ["wire", "herald"], ["Île"], ["île"], ["nothing"]):
            where = Filter(sources=tuple(sources))
            needles = [s.lower() for s in sources]
            expected = sorted(i for i, source in store.db.execute("SELECT id, source FROM articles")
                              if any(n in source.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                                                         "abcdefghijklmnopqrstuvwxyz"))
                                     for n in needles))
            assert sorted(store.filtered_article_ids(where).tolist()) == expected, sources
