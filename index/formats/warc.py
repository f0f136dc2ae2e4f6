"""Web archives (WARC): each HTML response record with status 200 becomes an article,
read as a stream (fastwarc), so a multi-GB crawl never sits in memory.

fastwarc is imported on first use: searching never needs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from ...errors import NewssearchError
from .decoding import decode
from .html import MAX_PAGE_BYTES, page_article
from .records import Article, Origin, ReadOptions, Skip, byte_counter

HTML_TYPES = ("text/html", "application/xhtml+xml")
GZIP_MAGIC = b"\x1f\x8b"


def read_warc(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    """Articles of a WARC stream (already decompressed, or gzip per record). A broken
    record is skipped with its number (among response records) and reading goes on at
    the next record; a stream that cannot be read on ends the file with a skip."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b"WARC/"
    if not decode(head).strip():  # empty, or whitespace only
        yield Skip(origin.key, "no article text", empty=True)
        return
    if not head.startswith((b"WARC/", GZIP_MAGIC)):
        yield Skip(origin.key, "not a WARC file (binary or other content)")
        return
    take_bytes = byte_counter(origin)
    records = ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=True,
                              quirks_mode=True, auto_decode="all")
    number = 0
    iterator = iter(records)
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except (KeyboardInterrupt, SystemExit, NewssearchError):
            raise
        except BaseException as error:  # noqa: BLE001 - fastwarc panics on some streams (a BaseException)
            yield Skip(origin.key, f"unreadable WARC after record {number} ({str(error).splitlines()[0][:200]})")
            return
        number += 1
        item = _record_article(record, origin, number)
        if item is None:
            continue
        if isinstance(item, Article):
            item.size = take_bytes()
        yield item


def _record_article(record, origin: Origin, number: int) -> Article | Skip | None:  # noqa: ANN001 - fastwarc type
    uri = record.headers.get("WARC-Target-URI") or None
    where = f"record {number} at byte {record.stream_pos}"
    http = record.http_headers
    if http is None or not http.status_code:
        return Skip(origin.key, f"broken WARC record ({where}: no HTTP response)", number)
    if http.status_code != 200 or not (record.http_content_type or "").lower().startswith(HTML_TYPES):
        return None  # redirects, errors, images, scripts: not articles
    try:
        payload = record.reader.read(MAX_PAGE_BYTES + 1)
    except OSError as error:
        return Skip(origin.key, f"broken WARC record ({where}: {error})", number)
    if len(payload) > MAX_PAGE_BYTES:
        return Skip(origin.key, f"WARC record too large for a web page ({where})", number)
    if len(payload) < record.content_length:
        return Skip(origin.key, f"truncated WARC record ({where})", number)
    record_id = record.record_id or uri or f"R{number}"
    item = page_article(payload, origin, f"{origin.key}#{record_id}", record.http_charset, uri, line=number)
    if isinstance(item, Article):
        crawl_date = record.headers.get("WARC-Date")
        if crawl_date:
            item.metadata["crawl_date"] = crawl_date
        item.doc_id = record_id
        item.line = None
    return item
