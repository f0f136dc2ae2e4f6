"""Hyphenated words: "buildup" finds "build-up" and the other way round, in paragraphs
and whole articles, without losing the parts ("US-Russia" still finds "Russia")."""

from __future__ import annotations

from newssearch import Archive
from newssearch.index.storage.fts import joined_compounds, searchable
from newssearch.search.keyword import query_terms

TEXTS = {
    "hyphen.txt": "Military moves\n\nRussia continued the build-up of forces near the border on Monday.",
    "joined.txt": "Forces gather\n\nAnalysts watched the buildup of forces near the border all week.",
    "truce.txt": "Truce holds\n\nThe cease-fire held overnight, officials said, as talks went on.",
    "other.txt": "Markets\n\nShares rose as investors bought bank stocks before the holiday.",
}


def index(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    archive = Archive.open(tmp_path / "index", create=True)
    archive.index([folder])
    return archive


def names(hits):
    return {hit.article.path.rsplit("/", 1)[-1] for hit in hits}


def test_joined_compounds_and_query_terms():
    assert joined_compounds("A build-up, a cease-fire and COVID-19 state-of-the-art tests") == [
        "buildup", "ceasefire", "covid19", "stateoftheart"]
    assert searchable("no hyphens here") is None
    assert query_terms("troop build-up") == ["troop", "build", "up", "buildup"]


def test_each_spelling_finds_both(tmp_path, fake_embedder):
    with index(tmp_path) as archive:
        for query in ("buildup", "build-up"):
            assert names(archive.search(query, k=5, mode="keyword")) >= {"hyphen.txt", "joined.txt"}, query
        assert names(archive.search("ceasefire", k=5, mode="keyword")) == {"truce.txt"}
        assert names(archive.search("cease-fire", k=5, mode="keyword")) == {"truce.txt"}
        # Whole-article BM25 (one of hybrid's lists) holds the joined words too.
        ids = {hit.article.id: names([hit]) for hit in archive.search("buildup", k=5)}
        article_hits = archive.store.bm25_articles(["buildup"], 10, archive_filter())
        assert {next(iter(ids.get(a, {"?"}))) for a, _ in article_hits} == {"hyphen.txt", "joined.txt"}
        # The text shown is the text as written.
        hit = next(h for h in archive.search("buildup", k=5, mode="keyword") if names([h]) == {"hyphen.txt"})
        assert "build-up of forces" in hit.paragraphs[0].text and "buildup" not in hit.paragraphs[0].text
        assert archive.check()["ok"]


def test_an_index_from_before_compounds_is_upgraded(tmp_path, fake_embedder):
    with index(tmp_path) as archive:
        archive.store.db.execute("DELETE FROM _migrations WHERE name = '007_compound_words'")
        archive.store.db.execute("DROP TRIGGER paragraphs_ai")
    with Archive.open(tmp_path / "index") as archive:  # the migration runs again, whole
        assert names(archive.search("buildup", k=5, mode="keyword")) >= {"hyphen.txt", "joined.txt"}
        assert archive.check()["ok"]


def archive_filter():
    from newssearch.search.filters import Filter

    return Filter()
