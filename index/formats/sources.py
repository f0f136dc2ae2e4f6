"""Read articles out of files and folders, whatever their format: plain text,
Markdown, JSON and JSON Lines here; HTML, web archives, feeds, tables and compressed
files in their own modules. This module picks the reader from the file name.

Every reader yields `Article` records for what it could read and `Skip` records,
with a reason, for what it could not; one bad file or line never stops a run.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any, Callable

from ...errors import DependencyError, InputError, NewssearchError
from ..storage.locations import STDIN
from . import compressed
from .dates import parse_date
from .decoding import decode, looks_binary
from .feeds import read_feed
from .html import read_html
from .metadata import complete
from .records import (  # noqa: F401 - the readers' types, imported from here by callers
    AUTHOR_FIELDS, DATE_FIELDS, ID_FIELDS, MAX_ARTICLE_BYTES, MAX_DOCUMENT_BYTES, SOURCE_FIELDS, TEXT_FIELDS,
    TITLE_FIELDS, URL_FIELDS, Article, Origin, ReadOptions, Skip, bounded_lines, byte_counter, read_document,
    read_limited, record_to_article, too_large,
)
from .tables import read_table
from .warc import read_warc

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
WARC_SUFFIXES = {".warc"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
TABLE_SUFFIXES = {".csv", ".tsv"}
COMPRESSED_SUFFIXES = {".gz", ".bz2", ".zip"}
SUPPORTED_SUFFIXES = (TEXT_SUFFIXES | JSON_LINES_SUFFIXES | JSON_SUFFIXES | HTML_SUFFIXES | WARC_SUFFIXES
                      | FEED_SUFFIXES | TABLE_SUFFIXES | COMPRESSED_SUFFIXES)


# Files in a folder walk that describe the archive rather than belong to it.
DOCUMENTATION_NAMES = {"README", "LICENSE", "LICENCE", "COPYING"}

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




def collect_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Skip]]:
    """Files to read under the given files and folders (folders walked recursively,
    leaving out hidden files and folders and README/LICENSE files), plus the files
    skipped for their format or for what they are (broken links, link loops, devices).
    `-` stands for standard input."""
    files: list[Path] = []
    skips: list[Skip] = []
    for given in paths:
        if str(given) == STDIN:
            files.append(Path(STDIN))
            continue
        path = Path(given).expanduser()
        if not path.exists():
            raise InputError(f"path not found: {given}")
        if not path.is_dir():
            _add_file(path, files, skips)
            continue
        found = 0

        def unreadable_folder(error: OSError) -> None:
            skips.append(Skip(display_path(error.filename), f"cannot read folder: {error.strerror or error}"))

        for root, dirs, names in os.walk(path, onerror=unreadable_folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if name.startswith(".") or name.split(".")[0].upper() in DOCUMENTATION_NAMES:
                    continue
                found += 1
                _add_file(Path(root) / name, files, skips)
        if found == 0:
            raise InputError(f"folder is empty: {given}")
    return list(dict.fromkeys(files)), skips


def _add_file(path: Path, files: list[Path], skips: list[Skip]) -> None:
    try:
        resolved = path.resolve(strict=True)
        mode = resolved.stat().st_mode
    except RuntimeError:  # Python < 3.13 reports a loop this way
        skips.append(Skip(display_path(path), "symbolic link loop"))
        return
    except OSError as error:
        reason = "broken symbolic link" if path.is_symlink() else f"cannot read: {error.strerror or error}"
        if path.is_symlink() and error.strerror and "levels of symbolic links" in error.strerror:
            reason = "symbolic link loop"
        skips.append(Skip(display_path(path), reason))
        return
    if not stat.S_ISREG(mode):
        skips.append(Skip(display_path(path), "not a regular file"))
    elif supported(path.name):
        files.append(resolved)
    else:
        skips.append(Skip(display_path(resolved), f"unsupported format '{display_path(resolved.suffix or path.name)}'"))


def supported(name: str) -> bool:
    """Whether a file of this name is read (a compressed file by its inner name)."""
    return _reader(name) is not None


Reader = Callable[[IO[bytes], Origin, ReadOptions], Iterator[Article | Skip]]


def _reader(name: str) -> tuple[Reader, bool] | None:
    """The reader for a file name, and whether it is a container of other files."""
    lowered = name.lower()
    suffix = os.path.splitext(lowered)[1]
    if suffix == ".gz":
        inner = lowered[:-3]
        return (partial(compressed.read_gzip, read_inner=read_stream), True) if supported(inner) else None
    if suffix == ".bz2":
        inner = lowered[:-4]
        return (partial(compressed.read_bz2, read_inner=read_stream), True) if supported(inner) else None
    if suffix == ".zip":
        return partial(compressed.read_zip, read_inner=read_stream), True
    reader = READERS.get(suffix)
    return (reader, False) if reader else None


def read_file(path: Path, options: ReadOptions | None = None) -> Iterator[Article | Skip]:
    """Articles in one file (any supported format); `-` reads JSON Lines from stdin."""
    options = options or ReadOptions()
    if str(path) == STDIN:
        yield from read_stdin_jsonl(sys.stdin.buffer, options)
        return
    shown = display_path(path)
    try:
        with path.open("rb") as handle:
            yield from read_stream(handle, Origin(shown, shown, display_path(path.name), handle.tell), options)
    except OSError as error:
        yield Skip(shown, f"cannot read: {error.strerror or error}")
    except NewssearchError:
        raise
    except ImportError as error:  # an installation problem, not this file's
        raise DependencyError(error) from None
    except Exception as error:  # noqa: BLE001 - a reader failing on one file must not stop a run
        yield Skip(shown, f"reading failed ({type(error).__name__}: {_first_line(error)})")


def display_path(path: str | os.PathLike) -> str:
    """A path as text that can be stored and printed: bytes of a file name that are not
    UTF-8 (an old Latin-1 name, say) written as \\xe9, the rest as it is."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _first_line(error: BaseException) -> str:
    lines = str(error).splitlines()
    return lines[0][:200] if lines else ""


