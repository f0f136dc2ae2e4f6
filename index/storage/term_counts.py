"""How many rows of an FTS5 table hold a query word, as FTS5 itself counts them: the
word stemmed by the table's tokenizer, the count read from its vocabulary, the table's
row count from its averages record. Search uses them to leave out of a BM25 match the
words that cannot change its ranking (candidates.py, `telling_terms`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import sqlite_utils

from .fts import FTS_TOKENIZER

FTS_TABLES = ("paragraphs_fts", "articles_fts")
MAX_REMEMBERED = 100_000  # words (stems; counts per table) a process keeps before starting over
_stems: dict[str, list[str]] = {}
# (database, FTS table) -> (its averages record when counted, {stem: rows holding it})
_counts: dict[tuple[str, str], tuple[bytes, dict[str, int]]] = {}
_lock = threading.Lock()


def averages_record(db: sqlite_utils.Database, table: str) -> bytes | None:
    """FTS5's averages record (row 1 of its %_data table): it changes with every write."""
    if table not in FTS_TABLES:
        raise ValueError(f"not a keyword index table: {table}")
    row = db.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()
    return row[0] if row and row[0] else None


def row_count(averages: bytes) -> int:
    """The rows of an FTS5 table as its BM25 counts them: the first varint of its
    averages record."""
    return varints(averages, 1)[0]


def token_count(averages: bytes) -> int:
    """The tokens in all the rows of a one-column FTS5 table: the averages record's
    second varint (BM25's average row length is this over `row_count`)."""
    return varints(averages, 2)[1]


def varints(data: bytes, count: int) -> list[int]:
    """The first `count` of SQLite's varints in `data` (7 bits a byte, high bit set on
    all but the last; a ninth byte holds 8 bits), as FTS5 writes its records."""
    values: list[int] = []
    position = 0
    while len(values) < count and position < len(data):
        value = 0
        for used in range(9):
            byte = data[position]
            position += 1
            if used == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values + [0] * (count - len(values))


def telling(terms: Sequence[str], words: Sequence[Sequence[str]], held: dict[str, int], total: int) -> list[str]:
    """The terms less those found (every stem of them, `words`) in at least half of
    `total` rows (`held`: rows holding each stem), unless that leaves none: see
    `Candidates.telling_terms`."""
    if len(terms) < 2 or total < 2:
        return list(terms)
    kept = [term for term, found in zip(terms, words) if not found or any(2 * held[stem] < total for stem in found)]
    return kept or list(terms)


def stems(db: sqlite_utils.Database, words: Sequence[str]) -> list[list[str]]:
    """Each word's tokens as the keyword index stems them (remembered: they never change)."""
    known = {word: _stems.get(word) for word in words}
    unknown = [word for word, found in known.items() if found is None]
    if unknown:
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_text USING fts5(text, tokenize='{FTS_TOKENIZER}')")
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_stems USING fts5vocab(temp, query_text, 'instance')")
        try:
            db.conn.executemany("INSERT INTO temp.query_text (rowid, text) VALUES (?, ?)", list(enumerate(unknown)))
            found: dict[int, list[str]] = {}
            for i, stem in db.execute("SELECT doc, term FROM temp.query_stems ORDER BY doc, offset"):
                found.setdefault(i, []).append(stem)
        finally:
            db.execute("DELETE FROM temp.query_text")
        known.update((word, found.get(i, [])) for i, word in enumerate(unknown))
        with _lock:
            if len(_stems) > MAX_REMEMBERED:
                _stems.clear()
            _stems.update((word, known[word] or []) for word in unknown)
    return [known[word] or [] for word in words]


def rows_holding(db: sqlite_utils.Database, path: Path, table: str, averages: bytes,
                 wanted: Sequence[str]) -> dict[str, int]:
    """stem -> rows of `table` holding it. Counting walks the stem's whole list, so
    counts are remembered while the table stays as it is (the same averages record)."""
    key = (str(path), table)
    with _lock:
        version, counted = _counts.get(key, (None, {}))
        if version != averages:
            counted = {}
        found = {stem: counted[stem] for stem in wanted if stem in counted}
    missing = [stem for stem in dict.fromkeys(wanted) if stem not in found]
    if missing:
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_terms USING fts5vocab(main, {table}, 'row')")
        marks = ", ".join("?" * len(missing))
        counts = dict.fromkeys(missing, 0)
        counts.update(db.execute(f"SELECT term, doc FROM temp.{table}_terms WHERE term IN ({marks})", missing).fetchall())
        found.update(counts)
        with _lock:
            version, counted = _counts.get(key, (None, {}))
            if version != averages or len(counted) > MAX_REMEMBERED:
                counted = {}
                _counts[key] = (averages, counted)
            counted.update(counts)
    return found
