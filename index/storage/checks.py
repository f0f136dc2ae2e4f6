"""Invariants of an index, checked, and repaired where SQLite holds what is needed.

SQLite is the source of truth; everything else (the FAISS file, the FTS indexes, the
article vectors) can be rebuilt from it without embedding anything again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .rows import batches, write_article_text, write_article_vector
from .schema import rebuild_paragraph_spans
from .store import Store


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "repaired": self.repaired, "not_checked": self.not_checked}


# Story links are derived (index/stories.py): a link to an article that went is mended by
# the next index run, so only links that no run would make are problems.
STORY_PROBLEMS = [
    ("SELECT count(*) FROM article_stories s LEFT JOIN articles a ON a.id = s.article_id "
     "WHERE a.id IS NULL OR a.copy_of IS NOT NULL", "story links belong to no article or to a syndicated copy"),
    ("SELECT count(*) FROM article_stories s JOIN article_stories f ON f.article_id = s.follows "
     "WHERE f.story_id != s.story_id", "story links disagree with their story ids"),
]

# (query counting offenders, what they are)
COUNTED_PROBLEMS = [
    ("SELECT count(*) FROM paragraphs p LEFT JOIN vectors v ON v.hash = p.text_hash WHERE v.hash IS NULL",
     "paragraphs have no stored vector"),
    ("SELECT count(*) FROM paragraphs p LEFT JOIN articles a ON a.id = p.article_id WHERE a.id IS NULL",
     "paragraphs belong to no article"),
    ("SELECT count(*) FROM vectors v WHERE NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.text_hash = v.hash)",
     "stored vectors are used by no paragraph"),
    ("SELECT count(*) FROM articles a WHERE a.copy_of IS NULL "
     "AND NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.article_id = a.id)",
     "articles have no paragraphs"),
    ("SELECT count(*) FROM articles c LEFT JOIN articles o ON o.id = c.copy_of "
     "WHERE c.copy_of IS NOT NULL AND (o.id IS NULL OR o.copy_of IS NOT NULL)",
     "syndicated copies point to no article"),
    ("SELECT count(*) FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE a.copy_of IS NOT NULL",
     "paragraphs belong to a syndicated copy"),
    ("SELECT count(*) FROM (SELECT article_id, min(id) AS low, max(id) AS high, count(*) AS n FROM paragraphs "
     "GROUP BY article_id) p LEFT JOIN paragraph_spans s ON s.article_id = p.article_id "
     "WHERE s.article_id IS NULL OR s.count != p.n OR s.first > p.low OR s.last < p.high",
     "articles' paragraph spans disagree with their paragraphs"),
    ("SELECT count(*) FROM paragraph_spans s WHERE NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.article_id = s.article_id)",
     "paragraph spans belong to no paragraphs"),
    *STORY_PROBLEMS,
]


def _count(store: Store, sql: str) -> int:
    return int(store.db.execute(sql).fetchone()[0])


def check(store: Store) -> CheckReport:
    """Every problem SQLite's own data has, one line each; nothing is changed. (The
    derived files are checked by derived.py.)"""
    report = CheckReport()
    problems = report.problems
    integrity = [row[0] for row in store.db.execute("PRAGMA integrity_check").fetchall()]
    if integrity != ["ok"]:
        problems.append(f"SQLite integrity check: {'; '.join(integrity[:3])}")
    for table in ("paragraphs_fts", "articles_fts"):
        if store.readonly:  # FTS5 runs its integrity check as a write command
            report.not_checked.append(f"{table} integrity (the index is read-only here)")
            continue
        try:
            store.db.execute(f"INSERT INTO {table}({table}) VALUES('integrity-check')")
        except Exception as error:  # sqlite3.DatabaseError: the FTS index disagrees with its content
            problems.append(f"{table} is inconsistent ({error})")
    for sql, problem in COUNTED_PROBLEMS:
        found = _count(store, sql)
        if found:
            problems.append(f"{found} {problem}")
    articles = {r[0] for r in store.db.execute("SELECT id FROM articles WHERE copy_of IS NULL")}
    with_paragraphs = {r[0] for r in store.db.execute(
        "SELECT DISTINCT p.article_id FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE a.copy_of IS NULL")}
    with_vector = {r[0] for r in store.db.execute("SELECT article_id FROM article_vectors")}
    if with_vector != with_paragraphs:
        problems.append(f"article vectors disagree with articles ({len(with_vector)} vs {len(articles)})")
    in_fts = {r[0] for r in store.db.execute("SELECT rowid FROM articles_fts")}
    if in_fts != with_paragraphs:
        problems.append(f"article text index disagrees with articles ({len(in_fts)} vs {len(articles)})")
    return report


def repair(store: Store, dimension: int) -> list[str]:
    """Fix what SQLite can fix, in one transaction; returns what was done. Paragraphs
    without a vector cannot be rebuilt here: they are removed and their articles marked
    changed, so the next `index` run embeds them again."""
    done: list[str] = []
    with store.transaction():
        stale = [r[0] for r in store.db.execute(
            "SELECT DISTINCT p.article_id FROM paragraphs p LEFT JOIN vectors v ON v.hash = p.text_hash "
            "WHERE v.hash IS NULL")]
        if stale:
            for chunk, marks in batches(stale):  # one IN list of every id would pass SQLite's limit
                store.db.execute(f"DELETE FROM paragraphs WHERE article_id IN ({marks})", chunk)
                store.db.execute(f"UPDATE articles SET needs_reindex = 1 WHERE id IN ({marks})", chunk)
            done.append(f"{len(stale)} articles had paragraphs without vectors: their paragraphs were removed and "
                        "the next index run embeds them again")
        dangling = store.db.execute(
            "UPDATE articles SET copy_of = NULL, needs_reindex = 1 WHERE copy_of IS NOT NULL AND copy_of NOT IN "
            "(SELECT id FROM articles WHERE copy_of IS NULL)").rowcount
        dangling += store.db.execute(
            "UPDATE articles SET copy_of = NULL WHERE copy_of IS NOT NULL AND id IN (SELECT article_id FROM paragraphs)"
        ).rowcount
        if dangling:
            done.append(f"{dangling} syndicated copies had lost their article or had paragraphs: they stand alone "
                        "now (those without paragraphs are stored again by the next index run)")
        removed = store.db.execute("DELETE FROM paragraphs WHERE article_id NOT IN (SELECT id FROM articles)").rowcount
        if removed:
            done.append(f"removed {removed} paragraphs that belonged to no article")
        if any(_count(store, sql) for sql, _ in STORY_PROBLEMS):
            store.db.execute("DELETE FROM article_stories")
            done.append("story links were inconsistent: removed; the next index run links every article again")
        unused = store.delete_orphan_vectors()
        if unused:
            done.append(f"removed {unused} unused vectors")
        store.db.execute("INSERT INTO paragraphs_fts(paragraphs_fts) VALUES('rebuild')")
        rebuild_paragraph_spans(store.db)
        store.db.execute("DELETE FROM article_vectors")
        store.db.execute("DELETE FROM articles_fts")
        for (article_id,) in store.db.execute("SELECT id FROM articles").fetchall():
            write_article_vector(store.db, article_id, dimension)
            write_article_text(store.db, article_id)
        done.append("rebuilt the paragraph and article text indexes, the paragraph spans and the article vectors")
    return done
