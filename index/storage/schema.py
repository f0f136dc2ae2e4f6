"""The database schema, as migrations applied in order when an index is opened for
writing. Each is safe to re-run, so one interrupted half-way completes next time.
The tables are described in README, "On-disk format"."""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlite_utils

from ...errors import IndexFormatError
from .fts import FTS_TOKENIZER, searchable
from .rows import body_hash, now, write_article_text, write_article_vector



def _m001_initial(db: sqlite_utils.Database) -> None:
    db["settings"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db["articles"].create(
        {
            "id": int, "key": str, "doc_id": str, "title": str, "date": str, "source": str,
            "url": str, "author": str, "path": str, "content_hash": str, "metadata": str,
            "indexed_at": str,
        },
        pk="id",
        not_null={"key", "path", "content_hash"},
        if_not_exists=True,
    )
    db["articles"].create_index(["key"], unique=True, if_not_exists=True)
    for column in ("path", "doc_id", "date", "source"):
        db["articles"].create_index([column], if_not_exists=True)
    db["vectors"].create({"hash": str, "vector": bytes}, pk="hash", not_null={"vector"}, if_not_exists=True)
    db["paragraphs"].create(
        {"id": int, "article_id": int, "position": int, "part": int, "text": str, "text_hash": str},
        pk="id",
        not_null={"article_id", "position", "part", "text", "text_hash"},
        foreign_keys=[("article_id", "articles", "id"), ("text_hash", "vectors", "hash")],
        if_not_exists=True,
    )
    db["paragraphs"].create_index(["article_id", "position", "part"], if_not_exists=True)
    db["paragraphs"].create_index(["text_hash"], if_not_exists=True)
    db["paragraphs"].enable_fts(["text"], tokenize=FTS_TOKENIZER, create_triggers=True, replace=True)


def _m002_article_vectors(db: sqlite_utils.Database) -> None:
    db["article_vectors"].create({"article_id": int, "vector": bytes}, pk="article_id", not_null={"vector"},
                                 foreign_keys=[("article_id", "articles", "id")], if_not_exists=True)
    dimension = db.execute("SELECT value FROM settings WHERE key = 'dimension'").fetchone()
    if dimension:
        for (article_id,) in db.execute("SELECT id FROM articles").fetchall():
            write_article_vector(db, article_id, int(json.loads(dimension[0])))


def _m003_articles_fts(db: sqlite_utils.Database) -> None:
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(text, tokenize='{FTS_TOKENIZER}')")
    db.execute("DELETE FROM articles_fts")
    for (article_id,) in db.execute("SELECT id FROM articles").fetchall():
        write_article_text(db, article_id)


def _m004_syndicated_copies(db: sqlite_utils.Database) -> None:
    columns = db["articles"].columns_dict
    if "body_hash" not in columns:
        db.execute("ALTER TABLE articles ADD COLUMN body_hash TEXT")
    if "copy_of" not in columns:
        db.execute("ALTER TABLE articles ADD COLUMN copy_of INTEGER REFERENCES articles(id)")
    db["articles"].create_index(["body_hash"], if_not_exists=True)
    db["articles"].create_index(["copy_of"], if_not_exists=True)
    for (article_id,) in db.execute("SELECT id FROM articles WHERE body_hash IS NULL").fetchall():
        texts = [row[0] for row in db.execute(
            "SELECT text FROM paragraphs WHERE article_id = ? AND position > 0 ORDER BY position, part", [article_id])]
        db.execute("UPDATE articles SET body_hash = ? WHERE id = ?", [body_hash(texts), article_id])


def _m005_boilerplate(db: sqlite_utils.Database) -> None:
    db["boilerplate"].create({"source": str, "text_hash": str, "text": str, "articles": int},
                             pk=("source", "text_hash"), if_not_exists=True)


# Tables whose rows are the data: any change to one of them moves the data generation
# on, which tells every derived file (FAISS) recorded for an older one that it is stale.
DATA_TABLES = ("articles", "paragraphs", "vectors", "article_vectors", "boilerplate")


def _m006_generation_triggers(db: sqlite_utils.Database) -> None:
    """The data generation is counted by SQLite itself: a trigger on every data table
    bumps it, so no write path (ours, or a tool editing the database) can forget to.
    "Index this article again" becomes its own column instead of an empty content hash."""
    db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('data_generation', '0')")
    for table in DATA_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}_generation AFTER {event} ON {table} "
                       "BEGIN UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'; END")
    if "needs_reindex" not in db["articles"].columns_dict:
        db.execute("ALTER TABLE articles ADD COLUMN needs_reindex INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE articles SET needs_reindex = 1 WHERE content_hash = '' AND needs_reindex = 0")


