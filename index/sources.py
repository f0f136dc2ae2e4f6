"""Read articles out of files and folders: plain text, Markdown, JSON and JSON Lines.

Every reader yields `Article` records for what it could read and `Skip` records,
with a reason, for what it could not; one bad file or line never stops a run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .dates import parse_date

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSON_LINES_SUFFIXES | JSON_SUFFIXES

# Files in a folder walk that describe the archive rather than belong to it.
DOCUMENTATION_NAMES = {"README", "LICENSE", "LICENCE", "COPYING"}

ID_FIELDS = ("_id", "id", "doc_id", "docid", "guid", "uuid")
TITLE_FIELDS = ("title", "headline")
TEXT_FIELDS = ("text", "body", "content", "article", "maintext", "description")
DATE_FIELDS = ("date", "published", "published_at", "publishedAt", "pubdate", "date_publish",
               "datePublished", "created_at", "timestamp")
URL_FIELDS = ("url", "link", "permalink")
SOURCE_FIELDS = ("source", "publisher", "site_name", "sitename", "outlet", "source_name")
AUTHOR_FIELDS = ("author", "authors", "byline", "creator")

# Header lines at the top of a text file ("Date: 2022-01-10") and the field each fills.
HEADER_KEYS = {
    "title": "title", "headline": "title",
    "date": "date", "published": "date", "pubdate": "date", "dateline": "date",
    "source": "source", "publisher": "source", "site": "source",
    "url": "url", "link": "url",
    "author": "author", "authors": "author", "by": "author", "byline": "author",
    "id": "doc_id",
}
HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z _-]{0,20}):\s*(.*\S)\s*$")


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


@dataclass
class Skip:
    """Something that could not be indexed, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


def collect_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Skip]]:
    """Files to read under the given files and folders (folders walked recursively,
    leaving out hidden files and folders and README/LICENSE files), plus the files
    skipped for their format."""
    files: list[Path] = []
    skips: list[Skip] = []
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise InputError(f"path not found: {given}")
        if path.is_file():
            files.append(path.resolve())
            continue
        found = 0
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if name.startswith(".") or name.split(".")[0].upper() in DOCUMENTATION_NAMES:
                    continue
                found += 1
                file = (Path(root) / name).resolve()
                if file.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(file)
                else:
                    skips.append(Skip(str(file), f"unsupported format '{file.suffix or name}'"))
        if found == 0:
            raise InputError(f"folder is empty: {given}")
    return list(dict.fromkeys(files)), skips


