"""What the format readers produce (`Article`, `Skip`), where it came from (`Origin`),
how the user maps fields (`ReadOptions`), and the one mapping from a record with
named fields (JSON object, table row) to an article."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Callable

from .dates import parse_date
from .decoding import decode, looks_binary

ID_FIELDS = ("_id", "id", "doc_id", "docid", "guid", "uuid")
TITLE_FIELDS = ("title", "headline")
TEXT_FIELDS = ("text", "body", "content", "article", "maintext", "description")
DATE_FIELDS = ("date", "published", "published_at", "publishedAt", "pubdate", "date_publish",
               "datePublished", "created_at", "timestamp")
URL_FIELDS = ("url", "link", "permalink")
SOURCE_FIELDS = ("source", "publisher", "site_name", "sitename", "outlet", "source_name")
AUTHOR_FIELDS = ("author", "authors", "byline", "creator")

# Bigger than any article: a text file, web page, JSON Lines line or table row that is
# larger is something else (a dump, a log, a disk image), skipped without being read
# whole, so memory stays bounded whatever a folder holds.
MAX_ARTICLE_BYTES = 20 * 2**20
# Files that hold many articles but can only be parsed whole (JSON documents, feeds).
MAX_DOCUMENT_BYTES = 64 * 2**20
_CHUNK = 2**20


@dataclass
class Article:
    """One article as read from its file, before it is split and embedded."""

    key: str  # unique within an index: the file path, or path#record-id
    path: str
    text: str
    title: str | None = None
    doc_id: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    size: int = 0  # bytes of input this article came from, for progress
    line: int | None = None  # line of a JSON Lines file it came from
    # Fields that could not be used, and why: the article is kept without them, and the
    # run's skip list names them.
    problems: list[str] = field(default_factory=list)


@dataclass
class Skip:
    """Something that could not be indexed, and why."""

    path: str
    reason: str
    line: int | None = None
    empty: bool = field(default=False, compare=False)  # read fine, holds no article: not a failure

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ReadOptions:
    """Field names chosen by the user for tables and JSON records; each overrides the
    automatic choice among the usual names (matched without regard to case)."""

    text_field: str | None = None
    title_field: str | None = None
    date_field: str | None = None
    source_field: str | None = None
    url_field: str | None = None
    id_field: str | None = None


@dataclass
class Origin:
    """Where a stream of bytes comes from: the file on disk (`path`), the prefix of
    its articles' keys (the path, `zip::member`, or `stdin`), and the name its format
    and a date are read from. `position` tells how many bytes of the file on disk
    have been consumed, so compressed input reports progress in file bytes."""

    path: str
    key: str
    name: str
    position: Callable[[], int] | None = None
    start: int | None = None  # the position where this stream's bytes begin, when known


def _lookup(record: dict[str, Any], chosen: str | None, names: Iterable[str]) -> tuple[str | None, Any]:
    """(field name, value) of the chosen field, else of the first usual name with a value."""
    lowered = {str(k).lower(): k for k in record}
    for name in ([chosen] if chosen else names):
        key = name if name in record else lowered.get(name.lower())
        if key is None:
            continue
        value = record[key]
        if value not in (None, "", []):
            return key, value
    return None, None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or value.get("id")
    if isinstance(value, list):
        value = ", ".join(str(_as_text(item)) for item in value if item)
    text = str(value).strip()
    return text or None


def record_to_article(record: Any, origin: Origin, number: int, size: int = 0, line: int | None = None,
                      options: ReadOptions | None = None) -> Article | Skip:
    """An article from one record with named fields: BEIR `{_id, title, text, metadata}`,
    the usual news fields (`id, title, text|body|content, date|published, url, source`),
    or the fields named in `options`. A record that cannot be read costs that record
    only (a `Skip`), never the rest of its file."""
    try:
        return _record_to_article(record, origin, number, size, line, options)
    except RecursionError:
        return Skip(origin.key, "record is nested too deeply", number)
    except Exception as error:  # noqa: BLE001 - one hostile record must not end its file
        return Skip(origin.key, f"record could not be read ({type(error).__name__}: {error})", number)


def _record_to_article(record: Any, origin: Origin, number: int, size: int, line: int | None,
                       options: ReadOptions | None) -> Article | Skip:
    if not isinstance(record, dict):
        return Skip(origin.key, "JSON record is not an object", number)
    options = options or ReadOptions()
    nested = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    merged = {**nested, **{k: v for k, v in record.items() if k != "metadata"}}
    used: set[str] = set()

    def pick(chosen: str | None, names: Iterable[str]) -> Any:
        key, value = _lookup(merged, chosen, names)
        if key is not None:
            used.add(key)
        return value

    text = pick(options.text_field, TEXT_FIELDS)
    if not isinstance(text, str) or not text.strip():
        looked_for = options.text_field or "text, body, content"
        return Skip(origin.key, f"record has no text (looked for: {looked_for})", number)
    doc_id = _as_text(pick(options.id_field, ID_FIELDS))
    raw_date = _as_text(pick(options.date_field, DATE_FIELDS))
    date = parse_date(raw_date) if raw_date else None
    title = _as_text(pick(options.title_field, TITLE_FIELDS))
    source = _as_text(pick(options.source_field, SOURCE_FIELDS))
    url = _as_text(pick(options.url_field, URL_FIELDS))
    author = _as_text(pick(None, AUTHOR_FIELDS))
    # Every usual name counts as used, so a second candidate (say `body` beside `text`)
    # does not land in metadata.
    usual = {n.lower() for n in ID_FIELDS + TITLE_FIELDS + TEXT_FIELDS + DATE_FIELDS + URL_FIELDS
             + SOURCE_FIELDS + AUTHOR_FIELDS}
    metadata = {k: v for k, v in merged.items() if k not in used and str(k).lower() not in usual}
    problems = []
    if raw_date and date is None:
        metadata["date_raw"] = raw_date
        shown = raw_date if len(raw_date) <= 40 else raw_date[:40] + "..."
        problems.append(f"date {shown!r} is not a date this index can store; the article is kept, undated")
    return Article(
        key=f"{origin.key}#{doc_id}" if doc_id else f"{origin.key}#L{number}",
        path=origin.path,
        text=text,
        title=title,
        doc_id=doc_id,
        date=date,
        source=source,
        url=url,
        author=author,
        metadata=metadata,
        size=size,
        line=line,
        problems=problems,
    )


def byte_counter(origin: Origin) -> Callable[[], int]:
    """A function that tells how many bytes of the file on disk were consumed since it
    was last called (or created): each article's share, for progress."""
    position = origin.position or (lambda: 0)
    last = position() if origin.start is None else origin.start

    def take() -> int:
        nonlocal last
        now = position()
        size, last = max(now - last, 0), max(now, last)
        return size

    return take


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


