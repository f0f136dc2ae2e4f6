"""Candidates for search: the articles and paragraphs a filter lets through, and
keyword (BM25) matches for a query's words, from the keyword index (keywords.py) when
it is current, else from SQLite's FTS5 tables. Search asks for these; it writes no SQL
of its own. Filter values are always SQL parameters, never SQL text."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import sqlite_utils

from .fts import match_expression
from .rows import batches
from .term_counts import averages_record, row_count, rows_holding, stems, telling

Hit = TypeVar("Hit", bound=tuple[Any, ...])  # (id, ..., score)

if TYPE_CHECKING:
    from .keywords import KeywordFilter, KeywordIndex

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
WHOLE_LIST_PER_ID = 40  # articles read per wanted article before looking each one up instead


class ArticleFilter(Protocol):
    """What a filter says (search/filters.py parses it from user input)."""

    since: str | None  # YYYY-MM-DD, inclusive
    until: str | None
    sources: tuple[str, ...]  # case-insensitive substrings of the source
    places: tuple[str, ...]  # case-insensitive substrings of the dateline's place

    @property
    def active(self) -> bool: ...


def filter_sql(where: ArticleFilter, article_alias: str = "a",
               exact: dict[str, tuple[str, ...]] | None = None) -> tuple[str, list[str]]:
    """A WHERE fragment over the articles table (always true when inactive) and its parameters.

    Dates are compared whole, so the date index answers them: `substr(date, 1, 10) >=
    since` holds exactly when `date >= since`, and `substr(date, 1, 10) <= until` (a
    YYYY-MM-DD) exactly when `date` sorts before `until` with its last character moved
    on one ("2015-06-14" -> "2015-06-15", "2015-06-19" -> "2015-06-1:").
    `exact` gives, for "source" and "place", the stored values the substrings match
    (`Candidates.matching_values`), so their index answers them too."""
    clauses: list[str] = []
    params: list[str] = []
    if where.since:
        clauses.append(f"{article_alias}.date >= ?")
        params.append(where.since)
    if where.until and len(where.until) == 10:
        clauses.append(f"{article_alias}.date < ?")
        params.append(where.until[:-1] + chr(ord(where.until[-1]) + 1))
    elif where.until:
        clauses.append(f"substr({article_alias}.date, 1, 10) <= ?")
        params.append(where.until)
    for column, parts in (("source", where.sources), ("place", where.places)):
        if not parts:
            continue
        if exact is not None and column in exact:
            clauses.append(f"{article_alias}.{column} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(exact[column]))
        else:
            ors = " OR ".join(f"instr(lower({article_alias}.{column}), ?) > 0" for _ in parts)
            clauses.append(f"({ors})")
            params.extend(s.lower() for s in parts)
    return (" AND ".join(clauses) or "1"), params


def expand_runs(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Every id of the runs [start, stop)."""
    lengths = stops - starts
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


