"""Writing articles: insert, replace and delete them with their paragraphs and
vectors, and keep syndicated copies (equal bodies) stored once. Every method runs
inside the caller's transaction (`Store.transaction`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sqlite_utils

from ..paragraphs import normalize_text
from .fts import searchable
from .rows import WrittenArticle, batches, body_hash, now, vector_blob, write_article_text, write_article_vector


class ArticleWrites:
    """The writing half of `Store`."""

    db: sqlite_utils.Database
    _released: set[str]
    dimension: int

    def article_hashes(self, keys: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        """key -> (id, content_hash) for the keys that are indexed; the hash is None for
        an article marked to be indexed again whatever its content (`needs_reindex`)."""
        found: dict[str, tuple[int, str]] = {}
        for chunk, marks in batches(keys):
            for row in self.db.execute(f"SELECT key, id, content_hash, needs_reindex FROM articles WHERE key IN ({marks})", chunk):
                found[row[0]] = (row[1], None if row[3] else row[2])
        return found

    def article_keys_under(self, folder: str) -> dict[str, tuple[int, str]]:
        """key -> (id, path) of every article read from a file inside folder (or that file)."""
        prefix = folder.rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT key, id, path FROM articles WHERE path = ? OR substr(path, 1, ?) = ?",
            [folder, len(prefix), prefix],
        )
        return {key: (article_id, path) for key, article_id, path in rows}

    def write_article(self, fields: dict[str, Any], paragraphs: Sequence[tuple[int, int, str, str]],
                      replace_id: int | None, dimension: int = 0) -> WrittenArticle:
        """Insert (or replace) one article and its paragraphs (position, part, text, text_hash),
        and its article vector (the vectors of its texts must be stored already).

        An article whose body equals that of an article already stored is a syndicated
        copy: it is stored without paragraphs, pointing to the first one (`copy_of`).
        The caller holds the transaction."""
        body = body_hash([text for position, _, text, _ in paragraphs if position > 0])
        record = {**fields, "metadata": json.dumps(fields.get("metadata") or {}, ensure_ascii=False),
                  "indexed_at": now(), "body_hash": body, "needs_reindex": 0}
        removed: list[int] = []
        if replace_id is not None:
            old_body = self.db.execute("SELECT body_hash FROM articles WHERE id = ?", [replace_id]).fetchone()[0]
            handed = None if old_body == body else self._hand_over_to_copy(replace_id, set())
            if handed is None:
                removed = [row[0] for row in self.db.execute(
                    "SELECT id FROM paragraphs WHERE article_id = ?", [replace_id])]
                self.db.execute("DELETE FROM paragraphs WHERE article_id = ?", [replace_id])
            else:
                removed = handed
        original = None
        displaced = None  # an original whose key sorts after this one's: it becomes the copy
        if body is not None:
            row = self.db.execute("SELECT id, key FROM articles WHERE body_hash = ? AND copy_of IS NULL "
                                  "AND id IS NOT ? LIMIT 1", [body, replace_id]).fetchone()
            if row is not None and row[1] < fields["key"]:
                original = row[0]
            elif row is not None:
                displaced = row[0]
        record["copy_of"] = original
        if replace_id is not None:
            assignments = ", ".join(f"{column} = ?" for column in record)
            self.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*record.values(), replace_id])
            article_id = replace_id
        else:
            columns = ", ".join(record)
            marks = ", ".join("?" * len(record))
            article_id = self.db.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})",
                                         list(record.values())).lastrowid
        added = []
        if original is None:
            for position, part, text, text_hash in paragraphs:
                cursor = self.db.execute(
                    "INSERT INTO paragraphs (article_id, position, part, text, text_hash, search_text) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [article_id, position, part, text, text_hash, searchable(text)],
                )
                added.append(cursor.lastrowid)
        if dimension:
            write_article_vector(self.db, article_id, dimension)
        write_article_text(self.db, article_id)
        if displaced is not None:
            removed += self._make_copy(displaced, article_id)
        return WrittenArticle(article_id, removed, added, original)

    def _make_copy(self, article_id: int, original: int) -> list[int]:
        """Turn an article into a copy of `original` (its copies follow); returns the
        paragraph ids removed."""
        rows = self.db.execute("SELECT id, text_hash FROM paragraphs WHERE article_id = ?", [article_id]).fetchall()
        self.db.execute("DELETE FROM paragraphs WHERE article_id = ?", [article_id])
        self._released.update(text_hash for _, text_hash in rows)
        self.db.execute("DELETE FROM article_vectors WHERE article_id = ?", [article_id])
        self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        self.db.execute("UPDATE articles SET copy_of = ? WHERE id = ? OR copy_of = ?", [original, article_id, article_id])
        return [paragraph_id for paragraph_id, _ in rows]

    def _hand_over_to_copy(self, article_id: int, leaving: set[int]) -> list[int] | None:
        """Before an article loses its body (deleted or rewritten), its first remaining
        copy takes over its paragraphs (same ids, so FAISS is unchanged) and becomes
        the article the other copies point to. A headline that is not the copy's own
        goes, and the copy is marked changed so the next run indexes its headline.
        Returns the paragraph ids removed, or None when there is no copy."""
        heir = next((row[0] for row in self.db.execute(
            "SELECT id FROM articles WHERE copy_of = ? ORDER BY key", [article_id]) if row[0] not in leaving), None)
        if heir is None:
            return None
        self.db.execute("UPDATE paragraphs SET article_id = ? WHERE article_id = ?", [heir, article_id])
        self.db.execute("UPDATE articles SET copy_of = NULL WHERE id = ?", [heir])
        self.db.execute("UPDATE articles SET copy_of = ? WHERE copy_of = ?", [heir, article_id])
        removed: list[int] = []
        title = self.db.execute("SELECT title FROM articles WHERE id = ?", [heir]).fetchone()[0]
        headlines = self.db.execute("SELECT id, text, text_hash FROM paragraphs WHERE article_id = ? AND position = 0",
                                    [heir]).fetchall()
        if any(text != normalize_text(title or "") for _, text, _ in headlines):
            removed = [paragraph_id for paragraph_id, _, _ in headlines]
            self.db.execute("DELETE FROM paragraphs WHERE article_id = ? AND position = 0", [heir])
            self._released.update(text_hash for _, _, text_hash in headlines)
            self.db.execute("UPDATE articles SET needs_reindex = 1 WHERE id = ?", [heir])
        self.db.execute("DELETE FROM article_vectors WHERE article_id IN (?, ?)", [heir, article_id])
        self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        if self.dimension:
            write_article_vector(self.db, heir, self.dimension)
        write_article_text(self.db, heir)
        return removed

    def delete_articles(self, article_ids: Sequence[int]) -> list[int]:
        """Delete articles and their paragraphs (an article's copy, if one stays, takes
        its paragraphs over); returns the paragraph ids removed."""
        leaving = set(article_ids)
        removed: list[int] = []
        for chunk, marks in batches(article_ids):
            for (original,) in self.db.execute(
                    f"SELECT DISTINCT copy_of FROM articles WHERE copy_of IN ({marks})", chunk).fetchall():
                removed += self._hand_over_to_copy(original, leaving) or []
            rows = self.db.execute(f"SELECT id, text_hash FROM paragraphs WHERE article_id IN ({marks})", chunk).fetchall()
            removed += [paragraph_id for paragraph_id, _ in rows]
            self._released.update(text_hash for _, text_hash in rows)
            self.db.execute(f"DELETE FROM paragraphs WHERE article_id IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM article_vectors WHERE article_id IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM articles_fts WHERE rowid IN ({marks})", chunk)
            self.db.execute(f"UPDATE articles SET copy_of = NULL WHERE copy_of IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM articles WHERE id IN ({marks})", chunk)
        return removed

    def fold_copies(self, article_ids: Iterable[int]) -> list[int]:
        """Recompute the body hash of articles whose paragraphs changed (boilerplate
        left out), and fold those whose bodies are now equal: the article with the
        smallest key keeps the paragraphs, the others become its copies. Returns the
        paragraph ids removed. The caller holds the transaction."""
        removed: list[int] = []
        for article_id in sorted(article_ids):
            texts = [row[0] for row in self.db.execute(
                "SELECT text FROM paragraphs WHERE article_id = ? AND position > 0 ORDER BY position, part",
                [article_id])]
            body = body_hash(texts)
            self.db.execute("UPDATE articles SET body_hash = ? WHERE id = ?", [body, article_id])
            if body is None:
                continue
            originals = self.db.execute("SELECT id FROM articles WHERE body_hash = ? AND copy_of IS NULL ORDER BY key",
                                        [body]).fetchall()
            for (other,) in originals[1:]:
                removed += self._make_copy(other, originals[0][0])
        return removed

    def known_vectors(self, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk, marks in batches(hashes):
            found.update(r[0] for r in self.db.execute(f"SELECT hash FROM vectors WHERE hash IN ({marks})", chunk))
        return found

    def add_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO vectors (hash, vector) VALUES (?, ?)",
            [(h, vector_blob(v)) for h, v in zip(hashes, vectors)],
        )

    def text_hashes_of(self, article_ids: Sequence[int]) -> set[str]:
        """The text hashes the given articles' paragraphs point to."""
        found: set[str] = set()
        for chunk, marks in batches(article_ids):
            found.update(r[0] for r in self.db.execute(
                f"SELECT text_hash FROM paragraphs WHERE article_id IN ({marks})", chunk))
        return found

    def delete_unused_vectors(self, hashes: Iterable[str]) -> int:
        """Delete those of the given vectors that no paragraph points to any more."""
        deleted = 0
        for chunk, marks in batches(hashes):
            deleted += self.db.execute(
                f"DELETE FROM vectors WHERE hash IN ({marks}) AND NOT EXISTS "
                "(SELECT 1 FROM paragraphs WHERE paragraphs.text_hash = vectors.hash)", chunk).rowcount
        return deleted

    def delete_released_vectors(self, also: Iterable[str] = ()) -> int:
        """At the end of a write: delete the vectors of the texts whose paragraphs it
        removed (and of `also`) that no paragraph uses any more. Done once, at the end,
        because a later article in the same write may use a text an earlier one let go."""
        hashes, self._released = self._released | set(also), set()
        return self.delete_unused_vectors(hashes)

    def delete_orphan_vectors(self) -> int:
        cursor = self.db.execute(
            "DELETE FROM vectors WHERE NOT EXISTS (SELECT 1 FROM paragraphs WHERE paragraphs.text_hash = vectors.hash)"
        )
        return cursor.rowcount

