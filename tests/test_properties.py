"""Property-based: random article texts and random queries never break indexing or
search, and every article indexed can be found again by its own words."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newssearch import Archive, FilterError

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
WORDY_TEXT = st.lists(st.text(alphabet=string.ascii_letters, min_size=3, max_size=10), min_size=5, max_size=80).map(
    " ".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(ANY_TEXT, WORDY_TEXT), min_size=1, max_size=6), queries=st.lists(ANY_TEXT, max_size=4))
def test_random_articles_and_queries(tmp_path_factory, fake_embedder, texts, queries):
    folder = tmp_path_factory.mktemp("articles")
    for n, text in enumerate(texts):
        (folder / f"{n}.txt").write_text(f"Title {n}\n\n{text}", encoding="utf-8", errors="surrogatepass")
    with Archive.open(tmp_path_factory.mktemp("index"), create=True) as archive:
        report = archive.index([folder])
        assert report.added + len(report.skipped) == len(texts)
        assert archive.check()["ok"]
        for query in queries:
            for mode in ("hybrid", "semantic", "keyword"):
                try:
                    hits = archive.search(query, k=3, mode=mode)
                except FilterError:  # a query without words is refused, by design
                    continue
                assert len(hits) <= 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=WORDY_TEXT)
def test_an_article_is_found_by_its_own_words(tmp_path_factory, fake_embedder, text):
    folder = tmp_path_factory.mktemp("articles")
    (folder / "target.txt").write_text(f"Target\n\n{text}", encoding="utf-8")
    (folder / "other.txt").write_text("Other\n\nzzzq yyyq xxxq wwwq vvvq uuuq", encoding="utf-8")
    with Archive.open(tmp_path_factory.mktemp("index"), create=True) as archive:
        archive.index([folder])
        hits = archive.search(text, k=1, mode="keyword")
        assert hits and hits[0].article.title == "Target"
