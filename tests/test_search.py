import json
import os
import re
import time

import pytest

from newssearch import Archive, FilterError
from newssearch.search.keyword import fts_expression


@pytest.fixture
def archive(corpus):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        yield archive


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_each_mode_finds_the_troop_stories(archive, mode):
    hits = archive.search("troop buildup near the border", k=3, mode=mode)
    assert {hit.article.title for hit in hits[:2]} == {"Russia masses troops near Ukraine", "Tanks seen near the border"}
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))


def test_hits_carry_their_best_paragraphs_and_metadata(archive):
    [hit] = archive.search("methane emissions pledge", k=1)
    assert hit.article.title == "Leaders pledge to cut methane at climate summit"
    assert hit.article.date == "2021-11-02" and hit.article.source == "Daily Planet"
    assert "methane emissions" in hit.paragraphs[0].text and hit.paragraphs[0].position == 1
    record = hit.to_dict()
    assert json.loads(json.dumps(record))["paragraphs"][0]["position"] == 1
    assert record["path"].endswith("2021-11-02-climate.txt")


@pytest.mark.parametrize("query", [
    '"unbalanced quote', "troops NEAR border", "troops AND", "tank*", "source:wire", "((border", "a OR", "-minus",
    "NOT", "^start", "col:", "{braces}", "'; DROP TABLE articles; --",
])
def test_fts_syntax_in_user_text_is_searched_as_words(archive, query):
    for mode in ("keyword", "hybrid"):
        archive.search(query, k=3, mode=mode)
    assert archive.store.counts()["articles"] == 5


def test_fts_expression_quotes_every_word():
    assert fts_expression('troops NEAR "border" (a:b*') == '"troops" OR "near" OR "border" OR "a" OR "b"'
    assert fts_expression("?!") is None


def test_a_query_without_words_is_refused(archive):
    with pytest.raises(FilterError, match="no words"):
        archive.search("?!*", mode="keyword")


def test_source_and_date_filters(archive):
    hits = archive.search("border", k=10, sources=["example wire"])
    assert {h.article.source for h in hits} == {"Example Wire"}
    hits = archive.search("border", k=10, since="2022-01-15")
    assert all(h.article.date >= "2022-01-15" for h in hits) and len(hits) == 2
    hits = archive.search("border", k=10, until="2021-12-31")
    assert {h.article.title for h in hits} <= {"Leaders pledge to cut methane at climate summit", "Cup final postponed"}


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "yesterday"}, "invalid date for --since: 'yesterday'"),
    ({"until": "2022-02-30"}, "invalid date for --until"),
    ({"since": "2022-02-01", "until": "2022-01-01"}, "is after --until"),
    ({"mode": "fuzzy"}, "unknown search mode"),
    ({"k": 0}, "at least 1"),
])
def test_bad_filters(archive, kwargs, message):
    with pytest.raises(FilterError, match=message):
        archive.search("border", **kwargs)


