"""Tables (CSV, TSV): one article a row, its columns found by the usual names
(`title`, `text`/`body`, `date`/`published`, ...) or named in ReadOptions."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, TextIO

from .decoding import looks_binary, text_stream
from .records import (
    MAX_ARTICLE_BYTES, Article, Origin, ReadOptions, Skip, bounded_lines, byte_counter, record_to_article, too_large,
)

# A field may hold a whole long article, but not unbounded data.
MAX_FIELD_CHARS = MAX_ARTICLE_BYTES


def _lines(text: TextIO, too_long: list[int]) -> Iterator[str]:
    """Lines for the csv reader, each of bounded size: a longer one is read past, noted
    by its number, and given to the reader as an empty line."""
    for number, line in enumerate(bounded_lines(text, MAX_FIELD_CHARS), start=1):
        if line is None:
            too_long.append(number)
            line = "\n"
        yield line


def read_table(stream: IO[bytes], origin: Origin, options: ReadOptions, delimiter: str) -> Iterator[Article | Skip]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    take_bytes = byte_counter(origin)
    text, head = text_stream(stream)
    if looks_binary(head):
        yield Skip(origin.key, "binary content")
        return
    too_long: list[int] = []
    rows = csv.reader(_lines(text, too_long), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        header = []
    except csv.Error as error:
        yield Skip(origin.key, f"unreadable table header ({error})")
        return
    if too_long:
        yield Skip(origin.key, f"unreadable table header ({too_large(MAX_FIELD_CHARS, what='line')})", too_long[0])
        return
    if not any(name.strip() for name in header):
        yield Skip(origin.key, "no article text", empty=True)
        return
    header = [name.strip() for name in header]
    while True:
        start = rows.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            yield Skip(origin.key, f"unreadable row ({error})", start)
            continue
        while too_long:
            yield Skip(origin.key, too_large(MAX_FIELD_CHARS, what="line"), too_long.pop(0))
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield Skip(origin.key, f"row has {len(row)} fields, the header {len(header)}", start)
            continue
        item = record_to_article(dict(zip(header, row)), origin, start, line=start, options=options)
        if isinstance(item, Article):
            item.size = take_bytes()
        yield item
