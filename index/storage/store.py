"""The SQLite side of an index: schema and migrations, and every read and write of
articles, paragraphs and vectors. SQLite is the source of truth; the FAISS file is
derived from the vectors stored here.

On-disk format (see README "On-disk format"):
  settings(key, value)             JSON values: model, dimension, normalized, ...
  articles(id, key, doc_id, title, date, source, url, author, path, content_hash,
           metadata, indexed_at)
  paragraphs(id, article_id, position, part, text, text_hash)
  vectors(hash, vector)            float32 blob per distinct embedded text
  article_vectors(article_id, vector)  normalised mean of an article's paragraph vectors
  articles_fts                     FTS5 over each article's whole text (rowid = article id)
  paragraphs_fts                   FTS5 over paragraphs.text (porter, unicode61)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import numpy as np
import sqlite_utils

from ...errors import IndexFormatError
from ..paragraphs import normalize_text

DATABASE_NAME = "newssearch.db"
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


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
            _write_article_vector(db, article_id, int(json.loads(dimension[0])))


def _m003_articles_fts(db: sqlite_utils.Database) -> None:
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(text, tokenize='{FTS_TOKENIZER}')")
    db.execute("DELETE FROM articles_fts")
    for (article_id,) in db.execute("SELECT id FROM articles").fetchall():
        _write_article_text(db, article_id)


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


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_article_vectors", _m002_article_vectors),
    ("003_articles_fts", _m003_articles_fts),
    ("004_syndicated_copies", _m004_syndicated_copies),
    ("005_boilerplate", _m005_boilerplate),
]


def body_hash(paragraphs: Sequence[str]) -> str | None:
    """What syndicated copies share: the body's paragraphs, case and spacing aside."""
    body = " ".join(" ".join(paragraphs).casefold().split())  # windows of a paragraph join up again
    return hashlib.sha1(body.encode("utf-8")).hexdigest() if body.strip() else None


def _write_article_text(db: sqlite_utils.Database, article_id: int) -> None:
    """The article's whole text (headline and paragraphs) in the article-level FTS index."""
    texts = [row[0] for row in db.execute(
        "SELECT text FROM paragraphs WHERE article_id = ? ORDER BY position, part", [article_id])]
    db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
    if texts:
        db.execute("INSERT INTO articles_fts (rowid, text) VALUES (?, ?)", [article_id, "\n\n".join(texts)])


def _write_article_vector(db: sqlite_utils.Database, article_id: int, dimension: int) -> None:
    """The article's vector: the L2-normalised mean of its paragraph vectors."""
    blobs = [row[0] for row in db.execute(
        "SELECT v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash WHERE p.article_id = ?",
        [article_id])]
    if not blobs:
        db.execute("DELETE FROM article_vectors WHERE article_id = ?", [article_id])
        return
    mean = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimension).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    db.execute("INSERT OR REPLACE INTO article_vectors (article_id, vector) VALUES (?, ?)",
               [article_id, vector_blob(mean / norm if norm else mean)])


