"""The keyword index (index/storage/keywords.py): tantivy kept in step with SQLite,
used only when current, rebuilt when lost, checked and repaired; FTS5 otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newssearch import Archive
from newssearch.index.storage.keywords import FOLDER, KeywordFilter, KeywordIndex, day_number
from newssearch.search.filters import Filter
from newssearch.search.keyword import query_terms
from newssearch.testing.crash import keyword_content

FILTERS = [Filter(), Filter.parse("2022-02-01", None, None, None), Filter.parse(None, "2022-02-01", None, None),
           Filter.parse(None, None, ["wire"], None), Filter.parse(None, None, ["no such source"], None),
           Filter.parse("2022-01-01", "2022-03-31", ["example", "money"], None),
           Filter.parse("2022-01-05", "2022-01-20", None, None),  # matched as the set of its days
           Filter.parse("1990-01-01", "2030-12-31", None, None),  # longer than DAY_TERMS: as a range
           Filter.parse("2030-01-01", None, None, None), Filter.parse(None, "1990-01-01", None, None)]
QUERIES = ["troops near the border", "interest rates", "the", "sanctions against Moscow", "build-up"]


def indexed(corpus: Path, index: Path) -> Archive:
    archive = Archive.open(index, create=True)
    archive.index([corpus])
    return archive


def both_engines(archive: Archive, query: str, where: Filter, limit: int = 1000) -> tuple[set, set]:
    """What the keyword index and FTS5 each match for the query (ids of paragraphs
    and of articles)."""
    store = archive.store
    terms = query_terms(query)
    store.keywords = archive.keywords
    assert store.keywords is not None
    tantivy = ({p for p, _, _ in store.bm25_paragraphs(terms, limit, where)},
               {a for a, _ in store.bm25_articles(terms, limit, where)})
    store.keywords = None
    fts5 = ({p for p, _, _ in store.bm25_paragraphs(terms, limit, where)},
            {a for a, _ in store.bm25_articles(terms, limit, where)})
    return tantivy, fts5


def test_indexing_keeps_the_keyword_index_current_and_search_uses_it(corpus, isolated):
    with indexed(corpus, isolated) as archive:
        keywords = archive.keywords
        assert keywords is not None and keywords.current(archive.store)
        assert keywords.problems(archive.store) == []
        assert not archive.store.keyword_changes_pending()
        archive.searcher()
        assert archive._keyword_store.keywords is keywords
        hits = archive.search("troops moved close to the border", mode="keyword")
        assert "Russia masses troops near Ukraine" in [hit.article.title for hit in hits[:2]]


@pytest.mark.parametrize("where", FILTERS, ids=range(len(FILTERS)))
def test_the_keyword_index_matches_what_fts5_matches_within_each_filter(corpus, isolated, where):
    with indexed(corpus, isolated) as archive:
        for query in QUERIES:
            if query == "the" and not where.active:
                continue  # FTS5 leaves out a word in half the rows unless the list is short
            tantivy, fts5 = both_engines(archive, query, where)
            assert tantivy == fts5, (query, where)


def test_changed_and_removed_articles_are_rewritten(corpus, isolated):
    with indexed(corpus, isolated) as archive:
        (corpus / "2022-01-10-troops.txt").write_text(
            "Russia withdraws troops\nDate: 2022-01-12\nSource: Other Wire\n\nThe pullback of armoured "
            "columns surprised analysts.\n", encoding="utf-8")
        (corpus / "feed.jsonl").unlink()
        archive.index([corpus])
        assert archive.keywords is not None and archive.keywords.problems(archive.store) == []
        hits = archive.search("pullback armoured columns", mode="keyword")
        assert hits[0].article.title == "Russia withdraws troops" and hits[0].article.source == "Other Wire"
        assert not archive.search("central bank interest rates", mode="keyword", sources="money")
        assert archive.search("pullback", mode="keyword", sources="other wire", since="2022-01-12")
        assert not archive.search("pullback", mode="keyword", sources="example wire")


def test_while_a_writer_works_search_uses_the_index_less_the_articles_noted_since(corpus, isolated):
    """Pending changes (a writer at work): the keyword index as of its last update, the
    changed articles left out of what it finds (FTS5 at 10M paragraphs takes seconds a
    search); FTS5 when the index was written by another version; the next writer (or
    open that may write) catches up."""
    with indexed(corpus, isolated) as archive:
        renamed = {row[0] for row in archive.store.db.execute("SELECT id FROM articles WHERE source = 'Example Wire'")}
        assert renamed
        before = {hit.article.id for hit in archive.search("troops", mode="keyword", k=50)}
        archive.store.db.execute("UPDATE articles SET source = 'Renamed Wire' WHERE source = 'Example Wire'")
        assert archive.store.keyword_changes_pending()
        assert not archive.keywords.current(archive.store)
        archive.refresh()  # the data generation moved on: the keyword index is opened again
        with archive._lock:  # as while a writer works: nobody else brings it up to date
            archive._lock.held_elsewhere = lambda: True  # type: ignore[method-assign]
            assert archive.keywords is not None and archive._keywords_behind
            during = {hit.article.id for hit in archive.search("troops", mode="keyword", k=50)}
            assert during == before - renamed and before & renamed
            assert not archive.search("troops", mode="keyword", sources="renamed"), "noted articles are left out"
            archive.refresh()  # still pending: the same index, still behind
            assert archive._keywords_behind
            settings = archive.store.settings()["keyword_index"]
            archive.store.set_settings({"keyword_index": {**settings, "version": -1}})
            archive.refresh()
            archive._keywords_checked = False
            assert archive.keywords is None  # another version's index: FTS5, which sees the change
            assert {hit.article.id for hit in archive.search("troops", mode="keyword", sources="renamed")} <= renamed
            assert archive.search("troops", mode="keyword", sources="renamed")
            archive.store.set_settings({"keyword_index": settings})
        del archive._lock.held_elsewhere
    with Archive.open(isolated) as reopened:  # the next open may write: it catches up
        assert reopened.keywords is not None and not reopened.store.keyword_changes_pending()
        assert not reopened._keywords_behind
        assert reopened.search("troops", mode="keyword", sources="renamed")
        assert reopened.keywords.problems(reopened.store) == []


def test_a_lost_or_damaged_keyword_index_is_rebuilt_on_open(corpus, isolated):
    with indexed(corpus, isolated) as archive:
        expected = keyword_content(archive)
    shutil.rmtree(isolated / FOLDER)
    with Archive.open(isolated) as archive:
        assert keyword_content(archive) == expected
    (isolated / FOLDER / "paragraphs" / "meta.json").write_text("not json", encoding="utf-8")
    with Archive.open(isolated) as archive:
        assert keyword_content(archive) == expected
        assert archive.check()["ok"]


def test_check_finds_a_keyword_index_that_differs_and_repair_rebuilds_it(corpus, isolated):
    with indexed(corpus, isolated) as archive:
        expected = keyword_content(archive)
        keywords = archive.keywords
        writer = keywords.paragraphs.index.writer(heap_size=15_000_000, num_threads=1)
        first = keywords.paragraphs.ids()[0]
        writer.delete_documents_by_term("id", first)
        writer.add_document(__import__("tantivy").Document(text="ghost paragraph", id=10**9, article=0))
        writer.commit()
        writer.wait_merging_threads()
        keywords.reload()
        assert keywords.current(archive.store)  # same counts: only the deep check can tell
        result = archive.check()
        assert not result["ok"] and any("keyword index" in p for p in result["problems"])
        repaired = archive.check(repair=True)
        assert repaired["ok"], repaired
        assert "rebuilt the keyword index from the stored text" in repaired["repaired"]
        assert keyword_content(archive) == expected


def test_the_keyword_index_follows_an_index_without_one(corpus, isolated):
    """An index written before the keyword index existed (no record) gets one on open."""
    with indexed(corpus, isolated) as archive:
        expected = keyword_content(archive)
        archive.store.db.execute("DELETE FROM settings WHERE key = 'keyword_index'")
    shutil.rmtree(isolated / FOLDER)
    with Archive.open(isolated) as archive:
        assert keyword_content(archive) == expected


def test_day_numbers():
    assert day_number("2022-01-10") == 20220110
    assert day_number("2022-01-10T08:00:00Z") == 20220110
    assert day_number("2022-01") is None and day_number(None) is None


def test_a_short_day_range_is_the_set_of_its_days():
    assert KeywordFilter(20240227, 20240302).days() == [20240227, 20240228, 20240229, 20240301, 20240302]
    assert KeywordFilter(20211231, 20220101).days() == [20211231, 20220101]
    assert KeywordFilter(20220101, None).days() is None and KeywordFilter(None, 20220101).days() is None
    assert KeywordFilter(19000101, 20220101).days() is None  # longer than DAY_TERMS: a range query
    assert KeywordFilter(20220102, 20220101).empty


def test_an_open_day_range_closes_at_the_archive_s_first_and_last_day(corpus, isolated):
    with indexed(corpus, isolated) as archive:
        oldest, newest = (day_number(d) for d in archive.store.db.execute(
            "SELECT min(date), max(date) FROM articles").fetchone())
        assert archive.store.keyword_filter(Filter.parse("1990-01-01", None, None, None)) == \
            KeywordFilter(oldest, newest)
        assert archive.store.keyword_filter(Filter.parse(None, "2030-01-01", None, None)).days() is not None
        assert archive.store.keyword_filter(Filter.parse("2030-01-01", None, None, None)).empty


def test_keyword_index_open_without_create_refuses_a_missing_folder(tmp_path):
    from newssearch.index.storage.keywords import KeywordIndexError

    with pytest.raises(KeywordIndexError):
        KeywordIndex.open(tmp_path / "none")


def test_stats_say_whether_the_keyword_index_is_current(corpus, isolated):
    with indexed(corpus, isolated) as archive:
        assert archive.stats()["keyword_index"] == "current"
        archive.store.db.execute("UPDATE articles SET source = 'Other' WHERE source = 'Example Wire'")
        assert archive.stats()["keyword_index"] == "behind (2 articles to rewrite)"
    shutil.rmtree(isolated / FOLDER)
    with Archive.open(isolated) as archive:
        assert archive.stats()["keyword_index"] == "missing"


def test_common_words_are_left_out_of_the_match_as_fts5_leaves_them_out(corpus, isolated):
    """A word in half the paragraphs or more (FTS5's IDF for it: 1e-6) is not matched
    unless the other words find too few: the best are those of matching every word,
    their scores to within the 1e-6 weights left out."""
    from newssearch.index.storage.keywords import idf_boost, is_common

    with indexed(corpus, isolated) as archive:
        part, anything = archive.keywords.paragraphs, archive.store.keyword_filter(Filter())
        documents = part.totals()[0]
        assert is_common(documents, part.searcher.doc_freq("text", "the")), "'the' is in half the paragraphs"
        tokens = archive.keywords.tokens(query_terms("troops near the border"))
        boosts = {t: idf_boost(documents, part.searcher.doc_freq("text", t)) for t in tokens}
        every_word = part.best(part.query(tokens, boosts), anything, 3)
        searched = part.search(tokens, 3, anything)
        # (paragraphs whose scores differed only by the common word now tie, in either order)
        assert {d for d, _ in searched} == {d for d, _, _ in every_word}
        assert [s for _, s in searched] == pytest.approx([s for _, s, _ in every_word], abs=1e-5)
        assert min(s for _, s in searched) > 1e-3
        # Asked for more than the other words find: the common word is matched too.
        assert len(part.search(tokens, documents, anything)) == len(part.best(part.query(tokens, boosts), anything,
                                                                             documents))


def test_a_long_index_run_brings_the_keyword_index_up_to_date_as_it_goes(corpus, isolated, monkeypatch):
    """Every KEYWORDS_EVERY seconds after a batch is committed: searches meanwhile (which
    leave out the articles noted since the last update) miss only the latest batches."""
    from newssearch import archive as archive_module
    from newssearch.index import indexer

    monkeypatch.setattr(archive_module, "KEYWORDS_EVERY", 0.0)
    monkeypatch.setattr(indexer, "ARTICLES_PER_BATCH", 1)
    pending_after_update = []
    bring_up_to_date = KeywordIndex.bring_up_to_date

    def spy(self, store, rebuild=False):
        done = bring_up_to_date(self, store, rebuild)
        pending_after_update.append(store.keyword_changes_pending())
        return done

    monkeypatch.setattr(KeywordIndex, "bring_up_to_date", spy)
    with indexed(corpus, isolated) as archive:
        articles = archive.store.counts()["articles"]
        assert len(pending_after_update) >= articles, "one update a batch, and one at the end"
        assert not any(pending_after_update)
        assert archive.keywords.current(archive.store) and archive.keywords.problems(archive.store) == []
