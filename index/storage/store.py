"""`Store`: one index database. SQLite is the source of truth; every FAISS file is
derived from the vectors stored here. This module opens the connection (read-only
where the index cannot be written), runs transactions and keeps the settings; the
reads and writes of articles are in `reads.py` and `writes.py`, the keyword and
filter SQL in `candidates.py`, the boilerplate SQL in `boilerplate.py`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from ...errors import IndexFormatError
from .boilerplate import BoilerplateRows
from .candidates import Candidates
from .reads import SearchReads
from .schema import migrate, pending_migrations
from .stories import StoryRows
from .writes import ArticleWrites


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


class Store(ArticleWrites, SearchReads, Candidates, BoilerplateRows, StoryRows):
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
    def dimension(self) -> int:
        """The vectors' dimension (0 before the model is recorded)."""
        row = self.db.execute("SELECT value FROM settings WHERE key = 'dimension'").fetchone()
        return int(json.loads(row[0])) if row else 0

    def generation(self) -> int:
        """Counts changes to the data (rows of DATA_TABLES, counted by triggers: see
        schema.py); each derived file records the generation it was built from."""
        row = self.db.execute("SELECT value FROM settings WHERE key = 'data_generation'").fetchone()
        return int(json.loads(row[0])) if row else 0

    def bump_generation(self) -> None:
        """Move the generation on without changing data (tests use it to stand for a
        write that committed after a derived file was saved)."""
        self.set_settings({"data_generation": self.generation() + 1})

