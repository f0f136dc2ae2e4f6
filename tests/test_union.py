"""Several index folders searched as one (`Archives`, `--index A --index B`): the same
hits, scores and paragraphs as one index holding all their articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from newssearch import Archive, Archives, IndexNotFoundError, InputError, ModelMismatchError, open_archive
from newssearch.cli.app import app as cli
from newssearch.index.storage.union import place_of, union_id
from newssearch.testing.fake import FAKE_MODEL
from newssearch.web import create_app

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUERIES = ["troop buildup", "interest rates", "russia ukraine border troops", "election", "oil prices", "the",
           "new president", "covid-19 vaccine", "semiconductor supply chain"]
FILTERS = [{}, {"since": "2022-01-01"}, {"sources": ["wiki"]}, {"until": "2020-01-01", "sources": ["news"]},
           {"recent": "30d"}, {"sort": "newest"}, {"places": ["washington"]}]


@pytest.fixture(scope="module")
def split(tmp_path_factory) -> tuple[Path, list[Path]]:
    """corpus/ in one index, and its files alternately in two (the same paths, so the
    same article keys)."""
    from newssearch.index.models import embedders
    from newssearch.testing.fake import FakeEmbedder

    embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
    root = tmp_path_factory.mktemp("split")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md")
    for name, paths in (("all", files), ("odd", files[1::2]), ("even", files[0::2])):
        with Archive.open(root / name, model=FAKE_MODEL, create=True) as archive:
            archive.index(paths)
    return root / "all", [root / "odd", root / "even"]


def hits(archive, query: str, **options) -> list[tuple]:
    return [(hit.article.key, hit.score, [p.text for p in hit.paragraphs], [c.key for c in hit.copies])
            for hit in archive.search(query, k=10, **options)]


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_two_indexes_rank_exactly_as_one_holding_all_their_articles(split, mode):
    one, parts = split
    with Archive.open(one) as single, Archives.open(parts) as both:
        for query in QUERIES:
            for where in FILTERS:
                expected = hits(single, query, mode=mode, group=False, **where)
                assert hits(both, query, mode=mode, group=False, **where) == expected, (query, where)


@pytest.mark.parametrize("listing", [0, 10**9], ids=["looked-up", "listed"])
def test_wide_filters_keep_the_same_hits_in_several_indexes_as_in_one(split, monkeypatch, listing):
    from newssearch.search import filtered

    monkeypatch.setattr(filtered, "WIDE", 0.0)  # every filter by checking the hits' articles
    monkeypatch.setattr(filtered, "LIST_PER_HIT", listing)
    one, parts = split
    with Archive.open(one) as single, Archives.open(parts) as both:
        for query in QUERIES:
            for where in FILTERS[1:4] + FILTERS[6:]:
                expected = hits(single, query, mode="semantic", group=False, **where)
                assert hits(both, query, mode="semantic", group=False, **where) == expected, (query, where)


def test_keyword_scores_use_the_unions_statistics(split):
    """Each index alone scores BM25 by its own statistics; the union matches the one
    index to the last bit, which neither part alone does."""
    one, parts = split
    with Archive.open(one) as single, Archives.open(parts) as both, Archive.open(parts[0]) as part:
        expected = {h.article.key: h.score for h in single.search("troop buildup border", k=30, mode="keyword",
                                                                   group=False)}
        union = {h.article.key: h.score for h in both.search("troop buildup border", k=30, mode="keyword",
                                                              group=False)}
        alone = {h.article.key: h.score for h in part.search("troop buildup border", k=30, mode="keyword",
                                                              group=False)}
    assert union == expected
    shared = set(alone) & set(expected)
    assert shared and any(alone[key] != expected[key] for key in shared)


def test_ids_say_which_index_and_articles_stories_similar_follow_them(split):
    _, parts = split
    with Archives.open(parts) as both, Archive.open(parts[1]) as second:
        hit = next(h for h in both.search("president", k=50) if place_of(h.article.id)[0] == 1)
        place, local = place_of(hit.article.id)
        assert hit.article.id == union_id(1, local)
        article, paragraphs = both.article(hit.article.id)
        own, own_paragraphs = second.article(local)
        assert article.key == own.key and [p.text for p in paragraphs] == [p.text for p in own_paragraphs]
        assert {p.article_id for p in paragraphs} == {hit.article.id}
        if own.doc_id:
            assert both.article(own.doc_id)[0].key == own.key
        story = both.story(hit.article.id)
        assert hit.article.id in [a.article.id for a in story.articles]
        assert [a.article.key for a in story.articles] == [a.article.key for a in second.story(local).articles]
        similar = both.similar(hit.article.id, k=5)
        assert similar and all(s.article.id != hit.article.id for s in similar)
        assert {place_of(s.article.id)[0] for s in both.similar(hit.article.id, k=20)} == {0, 1}


def test_the_command_line_searches_several_indexes(split):
    one, parts = split
    runner = CliRunner()
    alone = runner.invoke(cli, ["query", "troop buildup", "--no-group", "--json", "--index", str(one)])
    together = runner.invoke(cli, ["query", "troop buildup", "--no-group", "--json",
                                   "--index", str(parts[0]), "--index", str(parts[1])])
    assert alone.exit_code == together.exit_code == 0, together.output
    keys = lambda printed: [(hit["path"], hit["title"], hit["score"]) for hit in map(json.loads, printed.splitlines())]  # noqa: E731
    assert keys(together.stdout) == keys(alone.stdout)
    stats = json.loads(runner.invoke(cli, ["stats", "--json", "--index", str(parts[0]), "--index", str(parts[1])]).stdout)
    with Archive.open(one) as single:
        assert stats["articles"] == single.stats()["articles"] and stats["sources"] == single.stats()["sources"]


def test_the_web_api_serves_several_indexes(split):
    one, parts = split
    app = create_app(parts)
    try:
        with TestClient(app) as client, Archive.open(one) as single:
            found = client.get("/api/search", params={"q": "interest rates", "group": "false"}).json()["hits"]
            assert [h["title"] for h in found] == [h.article.title for h in single.search("interest rates",
                                                                                             group=False)]
            far = next(h for h in found if place_of(h["id"])[0] == 1)
            assert client.get(f"/api/articles/{far['id']}").json()["title"] == far["title"]
            assert client.get(f"/api/stories/{far['id']}").status_code == 200
    finally:
        app.state.runner.close()


def test_what_cannot_be_searched_together_is_one_clear_error(split, tmp_path):
    _, parts = split
    with pytest.raises(InputError, match="named twice"):
        Archives.open([parts[0], parts[0]])
    with pytest.raises(IndexNotFoundError):
        Archives.open([parts[0], tmp_path / "nowhere"])
    other = tmp_path / "other"
    with Archive.open(other, model="fake-hash-64-b", create=True) as archive:
        archive.store.set_settings({"model": "another-model", "dimension": 64})
    with pytest.raises(ModelMismatchError, match="one model"):
        Archives.open([parts[0], other])
    printed = CliRunner().invoke(cli, ["query", "x", "--index", str(parts[0]), "--index", str(other)])
    assert printed.exit_code == 1 and printed.stderr.count("\n") == 1 and "another-model" in printed.stderr
    assert isinstance(open_archive([parts[0]]), Archive)
