import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from newssearch import Archive, InputError, ModelMismatchError
from newssearch.index.storage.vector_files import PARAGRAPH_FILE
from newssearch.index.storage.vectors import FAISS_NAME

from conftest import FAKE_MODEL


def open_archive(path=None):
    return Archive.open(path, create=True)


def faiss_matches_sqlite(archive):
    return np.array_equal(archive.vectors.ids(), archive.store.paragraph_ids())


def test_index_reports_and_stores_articles(corpus, fake_embedder):
    with open_archive() as archive:
        report = archive.index([corpus])
        assert (report.files, report.added, report.unchanged, report.removed, len(report.skipped)) == (4, 5, 0, 0, 0)
        counts = archive.store.counts()
        assert counts["articles"] == 5
        assert counts["paragraphs"] == report.paragraphs_written
        assert faiss_matches_sqlite(archive)
        settings = archive.settings
        assert (settings["model"], settings["dimension"], settings["normalized"]) == (FAKE_MODEL, 64, True)
        troops = archive.store.articles_by_doc_id("a2")[0]
        assert (troops.title, troops.date, troops.source) == ("Tanks seen near the border", "2022-02-01", "Example Wire")


def test_reindexing_an_unchanged_corpus_embeds_nothing(corpus, fake_embedder):
    with open_archive() as archive:
        archive.index([corpus])
    fake_embedder.embedded.clear()
    with open_archive() as archive:
        report = archive.index([corpus])
    assert fake_embedder.embedded == []
    assert (report.added, report.updated, report.unchanged, report.removed, report.texts_embedded) == (0, 0, 5, 0, 0)


def test_changed_added_and_deleted_files(corpus, fake_embedder):
    kept = ("More than 100 countries pledged to cut methane emissions by 30 percent by the end of the decade, "
            "in a deal announced at the climate conference in Glasgow on Tuesday afternoon by the leaders.")
    added = ("A brand new closing paragraph about coal power stations was added to the story later in the day, "
             "after the leaders of the largest polluters said they would not sign the pledge on coal power.")
    climate = corpus / "2021-11-02-climate.txt"
    climate.write_text(f"Methane pledge\nDate: 2021-11-02\n\n{kept}\n", encoding="utf-8")
    with open_archive() as archive:
        archive.index([corpus])
        before = archive.store.counts()["articles"]
    climate.write_text(f"Methane pledge\nDate: 2021-11-02\n\n{kept}\n\n{added}\n", encoding="utf-8")
    (corpus / "sport" / "2020-03-01-football.md").unlink()
    (corpus / "new.txt").write_text("Fresh story\n\nAn election was called for the spring.", encoding="utf-8")
    fake_embedder.embedded.clear()
    with open_archive() as archive:
        report = archive.index([corpus])
        assert (report.added, report.updated, report.unchanged, report.removed) == (1, 1, 3, 1)
        assert archive.store.counts()["articles"] == before
        assert faiss_matches_sqlite(archive)
    # Only new texts were embedded: the unchanged paragraph of the updated article was reused.
    assert sorted(fake_embedder.embedded) == sorted([added, "Fresh story", "An election was called for the spring."])


