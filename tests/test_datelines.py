"""Datelines and bylines parsed by rule (index/formats/datelines.py), on a corpus of
the forms agencies and papers print, and the `--place` filter they feed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app as cli
from newssearch.index.formats.datelines import parse_byline, parse_dateline, parse_metadata

DATA = Path(__file__).parent / "data"


def _forms() -> list[tuple[str, str | None, str | None]]:
    rows = []
    for line in (DATA / "datelines.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, place, agency = line.split("\t")
            rows.append((text, None if place == "-" else place, None if agency == "-" else agency))
    return rows


@pytest.mark.parametrize(("text", "place", "agency"), _forms())
def test_dateline_forms(text, place, agency):
    assert tuple(parse_dateline(text)) == (place, agency)


@pytest.mark.parametrize("text", (DATA / "not_datelines.txt").read_text(encoding="utf-8").splitlines())
def test_sentences_that_are_not_datelines(text):
    assert parse_dateline(text) is None


@pytest.mark.parametrize(("text", "names"), [
    ("By Jane Doe", "Jane Doe"),
    ("By Jane Doe and John Roe, Reuters", "Jane Doe, John Roe"),
    ("By Chris Jewers For Dailymail.com", "Chris Jewers"),
    ("By JANE DOE", "Jane Doe"),
    ("By Anna Smith | Reuters", "Anna Smith"),
    ("By Guy Faulconbridge, Mark Trevelyan and Andrew Osborn", "Guy Faulconbridge, Mark Trevelyan, Andrew Osborn"),
    ("By the end of the week, talks had stalled over the number of troops at the border.", None),
    ("Bystanders said the convoy was long.", None),
])
def test_bylines(text, names):
    assert parse_byline(text) == names


def test_a_byline_before_the_dateline_paragraph():
    found = parse_metadata(["By Jane Doe", "KYIV, Jan 10 (Reuters) - Talks began in Geneva on Monday."])
    assert found == {"author": "Jane Doe", "place": "Kyiv", "agency": "Reuters"}
    assert parse_metadata(["Talks began in Geneva on Monday " * 10, "MOSCOW — later"]) == {}


def test_place_agency_and_author_become_metadata_and_a_filter(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    records = [
        {"id": "kyiv", "title": "Talks", "date": "2022-01-10", "text": "By Jane Doe\n\nKYIV, Jan 10 (Reuters) - "
         "Troops massed near the border as talks began."},
        {"id": "moscow", "title": "Talks", "date": "2022-01-10", "author": "Desk",
         "text": "MOSCOW (AP) — Troops massed near the border as talks began, officials said."},
        {"id": "plain", "title": "Talks", "date": "2022-01-10", "text": "Troops massed near the border again."},
    ]
    (folder / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        kyiv = archive.article("kyiv")[0]
        moscow = archive.article("moscow")[0]
        assert (kyiv.place, kyiv.agency, kyiv.author) == ("Kyiv", "Reuters", "Jane Doe")
        assert (moscow.place, moscow.agency, moscow.author) == ("Moscow", "AP", "Desk")  # its own author kept
        hits = archive.search("troops border", k=5, places=["kyiv"], group=False)
        assert [h.article.doc_id for h in hits] == ["kyiv"]
    result = CliRunner().invoke(cli, ["query", "troops", "border", "--place", "MOSCOW", "--json", "--no-group"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(h["doc_id"], h["place"], h["agency"]) for h in lines] == [("moscow", "Moscow", "AP")]
    empty = CliRunner().invoke(cli, ["query", "troops", "--place", " "])
    assert empty.exit_code != 0 and "--place needs a non-empty value" in empty.output
