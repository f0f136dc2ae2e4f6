"""Candidates for search, as SQL: the articles and paragraphs a filter lets through,
and keyword (FTS5 BM25) matches for a query's words. Search asks for these; it
writes no SQL of its own. Filter values are always SQL parameters, never SQL text."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import sqlite_utils

from .fts import FTS_TOKENIZER, match_expression
from .rows import batches

MAX_STEMS_REMEMBERED = 100_000  # query words whose FTS5 stems this process keeps
_STEMS: dict[str, list[str]] = {}
# (database, FTS table) -> (its averages record, {stem: rows holding it})
_ROW_COUNTS: dict[tuple[str, str], tuple[bytes, dict[str, int]]] = {}
_ROW_COUNTS_LOCK = threading.Lock()
WHOLE_LIST_PER_ID = 40  # articles read per wanted article before looking each one up instead


class ArticleFilter(Protocol):
    """What a filter says (search/filters.py parses it from user input)."""

    since: str | None  # YYYY-MM-DD, inclusive
    until: str | None
    sources: tuple[str, ...]  # case-insensitive substrings of the source
    places: tuple[str, ...]  # case-insensitive substrings of the dateline's place

    @property
    def active(self) -> bool: ...


def filter_sql(where: ArticleFilter, article_alias: str = "a") -> tuple[str, list[str]]:
    """A WHERE fragment over the articles table (always true when inactive) and its parameters."""
    clauses: list[str] = []
    params: list[str] = []
    if where.since:
        clauses.append(f"substr({article_alias}.date, 1, 10) >= ?")
        params.append(where.since)
    if where.until:
        clauses.append(f"substr({article_alias}.date, 1, 10) <= ?")
        params.append(where.until)
    if where.sources:
        ors = " OR ".join(f"instr(lower({article_alias}.source), ?) > 0" for _ in where.sources)
        clauses.append(f"({ors})")
        params.extend(s.lower() for s in where.sources)
    if where.places:
        ors = " OR ".join(f"instr(lower({article_alias}.place), ?) > 0" for _ in where.places)
        clauses.append(f"({ors})")
        params.extend(s.lower() for s in where.places)
    return (" AND ".join(clauses) or "1"), params


class Candidates:
    """The candidate-finding part of `Store`."""

    db: sqlite_utils.Database

    def filtered_article_ids(self, where: ArticleFilter) -> np.ndarray:
        """Ids of the articles that pass the filter."""
        condition, params = filter_sql(where)
        rows = self.db.execute(f"SELECT a.id FROM articles a WHERE {condition}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def filtered_paragraph_ids(self, where: ArticleFilter) -> np.ndarray:
        """Ids of the paragraphs whose article passes the filter."""
        condition, params = filter_sql(where)
        rows = self.db.execute(
            f"SELECT p.id FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE {condition}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def _bm25(self, terms: Sequence[str], columns: str, joins: str, table: str, limit: int,
              where: ArticleFilter) -> list[tuple]:
        """Rows of `columns` for the FTS5 `table` (joined to the articles as `a`) matching
        any of `terms`, best BM25 first, within the filter; a last column holds the
        score (higher is better)."""
        condition, params = filter_sql(where)

        def best(chosen: Sequence[str]) -> list[tuple]:
            expression = match_expression(chosen)
            if expression is None:
                return []
            return self.db.execute(
                f"SELECT {columns}, -bm25({table}) FROM {table} {joins} "
                f"WHERE {table} MATCH ? AND {condition} ORDER BY bm25({table}) LIMIT ?",
                [expression, *params, limit],
            ).fetchall()

        telling = self.telling_terms(terms, table)
        rows = best(telling)
        # Rows that hold only the common terms score next to nothing but still match:
        # when the others leave the list short (a filter, a small archive), match them all.
        if len(rows) < limit and len(telling) < len(terms):
            rows = best(terms)
        return rows

    def telling_terms(self, terms: Sequence[str], table: str) -> list[str]:
        """The terms less the ones that cannot change the FTS5 `table`'s BM25 ranking.

        FTS5 gives a term found in at least half the rows an IDF of 1e-6 (its formula
        would go negative), so such a term ("the", "at" in news) adds at most some 1e-6
        to a score, yet matching it means scoring every row that holds it, most of the
        table. Those terms are left out of the match (unless every term is one of them,
        or the others match fewer rows than asked for: see `_bm25`). A term's row count is read from FTS5's own vocabulary, as FTS5 stems it."""
        if len(terms) < 2:
            return list(terms)
        averages = self.db.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()
        total = row_count(averages[0]) if averages else 0
        if total < 2:
            return list(terms)
        stems = self._stems(terms)
        # Counting a term's rows walks its whole list, so counts are kept while the table
        # stays as it is: FTS5's averages record (rows, tokens) changes with every write.
        key = (str(self.path), table)
        with _ROW_COUNTS_LOCK:
            version, counted = _ROW_COUNTS.get(key, (None, {}))
            rows_with = dict(counted) if version == averages[0] else {}
        missing = list({stem for stem_list in stems for stem in stem_list if stem not in rows_with})
        if missing:
            self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_terms USING fts5vocab(main, {table}, "
                            "'row')")
            marks = ", ".join("?" * len(missing))
            rows_with.update(dict.fromkeys(missing, 0))
            rows_with.update(self.db.execute(f"SELECT term, doc FROM temp.{table}_terms WHERE term IN ({marks})",
                                             missing).fetchall())
            with _ROW_COUNTS_LOCK:
                _ROW_COUNTS[key] = (averages[0], rows_with)
        telling = [term for term, stem_list in zip(terms, stems)
                   if not stem_list or any(2 * rows_with.get(stem, 0) < total for stem in stem_list)]
        return telling or list(terms)

    def _stems(self, terms: Sequence[str]) -> list[list[str]]:
        """Each term's tokens as the keyword index stems them (remembered: they never change)."""
        known = {term: _STEMS.get(term) for term in terms}
        unknown = [term for term, stems in known.items() if stems is None]
        if unknown:
            self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_text USING fts5(text, "
                            f"tokenize='{FTS_TOKENIZER}')")
            self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_stems USING fts5vocab(temp, query_text, "
                            "'instance')")
            try:
                self.db.conn.executemany("INSERT INTO temp.query_text (rowid, text) VALUES (?, ?)",
                                         list(enumerate(unknown)))
                found: dict[int, list[str]] = {}
                for i, stem in self.db.execute("SELECT doc, term FROM temp.query_stems ORDER BY doc, offset"):
                    found.setdefault(i, []).append(stem)
            finally:
                self.db.execute("DELETE FROM temp.query_text")
            known.update((term, found.get(i, [])) for i, term in enumerate(unknown))
            if len(_STEMS) > MAX_STEMS_REMEMBERED:
                _STEMS.clear()
            _STEMS.update((term, known[term]) for term in unknown)
        return [known[term] or [] for term in terms]

    def bm25_paragraphs(self, terms: Sequence[str], limit: int, where: ArticleFilter) -> list[tuple[int, int, float]]:
        """(paragraph id, article id, score) best first; score is BM25, higher is better."""
        if where.active:
            rows = self._bm25(terms, "p.id, p.article_id",
                              "JOIN paragraphs p ON p.id = paragraphs_fts.rowid JOIN articles a ON a.id = p.article_id",
                              "paragraphs_fts", limit, where)
            return [(int(pid), int(aid), float(score)) for pid, aid, score in rows]
        # Without a filter the joins would run for every matching paragraph before the
        # limit; the articles of the best few are looked up afterwards instead.
        best = self._bm25(terms, "paragraphs_fts.rowid", "", "paragraphs_fts", limit, where)
        owners = self.paragraph_article_ids([int(pid) for pid, _ in best])
        return [(int(pid), owners[int(pid)], float(score)) for pid, score in best if int(pid) in owners]

    def bm25_articles(self, terms: Sequence[str], limit: int, where: ArticleFilter) -> list[tuple[int, float]]:
        """(article id, score) best first, BM25 over each article's whole text."""
        joins = "JOIN articles a ON a.id = articles_fts.rowid" if where.active else ""  # rowid is the article id
        rows = self._bm25(terms, "articles_fts.rowid", joins, "articles_fts", limit, where)
        return [(int(article_id), float(score)) for article_id, score in rows]

    def articles_containing(self, terms: Sequence[str], article_ids: Sequence[int]) -> set[int]:
        """Those of the given articles whose text holds any of `terms` (as FTS5 reads
        them: stemmed, case and accents folded)."""
        expression = match_expression(terms)
        if expression is None or not article_ids:
            return set()
        # Reading the terms' whole list of articles and keeping the wanted ones is some
        # 15x cheaper than FTS5 looking up each wanted article (`rowid IN` runs the match
        # once per id), unless the list is long: it is read only up to a bound.
        wanted = set(article_ids)
        bound = WHOLE_LIST_PER_ID * len(wanted)
        listed = [row[0] for row in self.db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?", [expression, bound + 1])]
        if len(listed) <= bound:
            return wanted.intersection(listed)
        found: set[int] = set()
        for chunk, marks in batches(article_ids):
            found.update(row[0] for row in self.db.execute(
                f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN ({marks})",
                [expression, *chunk]))
        return found


def row_count(averages: bytes) -> int:
    """The rows of an FTS5 table as its BM25 counts them: the first varint of FTS5's
    averages record (row 1 of its %_data table)."""
    value = 0
    for position, byte in enumerate(averages[:9]):
        if position == 8:  # SQLite's varint: the ninth byte holds 8 bits
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    return value