def read_stream(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    """Articles in a stream of bytes, read by the format its origin's name says; the
    metadata fallbacks (dates in names, domains as sources) applied to each."""
    found = _reader(origin.name)
    if found is None:
        suffix = os.path.splitext(origin.name)[1]
        yield Skip(origin.key, f"unsupported format '{suffix or origin.name}'")
        return
    reader, container = found
    for item in reader(stream, origin, options):
        yield complete(item, origin.name, origin.path) if isinstance(item, Article) and not container else item


def read_stdin_jsonl(stream: IO[bytes], options: ReadOptions | None = None) -> Iterator[Article | Skip]:
    """Articles piped in as JSON Lines; keys are `stdin#<id>` or `stdin#L<line>`."""
    origin = Origin(path="stdin", key="stdin", name="stdin.jsonl")
    yield from read_stream(stream, origin, options or ReadOptions())


def _read_text_file(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    take_bytes = byte_counter(origin)
    document = read_document(stream, origin, MAX_ARTICLE_BYTES)
    if isinstance(document, Skip):
        yield document
        return
    markdown = origin.name.lower().endswith((".md", ".markdown"))
    fields, body = parse_text_article(document[1], markdown=markdown)
    if not body.strip():
        yield Skip(origin.key, "no article text", empty=True)
        return
    yield Article(key=origin.key, path=origin.path, text=body, size=take_bytes(), **fields)


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


def _json_error(error: ValueError | RecursionError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON ({error.msg})"
    if isinstance(error, RecursionError):
        return "invalid JSON (nested too deeply)"
    return f"invalid JSON ({_first_line(error)[:100]})"  # e.g. an integer of thousands of digits


def _read_json_lines(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    """One article a line, each line read with bounded memory. A file whose first line
    is not JSON and that looks binary is skipped whole, not line by line. An empty file
    is an empty collection, not a skip: a file emptied of articles loses them."""
    take_bytes = byte_counter(origin) if origin.position else None
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    read_a_line = False
    for number, raw in enumerate(bounded_lines(stream, MAX_ARTICLE_BYTES), start=1):
        if raw is None:
            read_a_line = True
            yield Skip(origin.key, too_large(MAX_ARTICLE_BYTES, what="line"), number)
            continue
        text = decode(raw)
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError) as error:
            if not read_a_line and looks_binary(head):
                yield Skip(origin.key, "binary content")
                return
            read_a_line = True
            yield Skip(origin.key, _json_error(error), number)
            continue
        read_a_line = True
        size = take_bytes() if take_bytes else len(raw)
        yield record_to_article(record, origin, number, size=size, line=number, options=options)


def _read_json_file(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    take_bytes = byte_counter(origin)
    document = read_document(stream, origin, MAX_DOCUMENT_BYTES)
    if isinstance(document, Skip):
        yield document
        return
    data, text = document
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        yield Skip(origin.key, f"invalid JSON ({error.msg} at line {error.lineno})")
        return
    except (ValueError, RecursionError) as error:
        yield Skip(origin.key, _json_error(error))
        return
    if isinstance(document, dict) and isinstance(document.get("articles"), list):
        document = document["articles"]
    records = document if isinstance(document, list) else [document]
    size = (take_bytes() if origin.position else len(data)) // max(len(records), 1)
    for number, record in enumerate(records, start=1):
        yield record_to_article(record, origin, number, size=size, options=options)


READERS: dict[str, Reader] = {
    **dict.fromkeys(TEXT_SUFFIXES, _read_text_file),
    **dict.fromkeys(JSON_LINES_SUFFIXES, _read_json_lines),
    **dict.fromkeys(JSON_SUFFIXES, _read_json_file),
    **dict.fromkeys(HTML_SUFFIXES, read_html),
    **dict.fromkeys(WARC_SUFFIXES, read_warc),
    **dict.fromkeys(FEED_SUFFIXES, read_feed),
    ".csv": partial(read_table, delimiter=","),
    ".tsv": partial(read_table, delimiter="\t"),
}
