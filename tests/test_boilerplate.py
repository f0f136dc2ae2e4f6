"""Boilerplate is recognised by how often a source repeats a paragraph, and kept out."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.index.boilerplate import leave_out

WORDS = ("council budget river school harbour festival transport hospital market library election police "
         "bridge museum farmers weather energy housing stadium theatre").split()
# Lines one source adds to its articles; nothing in the code lists these phrases.
SIGN_OFFS = ["Source: Read Full Article on the Harbour Gazette website.",
             "Subscribe to our morning newsletter for more stories like this one."]


def stories(folder: Path, source: str, count: int, seed: int, extra: list[str]) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        body = [" ".join(rng.choice(WORDS) for _ in range(25)) + f" in report {seed}-{n}." for _ in range(3)]
        (folder / f"{source[:4]}-{n:03}.txt").write_text(
            f"{source} story {n}\nSource: {source}\n\n" + "\n\n".join(body[:2] + extra + body[2:]), encoding="utf-8")


def test_paragraphs_a_source_repeats_are_left_out(tmp_path, fake_embedder):
    stories(tmp_path / "gazette", "Harbour Gazette", 30, 1, SIGN_OFFS)
    # Another source repeats the same line in only 2 of 30 articles: quoted, not boilerplate.
    stories(tmp_path / "post", "Valley Post", 28, 2, [])
    stories(tmp_path / "post2", "Valley Post", 2, 3, [SIGN_OFFS[0]])
    with Archive.open(create=True) as archive:
        report = archive.index([tmp_path])
        assert (report.boilerplate, report.boilerplate_texts) == (60, 2)
        texts = {row[0] for row in archive.store.db.execute(
            "SELECT p.text FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE a.source = 'Harbour Gazette'")}
        assert not texts & set(SIGN_OFFS)
        kept = archive.store.db.execute(
            "SELECT count(*) FROM paragraphs p JOIN articles a ON a.id = p.article_id "
            "WHERE a.source = 'Valley Post' AND p.text = ?", [SIGN_OFFS[0]]).fetchone()[0]
        assert kept == 2
        assert archive.check()["ok"]
        assert np.array_equal(archive.vectors.ids(), archive.store.paragraph_ids())
        hits = archive.search("subscribe newsletter", k=10, sources=["Harbour Gazette"])
        assert all(SIGN_OFFS[1] not in p.text for hit in hits for p in hit.paragraphs)

        # A later article of that source is written without them, and nothing is embedded for them.
        stories(tmp_path / "gazette-late", "Harbour Gazette", 1, 9, SIGN_OFFS)
        fake_embedder.embedded.clear()
        report = archive.index([tmp_path])
        assert (report.added, report.boilerplate, report.boilerplate_texts) == (1, 2, 0)
        assert not set(fake_embedder.embedded) & set(SIGN_OFFS)
        assert archive.check()["ok"]


def test_the_summary_says_how_many(tmp_path):
    stories(tmp_path / "gazette", "Harbour Gazette", 10, 1, SIGN_OFFS[:1])
    result = CliRunner().invoke(app, ["index", str(tmp_path)])
    assert result.exit_code == 0 and "10 boilerplate paragraphs left out" in result.stderr
    result = CliRunner().invoke(app, ["index", str(tmp_path), "--json"])
    assert json.loads(result.stdout)["boilerplate_paragraphs"] == 0  # unchanged articles: nothing to do


def test_an_article_never_loses_its_whole_body():
    units = [(0, 0, "Headline", "h0"), (1, 0, "Read more", "b1")]
    assert leave_out(units, "S", {("S", "b1")}) == (units, 0)
    units.append((2, 0, "Real text", "t2"))
    assert leave_out(units, "S", {("S", "b1")}) == ([units[0], units[2]], 1)
    assert leave_out(units, None, {("S", "b1")}) == (units, 0)


def test_copies_that_differ_only_by_their_sources_boilerplate_are_folded(tmp_path):
    shared = ("A storm closed the harbour bridge on Friday and ferries were cancelled.\n\n"
              "Repairs will take a week, the port authority said in a statement.")
    for seed, (source, sign_off) in enumerate((("Harbour Gazette", SIGN_OFFS[0]), ("Valley Post", SIGN_OFFS[1]))):
        folder = tmp_path / source.split()[0].lower()
        stories(folder, source, 12, seed, [sign_off])
        (folder / "storm.txt").write_text(f"Storm shuts bridge\nSource: {source}\n\n{shared}\n\n{sign_off}",
                                          encoding="utf-8")
    with Archive.open(create=True) as archive:
        report = archive.index([tmp_path])
        assert report.boilerplate_texts == 2
        [hit] = [h for h in archive.search("storm harbour bridge ferries", k=10) if h.article.title == "Storm shuts bridge"]
        assert len(hit.copies) == 1 and {hit.article.source, hit.copies[0].source} == {"Harbour Gazette", "Valley Post"}
        assert archive.check()["ok"]
        assert np.array_equal(archive.vectors.ids(), archive.store.paragraph_ids())
