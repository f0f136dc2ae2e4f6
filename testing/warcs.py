"""Write small valid WARC files for tests: N HTML `response` records (plus a warcinfo
record and a request record, as crawlers write them), optionally one broken record."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Sequence
from pathlib import Path

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="og:title" content="{title}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{date}">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>
{paragraphs}
</article>
<footer>Copyright {site}. All rights reserved. Subscribe to our newsletter.</footer>
</body></html>
"""


def html_page(title: str, paragraphs: Sequence[str], site: str = "Example News", author: str = "Jane Doe",
              date: str = "2022-01-10") -> str:
    """A news page with navigation and a footer around the article."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return PAGE.format(title=title, site=site, author=author, date=date, paragraphs=body)


def warc_record(record_type: str, uri: str, payload: bytes, date: str = "2022-01-11T08:00:00Z",
                extra: str = "", record_id: str | None = None) -> bytes:
    record_id = record_id or f"<urn:uuid:{uuid.uuid4()}>"
    headers = (f"WARC/1.0\r\nWARC-Type: {record_type}\r\nWARC-Record-ID: {record_id}\r\n"
               f"WARC-Date: {date}\r\nWARC-Target-URI: {uri}\r\n{extra}"
               f"Content-Length: {len(payload)}\r\n")
    if record_type in ("response", "request"):
        kind = "response" if record_type == "response" else "request"
        headers += f"Content-Type: application/http; msgtype={kind}\r\n"
    return headers.encode() + b"\r\n" + payload + b"\r\n\r\n"


def http_response(html: str, status: str = "200 OK", content_type: str = "text/html; charset=utf-8") -> bytes:
    body = html.encode("utf-8")
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)


def article_paragraphs(number: int, words: int = 60) -> list[str]:
    """Three distinct paragraphs for article `number`, each ending a sentence."""
    filler = " ".join(f"word{number}x{i}" for i in range(words // 3))
    return [f"Story {number} paragraph {p} reports on the harbour{number} council vote. {filler}."
            for p in range(1, 4)]


def write_warc(path: Path, count: int, broken_at: int | None = None, compress: bool | None = None,
               site: str = "Example News") -> list[str]:
    """A WARC at `path` with `count` HTML response records (record i's URL is
    https://news.example.com/story-i); record `broken_at` (0-based) gets a
    Content-Length that lies. Gzip per record when compress (default: path ends .gz).
    Returns the target URIs of the good records."""
    compress = path.name.endswith(".gz") if compress is None else compress
    uris = []
    with path.open("wb") as out:
        def put(record: bytes) -> None:
            out.write(gzip.compress(record) if compress else record)

        put(warc_record("warcinfo", "", b"software: newssearch tests\r\nformat: WARC File Format 1.0\r\n"))
        for i in range(count):
            uri = f"https://news.example.com/story-{i}"
            put(warc_record("request", uri, f"GET /story-{i} HTTP/1.1\r\nHost: news.example.com\r\n\r\n".encode()))
            page = html_page(f"Harbour story number {i}", article_paragraphs(i), site=site)
            record = warc_record("response", uri, http_response(page))
            if i == broken_at:
                head, _, rest = record.partition(b"\r\n\r\n")
                record = head.replace(b"Content-Length:", b"Content-Length: 9", 1) + b"\r\n\r\n" + rest[:200]
            else:
                uris.append(uri)
            put(record)
    return uris