def _m007_compound_words(db: sqlite_utils.Database) -> None:
    """The keyword index of paragraphs also holds each hyphenated word joined up
    (`paragraphs.search_text`, NULL when that is the text itself), through the view
    `paragraphs_search`; so does the article-level index."""
    for trigger in ("paragraphs_ai", "paragraphs_ad", "paragraphs_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS paragraphs_fts")
    if "search_text" not in db["paragraphs"].columns_dict:
        db.execute("ALTER TABLE paragraphs ADD COLUMN search_text TEXT")
    rows = db.execute("SELECT id, text FROM paragraphs WHERE instr(text, '-') > 0").fetchall()
    db.conn.executemany("UPDATE paragraphs SET search_text = ? WHERE id = ?",
                        [(searchable(text), paragraph_id) for paragraph_id, text in rows])
    db.execute("CREATE VIEW IF NOT EXISTS paragraphs_search AS "
               "SELECT id, coalesce(search_text, text) AS text FROM paragraphs")
    db.execute(f"CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, tokenize='{FTS_TOKENIZER}', "
               "content='paragraphs_search', content_rowid='id')")
    insert = "INSERT INTO paragraphs_fts (rowid, text) VALUES (new.id, coalesce(new.search_text, new.text));"
    delete = ("INSERT INTO paragraphs_fts (paragraphs_fts, rowid, text) "
              "VALUES ('delete', old.id, coalesce(old.search_text, old.text));")
    db.execute(f"CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN {insert} END")
    db.execute(f"CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN {delete} END")
    db.execute(f"CREATE TRIGGER paragraphs_au AFTER UPDATE ON paragraphs BEGIN {delete} {insert} END")
    db.execute("INSERT INTO paragraphs_fts (paragraphs_fts) VALUES ('rebuild')")
    for (article_id,) in db.execute("SELECT rowid FROM articles_fts").fetchall():
        write_article_text(db, article_id)


def _m008_stories(db: sqlite_utils.Database) -> None:
    """Story threads (index/stories.py): each article follows the earlier article of its
    story it is most like, or starts a story. Not a data table: the links are derived
    from the articles, so changing them leaves the FAISS files current. An article whose
    vector changes (rewritten, deleted, turned into a copy) loses its link, by trigger,
    and is linked again by the next run."""
    db["article_stories"].create({"article_id": int, "follows": int, "score": float, "story_id": int,
                                  "archive_size": int},
                                 pk="article_id", not_null={"score", "story_id", "archive_size"}, if_not_exists=True)
    db["article_stories"].create_index(["story_id"], if_not_exists=True)
    db["article_stories"].create_index(["follows"], if_not_exists=True)
    for event, row in (("INSERT", "new"), ("UPDATE", "old"), ("DELETE", "old")):
        db.execute(f"CREATE TRIGGER IF NOT EXISTS article_vectors_{event.lower()}_story AFTER {event} "
                   f"ON article_vectors BEGIN DELETE FROM article_stories WHERE article_id = {row}.article_id; END")


def _m009_datelines(db: sqlite_utils.Database) -> None:
    """Place and agency from each article's dateline, and its author from a byline when
    it had none (index/formats/datelines.py), for articles indexed before."""
    from ..formats.datelines import parse_metadata

    columns = db["articles"].columns_dict
    for column in ("place", "agency"):
        if column not in columns:
            db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
    db["articles"].create_index(["place"], if_not_exists=True)
    paragraphs: dict[int, list[str]] = {}
    for article_id, text in db.execute("SELECT article_id, text FROM paragraphs WHERE position BETWEEN 1 AND 3 "
                                       "AND part = 0 ORDER BY article_id, position"):
        paragraphs.setdefault(article_id, []).append(text)
    for article_id, texts in paragraphs.items():
        found = parse_metadata(texts)
        if found:
            db.execute("UPDATE articles SET place = ?, agency = ?, author = coalesce(author, ?) WHERE id = ?",
                       [found.get("place"), found.get("agency"), found.get("author"), article_id])


