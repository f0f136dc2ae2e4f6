"""Generate a large WARC of realistic news pages, for streaming tests and the ingest
benchmark: each page has a head full of scripts and styles, navigation, a related-links
aside and a footer around an article of 5-12 paragraphs of generated text (no two
paragraphs alike, so syndication and boilerplate detection do not collapse them), and
request and non-HTML records between the responses, as crawls have.

    write_news_warc(path, size_bytes)  # .warc, or gzip per record when path ends .gz
"""

from __future__ import annotations

import gzip
import random
import uuid
from pathlib import Path

from .warcs import http_response, warc_record

SITES = [("Harbour Herald", "harbourherald.example"), ("Valley Times", "valleytimes.example"),
         ("Coastal Wire", "coastalwire.example"), ("Metro Daily", "metrodaily.example"),
         ("Northern Post", "northernpost.example"), ("River Gazette", "rivergazette.example")]
SUBJECTS = ("the council the minister officials residents engineers the union farmers the court police "
            "the company investors doctors teachers the mayor scientists the committee campaigners").split(" ")
VERBS = ("approved rejected announced delayed criticised welcomed reviewed funded proposed blocked "
         "investigated defended postponed expanded questioned confirmed").split()
OBJECTS = ("a new sea wall|the school budget|plans for a bridge|the rail timetable|a hospital wing|"
           "the water tariff|a wind farm|the harbour dredging|a housing scheme|the bus network|"
           "emergency flood funding|a museum extension|the airport runway|fishing quotas|a tax on tourism").split("|")
DETAILS = ("after months of debate|despite strong objections|following a public inquiry|on Tuesday evening|"
           "ahead of the winter storms|for the third time this year|in a narrow vote|at a packed meeting|"
           "citing rising costs|under pressure from residents|without further consultation").split("|")
WORDS = ("growth pressure storm river tide ferry quay cargo levy grant permit survey ballot tenant harvest "
         "drought rainfall reservoir turbine pylon corridor junction platform terminal clinic ward pupil "
         "lecture archive gallery festival concert stadium league season transfer contract tender audit "
         "deficit surplus forecast estimate petition hearing verdict appeal sentence witness evidence").split()
NAV = "".join(f'<li><a href="/{section.lower()}">{section}</a></li>' for section in
              "Home World Politics Business Technology Science Health Sport Culture Opinion Travel Weather".split())
SCRIPT = ("window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());"
          "var adSlots=['top','mid','bottom'];for(var i=0;i<adSlots.length;i++){googletag.defineSlot('/123/'+"
          "adSlots[i],[[728,90],[300,250]],'ad-'+adSlots[i]).addService(googletag.pubads());}" * 40)
STYLE = ("body{font-family:Georgia,serif;margin:0}.nav li{display:inline-block;padding:4px 8px}"
         ".article p{line-height:1.6;max-width:42em}.aside a{color:#06c}.footer{font-size:small;color:#666}" * 40)
FOOTER = ("<p>Copyright {site}. All rights reserved.</p><p>Subscribe to our newsletter for the day's top stories."
          "</p><p><a href='/privacy'>Privacy</a> | <a href='/terms'>Terms</a> | <a href='/cookies'>Cookies</a> | "
          "<a href='/contact'>Contact us</a></p>")


def _sentence(rng: random.Random) -> str:
    extra = " ".join(rng.choices(WORDS, k=rng.randint(3, 9)))
    return (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(DETAILS)}, with {extra} in question.")


def news_page(rng: random.Random, number: int) -> tuple[str, str, str]:
    """(url, title, html) of one generated news page."""
    site, domain = rng.choice(SITES)
    title = f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} ({number})"
    date = f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    paragraphs = "\n".join(f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(2, 5)))} Ref {number}-{p}.</p>"
                           for p in range(rng.randint(5, 12)))
    related = "".join(f'<li><a href="/story/{rng.randrange(10**6)}">{_sentence(rng)[:60]}</a></li>'
                      for _ in range(15))
    url = f"https://www.{domain}/news/{date}/story-{number}"
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}"><meta property="og:title" content="{title}">
<meta name="author" content="Reporter {rng.randint(1, 40)}"><meta property="article:published_time" content="{date}">
<script>{SCRIPT}</script><style>{STYLE}</style>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}", "datePublished": "{date}"}}</script>
</head><body>
<header><ul class="nav">{NAV}</ul><div class="ad" id="ad-top">Advertisement</div></header>
<main><article class="article"><h1>{title}</h1><p class="byline">By Reporter, {site}</p>
{paragraphs}
</article>
<aside class="aside"><h2>Related stories</h2><ul>{related}</ul><div class="ad" id="ad-mid">Advertisement</div></aside>
</main>
<footer class="footer">{FOOTER.format(site=site)}</footer>
</body></html>
"""
    return url, title, html


def write_news_warc(path: Path, size_bytes: int, seed: int = 0, compress: bool | None = None) -> int:
    """Write news pages to `path` until it holds `size_bytes` (on disk); returns how many
    HTML responses it wrote. Every tenth response is followed by an image record and
    every fiftieth by a redirect, which are not articles."""
    compress = path.name.endswith(".gz") if compress is None else compress
    rng = random.Random(seed)
    pages = 0
    with path.open("wb") as out:
        def put(record: bytes) -> None:
            out.write(gzip.compress(record, compresslevel=1) if compress else record)

        put(warc_record("warcinfo", "", b"software: newssearch news_warc\r\nformat: WARC File Format 1.0\r\n"))
        while out.tell() < size_bytes:
            url, _, html = news_page(rng, pages)
            date = f"2022-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
            put(warc_record("request", url, f"GET {url} HTTP/1.1\r\n\r\n".encode(), date=date))
            put(warc_record("response", url, http_response(html), date=date,
                            record_id=f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>"))
            pages += 1
            if pages % 10 == 0:
                image = http_response("\x89PNG" + "x" * 2000, content_type="image/png")
                put(warc_record("response", url + ".png", image, date=date))
            if pages % 50 == 0:
                put(warc_record("response", url + "/amp", http_response("", status="301 Moved Permanently"),
                                date=date))
    return pages