def test_a_selective_filter_still_returns_k_hits(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        (folder / f"a{n}.txt").write_text(
            f"Flood story {n}\nSource: Big Paper\nDate: 2020-01-01\n\nHeavy rain flooded the river valley again, "
            f"number {n}.", encoding="utf-8")
    for n in range(5):
        (folder / f"b{n}.txt").write_text(
            f"Weather note {n}\nSource: Small Paper\nDate: 2021-06-0{n + 1}\n\nSome rain is expected later this week "
            f"in the hills, note {n}.", encoding="utf-8")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        for mode in ("hybrid", "semantic", "keyword"):
            # Not grouped: these near-copies are one story (the test is of the filter).
            hits = archive.search("heavy rain flooded the river", k=5, mode=mode, sources=["small"], group=False)
            assert len(hits) == 5 and {h.article.source for h in hits} == {"Small Paper"}, mode
            hits = archive.search("heavy rain flooded the river", k=5, mode=mode, since="2021-01-01", group=False)
            assert len(hits) == 5, mode
        assert len(archive.search("rain", k=100, group=False)) == 65


def test_search_on_an_empty_index_returns_nothing(tmp_path):
    with Archive.open(create=True) as archive:
        assert archive.search("anything") == []


@pytest.mark.parametrize("article_lists", [(), ("dense",), ("keyword",), ("lead",), ("dense", "keyword", "lead")])
@pytest.mark.parametrize("fusion", ["scores", "rrf"])
def test_every_list_combination_searches(archive, article_lists, fusion):
    hits = archive.searcher().search("troop buildup near the border", k=2, fusion=fusion, article_lists=article_lists)
    assert len(hits) == 2
    assert {h.article.title for h in hits} <= {"Russia masses troops near Ukraine", "Tanks seen near the border",
                                               "Central bank raises interest rates"}


def test_a_forked_child_searches_in_hybrid_mode(corpus):
    """The side lists' thread is per process: a child forked after a search must not wait
    for a thread it did not inherit."""
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        expected = [h.article.id for h in archive.search("troop buildup", k=3)]
        directory = archive.directory
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            with Archive.open(directory) as again:
                code = 0 if [h.article.id for h in again.search("troop buildup", k=3)] == expected else 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(child, 9)
    os.waitpid(child, 0)
    pytest.fail("the forked child's hybrid search hung")


@pytest.mark.parametrize("per_id", [40, 0])  # 0: every id looked up in FTS5 (a word in too many articles)
def test_articles_containing_reads_the_list_or_looks_each_id_up(archive, monkeypatch, per_id):
    from newssearch.index.storage import candidates

    monkeypatch.setattr(candidates, "WHOLE_LIST_PER_ID", per_id)
    titles = {a.id: a.title for a in archive.store.articles(range(1, 20)).values()}
    found = archive.store.articles_containing(["troop", "troops"], list(titles))
    expected = {i for i, title in titles.items() if "troops" in title.lower()}
    assert expected and expected <= found <= set(titles)
    texts = {i: " ".join(p.text for p in archive.store.article_paragraphs(i)) for i in titles}
    assert found == {i for i, text in texts.items() if re.search(r"\btroops?\b", text.lower())}
    assert archive.store.articles_containing(["zzzunheard"], list(titles)) == set()
    assert archive.store.articles_containing(["troops"], []) == set()


def test_terms_in_half_the_rows_are_left_out_of_the_match_without_changing_the_ranking(tmp_path, monkeypatch):
    from newssearch.index.storage.candidates import Candidates
    from newssearch.search.filters import Filter

    folder = tmp_path / "common"
    folder.mkdir()
    for n in range(30):
        topic = "troops gathered at the border" if n % 3 == 0 else "the harvest was good this year"
        (folder / f"a{n}.txt").write_text(f"Report {n}\n\nIn the north {topic}, report number {n}.", encoding="utf-8")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        store = archive.store
        terms = ["troops", "at", "the", "border"]
        assert store.telling_terms(terms, "paragraphs_fts") == ["troops", "at", "border"]  # "the": every row
        assert store.telling_terms(["the"], "paragraphs_fts") == ["the"]
        assert store.telling_terms(["the", "north"], "paragraphs_fts") == ["the", "north"]  # all common: all kept
        pruned = store.bm25_paragraphs(terms, 5, Filter())
        pruned_all = store.bm25_paragraphs(terms, 100, Filter())  # more than match "troops": filled up
        monkeypatch.setattr(Candidates, "telling_terms", lambda self, terms, table: list(terms))
        full = store.bm25_paragraphs(terms, 5, Filter())
        full_all = store.bm25_paragraphs(terms, 100, Filter())
        assert [p for p, _, _ in pruned] == [p for p, _, _ in full]
        assert all(abs(a[2] - b[2]) < 1e-4 for a, b in zip(pruned, full))
        assert pruned_all == full_all and len(full_all) == 30


def test_concurrent_searches_each_on_one_thread_answer_as_one_search_alone(archive):
    """A search among others in this process ranks its keyword lists on its own thread
    (searcher._InFlight): the answers are those of a search alone."""
    import threading

    queries = ["troop buildup near the border", "interest rates", "methane emissions pledge", "tanks"]
    alone = {q: [h.to_dict() for h in archive.search(q, k=3)] for q in queries}
    found: dict[str, list] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(queries))

    def search(query: str) -> None:
        try:
            with Archive.open(archive.directory) as own:
                start.wait()
                for _ in range(5):
                    found[query] = [h.to_dict() for h in own.search(query, k=3)]
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=search, args=(q,)) for q in queries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and found == alone


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16_383, 16_384, 2**21 + 5, 2**35 + 7, 2**56 + 3, 2**63 - 1])
def test_fts_row_count_reads_sqlite_varints(value):
    from newssearch.index.storage.term_counts import row_count

    def varint(v: int) -> bytes:  # SQLite's encoding, as FTS5 writes it
        if v > 0x00FFFFFFFFFFFFFF:
            out = [v & 0xFF]
            v >>= 8
            for _ in range(8):
                out.append((v & 0x7F) | 0x80)
                v >>= 7
            return bytes(reversed(out))
        groups = [v & 0x7F]
        v >>= 7
        while v:
            groups.append((v & 0x7F) | 0x80)
            v >>= 7
        return bytes(reversed(groups))

    assert row_count(varint(value) + b"\x05\x07") == value


def test_the_row_count_is_the_keyword_index_s(archive):
    from newssearch.index.storage.term_counts import averages_record, row_count

    paragraphs = archive.store.db.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
    assert row_count(averages_record(archive.store.db, "paragraphs_fts")) == paragraphs
    with pytest.raises(ValueError):
        averages_record(archive.store.db, "articles; DROP TABLE articles")
