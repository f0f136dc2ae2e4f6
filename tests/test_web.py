"""The web API in-process (no network): the same answers and JSON shapes as the command
line, JSON errors, limits, read-only, and new batches picked up without a restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app as cli
from newssearch.testing import fake
from newssearch.testing.fake import SLOW_WRITER
from newssearch.web import calls, create_app
from newssearch.web.processes import ProcessRunner


@pytest.fixture(params=["threads", "processes"])
def client(request, corpus, isolated):
    """The app searching on its own threads, and in two search processes (`serve --workers 2`)."""
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    if request.param == "threads":
        app = create_app(isolated)
    else:
        app = create_app(runner=ProcessRunner(isolated, 2, setup=fake.register))
    with TestClient(app) as client:
        yield client
    app.state.runner.close()


def test_search_answers_as_the_command_line_does(client):
    response = client.get("/api/search", params={"q": "troops border", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "troops border" and body["mode"] == "hybrid"
    printed = CliRunner().invoke(cli, ["query", "troops border", "-k", "3", "--json"])
    assert [json.loads(line) for line in printed.stdout.splitlines()] == body["hits"]
    assert set(body["hits"][0]) == {"rank", "score", "id", "doc_id", "title", "date", "source", "url", "author",
                                    "place", "agency", "path", "paragraphs", "also_published_by", "story_id",
                                    "story_size", "same_story"}
    name, duration = response.headers["Server-Timing"].split(";dur=")
    assert name == "search" and float(duration) > 0  # the library's share of the answer's time


def test_a_process_per_core_server_searches_on_one_thread_with_the_same_answers(corpus, isolated):
    from newssearch.web.pool import ArchivePool

    with Archive.open(create=True) as archive:
        archive.index([corpus])
        expected = [hit.to_dict() for hit in archive.search("troops border", k=5)]
    pool = ArchivePool(isolated, parallel_search=False)
    try:
        archive = pool.archive()
        assert archive.parallel_search is False
        assert [hit.to_dict() for hit in archive.search("troops border", k=5)] == expected
    finally:
        pool.close()


def test_filters_modes_and_several_sources(client):
    hits = client.get("/api/search", params={"q": "troops", "since": "2022-01-15", "mode": "keyword"}).json()["hits"]
    assert hits and all(hit["date"] >= "2022-01-15" for hit in hits)
    both = client.get("/api/search", params=[("q", "troops rates"), ("source", "wire"), ("source", "money")])
    assert {hit["source"] for hit in both.json()["hits"]} <= {"Example Wire", "Money Times"}


def test_an_article_and_stats_as_the_command_line_shows_them(client):
    hit = client.get("/api/search", params={"q": "interest rates"}).json()["hits"][0]
    article = client.get(f"/api/articles/{hit['id']}").json()
    printed = CliRunner().invoke(cli, ["show", str(hit["id"]), "--json"])
    assert article == json.loads(printed.stdout)
    assert client.get(f"/api/articles/{article['doc_id']}").json()["id"] == article["id"]
    stats = client.get("/api/stats").json()
    assert stats["articles"] == 5 and stats["model"]


@pytest.mark.parametrize("params, status, words", [
    ({"q": "x", "k": 0}, 422, "k"),
    ({"q": "x", "k": 101}, 422, "k"),
    ({"q": ""}, 422, "q"),
    ({"q": "x" * 1001}, 422, "q"),
    ({}, 422, "q"),
    ({"q": "?!"}, 400, "no words"),
    ({"q": "x", "since": "2022-13-45"}, 422, "since"),
    ({"q": "x", "since": "2022-03-01", "until": "2022-01-01"}, 400, "is after"),
    ({"q": "x", "mode": "fuzzy"}, 422, "mode"),
])
def test_bad_requests_get_a_json_error(client, params, status, words):
    response = client.get("/api/search", params=params)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_unknown_things_and_writes_get_json_errors(client):
    assert client.get("/api/articles/987654").json() == {"error": f"no article with id '987654' in {client.app.state.runner.directory}"}
    assert client.get("/api/articles/987654").status_code == 404
    assert client.get("/nowhere").status_code == 404 and "error" in client.get("/nowhere").json()
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/api/search")
        assert response.status_code == 405 and "error" in response.json()
    big = client.get("/api/search", params={"q": "x"}, headers={"content-length": "100000"})
    assert big.status_code == 413 and "limited" in big.json()["error"]
    assert all(set(path_item) == {"get"} for path_item in client.get("/openapi.json").json()["paths"].values())


def test_no_cors_and_everything_served_locally(client):
    response = client.get("/api/search", params={"q": "troops"}, headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers
    page = client.get("/").text
    docs = client.get("/docs").text
    for html in (page, docs):
        assert "http://" not in html.replace("http://{", "") and "https://" not in html, "no CDN"
    for asset in ("/static/app.js", "/static/style.css", "/swagger/swagger-ui-bundle.js", "/swagger/swagger-ui.css"):
        assert client.get(asset).status_code == 200, asset


def test_new_batches_are_searched_without_a_restart(client, tmp_path):
    assert client.get("/api/search", params={"q": "zeppelin airship", "mode": "keyword"}).json()["hits"] == []
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "zeppelin.txt").write_text("Zeppelin returns\n\nA zeppelin airship flew over the city today.",
                                        encoding="utf-8")
    with Archive.open(client.app.state.runner.directory) as writer:
        writer.index([extra])
    hits = client.get("/api/search", params={"q": "zeppelin airship"}).json()["hits"]
    assert [hit["title"] for hit in hits][:1] == ["Zeppelin returns"]


def test_answers_while_an_index_run_writes(client, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        (folder / f"{n:02}.txt").write_text(f"Harbour report {n}\n\nShips number {n} came into the harbour.",
                                            encoding="utf-8")
    directory = client.app.state.runner.directory
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(directory), str(folder), "0.02"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    statuses, seen = [], set()
    deadline = time.monotonic() + 60
    while writer.poll() is None and time.monotonic() < deadline:
        response = client.get("/api/search", params={"q": "harbour ships", "k": 100})
        statuses.append(response.status_code)
        seen.add(sum(1 for hit in response.json().get("hits", []) if hit["title"].startswith("Harbour report")))
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert statuses and set(statuses) == {200}
    assert len(seen) > 1, "the batches committed during the run were searched as they came"
    final = client.get("/api/search", params={"q": "harbour ships", "k": 100, "group": False}).json()["hits"]
    assert sum(1 for hit in final if hit["title"].startswith("Harbour report")) == 60


def test_calls_beyond_the_search_processes_wait_their_turn(corpus, isolated):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        expected = [hit.to_dict() for hit in archive.search("troops border", k=3)]
    runner = ProcessRunner(isolated, 2, setup=fake.register)

    async def many() -> list:
        asking = [runner.run(calls.search, "troops border", "hybrid", False, {}, {"k": 3}) for _ in range(7)]
        return await asyncio.gather(*asking, runner.run(calls.article, "987654"), return_exceptions=True)

    try:
        *answers, missing = asyncio.run(many())
    finally:
        runner.close()
    assert [json.loads(body)["hits"] for body, _ in answers] == [expected] * 7
    assert isinstance(missing, calls.Refused) and missing.status == 404 and "no article" in str(missing)


def test_calls_cancelled_while_waiting_or_answered_leave_every_process_free(corpus, isolated):
    """A request whose client goes away, before or after a process was handed to it,
    gives the process back: later calls still get all of them."""
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    runner = ProcessRunner(isolated, 2, setup=fake.register)
    ask = lambda: runner.run(calls.search, "troops border", "hybrid", False, {}, {"k": 3})  # noqa: E731

    async def scenario() -> list:
        first = [asyncio.ensure_future(ask()) for _ in range(8)]
        for _ in range(200):  # let some be answered, then cancel the rest wherever they are
            await asyncio.sleep(0.001)
            if any(task.done() for task in first):
                break
        for task in first[2:]:
            task.cancel()
        await asyncio.gather(*first, return_exceptions=True)
        return await asyncio.wait_for(asyncio.gather(*(ask() for _ in range(4))), timeout=60)

    try:
        answers = asyncio.run(scenario())
    finally:
        runner.close()
    assert len(answers) == 4 and all(json.loads(body)["hits"] for body, _ in answers)
    assert len(runner._idle) == 2 and not [t for t in runner._waiting if not t.done()]


def test_a_search_process_that_dies_is_replaced(corpus, isolated):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    runner = ProcessRunner(isolated, 2, setup=fake.register)
    app = create_app(runner=runner)
    try:
        with TestClient(app) as client:
            before = runner.pids
            os.kill(before[0], signal.SIGKILL)
            os.kill(before[1], signal.SIGKILL)
            statuses = [client.get("/api/search", params={"q": "troops"}).status_code for _ in range(4)]
            assert statuses == [200] * 4
            deadline = time.monotonic() + 60  # the other replacement may still be loading
            while set(runner.pids) & set(before) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not set(runner.pids) & set(before)
            assert client.get("/api/search", params={"q": "troops"}).status_code == 200
    finally:
        runner.close()


def test_a_search_process_that_cannot_start_is_one_clear_error(corpus, isolated):
    from newssearch.web.calls import SearchProcessError, status_of

    with Archive.open(create=True) as archive:
        archive.index([corpus])
    with pytest.raises(SearchProcessError, match="did not start: the model cannot be loaded here") as raised:
        ProcessRunner(isolated, 2, setup=fake.failing_setup)
    assert status_of(raised.value) == 503 and "\n" not in str(raised.value)


def test_a_call_that_stops_processes_or_cannot_answer_is_refused_and_the_rest_go_on(corpus, isolated):
    """A call whose answer cannot be sent back is a 500 that stops nothing; a call that
    stops every process it is given is refused (503) after one ask per process, and the
    processes are replaced."""
    from newssearch.web.calls import SearchProcessError, status_of

    with Archive.open(create=True) as archive:
        archive.index([corpus])
    runner = ProcessRunner(isolated, 3, setup=fake.register)
    before = runner.pids

    async def scenario() -> tuple:  # one event loop, as in the server
        outcomes = []
        for call in (fake.unpicklable_call, fake.stopping_call):
            try:
                await runner.run(call)
            except (RuntimeError, SearchProcessError) as error:
                outcomes.append(error)
            if call is fake.unpicklable_call:
                outcomes.append(runner.pids == before and all(p.process.is_alive() for p in runner._all))
        deadline = time.monotonic() + 60  # the replacements load
        while set(runner.pids) & set(before) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        body, _ = await runner.run(calls.search, "troops border", "hybrid", False, {}, {"k": 3})
        return outcomes, body

    try:
        (bug, untouched, stopped), body = asyncio.run(scenario())
    finally:
        runner.close()
    assert isinstance(bug, RuntimeError) and "internal error" in str(bug) and untouched
    assert isinstance(stopped, SearchProcessError) and "asked of 4 search processes" in str(stopped)
    assert status_of(stopped) == 503 and "\n" not in str(stopped)
    assert not set(runner.pids) & set(before), "the processes it stopped were replaced"
    assert json.loads(body)["hits"]


def test_a_call_past_the_timeout_is_refused_and_its_process_replaced(corpus, isolated):
    from newssearch.web.calls import SearchProcessError

    with Archive.open(create=True) as archive:
        archive.index([corpus])
    runner = ProcessRunner(isolated, 1, setup=fake.register, timeout=1.0)

    async def scenario() -> tuple:  # one event loop, as in the server
        quick = await runner.run(fake.slow_call, 0.0)
        started = time.monotonic()
        try:
            await runner.run(fake.slow_call, 60.0)
        except SearchProcessError as error:
            refused = (str(error), time.monotonic() - started)
        body, _ = await asyncio.wait_for(runner.run(calls.search, "troops border", "hybrid", False, {}, {"k": 3}), 60)
        return quick, refused, body

    try:
        before = runner.pids
        quick, (message, waited), body = asyncio.run(scenario())
    finally:
        runner.close()
    assert quick == "done" and "took longer than 1 s" in message and waited < 30
    assert json.loads(body)["hits"] and runner.pids != before, "answered by the process that replaced it"