def test_removal_is_limited_to_the_folders_given(corpus, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Other story\n\nSomething happened somewhere else entirely today.", encoding="utf-8")
    with open_archive() as archive:
        archive.index([corpus, other])
        report = archive.index([other])
        assert (report.unchanged, report.removed) == (1, 0)
        assert archive.store.counts()["articles"] == 6


def test_records_removed_from_a_jsonl_file_are_removed(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        feed = corpus / "feed.jsonl"
        feed.write_text(feed.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
        report = archive.index([feed])
        assert (report.unchanged, report.removed) == (1, 1)
        assert archive.store.articles_by_doc_id("a2") == []


def test_identical_paragraphs_are_embedded_once(tmp_path, fake_embedder):
    folder = tmp_path / "wire"
    folder.mkdir()
    shared = ("The wire service reported the same paragraph in every one of these stories today, word for word, "
              "as agencies do when several papers take the same copy from the same correspondent.")
    for n in range(3):
        (folder / f"{n}.txt").write_text(
            f"Story {n}\n\nUnique opening number {n} of this story is here, long enough to stand as a paragraph of "
            f"its own in the archive, with some more words about the news of the day.\n\n{shared}",
            encoding="utf-8")
    with open_archive() as archive:
        report = archive.index([folder])
        assert fake_embedder.embedded.count(shared) == 1
        assert archive.store.counts()["paragraphs"] == 9
        assert archive.store.counts()["vectors"] == 7
        assert report.texts_embedded == 7


def test_long_paragraphs_are_windowed_not_truncated(tmp_path, fake_embedder):
    sentence = "The committee heard evidence from many witnesses over several long days of hearings."
    (tmp_path / "long.txt").write_text("Long\n\n" + " ".join([sentence] * 10), encoding="utf-8")
    with open_archive() as archive:
        archive.index([tmp_path / "long.txt"])
        paragraphs = archive.store.article_paragraphs(1)
    windows = [p for p in paragraphs if p.position == 1]
    assert [p.part for p in windows] == list(range(len(windows))) and len(windows) > 1
    assert " ".join(p.text for p in windows) == " ".join([sentence] * 10)


def test_faiss_file_is_rebuilt_when_missing_or_stale(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        directory = archive.directory
    (directory / FAISS_NAME).unlink()
    with Archive.open() as archive:
        assert faiss_matches_sqlite(archive)
        assert archive.notices == ["vector index missing; rebuilt it from the stored vectors"]
    saved = directory / "saved.faiss"
    shutil.copy(directory / FAISS_NAME, saved)
    (corpus / "new.txt").write_text("New\n\nA new article about the weather arrived this morning.", encoding="utf-8")
    with Archive.open() as archive:
        archive.index([corpus])
    shutil.copy(saved, directory / FAISS_NAME)  # an older file than the data: as after a crash
    with Archive.open() as archive:
        assert faiss_matches_sqlite(archive)
        assert archive.notices == ["vector index out of date; rebuilt it from the stored vectors"]


def test_model_mismatch_is_refused(corpus):
    with open_archive() as archive:
        archive.index([corpus])
    with pytest.raises(ModelMismatchError, match="built with model 'fake-hash-64', not 'other-model'"):
        Archive.open(model="other-model")


def test_unreadable_file_keeps_its_articles(corpus, monkeypatch):
    with open_archive() as archive:
        archive.index([corpus])
    target = corpus / "2021-11-02-climate.txt"
    real_open = Path.open

    def open_file(path, *args, **kwargs):
        if path == target:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_file)
    with open_archive() as archive:
        report = archive.index([corpus])
        assert report.removed == 0 and report.unchanged == 4
        assert [str(s) for s in report.skipped] == [f"{target}: cannot read: Permission denied"]
        assert archive.store.counts()["articles"] == 5


def test_a_file_emptied_of_articles_loses_them(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        (corpus / "feed.jsonl").write_bytes(b"")
        report = archive.index([corpus])
        assert report.removed == 2


def test_index_errors(tmp_path):
    with open_archive() as archive:
        with pytest.raises(InputError, match="path not found"):
            archive.index([tmp_path / "missing"])
        with pytest.raises(InputError, match="nothing to index"):
            archive.index([])


def test_default_index_location(monkeypatch, tmp_path):
    from newssearch import default_index_dir

    monkeypatch.delenv("NEWSSEARCH_INDEX")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_index_dir() == tmp_path / "data" / "newssearch" / "index"
    monkeypatch.setenv("NEWSSEARCH_INDEX", "~/somewhere")
    assert default_index_dir() == Path("~/somewhere").expanduser()


def test_duplicate_ids_in_a_file_and_overlapping_paths(corpus):
    feed = corpus / "feed.jsonl"
    feed.write_text(feed.read_text(encoding="utf-8") + '{"id": "a1", "text": "Same id again."}\n', encoding="utf-8")
    with open_archive() as archive:
        report = archive.index([corpus, feed])
        assert report.files == 4 and report.added == 5
        assert [(s.line, s.reason) for s in report.skipped] == [(3, "duplicate article id 'a1'")]


def test_article_level_indexes_follow_every_change(corpus):
    from newssearch.search.filters import Filter
    from newssearch.search.keyword import article_keyword_search

    def consistent(archive):
        db = archive.store.db
        articles = {r[0] for r in db.execute("SELECT id FROM articles")}
        assert {r[0] for r in db.execute("SELECT rowid FROM articles_fts")} == articles
        assert {r[0] for r in db.execute("SELECT article_id FROM article_vectors")} == articles
        assert len(archive.article_vectors) == len(articles)
        leads = {r[0] for r in db.execute("SELECT article_id FROM paragraphs WHERE position = 1 AND part = 0")}
        assert set(archive.lead_vectors.ids()) == leads

    with open_archive() as archive:
        archive.index([corpus])
        consistent(archive)
        (corpus / "2021-11-02-climate.txt").write_text("Methane\n\nThe zeppelin pledge was signed.", encoding="utf-8")
        (corpus / "feed.jsonl").unlink()
        archive.index([corpus])
        consistent(archive)
        [(article_id, _)] = article_keyword_search(archive.store, "zeppelin", 10, Filter())
        assert archive.store.article(article_id).title == "Methane"


def test_a_faiss_file_with_other_ids_is_rebuilt(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        directory = archive.directory
        signature = archive.settings["faiss_file"]
        vectors = archive.vectors
        [first] = vectors.ids()[:1]
        vectors.remove([first])
        vectors.add(np.array([10_000], dtype=np.int64), np.ones((1, 64), dtype=np.float32))
        vectors.save(directory / FAISS_NAME)
    # Same size, mtime made to match: only the ids give it away.
    os.utime(directory / FAISS_NAME, ns=(signature["mtime_ns"], signature["mtime_ns"]))
    with Archive.open() as archive:
        assert faiss_matches_sqlite(archive)
        assert archive.notices == ["vector index inconsistent; rebuilt it from the stored vectors"]


def test_a_faiss_file_recorded_without_an_ids_digest_is_checked_against_sqlite(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        recorded = archive.settings["faiss_file"]
        assert len(recorded["ids_sha256"]) == 64
        # As an index saved by an older newssearch records it.
        archive.store.set_settings({"faiss_file": {k: v for k, v in recorded.items() if k != "ids_sha256"}})
    with Archive.open() as archive:
        assert faiss_matches_sqlite(archive) and archive.notices == []
        generation = archive.store.generation()
        archive.store.db.execute("DELETE FROM paragraphs WHERE id = (SELECT max(id) FROM paragraphs)")
        # As an index without the generation triggers (migration 006) could be left: same generation.
        archive.store.set_settings({"data_generation": generation})
    with Archive.open() as archive:
        assert faiss_matches_sqlite(archive)
        assert archive.notices == ["vector index inconsistent; rebuilt it from the stored vectors"]


def test_a_truncated_faiss_file_is_rebuilt(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        path = archive.directory / FAISS_NAME
    path.write_bytes(path.read_bytes()[:-100])
    with Archive.open() as archive:
        assert faiss_matches_sqlite(archive)
        assert archive.notices == ["vector index out of date; rebuilt it from the stored vectors"]
    with Archive.open() as archive:
        archive.vectors
        assert archive.notices == []


def test_a_rebuilt_faiss_file_is_not_saved_when_the_data_moved_on_meanwhile(corpus):
    with open_archive() as archive:
        archive.index([corpus])
        path = archive.directory / FAISS_NAME
        before = path.read_bytes()
        generation = archive.store.generation()
        archive.store.bump_generation()
        archive.derived.save(PARAGRAPH_FILE, archive.vectors, generation)
        assert path.read_bytes() == before and archive.settings["faiss_file"]["generation"] == generation
        assert not list(path.parent.glob("*.tmp"))
