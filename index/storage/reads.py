"""Reading for search and display: articles, paragraphs and vectors by id, the
stable sort keys that break ties, and counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import sqlite_utils

from .rows import Paragraph, StoredArticle, batches, unpack


# Each article's lead: its first paragraph after the headline, with its vector.
LEADS = ("SELECT p.article_id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash "
         "WHERE p.position = 1 AND p.part = 0")


class SearchReads:
    """The reading half of `Store`."""

    db: sqlite_utils.Database
    dimension: int

    def article(self, article_id: int) -> StoredArticle | None:
        rows = list(self.db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
        return StoredArticle.from_row(rows[0]) if rows else None

    def articles_by_doc_id(self, doc_id: str) -> list[StoredArticle]:
        return [StoredArticle.from_row(r) for r in self.db.query("SELECT * FROM articles WHERE doc_id = ? ORDER BY id", [doc_id])]

    def articles(self, ids: Iterable[int]) -> dict[int, StoredArticle]:
        found: dict[int, StoredArticle] = {}
        for chunk, marks in batches(ids):
            for row in self.db.query(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                found[row["id"]] = StoredArticle.from_row(row)
        return found

    def copies_of(self, article_ids: Sequence[int]) -> dict[int, list[StoredArticle]]:
        """The syndicated copies of each article, by key."""
        copies: dict[int, list[StoredArticle]] = {}
        for chunk, marks in batches(article_ids):
            for row in self.db.query(f"SELECT * FROM articles WHERE copy_of IN ({marks}) ORDER BY key", chunk):
                copies.setdefault(row["copy_of"], []).append(StoredArticle.from_row(row))
        return copies

    def vector_sample(self, size: int, dimension: int) -> np.ndarray:
        """About `size` paragraph vectors spread evenly over the archive (every n-th
        paragraph id), oldest to newest, to train an approximate index on."""
        return self._every_nth("SELECT max(id) FROM paragraphs",
                               "SELECT p.id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash "
                               "WHERE p.id % ? = 0 ORDER BY p.id LIMIT ?", size, dimension)

    def _every_nth(self, top_sql: str, rows_sql: str, size: int, dimension: int) -> np.ndarray:
        """The vectors `rows_sql` reads for every n-th id up to the largest (`top_sql`), at most
        `size`; `rows_sql` takes the step and the limit as parameters."""
        top = self.db.execute(top_sql).fetchone()[0] or 0
        rows = self.db.execute(rows_sql, [max(1, top // max(size, 1)), size]).fetchall()
        return unpack(rows, dimension)[1] if rows else np.zeros((0, dimension), dtype=np.float32)

    def paragraph_vectors(self, paragraph_ids: Sequence[int] | None = None, dimension: int = 0,
                          batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of paragraphs, in batches: all of them, or those given."""
        if paragraph_ids is None:
            cursor = self.db.execute(
                "SELECT p.id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash ORDER BY p.id"
            )
            while rows := cursor.fetchmany(batch):
                yield unpack(rows, dimension)
            return
        for chunk, marks in batches(paragraph_ids):
            rows = self.db.execute(
                f"SELECT p.id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash WHERE p.id IN ({marks})",
                chunk,
            ).fetchall()
            if rows:
                yield unpack(rows, dimension)

    def paragraph_vectors_of(self, paragraph_ids: Sequence[int], dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the paragraphs given that exist, in no set order."""
        parts = list(self.paragraph_vectors(paragraph_ids, dimension))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
        return np.concatenate([ids for ids, _ in parts]), np.concatenate([vectors for _, vectors in parts])

    def all_article_vectors(self, dimension: int, batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(article ids, vectors) of every article vector, in batches."""
        cursor = self.db.execute("SELECT article_id, vector FROM article_vectors ORDER BY article_id")
        while rows := cursor.fetchmany(batch):
            yield unpack(rows, dimension)

    def article_vector_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM article_vectors").fetchone()[0])

    def article_vector_sample(self, size: int, dimension: int, leads: bool = False) -> np.ndarray:
        """About `size` article vectors (or lead paragraph vectors) spread evenly over the
        archive (every n-th article id), to train an approximate index on."""
        rows_sql = (f"{LEADS} AND p.article_id % ? = 0 ORDER BY p.article_id LIMIT ?" if leads else
                    "SELECT article_id, vector FROM article_vectors WHERE article_id % ? = 0 ORDER BY article_id LIMIT ?")
        return self._every_nth("SELECT max(article_id) FROM article_vectors", rows_sql, size, dimension)

    def article_vectors_of(self, article_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(article ids, vectors) of the given articles that have a vector."""
        rows: list[tuple[int, bytes]] = []
        for chunk, marks in batches(article_ids):
            rows += self.db.execute(f"SELECT article_id, vector FROM article_vectors WHERE article_id IN ({marks})",
                                    chunk).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return unpack(rows, len(rows[0][1]) // 4)

    def lead_vectors(self, dimension: int, batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(article ids, vectors) of each article's lead: its first paragraph after the headline."""
        cursor = self.db.execute(f"{LEADS} ORDER BY p.article_id")
        while rows := cursor.fetchmany(batch):
            yield unpack(rows, dimension)

    def paragraphs(self, ids: Iterable[int]) -> dict[int, Paragraph]:
        found: dict[int, Paragraph] = {}
        for chunk, marks in batches(ids):
            for row in self.db.execute(
                f"SELECT id, article_id, position, part, text FROM paragraphs WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = Paragraph(*row)
        return found

    def article_paragraphs(self, article_id: int) -> list[Paragraph]:
        rows = self.db.execute(
            "SELECT id, article_id, position, part, text FROM paragraphs WHERE article_id = ? ORDER BY position, part",
            [article_id],
        )
        return [Paragraph(*row) for row in rows]

    def paragraph_ids(self) -> np.ndarray:
        return np.array([r[0] for r in self.db.execute("SELECT id FROM paragraphs ORDER BY id")], dtype=np.int64)

    def paragraph_article_ids(self, paragraph_ids: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for chunk, marks in batches(paragraph_ids):
            found.update(self.db.execute(f"SELECT id, article_id FROM paragraphs WHERE id IN ({marks})", chunk).fetchall())
        return found

    def paragraph_order(self, paragraph_ids: Sequence[int]) -> dict[int, tuple[str, int, int]]:
        """A stable sort key of each paragraph that does not depend on row ids:
        its article's key and its place in the article."""
        found: dict[int, tuple[str, int, int]] = {}
        for chunk, marks in batches(paragraph_ids):
            for paragraph_id, key, position, part in self.db.execute(
                    f"SELECT p.id, a.key, p.position, p.part FROM paragraphs p JOIN articles a ON a.id = p.article_id "
                    f"WHERE p.id IN ({marks})", chunk):
                found[paragraph_id] = (key, position, part)
        return found

    def article_order(self, article_ids: Sequence[int]) -> dict[int, str]:
        """A stable sort key of each article that does not depend on row ids: its key."""
        found: dict[int, str] = {}
        for chunk, marks in batches(article_ids):
            found.update(self.db.execute(f"SELECT id, key FROM articles WHERE id IN ({marks})", chunk).fetchall())
        return found

    def paragraph_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM paragraphs").fetchone()[0])

    def has_paragraphs(self) -> bool:
        return self.db.execute("SELECT 1 FROM paragraphs LIMIT 1").fetchone() is not None

    def counts(self) -> dict[str, int]:
        return {
            "articles": self.db["articles"].count,
            "paragraphs": self.db["paragraphs"].count,
            "vectors": self.db["vectors"].count,
            "sources": self.db.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0],
        }

    def leads(self, article_ids: Sequence[int]) -> dict[int, str]:
        """Each article's first paragraph after the headline (its first window)."""
        found: dict[int, str] = {}
        for chunk, marks in batches(article_ids):
            found.update(self.db.execute(f"SELECT article_id, text FROM paragraphs WHERE article_id IN ({marks}) "
                                         "AND position = 1 AND part = 0", chunk).fetchall())
        return found

    def article_dates(self, article_ids: Sequence[int]) -> dict[int, str | None]:
        found: dict[int, str | None] = {}
        for chunk, marks in batches(article_ids):
            found.update(self.db.execute(f"SELECT id, date FROM articles WHERE id IN ({marks})", chunk).fetchall())
        return found

    def date_range(self) -> tuple[str | None, str | None]:
        return tuple(self.db.execute("SELECT min(date), max(date) FROM articles").fetchone())  # type: ignore[return-value]