class Candidates:
    """The candidate-finding part of `Store`."""

    db: sqlite_utils.Database
    path: Path
    keywords: KeywordIndex | None = None  # set by the archive when its keyword index is current
    # ... or when a writer is at work: then it is as of the writer's last update, and the
    # articles noted since (keyword_pending) are left out of what it finds
    keywords_behind: bool = False
    generation: Callable[[], int]  # Store's

    def keyword_changes_pending(self) -> bool:
        """Whether some article's keyword index documents are out of date (keywords.py)."""
        return self.db.execute("SELECT 1 FROM keyword_pending LIMIT 1").fetchone() is not None

    def keyword_filter(self, where: ArticleFilter) -> KeywordFilter:
        """The filter as the keyword index reads it: substrings of sources and places
        become the exact values they match."""
        from .keywords import KeywordFilter, day_number

        exact = self.matching_values(where)
        first, last = day_number(where.since), day_number(where.until)
        if first is not None or last is not None:
            # An open range closes at the archive's first or last day, so it is as short
            # as it can be (KeywordFilter.days).
            oldest, newest = self._day_bounds()
            first = first if oldest is None else max(first or oldest, oldest)
            last = last if newest is None else min(last or newest, newest)
        return KeywordFilter(first, last, exact.get("source"), exact.get("place"))

    def _day_bounds(self) -> tuple[int | None, int | None]:
        """The day numbers of the oldest and newest article date, read once per data
        generation (the date index holds both ends)."""
        from .keywords import day_number

        cache: dict = self.__dict__.setdefault("_day_bounds_cache", {})
        generation = self.generation()
        if generation not in cache:
            cache.clear()
            # Two queries: SQLite reads one end of an index for a lone min() or max() only.
            oldest, newest = (self.db.execute(f"SELECT {end}(date) FROM articles").fetchone()[0]
                              for end in ("min", "max"))
            cache[generation] = (day_number(oldest), day_number(newest))
        return cache[generation]

    def matching_values(self, where: ArticleFilter) -> dict[str, tuple[str, ...]]:
        """For "source" and "place" when the filter names them: the stored values its
        substrings match (an archive has some hundreds of sources), matched as the SQL
        filter matches them: `instr(lower(column), needle)`, where SQLite's lower()
        folds ASCII letters only."""
        found = {}
        for column, parts in (("source", where.sources), ("place", where.places)):
            if parts:
                needles = [p.lower() for p in parts]
                found[column] = tuple(value for value, folded in self._distinct_values(column)
                                      if any(needle in folded for needle in needles))
        return found

    def _filter_sql(self, where: ArticleFilter) -> tuple[str, list[str]]:
        return filter_sql(where, exact=self.matching_values(where))

    def _distinct_values(self, column: str) -> list[tuple[str, str]]:
        """(value, value with ASCII letters lower-cased) of each distinct non-null value
        of an articles column, read once per data generation."""
        cache: dict = self.__dict__.setdefault("_distinct_cache", {})
        key = (column, self.generation())
        if key not in cache:
            if len(cache) > 8:
                cache.clear()
            cache[key] = [(value, value.translate(_ASCII_LOWER)) for (value,) in self.db.execute(
                f"SELECT DISTINCT {column} FROM articles WHERE {column} IS NOT NULL")]
        return cache[key]

    def filtered_article_ids(self, where: ArticleFilter) -> np.ndarray:
        """Ids of the articles that pass the filter."""
        condition, params = self._filter_sql(where)
        rows = self.db.execute(f"SELECT a.id FROM articles a WHERE {condition}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def filtered_paragraph_ids(self, where: ArticleFilter) -> np.ndarray:
        """Ids of the paragraphs whose article passes the filter."""
        condition, params = self._filter_sql(where)
        # Articles first, then their paragraphs through the (article_id, ...) index: left to
        # itself SQLite walks every paragraph and looks up its article, many times slower
        # at 1M paragraphs.
        rows = self.db.execute(
            f"SELECT p.id FROM paragraphs p WHERE p.article_id IN (SELECT a.id FROM articles a WHERE {condition})",
            params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def paragraph_ids_of(self, article_ids: Sequence[int]) -> np.ndarray:
        """Ids of the articles' paragraphs."""
        starts, stops = self.paragraph_runs(article_ids)
        return expand_runs(starts, stops)

    def paragraph_runs(self, article_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The articles' paragraph ids as runs [start, stop), in no order. An article's
        paragraphs are written together, so their ids are mostly one run:
        `paragraph_spans` gives each article's first and last id and count, and such a
        run is listed without reading its paragraphs; the others' paragraphs are read
        through the (article_id, ...) index, each a run of one."""
        if not len(article_ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # Whole columns as JSON arrays: SQLite steps the rows, Python parses three strings.
        columns = self.db.execute(
            "SELECT json_group_array(article_id), json_group_array(first), json_group_array(last), "
            "json_group_array(count) FROM paragraph_spans WHERE article_id IN (SELECT value FROM json_each(?))",
            [json.dumps([int(i) for i in article_ids])]).fetchone()
        owners, first, last, count = (np.asarray(json.loads(c), dtype=np.int64) for c in columns)
        whole = last - first + 1 == count
        broken = owners[~whole].tolist()
        rest = np.asarray([row[0] for chunk, marks in batches(broken) for row in self.db.execute(
            f"SELECT id FROM paragraphs WHERE article_id IN ({marks})", chunk)], dtype=np.int64)
        return np.concatenate([first[whole], rest]), np.concatenate([last[whole] + 1, rest + 1])

    def _bm25(self, terms: Sequence[str], columns: str, joins: str, table: str, limit: int,
              where: ArticleFilter) -> list[tuple]:
        """Rows of `columns` for the FTS5 `table` (joined to the articles as `a`) matching
        any of `terms`, best BM25 first, within the filter; a last column holds the
        score (higher is better)."""
        condition, params = self._filter_sql(where)

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
        or the others match fewer rows than asked for: see `_bm25`); their row counts
        are FTS5's own (term_counts.py)."""
        if len(terms) < 2:
            return list(terms)
        averages = averages_record(self.db, table)
        total = row_count(averages) if averages else 0
        if total < 2:
            return list(terms)
        words = stems(self.db, terms)
        held = rows_holding(self.db, self.path, table, averages, [s for found in words for s in found])
        return telling(terms, words, held, total)

    def bm25_paragraphs(self, terms: Sequence[str], limit: int, where: ArticleFilter) -> list[tuple[int, int, float]]:
        """(paragraph id, article id, score) best first; score is BM25, higher is better."""
        if self.keywords is not None:
            paragraphs, tokens, keyword_filter = self.keywords.paragraphs, self.keywords.tokens(terms), \
                self.keyword_filter(where)

            def found(n: int) -> list[tuple[int, int, float]]:
                best = paragraphs.search(tokens, n, keyword_filter)
                owners = self.paragraph_article_ids([pid for pid, _ in best])
                return [(pid, owners[pid], score) for pid, score in best if pid in owners]

            return self._current_keyword_hits(found, limit, lambda hit: hit[1])
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
        if self.keywords is not None:
            articles, tokens, keyword_filter = self.keywords.articles, self.keywords.tokens(terms), \
                self.keyword_filter(where)
            return self._current_keyword_hits(lambda n: articles.search(tokens, n, keyword_filter), limit,
                                              lambda hit: hit[0])
        joins = "JOIN articles a ON a.id = articles_fts.rowid" if where.active else ""  # rowid is the article id
        rows = self._bm25(terms, "articles_fts.rowid", joins, "articles_fts", limit, where)
        return [(int(article_id), float(score)) for article_id, score in rows]

    def _current_keyword_hits(self, found: Callable[[int], list[Hit]], limit: int,
                              article_of: Callable[[Hit], int]) -> list[Hit]:
        """The first `limit` of `found(n)` (the keyword index's best n), less, while the
        index is behind a writer, the hits of articles noted as changed since its last
        update (their documents may be stale): asked deeper to make up for them."""
        asked = limit
        while True:
            hits = found(asked)
            if not self.keywords_behind or not hits:
                return hits
            articles = list({article_of(hit) for hit in hits})
            pending = {row[0] for chunk, marks in batches(articles) for row in self.db.execute(
                f"SELECT article_id FROM keyword_pending WHERE article_id IN ({marks})", chunk)}
            kept = [hit for hit in hits if article_of(hit) not in pending]
            if len(kept) >= limit or len(hits) < asked:
                return kept[:limit]
            asked *= 4

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