def _cannot_write(error: sqlite3.OperationalError) -> bool:
    message = str(error).lower()
    return "readonly" in message or "read-only" in message or "unable to open" in message


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL database needs its shared-memory file; where that
    cannot be created (a read-only mount) and no write-ahead log is pending, the file
    is opened as immutable, which is right there because nobody can be writing to it."""
    location = "file:" + quote(str(path.resolve()))
    connection = sqlite3.connect(location + "?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return connection
    except sqlite3.OperationalError:
        connection.close()
        log = path.with_name(path.name + "-wal")
        if log.exists() and log.stat().st_size > 0:
            raise
    return sqlite3.connect(location + "?mode=ro&immutable=1", uri=True, check_same_thread=False,
                           isolation_level=None)


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
        db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, _now()])


def _batches(values: Iterable[Any], size: int = 500) -> Iterator[tuple[list[Any], str]]:
    """The values in chunks small enough for one SQL `IN (...)`, with their placeholders."""
    values = list(values)
    for start in range(0, len(values), size):
        chunk = values[start:start + size]
        yield chunk, ",".join("?" * len(chunk))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StoredArticle:
    id: int
    key: str
    doc_id: str | None
    title: str | None
    date: str | None
    source: str | None
    url: str | None
    author: str | None
    path: str
    metadata: dict[str, Any]
    copy_of: int | None = None  # the article this is a syndicated copy of

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredArticle:
        return cls(
            id=row["id"], key=row["key"], doc_id=row["doc_id"], title=row["title"], date=row["date"],
            source=row["source"], url=row["url"], author=row["author"], path=row["path"],
            metadata=json.loads(row["metadata"] or "{}"), copy_of=row.get("copy_of"),
        )


class WrittenArticle(NamedTuple):
    id: int
    removed: list[int]  # paragraph ids
    added: list[int]
    copy_of: int | None


@dataclass
class Paragraph:
    id: int
    article_id: int
    position: int
    part: int
    text: str


def vector_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


class Store:
    """Reads and writes of one index database."""

    def __init__(self, path: Path, readonly: bool = False):
        """Open the database; one that cannot be written (no permission, read-only
        mount) is opened read-only, so it can still be searched (`self.readonly`)."""
        self.path = path
        self.readonly = readonly
        self._released: set[str] = set()  # text hashes of paragraphs removed in this write
        try:
            try:
                self._connect()
            except sqlite3.OperationalError as error:
                if readonly or not path.exists() or not _cannot_write(error):
                    raise
                self.readonly = True
                self._connect()
        except sqlite3.DatabaseError as error:
            raise IndexFormatError(f"cannot open index database {path}: {error}") from None

    def _connect(self) -> None:
        if self.readonly:
            connection = _connect_read_only(self.path)
        else:
            connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(connection)
        tables = set(self.db.table_names())
        if tables and "_migrations" not in tables:
            connection.close()
            raise IndexFormatError(f"{self.path} is not a newssearch index")
        self.db.execute("PRAGMA busy_timeout=10000")
        if self.readonly:
            if pending_migrations(self.db):
                connection.close()
                raise IndexFormatError(f"the index at {self.path.parent} was written by an older newssearch and "
                                       "is read-only here; open it once with write access to upgrade it")
            return
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            migrate(self.db)
        except sqlite3.DatabaseError:
            connection.close()
            raise

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: everything inside commits together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one committed state, whatever writers commit meanwhile."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    # settings -------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {row["key"]: json.loads(row["value"]) for row in self.db["settings"].rows}

    def set_settings(self, values: dict[str, Any]) -> None:
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in values.items()],
        )

    @property
    def _dimension(self) -> int:
        row = self.db.execute("SELECT value FROM settings WHERE key = 'dimension'").fetchone()
        return int(json.loads(row[0])) if row else 0

    def generation(self) -> int:
        """Counts committed changes to paragraphs; the FAISS file records the one it matches."""
        row = self.db.execute("SELECT value FROM settings WHERE key = 'data_generation'").fetchone()
        return int(json.loads(row[0])) if row else 0

    def bump_generation(self) -> None:
        self.set_settings({"data_generation": self.generation() + 1})

    # articles -------------------------------------------------------------------------
    def article_hashes(self, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """key -> (id, content_hash) for the keys that are indexed."""
        found: dict[str, tuple[int, str]] = {}
        for chunk, marks in _batches(keys):
            for row in self.db.execute(f"SELECT key, id, content_hash FROM articles WHERE key IN ({marks})", chunk):
                found[row[0]] = (row[1], row[2])
        return found

    def article_keys_under(self, folder: str) -> dict[str, tuple[int, str]]:
        """key -> (id, path) of every article read from a file inside folder (or that file)."""
        prefix = folder.rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT key, id, path FROM articles WHERE path = ? OR substr(path, 1, ?) = ?",
            [folder, len(prefix), prefix],
        )
        return {key: (article_id, path) for key, article_id, path in rows}

    def article(self, article_id: int) -> StoredArticle | None:
        rows = list(self.db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
        return StoredArticle.from_row(rows[0]) if rows else None

    def articles_by_doc_id(self, doc_id: str) -> list[StoredArticle]:
        return [StoredArticle.from_row(r) for r in self.db.query("SELECT * FROM articles WHERE doc_id = ? ORDER BY id", [doc_id])]

    def articles(self, ids: Iterable[int]) -> dict[int, StoredArticle]:
        found: dict[int, StoredArticle] = {}
        for chunk, marks in _batches(ids):
            for row in self.db.query(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                found[row["id"]] = StoredArticle.from_row(row)
        return found

    def write_article(self, fields: dict[str, Any], paragraphs: Sequence[tuple[int, int, str, str]],
                      replace_id: int | None, dimension: int = 0) -> WrittenArticle:
        """Insert (or replace) one article and its paragraphs (position, part, text, text_hash),
        and its article vector (the vectors of its texts must be stored already).

        An article whose body equals that of an article already stored is a syndicated
        copy: it is stored without paragraphs, pointing to the first one (`copy_of`).
        The caller holds the transaction."""
        body = body_hash([text for position, _, text, _ in paragraphs if position > 0])
        record = {**fields, "metadata": json.dumps(fields.get("metadata") or {}, ensure_ascii=False),
                  "indexed_at": _now(), "body_hash": body}
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
                    "INSERT INTO paragraphs (article_id, position, part, text, text_hash) VALUES (?, ?, ?, ?, ?)",
                    [article_id, position, part, text, text_hash],
                )
                added.append(cursor.lastrowid)
        if dimension:
            _write_article_vector(self.db, article_id, dimension)
        _write_article_text(self.db, article_id)
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
            self.db.execute("UPDATE articles SET content_hash = '' WHERE id = ?", [heir])
        self.db.execute("DELETE FROM article_vectors WHERE article_id IN (?, ?)", [heir, article_id])
        self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        if self._dimension:
            _write_article_vector(self.db, heir, self._dimension)
        _write_article_text(self.db, heir)
        return removed

    def delete_articles(self, article_ids: Sequence[int]) -> list[int]:
        """Delete articles and their paragraphs (an article's copy, if one stays, takes
        its paragraphs over); returns the paragraph ids removed."""
        leaving = set(article_ids)
        removed: list[int] = []
        for chunk, marks in _batches(article_ids):
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

    def copies_of(self, article_ids: Sequence[int]) -> dict[int, list[StoredArticle]]:
        """The syndicated copies of each article, by key."""
        copies: dict[int, list[StoredArticle]] = {}
        for chunk, marks in _batches(article_ids):
            for row in self.db.query(f"SELECT * FROM articles WHERE copy_of IN ({marks}) ORDER BY key", chunk):
                copies.setdefault(row["copy_of"], []).append(StoredArticle.from_row(row))
        return copies

    # vectors --------------------------------------------------------------------------
    def known_vectors(self, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk, marks in _batches(hashes):
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
        for chunk, marks in _batches(article_ids):
            found.update(r[0] for r in self.db.execute(
                f"SELECT text_hash FROM paragraphs WHERE article_id IN ({marks})", chunk))
        return found

    def delete_unused_vectors(self, hashes: Iterable[str]) -> int:
        """Delete those of the given vectors that no paragraph points to any more."""
        deleted = 0
        for chunk, marks in _batches(hashes):
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

    def vector_sample(self, size: int, dimension: int) -> np.ndarray:
        """About `size` paragraph vectors spread evenly over the archive (every n-th
        paragraph id), oldest to newest, to train an approximate index on."""
        top = self.db.execute("SELECT max(id) FROM paragraphs").fetchone()[0] or 0
        step = max(1, top // max(size, 1))
        rows = self.db.execute(
            "SELECT p.id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash "
            "WHERE p.id % ? = 0 ORDER BY p.id LIMIT ?", [step, size]).fetchall()
        return _unpack(rows, dimension)[1] if rows else np.zeros((0, dimension), dtype=np.float32)

    def paragraph_vectors(self, paragraph_ids: Sequence[int] | None = None, dimension: int = 0,
                          batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of paragraphs, in batches: all of them, or those given."""
        if paragraph_ids is None:
            cursor = self.db.execute(
                "SELECT p.id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash ORDER BY p.id"
            )
            while rows := cursor.fetchmany(batch):
                yield _unpack(rows, dimension)
            return
        for chunk, marks in _batches(paragraph_ids):
            rows = self.db.execute(
                f"SELECT p.id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash WHERE p.id IN ({marks})",
                chunk,
            ).fetchall()
            if rows:
                yield _unpack(rows, dimension)

    def all_article_vectors(self, dimension: int, batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(article ids, vectors) of every article vector, in batches."""
        cursor = self.db.execute("SELECT article_id, vector FROM article_vectors ORDER BY article_id")
        while rows := cursor.fetchmany(batch):
            yield _unpack(rows, dimension)

    def lead_vectors(self, dimension: int, batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(article ids, vectors) of each article's lead: its first paragraph after the headline."""
        cursor = self.db.execute(
            "SELECT p.article_id, v.vector FROM paragraphs p JOIN vectors v ON v.hash = p.text_hash "
            "WHERE p.position = 1 AND p.part = 0 ORDER BY p.article_id")
        while rows := cursor.fetchmany(batch):
            yield _unpack(rows, dimension)

    # paragraphs -----------------------------------------------------------------------
    def paragraphs(self, ids: Iterable[int]) -> dict[int, Paragraph]:
        found: dict[int, Paragraph] = {}
        for chunk, marks in _batches(ids):
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
        for chunk, marks in _batches(paragraph_ids):
            found.update(self.db.execute(f"SELECT id, article_id FROM paragraphs WHERE id IN ({marks})", chunk).fetchall())
        return found

    def paragraph_order(self, paragraph_ids: Sequence[int]) -> dict[int, tuple[str, int, int]]:
        """A stable sort key of each paragraph that does not depend on row ids:
        its article's key and its place in the article."""
        found: dict[int, tuple[str, int, int]] = {}
        for chunk, marks in _batches(paragraph_ids):
            for paragraph_id, key, position, part in self.db.execute(
                    f"SELECT p.id, a.key, p.position, p.part FROM paragraphs p JOIN articles a ON a.id = p.article_id "
                    f"WHERE p.id IN ({marks})", chunk):
                found[paragraph_id] = (key, position, part)
        return found

    def article_order(self, article_ids: Sequence[int]) -> dict[int, str]:
        """A stable sort key of each article that does not depend on row ids: its key."""
        found: dict[int, str] = {}
        for chunk, marks in _batches(article_ids):
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

    def date_range(self) -> tuple[str | None, str | None]:
        return tuple(self.db.execute("SELECT min(date), max(date) FROM articles").fetchone())  # type: ignore[return-value]


def _unpack(rows: list[tuple[int, bytes]], dimension: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
    return ids, vectors
