"""Row types of the store and the small helpers every storage module uses: batching
ids for SQL `IN` lists, vector blobs, and the two rows derived from an article's
paragraphs (its mean vector and its whole text for article-level BM25)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import sqlite_utils

from ..linalg import unit_rows
from .fts import searchable


def body_hash(paragraphs: Sequence[str]) -> str | None:
    """What syndicated copies share: the body's paragraphs, case and spacing aside."""
    body = " ".join(" ".join(paragraphs).casefold().split())  # windows of a paragraph join up again
    return hashlib.sha1(body.encode("utf-8")).hexdigest() if body.strip() else None


def write_article_text(db: sqlite_utils.Database, article_id: int) -> None:
    """The article's whole text (headline and paragraphs) in the article-level FTS index."""
    texts = [row[0] for row in db.execute(
        "SELECT text FROM paragraphs WHERE article_id = ? ORDER BY position, part", [article_id])]
    db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
    if texts:
        text = "\n\n".join(texts)
        db.execute("INSERT INTO articles_fts (rowid, text) VALUES (?, ?)", [article_id, searchable(text) or text])


def write_article_vector(db: sqlite_utils.Database, article_id: int, dimension: int) -> None:
    """The article's vector: the L2-normalised mean of its paragraph vectors."""
    blobs = [row[0] for row in db.execute(
        "SELECT v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash WHERE p.article_id = ?",
        [article_id])]
    if not blobs:
        db.execute("DELETE FROM article_vectors WHERE article_id = ?", [article_id])
        return
    mean = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimension).mean(axis=0)
    db.execute("INSERT OR REPLACE INTO article_vectors (article_id, vector) VALUES (?, ?)",
               [article_id, vector_blob(unit_rows(mean))])


def batches(values: Iterable[Any], size: int = 500) -> Iterator[tuple[list[Any], str]]:
    """The values in chunks small enough for one SQL `IN (...)`, with their placeholders."""
    values = list(values)
    for start in range(0, len(values), size):
        chunk = values[start:start + size]
        yield chunk, ",".join("?" * len(chunk))


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StoredArticle:
    id: int
    key: str
    doc_id: str | None
    title: str | None
    date: str | None
    source: str | None
    url: str | None
    author: str | None
    path: str
    metadata: dict[str, Any]
    copy_of: int | None = None  # the article this is a syndicated copy of
    place: str | None = None  # from its dateline (index/formats/datelines.py)
    agency: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredArticle:
        return cls(
            id=row["id"], key=row["key"], doc_id=row["doc_id"], title=row["title"], date=row["date"],
            source=row["source"], url=row["url"], author=row["author"], path=row["path"],
            metadata=json.loads(row["metadata"] or "{}"), copy_of=row.get("copy_of"),
            place=row.get("place"), agency=row.get("agency"),
        )


class WrittenArticle(NamedTuple):
    id: int
    removed: list[int]  # paragraph ids
    added: list[int]
    copy_of: int | None


@dataclass
class Paragraph:
    id: int
    article_id: int
    position: int
    part: int
    text: str


def vector_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()



def unpack(rows: list[tuple[int, bytes]], dimension: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
    return ids, vectors