def too_large(limit: int, size: int | None = None, what: str = "file") -> str:
    """The reason for skipping something over `limit` bytes (its size when known)."""
    if size is None:
        return f"{what} too large (over the {_megabytes(limit)} limit)"
    return f"{what} too large ({_megabytes(size)} > {_megabytes(limit)} limit)"


def _disk_size(stream: IO[bytes]) -> int | None:
    """Size of the file a stream reads straight from disk; None for decompressed streams."""
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
        return None


def read_limited(stream: IO[bytes], origin: Origin, limit: int) -> bytes | Skip:
    """All bytes of a stream that has at most `limit` of them, else a skip saying so. A
    file on disk is measured before it is read; other streams are read to limit + 1."""
    size = _disk_size(stream)
    if size is not None and size > limit:
        return Skip(origin.key, too_large(limit, size))
    data = stream.read(limit + 1)
    if len(data) > limit:
        return Skip(origin.key, too_large(limit))
    return data


def read_document(stream: IO[bytes], origin: Origin, limit: int) -> tuple[bytes, str] | Skip:
    """The bytes and text of a whole-file document, or a skip: too large, binary, or
    holding nothing but white space."""
    data = read_limited(stream, origin, limit)
    if isinstance(data, Skip):
        return data
    if looks_binary(data):
        return Skip(origin.key, "binary content")
    text = decode(data)
    if not text.strip():
        return Skip(origin.key, "no article text", empty=True)
    return data, text


def bounded_lines(stream: IO[bytes] | io.TextIOBase, limit: int = MAX_ARTICLE_BYTES) -> Iterator[Any]:
    """The lines of a stream (bytes or text), each read with at most `limit` + 1 units in
    memory; a longer line is read past in chunks and comes out as None."""
    ends: Any = None
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if ends is None:
            ends = b"\n" if isinstance(line, bytes) else ("\n", "\r")
        if len(line) <= limit or line.endswith(ends):
            yield line
            continue
        while True:
            rest = stream.readline(_CHUNK)
            if not rest or rest.endswith(ends):
                break
        yield None
