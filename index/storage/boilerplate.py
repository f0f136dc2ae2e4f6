"""The SQL of boilerplate (index/boilerplate.py says what counts as boilerplate):
finding paragraphs a source repeats, recording them in the `boilerplate` table and
deleting them from the articles that carry them."""

from __future__ import annotations

from collections import defaultdict

import sqlite_utils

from .rows import batches, write_article_text, write_article_vector


class BoilerplateRows:
    """The boilerplate part of `Store`."""

    db: sqlite_utils.Database

    def known_boilerplate(self) -> set[tuple[str, str]]:
        """(source, text hash) pairs already found to be boilerplate."""
        return {(row[0], row[1]) for row in self.db.execute("SELECT source, text_hash FROM boilerplate")}

    def boilerplate_candidates(self, min_articles: int, min_share: float) -> list[tuple[str, str, int]]:
        """(source, text hash, articles) of body paragraphs that appear in at least
        `min_articles` and `min_share` of their source's articles, not yet recorded."""
        rows = self.db.execute(
            """
            WITH sizes AS (
                SELECT coalesce(source, '') AS source, count(*) AS articles FROM articles
                WHERE copy_of IS NULL GROUP BY 1),
            repeats AS (
                SELECT coalesce(a.source, '') AS source, p.text_hash, count(DISTINCT p.article_id) AS articles
                FROM paragraphs p JOIN articles a ON a.id = p.article_id
                WHERE p.position > 0 GROUP BY 1, 2 HAVING count(DISTINCT p.article_id) >= ?)
            SELECT r.source, r.text_hash, r.articles FROM repeats r JOIN sizes s ON s.source = r.source
            WHERE r.articles >= ? * s.articles
              AND NOT EXISTS (SELECT 1 FROM boilerplate b WHERE b.source = r.source AND b.text_hash = r.text_hash)
            """,
            [min_articles, min_share],
        ).fetchall()
        return [(source, text_hash, count) for source, text_hash, count in rows]

    def remove_boilerplate(self, found: list[tuple[str, str, int]], dimension: int) -> list[int]:
        """Record `found` and delete those paragraphs (never all of an article's body),
        then fold articles that have become copies of another (the caller holds the
        transaction); returns the paragraph ids deleted."""
        by_source: dict[str, set[str]] = defaultdict(set)
        for source, text_hash, count in found:
            by_source[source].add(text_hash)
            text = self.db.execute("SELECT text FROM paragraphs WHERE text_hash = ? LIMIT 1", [text_hash]).fetchone()[0]
            self.db.execute("INSERT OR REPLACE INTO boilerplate (source, text_hash, text, articles) VALUES (?, ?, ?, ?)",
                             [source, text_hash, text, count])
        doomed: list[int] = []
        touched: set[int] = set()
        for source, hashes in by_source.items():
            for chunk, marks in batches(sorted(hashes)):
                rows = self.db.execute(
                    f"SELECT p.id, p.article_id FROM paragraphs p JOIN articles a ON a.id = p.article_id "
                    f"WHERE coalesce(a.source, '') = ? AND p.position > 0 AND p.text_hash IN ({marks})",
                    [source, *chunk]).fetchall()
                by_article: dict[int, list[int]] = defaultdict(list)
                for paragraph_id, article_id in rows:
                    by_article[article_id].append(paragraph_id)
                for article_id, paragraph_ids in by_article.items():
                    body = self.db.execute("SELECT count(*) FROM paragraphs WHERE article_id = ? AND position > 0",
                                            [article_id]).fetchone()[0]
                    if body > len(paragraph_ids):  # never empty an article
                        doomed += paragraph_ids
                        touched.add(article_id)
        for chunk, marks in batches(doomed):
            self.db.execute(f"DELETE FROM paragraphs WHERE id IN ({marks})", chunk)
        for article_id in touched:
            write_article_vector(self.db, article_id, dimension)
            write_article_text(self.db, article_id)
        # Copies of one story from sources with their own boilerplate are equal without it.
        doomed += self.fold_copies(touched)
        self.delete_released_vectors({text_hash for _, text_hash, _ in found})
        return doomed
