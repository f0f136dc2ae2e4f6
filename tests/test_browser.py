"""The search page in a real browser: Debian's chromium, headless, driven by Playwright.
The server runs on a free loopback port; a person's steps are taken with the keyboard
and the mouse: search, open an article, come back, filter by date. An article whose
body holds markup and script shows as text and runs nothing.

Needs `chromium` (apt-get install chromium); `.ci/run` installs it. Screenshots go to
$NEWSSEARCH_SCREENSHOTS when set (else the test's temporary folder)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from newssearch import Archive

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")

HOSTILE = {
    "id": "hostile-1", "title": "Injected <script>window.__pwned = 1</script> headline",
    "text": ("An injected story: <script>window.__pwned = 2</script> and <img src=x onerror=\"window.__pwned = 3\"> "
             "and <b>bold</b> words, all of which must show as text.\n\n"
             "A second paragraph about the injected story with a <a href=\"javascript:window.__pwned=4\">link</a>."),
    "url": "javascript:window.__pwned = 5", "date": "2022-02-02", "source": "Mischief Wire",
}


@pytest.fixture
def server(corpus, isolated):
    import uvicorn

    from newssearch.web import create_app
    from newssearch.web.serve import listen

    (corpus / "hostile.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    with Archive.open(create=True) as archive:
        archive.index([corpus])
    app = create_app(isolated)
    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    app.state.runner.close()


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.dialogs = dialogs
        yield page
        browser.close()


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NEWSSEARCH_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_search_open_back_and_filter_as_a_person_would(server, page, tmp_path):
    page.goto(server)
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")  # the search box takes the keyboard from anywhere on the page
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("troops border")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results li")
    titles = page.locator("#results h2 a").all_inner_texts()
    expected = [hit["title"] for hit in page.request.get(server + "/api/search?q=troops+border").json()["hits"]]
    assert titles == expected and len(titles) >= 2  # the page shows what the API answers
    assert page.locator("#results mark").count() > 0  # the query's words highlighted
    assert "q=troops+border" in page.url
    page.screenshot(path=str(shots(tmp_path) / "results.png"), full_page=True)

    page.keyboard.press("Tab")  # from the search box through the form to the first result
    page.locator("#results h2 a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#article h1")
    assert page.locator("#article h1").inner_text() == titles[0]
    assert "article=" in page.url
    page.go_back()  # the browser's back button returns to the results
    page.wait_for_selector("#results li")
    assert page.locator("#article").is_hidden() and page.locator("#results h2 a").first.inner_text() == titles[0]

    page.fill("#since", "2022-01-15")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('since=2022-01-15')")
    page.wait_for_selector("#results li")
    dates = [meta.split(" · ")[0] for meta in page.locator("#results .meta").all_inner_texts()]
    assert dates and all(date >= "2022-01-15" for date in dates)

    page.goto(server + "/?q=troops&since=2022-01-15")  # a shared link opens the same search
    page.wait_for_selector("#results li")
    assert page.input_value("#q") == "troops" and page.input_value("#since") == "2022-01-15"


def test_article_text_is_data_never_markup(server, page, tmp_path):
    page.goto(server + "/?q=injected+story")
    page.wait_for_selector("#results li")
    first = page.locator("#results h2 a").first
    assert first.inner_text() == HOSTILE["title"]  # shown as written, tags and all
    first.click()
    page.wait_for_selector("#article h1")
    body = page.locator("#article").inner_text()
    assert "<script>window.__pwned = 2</script>" in body and "onerror=" in body and "<b>bold</b>" in body
    assert page.locator("#article script, #article img, #article b, #results script").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0  # the javascript: URL is text, not a link
    time.sleep(0.3)
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    page.screenshot(path=str(shots(tmp_path) / "hostile-article.png"), full_page=True)


def test_errors_show_on_the_page(server, page):
    page.goto(server + "/?q=%3F%21")  # "?!": no words to search for
    page.wait_for_selector("#status.error")
    assert "no words" in page.locator("#status").inner_text()


STORY = [
    {"id": f"quake-{n}", "title": f"Earthquake in Valparaiso, report {n}", "date": f"2022-03-0{1 + n // 2}",
     "source": source,
     "text": ("A magnitude 7 earthquake struck the coastal city of Valparaiso, collapsing bridges and cutting power "
              f"to thousands of homes. Rescuers searched the rubble of the Valparaiso bridges. Report {n}.")}
    for n, source in enumerate(("Daily Post", "Evening Star", "Morning Herald"))
]


def test_a_story_opens_from_its_hit_and_its_article(server, page, corpus, isolated):
    (corpus / "story.jsonl").write_text("".join(json.dumps(r) + "\n" for r in STORY), encoding="utf-8")
    with Archive.open(isolated) as archive:
        archive.index([corpus])
    page.goto(server + "/?q=earthquake+Valparaiso+bridges")
    page.wait_for_selector("#results li")
    assert page.locator("#results h2 a", has_text="Earthquake in Valparaiso").count() == 1  # one hit per story
    assert page.locator("#results .same-story").first.locator("li").count() == 2  # its other matches
    more = page.locator("#results .story a").first
    assert more.inner_text() == "Story of 3 articles"
    more.click()
    page.wait_for_selector("#article .story-list li")
    assert "story=" in page.url
    assert page.locator("#article h1").inner_text() == "Story: 3 articles"
    assert page.locator("#article .when").all_inner_texts()[0].lower() == "first report"
    page.locator("#article .story-list h2 a").nth(2).click()  # the latest report
    page.wait_for_selector("#article .similar li, #article .story a")
    assert page.locator("#article h1").inner_text() == "Earthquake in Valparaiso, report 2"
    page.go_back()
    page.wait_for_selector("#article .story-list li")
