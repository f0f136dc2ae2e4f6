"""Boilerplate: paragraphs that one source repeats across many of its articles
("Advertisement", "Read the full article", subscribe lines, a standard sign-off).

They are recognised by how often they recur within a source in this archive, not
from a list of phrases, and kept out of the index: removed after each run, and left
out when later articles of that source are written. Headlines are never boilerplate,
and an article keeps its paragraphs when all of them would go.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .storage.store import Store, _batches, _write_article_text, _write_article_vector

# A paragraph is boilerplate for a source when it appears in at least this many of
# the source's articles, and in at least this share of them.
MIN_ARTICLES = 5
MIN_SHARE = 0.05


def known(store: Store) -> set[tuple[str, str]]:
    """(source, text hash) pairs already found to be boilerplate."""
    return {(row[0], row[1]) for row in store.db.execute("SELECT source, text_hash FROM boilerplate")}


def leave_out(units: Sequence[tuple[int, int, str, str]], source: str | None,
              boilerplate: set[tuple[str, str]]) -> tuple[list[tuple[int, int, str, str]], int]:
    """An article's units without its source's known boilerplate, and how many went."""
    kept = [unit for unit in units if unit[0] == 0 or (source or "", unit[3]) not in boilerplate]
    if not any(unit[0] > 0 for unit in kept):
        return list(units), 0
    return kept, len(units) - len(kept)


def find(store: Store) -> list[tuple[str, str, int]]:
    """(source, text hash, articles) of body paragraphs repeated often enough within a
    source to be boilerplate, not yet recorded."""
    rows = store.db.execute(
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
        [MIN_ARTICLES, MIN_SHARE],
    ).fetchall()
    return [(source, text_hash, count) for source, text_hash, count in rows]


def remove(store: Store, found: list[tuple[str, str, int]], dimension: int) -> list[int]:
    """Record `found` and delete those paragraphs, then fold articles that have become
    copies of another (the caller holds the transaction); returns the paragraph ids
    deleted."""
    by_source: dict[str, set[str]] = defaultdict(set)
    for source, text_hash, count in found:
        by_source[source].add(text_hash)
        text = store.db.execute("SELECT text FROM paragraphs WHERE text_hash = ? LIMIT 1", [text_hash]).fetchone()[0]
        store.db.execute("INSERT OR REPLACE INTO boilerplate (source, text_hash, text, articles) VALUES (?, ?, ?, ?)",
                         [source, text_hash, text, count])
    doomed: list[int] = []
    touched: set[int] = set()
    for source, hashes in by_source.items():
        for chunk, marks in _batches(sorted(hashes)):
            rows = store.db.execute(
                f"SELECT p.id, p.article_id FROM paragraphs p JOIN articles a ON a.id = p.article_id "
                f"WHERE coalesce(a.source, '') = ? AND p.position > 0 AND p.text_hash IN ({marks})",
                [source, *chunk]).fetchall()
            by_article: dict[int, list[int]] = defaultdict(list)
            for paragraph_id, article_id in rows:
                by_article[article_id].append(paragraph_id)
            for article_id, paragraph_ids in by_article.items():
                body = store.db.execute("SELECT count(*) FROM paragraphs WHERE article_id = ? AND position > 0",
                                        [article_id]).fetchone()[0]
                if body > len(paragraph_ids):  # never empty an article
                    doomed += paragraph_ids
                    touched.add(article_id)
    for chunk, marks in _batches(doomed):
        store.db.execute(f"DELETE FROM paragraphs WHERE id IN ({marks})", chunk)
    for article_id in touched:
        _write_article_vector(store.db, article_id, dimension)
        _write_article_text(store.db, article_id)
    # Copies of one story from sources with their own boilerplate are equal without it.
    doomed += store.fold_copies(touched)
    store.delete_released_vectors({text_hash for _, text_hash, _ in found})
    return doomed
