"""Syndicated copy: the same story under several sources is stored once, and a hit
says where else it was published."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.search.evaluate import hit_ids

BODY = ("Floods closed the coastal road on Sunday after three days of heavy rain.\n\n"
        "Engineers said the bridge at the river mouth would stay shut until repairs are made.")


def story(folder: Path, name: str, source: str, body: str = BODY, title: str = "Floods close coastal road") -> Path:
    path = folder / name
    path.write_text(f"{title}\nSource: {source}\n\n{body}\n", encoding="utf-8")
    return path


def consistent(archive: Archive) -> None:
    assert archive.check()["ok"], archive.check()
    assert np.array_equal(archive.vectors.ids(), archive.store.paragraph_ids())


def test_a_copy_is_stored_once_and_shown_as_also_published_by(tmp_path):
    folder = tmp_path / "wires"
    folder.mkdir()
    story(folder, "a.txt", "Coast Wire")
    # Same body, other spacing and case, other headline and source.
    story(folder, "b.txt", "Valley Herald", BODY.upper().replace(" ", "  "), title="Coastal road shut by floods")
    story(folder, "c.txt", "Hill Times", "A different story about the harvest festival in the hills this week.")
    with Archive.open(create=True) as archive:
        report = archive.index([folder])
        assert (report.added, report.copies) == (3, 1)
        [hit] = [h for h in archive.search("bridge at the river mouth", k=5) if h.article.source == "Coast Wire"]
        assert [copy.source for copy in hit.copies] == ["Valley Herald"]
        assert all(h.article.source != "Valley Herald" for h in archive.search("bridge river", k=5))
        assert archive.store.db.execute("SELECT count(*) FROM paragraphs p JOIN articles a ON a.id = p.article_id "
                                        "WHERE a.source = 'Valley Herald'").fetchone()[0] == 0
        consistent(archive)
    result = CliRunner().invoke(app, ["query", "bridge at the river mouth"])
    assert "also published by Valley Herald" in result.stdout
    result = CliRunner().invoke(app, ["query", "bridge at the river mouth", "--json"])
    first = json.loads(result.stdout.splitlines()[0])
    assert [c["source"] for c in first["also_published_by"]] == ["Valley Herald"]


def test_when_the_original_goes_its_copy_takes_over_without_embedding(tmp_path, fake_embedder):
    folder = tmp_path / "wires"
    folder.mkdir()
    story(folder, "a.txt", "Coast Wire")
    story(folder, "b.txt", "Valley Herald")
    story(folder, "c.txt", "Hill Times")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        paragraph_ids = archive.store.paragraph_ids()
        (folder / "a.txt").unlink()
        fake_embedder.embedded.clear()
        report = archive.index([folder])
        assert (report.removed, fake_embedder.embedded) == (1, [])
        assert np.array_equal(archive.store.paragraph_ids(), paragraph_ids)  # same rows, handed over
        [hit] = archive.search("bridge at the river mouth", k=5)
        assert (hit.article.source, [c.source for c in hit.copies]) == ("Valley Herald", ["Hill Times"])
        consistent(archive)


def test_a_rewritten_original_leaves_its_old_body_to_its_copy(tmp_path):
    folder = tmp_path / "wires"
    folder.mkdir()
    story(folder, "a.txt", "Coast Wire")
    story(folder, "b.txt", "Valley Herald")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        story(folder, "a.txt", "Coast Wire", "Update: the coastal road reopened on Tuesday morning after repairs.")
        report = archive.index([folder])
        assert (report.updated, report.copies) == (1, 0)
        sources = {h.article.source: h.copies for h in archive.search("coastal road bridge repairs", k=5)}
        assert set(sources) == {"Coast Wire", "Valley Herald"} and not any(sources.values())
        consistent(archive)
        # The copy's body changes too, to the original's new one: a copy again.
        story(folder, "b.txt", "Valley Herald", "Update: the coastal road reopened on Tuesday morning after repairs.")
        report = archive.index([folder])
        assert (report.updated, report.copies) == (1, 1)
        [hit] = archive.search("coastal road reopened", k=5)
        assert [c.source for c in hit.copies] == ["Valley Herald"]
        consistent(archive)


def test_evaluation_reports_a_hit_as_all_its_copies_in_key_order_blind_to_the_answers():
    """A hit stands for its article and its syndicated copies: all of their ids, in key
    order, whatever the task's judgements say (the answer key must not shape a ranking)."""
    class Stored:
        def __init__(self, doc_id, key):
            self.doc_id, self.id, self.key = doc_id, 0, key

    class FakeHit:
        article, copies = Stored("a", "k2"), [Stored("b", "k3"), Stored("c", "k1")]

    assert hit_ids(FakeHit()) == ["c", "a", "b"]
    assert set(inspect.signature(hit_ids).parameters) == {"hit", "keyed_under"}  # no judgements come in


def test_a_copy_with_its_own_headline_gets_it_back_when_it_takes_over(tmp_path, fake_embedder):
    folder = tmp_path / "wires"
    folder.mkdir()
    story(folder, "a.txt", "Coast Wire")
    story(folder, "b.txt", "Valley Herald", title="Coastal road shut by floods")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        (folder / "a.txt").unlink()
        archive.index([folder])
        [hit] = archive.search("coastal road floods", k=5)
        assert hit.article.title == "Coastal road shut by floods"
        assert all(p.position > 0 for p in archive.article(hit.article.id)[1])  # the other's headline went
        consistent(archive)
        fake_embedder.embedded.clear()
        report = archive.index([folder])  # marked changed: its own headline is indexed
        assert report.updated == 1 and fake_embedder.embedded == ["Coastal road shut by floods"]
        headline = [p.text for p in archive.article(hit.article.id)[1] if p.position == 0]
        assert headline == ["Coastal road shut by floods"]
        consistent(archive)


def test_the_copy_with_the_smallest_key_holds_the_story_whatever_the_order_of_indexing(tmp_path):
    folder = tmp_path / "wires"
    folder.mkdir()
    story(folder, "b.txt", "Valley Herald")
    with Archive.open(create=True) as archive:
        archive.index([folder / "b.txt"])
        story(folder, "a.txt", "Coast Wire")
        report = archive.index([folder])
        assert report.copies == 0  # a.txt is written in full; b.txt becomes its copy
        [hit] = archive.search("bridge at the river mouth", k=5)
        assert (hit.article.source, [c.source for c in hit.copies]) == ("Coast Wire", ["Valley Herald"])
        consistent(archive)


def test_texts_a_copy_lets_go_of_keep_their_vectors_while_others_use_them(tmp_path):
    """A copy's own headline has no paragraph (no orphan vector is kept for it); an
    article displaced into a copy lets go of its headline while a later article of
    the same batch uses that very text (its vector must stay)."""
    folder = tmp_path / "wires"
    folder.mkdir()
    story(folder, "b.txt", "Valley Herald", title="Headline of b")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        story(folder, "a.txt", "Coast Wire", title="Headline of a")  # displaces b.txt
        story(folder, "c.txt", "Hill Times", "Another story entirely, about the harvest.", title="Headline of b")
        story(folder, "d.txt", "Dale News", title="A headline only this copy has")
        archive.index([folder])
        consistent(archive)
        ids = [int(i) for i in archive.store.paragraph_ids()]
        headlines = {p.text for p in archive.store.paragraphs(ids).values() if p.position == 0}
        assert headlines == {"Headline of a", "Headline of b"}
