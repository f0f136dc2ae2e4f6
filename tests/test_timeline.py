"""`newssearch timeline`: articles about a query counted per period, as bars, JSON and
a picture; the same from the library and the API."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from newssearch import Archive, FilterError
from newssearch.cli.app import app
from newssearch.search.timeline import period_start


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def indexed(corpus):
    assert run("index", corpus).exit_code == 0
    return corpus


def test_periods_start_on_their_first_day():
    assert period_start("2022-01-19T10:00:00Z", "month") == "2022-01-01"
    assert period_start("2022-01-19", "week") == "2022-01-17"  # a Monday
    assert period_start("2022-01-19", "day") == "2022-01-19"


def test_library_counts_every_period_from_first_to_last(indexed):
    with Archive.open() as archive:
        timeline = archive.timeline("troops border tanks", by="month")
        starts = [start for start, _ in timeline.periods]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        assert sum(count for _, count in timeline.periods) + timeline.undated == len(timeline.articles) > 0
        asked = archive.timeline("troops", by="month", since="2021-10-01", until="2022-04-30")
        assert asked.periods[0][0] == "2021-10-01" and asked.periods[-1][0] == "2022-04-01" and len(asked.periods) == 7
        with pytest.raises(FilterError, match="unknown period"):
            archive.timeline("troops", by="year")


def test_terminal_json_and_picture(indexed, tmp_path):
    text = run("timeline", "troops", "border")
    assert text.exit_code == 0 and "█" in text.stdout and "articles about 'troops border' by month" in text.stdout
    data = json.loads(run("timeline", "troops", "border", "--by", "week", "--json").stdout)
    assert data["by"] == "week" and data["total"] == sum(p["articles"] for p in data["periods"])
    for suffix in (".png", ".svg"):
        picture = tmp_path / f"timeline{suffix}"
        assert run("timeline", "troops", "--plot", picture).exit_code == 0
        assert picture.stat().st_size > 1000
    bad = run("timeline", "troops", "--plot", tmp_path / "x.txt")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: --plot takes")
    assert run("timeline", "troops", "--by", "decade").exit_code == 1


def test_newest_and_oldest_order_the_articles_about_the_query(indexed):
    with Archive.open() as archive:
        newest = archive.search("troops border tanks", k=10, sort="newest")
        oldest = archive.search("troops border tanks", k=10, sort="oldest")
        dates = [hit.article.date for hit in newest if hit.article.date]
        assert dates == sorted(dates, reverse=True) and [h.rank for h in newest] == list(range(1, len(newest) + 1))
        assert [hit.article.id for hit in oldest if hit.article.date] == [hit.article.id for hit in reversed(newest)
                                                                           if hit.article.date]
        with pytest.raises(FilterError, match="unknown sort"):
            archive.search("troops", sort="sideways")


def test_facets_count_the_articles_about_the_query(indexed):
    with Archive.open() as archive:
        counts = archive.facets("troops border tanks")
        about = len(archive.timeline("troops border tanks").articles)
    assert sum(counts["source"].values()) == sum(counts["month"].values()) == about
    printed = run("query", "troops border tanks", "--facets", "--json").stdout.splitlines()
    assert json.loads(printed[-1]) == {"facets": counts}

