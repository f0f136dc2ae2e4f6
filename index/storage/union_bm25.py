"""BM25 over the same FTS5 table of several indexes, scored as FTS5's own bm25()
would score it in one table holding all their rows.

FTS5's BM25 of a row is a sum over the query's phrases of
idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl)), where the idf
(log((N - n + 0.5) / (n + 0.5)), at least 1e-6) and avgdl depend on the whole table:
N rows, n of them holding the phrase, and their tokens. Summed over the indexes
(row and token totals from each table's averages record; n counted by matching the
phrase), those are the union's. The rest is the row's own: D from the table's
docsize record, and f, the phrase's frequency, found by inverting the bm25() FTS5
gives the row for the phrase alone in its own table (f is a whole number, so
rounding makes the inversion exact). The formula is then evaluated as FTS5
evaluates it, in the same order, so a union of indexes ranks as one index would.

It scores every row holding a telling phrase in every index, in Python: fine for
the archives one searches together on a laptop (10,000s of paragraphs each), not a
replacement for a keyword engine at 10M rows (issue 16)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .candidates import ArticleFilter
from .fts import match_expression
from .rows import batches
from .store import Store
from .term_counts import averages_record, row_count, rows_holding, stems, telling, token_count, varints

K1 = 1.2  # FTS5's bm25() constants
B = 0.75
IDF_FLOOR = 1e-6


def idf(rows: int, holding: int) -> float:
    value = math.log((rows - holding + 0.5) / (holding + 0.5))
    return value if value > 0.0 else IDF_FLOOR


class UnionBM25:
    def __init__(self, stores: Sequence[Store]):
        self.stores = list(stores)

    def best(self, table: str, terms: Sequence[str], limit: int,
             where: ArticleFilter) -> list[tuple[int, int, float]]:
        """(the index's place, its row id, score) of the `limit` best rows of `table`
        over all the indexes, best first, within the filter."""
        totals = []
        for store in self.stores:
            averages = averages_record(store.db, table)
            totals.append((row_count(averages), token_count(averages)) if averages else (0, 0))
        rows = sum(n for n, _ in totals)
        if rows == 0 or not terms:
            return []
        chosen = self._telling(table, terms, totals, rows)
        found = self._scored(table, chosen, where, totals)
        # As `Candidates._bm25`: rows holding only common terms still match when the
        # others leave the list short.
        if len(found) < limit and len(chosen) < len(terms):
            found = self._scored(table, terms, where, totals)
        found.sort(key=lambda row: -row[2])
        return found[:limit]

    def _telling(self, table: str, terms: Sequence[str], totals: list[tuple[int, int]], rows: int) -> list[str]:
        words = stems(self.stores[0].db, terms)  # one tokenizer: the same stems in every index
        wanted = [s for found in words for s in found]
        held: dict[str, int] = dict.fromkeys(wanted, 0)
        for store, (count, _) in zip(self.stores, totals):
            averages = averages_record(store.db, table)
            if count and averages:
                for stem, n in rows_holding(store.db, store.path, table, averages, wanted).items():
                    held[stem] += n
        return telling(terms, words, held, rows)

    def _scored(self, table: str, phrases: Sequence[str], where: ArticleFilter,
                totals: list[tuple[int, int]]) -> list[tuple[int, int, float]]:
        # Each phrase alone, in each index: (row -> its bm25 there), and how many rows hold it.
        matched = [[self._match(store, table, phrase) if count else {} for phrase in phrases]
                   for store, (count, _) in zip(self.stores, totals)]
        rows = sum(n for n, _ in totals)
        average = float(sum(t for _, t in totals)) / float(rows)
        idfs = [idf(rows, sum(len(per_index[i]) for per_index in matched)) for i in range(len(phrases))]
        found: list[tuple[int, int, float]] = []
        for place, (store, per_phrase, (count, tokens)) in enumerate(zip(self.stores, matched, totals)):
            ids = set().union(*per_phrase) if per_phrase else set()
            if where.active and ids:
                allowed = (store.filtered_paragraph_ids(where) if table == "paragraphs_fts"
                           else store.filtered_article_ids(where))
                ids &= set(allowed.tolist())
            if not ids:
                continue
            own_average = float(tokens) / float(count)
            own_idfs = [idf(count, len(scores)) for scores in per_phrase]
            sizes = self._sizes(store, table, ids)
            for row in ids:
                size = float(sizes.get(row, 0))
                score = 0.0
                for scores, own_idf, union_idf in zip(per_phrase, own_idfs, idfs):
                    if row not in scores:
                        continue
                    saturation = K1 * (1 - B + B * size / own_average)
                    share = scores[row] / own_idf  # f * (k1 + 1) / (f + saturation)
                    frequency = float(round(share * saturation / (K1 + 1.0 - share)))
                    score += union_idf * ((frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * size / average)))
                found.append((place, row, score))
        return found

    @staticmethod
    def _match(store: Store, table: str, phrase: str) -> dict[int, float]:
        expression = match_expression([phrase])
        if expression is None:
            return {}
        return dict(store.db.execute(f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ?",
                                     [expression]).fetchall())

    @staticmethod
    def _sizes(store: Store, table: str, ids: set[int]) -> dict[int, int]:
        """Each row's length in tokens, from FTS5's docsize record."""
        sizes: dict[int, int] = {}
        for chunk, marks in batches(sorted(ids)):
            for row, record in store.db.execute(f"SELECT id, sz FROM {table}_docsize WHERE id IN ({marks})", chunk):
                sizes[row] = varints(record, 1)[0] if record else 0
        return sizes