def _m010_keyword_pending(db: sqlite_utils.Database) -> None:
    """The articles whose keyword index documents (keywords.py) are out of date, noted
    by triggers in the transaction that changes them: their paragraphs (added, removed,
    rewritten or handed to another article) or the fields filters read."""
    db.execute("CREATE TABLE IF NOT EXISTS keyword_pending (article_id INTEGER PRIMARY KEY)")
    note = "INSERT OR IGNORE INTO keyword_pending (article_id) VALUES"
    triggers = {
        "paragraphs_keyword_insert": f"AFTER INSERT ON paragraphs BEGIN {note} (new.article_id); END",
        "paragraphs_keyword_delete": f"AFTER DELETE ON paragraphs BEGIN {note} (old.article_id); END",
        "paragraphs_keyword_update": ("AFTER UPDATE OF article_id, text, search_text ON paragraphs "
                                      f"BEGIN {note} (old.article_id); {note} (new.article_id); END"),
        "articles_keyword_update": f"AFTER UPDATE OF date, source, place ON articles BEGIN {note} (new.id); END",
        "articles_keyword_delete": f"AFTER DELETE ON articles BEGIN {note} (old.id); END",
    }
    for name, body in triggers.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def _m011_paragraph_spans(db: sqlite_utils.Database) -> None:
    """Each article's first and last paragraph id and its paragraph count, kept by
    triggers: a filter lists the paragraphs of the articles it lets through from these
    (Candidates.paragraph_ids_of) instead of reading each one. After a delete `first`
    and `last` stay bounds, no longer tight; a span is one unbroken run of ids when
    `last - first + 1 = count`."""
    db.execute("CREATE TABLE IF NOT EXISTS paragraph_spans (article_id INTEGER PRIMARY KEY, "
               "first INTEGER NOT NULL, last INTEGER NOT NULL, count INTEGER NOT NULL)")
    for name, body in SPAN_TRIGGERS.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    rebuild_paragraph_spans(db)


_ADD_SPAN = ("INSERT INTO paragraph_spans (article_id, first, last, count) VALUES (new.article_id, new.id, new.id, 1) "
             "ON CONFLICT (article_id) DO UPDATE SET first = min(first, excluded.first), "
             "last = max(last, excluded.last), count = count + 1;")
_REMOVE_SPAN = ("UPDATE paragraph_spans SET count = count - 1 WHERE article_id = old.article_id; "
                "DELETE FROM paragraph_spans WHERE article_id = old.article_id AND count <= 0;")
SPAN_TRIGGERS = {
    "paragraphs_span_insert": f"AFTER INSERT ON paragraphs BEGIN {_ADD_SPAN} END",
    "paragraphs_span_delete": f"AFTER DELETE ON paragraphs BEGIN {_REMOVE_SPAN} END",
    "paragraphs_span_update": ("AFTER UPDATE OF id, article_id ON paragraphs "
                               "WHEN old.id IS NOT new.id OR old.article_id IS NOT new.article_id "
                               f"BEGIN {_REMOVE_SPAN} {_ADD_SPAN} END"),
}


def rebuild_paragraph_spans(db: sqlite_utils.Database) -> None:
    """`paragraph_spans` worked out again from the paragraphs."""
    db.execute("DELETE FROM paragraph_spans")
    db.execute("INSERT INTO paragraph_spans (article_id, first, last, count) "
               "SELECT article_id, min(id), max(id), count(*) FROM paragraphs GROUP BY article_id")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_article_vectors", _m002_article_vectors),
    ("003_articles_fts", _m003_articles_fts),
    ("004_syndicated_copies", _m004_syndicated_copies),
    ("005_boilerplate", _m005_boilerplate),
    ("006_generation_triggers", _m006_generation_triggers),
    ("007_compound_words", _m007_compound_words),
    ("008_stories", _m008_stories),
    ("009_datelines", _m009_datelines),
    ("010_keyword_pending", _m010_keyword_pending),
    ("011_paragraph_spans", _m011_paragraph_spans),
]


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """Migrations this database has not had yet."""
    if "_migrations" not in db.table_names():
        return [name for name, _ in MIGRATIONS]
    applied = {row["name"] for row in db["_migrations"].rows}
    return [name for name, _ in MIGRATIONS if name not in applied]


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the migrations this database has not seen yet. Each is written to be safe
    to re-run, so a migration interrupted half-way completes on the next open."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    applied = {row["name"] for row in db["_migrations"].rows}
    known = {name for name, _ in MIGRATIONS}
    if applied - known:
        raise IndexFormatError(
            f"this index was written by a newer newssearch (unknown migrations: {', '.join(sorted(applied - known))})"
        )
    for name, apply in MIGRATIONS:
        if name in applied:
            continue
        apply(db)
        db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now()])


