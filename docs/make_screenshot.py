"""The README's picture of the search page: serve an index on a free loopback port,
search it in headless chromium (Playwright), and save the page as a PNG.

    python docs/make_screenshot.py [--index DIR] [--query "troop buildup"] [--output docs/page.png]
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlencode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--query", default="troop buildup")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "page.png")
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from newssearch.web import create_app
    from newssearch.web.serve import listen

    app = create_app(args.index)
    listener = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/?{urlencode({'q': args.query})}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto(url)
        page.wait_for_selector("#results li")
        page.evaluate("document.activeElement.blur()")
        page.screenshot(path=str(args.output), full_page=False)
        browser.close()
    server.should_exit = True
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