def decode(data: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_file(path: Path) -> Iterator[Article | Skip]:
    """Articles in one file (any supported format)."""
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            yield from _read_text_file(path)
        elif suffix in JSON_LINES_SUFFIXES:
            yield from _read_json_lines(path)
        elif suffix in JSON_SUFFIXES:
            yield from _read_json_file(path)
        else:
            yield Skip(str(path), f"unsupported format '{suffix}'")
    except OSError as error:
        yield Skip(str(path), f"cannot read: {error.strerror or error}")


def _read_text_file(path: Path) -> Iterator[Article | Skip]:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield Skip(str(path), "binary content")
        return
    fields, body = parse_text_article(decode(data), markdown=path.suffix.lower() in {".md", ".markdown"})
    if not body.strip():
        yield Skip(str(path), "no article text")
        return
    yield Article(key=str(path), path=str(path), text=body, size=len(data), **fields)


def parse_text_article(text: str, markdown: bool = False) -> tuple[dict[str, Any], str]:
    """Split a text article into its fields (title, header lines) and its body.

    The title is the first non-empty line; `Key: value` lines before or right after
    it (Date:, Source:, URL:, Author:, ...) become fields. Markdown front matter and
    a leading `#` on the title are understood.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    index = 0
    if markdown and lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
        if end is not None:
            for line in lines[1:end]:
                _take_header(line, fields, metadata, strict=False)
            index = end + 1

    def skip_blank(i: int) -> int:
        while i < len(lines) and not lines[i].strip():
            i += 1
        return i

    index = skip_blank(index)
    while index < len(lines) and _take_header(lines[index], fields, metadata):
        index += 1
    index = skip_blank(index)
    if "title" not in fields and index < len(lines):
        title = lines[index].strip()
        if markdown:
            title = title.lstrip("#").strip()
        fields["title"] = title
        index = skip_blank(index + 1)
        while index < len(lines) and _take_header(lines[index], fields, metadata):
            index += 1
    if "date" in fields:
        raw = fields["date"]
        fields["date"] = parse_date(raw)
        if fields["date"] is None:
            metadata["date_raw"] = raw
    if metadata:
        fields["metadata"] = metadata
    return fields, "\n".join(lines[index:]).strip()


def _take_header(line: str, fields: dict[str, Any], metadata: dict[str, str], strict: bool = True) -> bool:
    match = HEADER_LINE.match(line.strip())
    if not match:
        return False
    key, value = match.group(1).strip().lower().replace(" ", "_"), match.group(2).strip().strip("\"'")
    target = HEADER_KEYS.get(key)
    if target is None:
        if strict:
            return False
        metadata[key] = value
        return True
    fields.setdefault(target, value)
    return True


def _read_json_lines(path: Path) -> Iterator[Article | Skip]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(decode(raw))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                yield Skip(str(path), f"invalid JSON ({error.msg if hasattr(error, 'msg') else error})", number)
                continue
            yield record_to_article(record, path, number, size=len(raw), line=number)


def _read_json_file(path: Path) -> Iterator[Article | Skip]:
    data = path.read_bytes()
    try:
        document = json.loads(decode(data))
    except json.JSONDecodeError as error:
        yield Skip(str(path), f"invalid JSON ({error.msg} at line {error.lineno})")
        return
    if isinstance(document, dict) and isinstance(document.get("articles"), list):
        document = document["articles"]
    records = document if isinstance(document, list) else [document]
    size = len(data) // max(len(records), 1)
    for number, record in enumerate(records, start=1):
        yield record_to_article(record, path, number, size=size)


def _first(record: dict[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return value
    return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or value.get("id")
    if isinstance(value, list):
        value = ", ".join(str(_as_text(item)) for item in value if item)
    text = str(value).strip()
    return text or None


def record_to_article(record: Any, path: Path, number: int, size: int = 0, line: int | None = None) -> Article | Skip:
    """An article from one JSON record: BEIR `{_id, title, text, metadata}` or the
    usual news fields (`id, title, text|body|content, date|published, url, source`)."""
    if not isinstance(record, dict):
        return Skip(str(path), "JSON record is not an object", number)
    nested = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    merged = {**nested, **{k: v for k, v in record.items() if k != "metadata"}}
    text = _first(merged, TEXT_FIELDS)
    if not isinstance(text, str) or not text.strip():
        return Skip(str(path), "record has no text (looked for: text, body, content)", number)
    doc_id = _as_text(_first(merged, ID_FIELDS))
    raw_date = _as_text(_first(merged, DATE_FIELDS))
    date = parse_date(raw_date) if raw_date else None
    used = set(ID_FIELDS + TITLE_FIELDS + TEXT_FIELDS + DATE_FIELDS + URL_FIELDS + SOURCE_FIELDS + AUTHOR_FIELDS)
    metadata = {k: v for k, v in merged.items() if k not in used}
    if raw_date and date is None:
        metadata["date_raw"] = raw_date
    return Article(
        key=f"{path}#{doc_id}" if doc_id else f"{path}#L{number}",
        path=str(path),
        text=text,
        title=_as_text(_first(merged, TITLE_FIELDS)),
        doc_id=doc_id,
        date=date,
        source=_as_text(_first(merged, SOURCE_FIELDS)),
        url=_as_text(_first(merged, URL_FIELDS)),
        author=_as_text(_first(merged, AUTHOR_FIELDS)),
        metadata=metadata,
        size=size,
        line=line,
    )
