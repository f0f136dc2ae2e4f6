"""RSS and Atom feeds: each entry with its content (or summary) becomes an article.

feedparser is imported on first use: searching never needs it."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import IO, Any

from .dates import parse_date
from .html import fragment_text
from .records import MAX_DOCUMENT_BYTES, Article, Origin, ReadOptions, Skip, read_document


def _entry_text(entry: Any) -> str:
    contents = [c.get("value", "") for c in entry.get("content") or [] if c.get("value")]
    raw = max(contents, key=len) if contents else entry.get("summary") or entry.get("description") or ""
    return fragment_text(raw)


def _entry_date(entry: Any) -> str | None:
    for name in ("published", "updated", "created"):
        date = parse_date(entry.get(name))
        if date:
            return date
        parsed = entry.get(f"{name}_parsed")
        if parsed:  # feedparser's own reading, in UTC
            moment = dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.timezone.utc)
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def read_feed(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    import feedparser

    document = read_document(stream, origin, MAX_DOCUMENT_BYTES)  # feeds are small; a larger file is a dump
    if isinstance(document, Skip):
        yield document
        return
    data = document[0]
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version"):
        yield Skip(origin.key, "not a feed")
        return
    feed_title = parsed.feed.get("title") or None
    size = len(data) // max(len(parsed.entries), 1)
    for number, entry in enumerate(parsed.entries, start=1):
        text = _entry_text(entry)
        if not text.strip():
            yield Skip(origin.key, "feed entry has no text", number)
            continue
        entry_id = entry.get("id") or entry.get("link")
        author = entry.get("author") or ", ".join(a.get("name", "") for a in entry.get("authors") or []) or None
        yield Article(
            key=f"{origin.key}#{entry_id}" if entry_id else f"{origin.key}#E{number}",
            path=origin.path,
            text=text,
            title=fragment_text(entry.get("title", "")) or None,
            doc_id=entry_id or None,
            date=_entry_date(entry),
            source=feed_title,
            url=entry.get("link") or None,
            author=author,
            size=size,
        )
