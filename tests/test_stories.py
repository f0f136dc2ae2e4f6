"""Story threads: linked at index time, kept up to date as articles arrive, change and
go; search grouped by story; `story`, `similar` and `--recent`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app as cli
from newssearch.index import stories

# Three events, each reported by several outlets over two days, and unrelated news.
EVENTS = {
    "quake": ("Earthquake strikes {p}", "A magnitude 7 earthquake struck the coastal city of Valparaiso on "
              "{d}, collapsing bridges and cutting power to thousands of homes. Rescuers searched the rubble "
              "of the collapsed Valparaiso bridges for survivors of the earthquake."),
    "summit": ("Leaders meet at {p}", "Leaders of the Nordic countries met in Tromso on {d} for a summit on "
               "Arctic fishing quotas, agreeing a new treaty on cod and herring catches in the Barents Sea."),
    "strike": ("Dockers strike in {p}", "Dock workers at the port of Rotterdam walked out on {d} in a strike "
               "over pay, leaving container ships waiting at anchor and halting cargo at the Rotterdam quays."),
}
OTHER = [
    "The city council approved a budget for new bicycle lanes downtown.",
    "A rare orchid bloomed in the botanical garden for the first time in decades.",
    "The chess championship ended in a draw after twelve hours of play.",
]


def write_corpus(folder: Path, events=EVENTS, days=("2022-01-10", "2022-01-11")) -> list[dict]:
    records = []
    for name, (title, body) in events.items():
        for n, (outlet, day) in enumerate((("Daily Post", days[0]), ("Evening Star", days[0]),
                                           ("Morning Herald", days[1]))):
            records.append({"id": f"{name}-{n}", "title": title.format(p=outlet), "date": day, "source": outlet,
                            "text": body.format(d=day) + f" Reported by the {outlet} staff, item {n}."})
    for n, text in enumerate(OTHER):
        records.append({"id": f"other-{n}", "title": f"Local news {n}", "date": "2022-01-10", "source": "Gazette",
                        "text": text})
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "news.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    return records


def stories_by_doc(archive: Archive) -> dict[str, int]:
    return dict(archive.store.db.execute(
        "SELECT a.doc_id, s.story_id FROM article_stories s JOIN articles a ON a.id = s.article_id").fetchall())


def groups(labels: dict[str, int]) -> set[frozenset[str]]:
    found: dict[int, set[str]] = {}
    for doc, story in labels.items():
        found.setdefault(story, set()).add(doc)
    return {frozenset(members) for members in found.values()}


def test_each_event_is_one_story_and_unrelated_news_stand_alone(tmp_path):
    write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        report = archive.index([tmp_path / "news"])
        labels = stories_by_doc(archive)
    assert report.stories_linked == 12
    assert groups(labels) == {frozenset({f"{e}-0", f"{e}-1", f"{e}-2"}) for e in EVENTS} | {
        frozenset({f"other-{n}"}) for n in range(3)}


def test_a_story_is_named_by_its_first_article_and_listed_in_time_order(tmp_path):
    write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        story = archive.story("quake-2").to_dict()
        first = archive.article("quake-0")[0]
    assert story["story_id"] == first.id and story["size"] == 3
    assert [a["doc_id"] for a in story["articles"]] == ["quake-0", "quake-1", "quake-2"]
    assert [a["first_report"] for a in story["articles"]] == [True, False, False]
    assert [a["day"] for a in story["articles"]] == [0, 0, 1]
    assert story["sources"] == ["Daily Post", "Evening Star", "Morning Herald"]
    assert story["articles"][0]["follows"] is None and all(a["follows"] for a in story["articles"][1:])


def test_articles_arriving_later_and_out_of_order_get_the_stories_of_one_pass(tmp_path):
    records = write_corpus(tmp_path / "all")
    pieces = tmp_path / "pieces"
    pieces.mkdir()
    with Archive.open(create=True) as archive:
        # Newest first, a few at a time: later runs bring the earlier reports.
        for n, start in enumerate(range(0, len(records), 4)):
            chunk = list(reversed(records))[start:start + 4]
            (pieces / f"{n}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chunk), encoding="utf-8")
            archive.index([pieces])
        kept = stories_by_doc(archive)
        with archive.store.transaction():
            stories.rebuild(archive.store)
        assert stories_by_doc(archive) == kept
    assert frozenset({"strike-0", "strike-1", "strike-2"}) in groups(kept)


def test_a_story_is_mended_when_its_first_article_goes_or_changes(tmp_path):
    records = write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        # The first report of the quake goes: the story continues from the next one.
        kept = [r for r in records if r["id"] != "quake-0"]
        (tmp_path / "news" / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        archive.index([tmp_path / "news"])
        labels = stories_by_doc(archive)
        assert labels["quake-1"] == labels["quake-2"] == archive.article("quake-1")[0].id
        # A report rewritten about something else leaves its story.
        for r in kept:
            if r["id"] == "summit-2":
                r["text"] = OTHER[0] + " Nothing else happened."
        (tmp_path / "news" / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        archive.index([tmp_path / "news"])
        labels = stories_by_doc(archive)
        with archive.store.transaction():
            stories.rebuild(archive.store)
        assert stories_by_doc(archive) == labels
    assert labels["summit-2"] != labels["summit-0"] and labels["summit-0"] == labels["summit-1"]


def test_stories_are_not_linked_beyond_their_window(tmp_path):
    write_corpus(tmp_path / "news", days=("2022-01-10", "2022-03-01"))
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        labels = stories_by_doc(archive)
    assert labels["quake-0"] == labels["quake-1"] != labels["quake-2"]


def test_search_gives_one_hit_per_story_with_the_rest_under_it(tmp_path):
    write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        grouped = archive.search("earthquake Valparaiso bridges", k=3)
        flat = archive.search("earthquake Valparaiso bridges", k=3, group=False)
    assert len({h.story_id for h in grouped}) == len(grouped)
    assert grouped[0].story_size == 3 and len(grouped[0].same_story) == 2
    assert {h.article.doc_id for h in flat} == {"quake-0", "quake-1", "quake-2"}
    assert {grouped[0].article.doc_id, *(a.doc_id for a in grouped[0].same_story)} == {"quake-0", "quake-1", "quake-2"}
    shape = grouped[0].to_dict()
    assert shape["story_id"] == grouped[0].story_id and shape["story_size"] == 3 and len(shape["same_story"]) == 2


def test_similar_names_other_stories_only(tmp_path):
    write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        own = stories_by_doc(archive)["quake-0"]
        found = archive.similar("quake-0", k=5)
    assert found and all(item.story_id != own for item in found)
    assert len({item.story_id for item in found}) == len(found)


def test_recent_prefers_newer_articles_and_off_changes_nothing(tmp_path):
    records = write_corpus(tmp_path / "news", days=("2021-01-10", "2022-01-11"))
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        plain = archive.search("earthquake Valparaiso", k=5, group=False)
        again = archive.search("earthquake Valparaiso", k=5, group=False, recent=None)
        recent = archive.search("earthquake Valparaiso", k=5, group=False, recent="30d")
    assert [(h.article.id, h.score) for h in plain] == [(h.article.id, h.score) for h in again]
    assert recent[0].article.doc_id == "quake-2"  # the only one of 2022, the archive's newest day
    before = {h.article.doc_id: h.score for h in plain}
    after = {h.article.doc_id: h.score for h in recent}
    assert after["quake-2"] == pytest.approx(before["quake-2"])  # no older than the newest article
    if "quake-0" in after:  # a year older: halved 366/30 times
        assert after["quake-0"] == pytest.approx(before["quake-0"] * 0.5 ** (366 / 30), rel=1e-4)
    assert len(records) == 12


def test_story_similar_and_recent_on_the_command_line(tmp_path):
    write_corpus(tmp_path / "news")
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(tmp_path / "news"), "--quiet"]).exit_code == 0
    shown = runner.invoke(cli, ["story", "summit-1"])
    assert shown.exit_code == 0, shown.output
    assert "3 articles" in shown.output and "first report" in shown.output and "day 1" in shown.output
    as_json = json.loads(runner.invoke(cli, ["story", "summit-1", "--json"]).stdout)
    assert as_json["size"] == 3
    similar = runner.invoke(cli, ["similar", "summit-1", "--json", "-k", "2"])
    assert similar.exit_code == 0 and len(similar.stdout.splitlines()) == 2
    query = runner.invoke(cli, ["query", "Rotterdam dock strike", "-k", "2"])
    assert "story of 3 articles: newssearch story" in query.output
    assert query.output.count("also on this story: Dockers strike in") == 2
    bad = runner.invoke(cli, ["query", "strike", "--recent", "soon"])
    assert bad.exit_code != 0 and "half-life" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(cli, ["story", "no-such-article"])
    assert missing.exit_code != 0 and "no article" in missing.output


@pytest.mark.parametrize("path", ["/api/stories/quake-1", "/api/similar/quake-1?k=2"])
def test_story_endpoints(tmp_path, isolated, path):
    from fastapi.testclient import TestClient

    from newssearch.web.app import create_app

    write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
    with TestClient(create_app(isolated)) as client:
        response = client.get(path)
        assert response.status_code == 200
        assert client.get("/api/stories/nothing").status_code == 404
        assert client.get("/api/search", params={"q": "strike", "recent": "0d"}).status_code == 400


def test_undated_articles_stand_alone(tmp_path):
    records = write_corpus(tmp_path / "news")
    for r in records:
        del r["date"]
    (tmp_path / "news" / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        labels = stories_by_doc(archive)
    assert len(set(labels.values())) == len(labels) == 12


def test_the_evaluation_counts_a_hit_then_what_is_grouped_under_it(tmp_path):
    from newssearch.search.evaluate import Task, run_queries

    write_corpus(tmp_path / "news")
    with Archive.open(create=True) as archive:
        archive.index([tmp_path / "news"])
        task = Task(name="t", corpus=tmp_path / "news", queries={"q": "earthquake Valparaiso bridges"},
                    qrels={"q": {"quake-2": 1}})
        rankings, _ = run_queries(archive.searcher(), task)
        hits = archive.search("earthquake Valparaiso bridges", k=10)
    shown = [hits[0].article.doc_id, *(a.doc_id for a in hits[0].same_story), hits[1].article.doc_id]
    assert rankings["q"][:4] == shown


def test_grouped_search_looks_deeper_for_k_stories(tmp_path, monkeypatch):
    from newssearch.search import searcher

    # 20 reports of one event, six paragraphs each, fill the first 100 candidate
    # paragraphs; two other stories lie beyond, among unrelated news.
    folder = tmp_path / "many"
    folder.mkdir()
    body = ["The river flooded the valley towns after heavy rain on Monday.",
            "Rescue boats reached the valley villages cut off by the flood water.",
            "The river crested above the levees near the old mill and the bridge.",
            "Officials said the flooded valley farms would need weeks to drain.",
            "Volunteers filled sandbags along the river banks through the night.",
            "Forecasters expect the flood to recede once the rain eases."]
    records = [{"id": f"flood-{n}", "title": f"River floods the valley, report {n}", "date": "2022-05-02",
                "source": f"Paper {n}", "text": "\n\n".join(f"{line} Report {n}." for line in body)}
               for n in range(20)]
    records += [{"id": "rain-a", "title": "Rain forecast", "date": "2022-01-02", "source": "Weather Desk",
                 "text": "More rain is forecast for the hills and the valley next week, with sunshine, wind, "
                         "cloud and fog expected across the whole of the region later on."},
                {"id": "rain-b", "title": "Dry spell ends", "date": "2022-09-09", "source": "Farm News",
                 "text": "Farmers in the valley welcomed the first rain after a long, dry and dusty summer that "
                         "had left their wells, ponds and streams lower than anyone could remember."}]
    records += [{"id": f"other-{n}", "title": f"Council notes {n}", "date": f"2021-0{1 + n % 9}-1{n % 10}",
                 "source": "Gazette", "text": f"The council discussed parking permits and library hours, item {n}."}
                for n in range(40)]
    (folder / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with Archive.open(create=True) as archive:
        archive.index([folder])
        labels = stories_by_doc(archive)
        assert len({labels[f"flood-{n}"] for n in range(20)}) == 1
        original = searcher.Searcher._retrieve
        depths = []

        def spy(self, query, mode, depth, *args, **kwargs):
            depths.append(depth)
            return original(self, query, mode, depth, *args, **kwargs)

        monkeypatch.setattr(searcher.Searcher, "_retrieve", spy)
        hits = archive.searcher().search("river flooded valley", k=3, mode="keyword", group=True)
    assert {h.article.doc_id.split("-")[0] for h in hits} == {"flood", "rain"} and len(hits) == 3
    assert hits[0].story_size == 20 and depths[0] == 100 and max(depths) > 100


def test_reading_terms_once_per_update_links_what_reading_them_per_date_run_does(tmp_path, monkeypatch):
    # Several date runs per update (days far apart), so the statistics are shared.
    write_corpus(tmp_path / "a", days=("2022-01-10", "2022-01-11"))
    write_corpus(tmp_path / "b", days=("2022-03-01", "2022-03-02"))
    write_corpus(tmp_path / "c", days=("2022-06-20", "2022-06-21"))
    with Archive.open(tmp_path / "index", create=True) as archive:
        archive.index([tmp_path])
        shared = stories_by_doc(archive)
        links = archive.store.db.execute("SELECT article_id, follows, score FROM article_stories ORDER BY 1").fetchall()
        assert sum(follows is not None for _, follows, _ in links) >= 18  # two followers in each of 9 events
        calls = []
        real = type(archive.store).term_weights

        def each_call_alone(store, article_ids, chars, known=None):
            calls.append(known)
            return real(store, article_ids, chars)  # a fresh TermStatistics: the old way

        monkeypatch.setattr(type(archive.store), "term_weights", each_call_alone)
        with archive.store.transaction():
            stories.rebuild(archive.store)
        assert len(calls) >= 3  # one per date run
        assert stories_by_doc(archive) == shared
        assert archive.store.db.execute(
            "SELECT article_id, follows, score FROM article_stories ORDER BY 1").fetchall() == links
