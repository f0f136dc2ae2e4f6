"""Derived files: files in an index folder built from SQLite (the FAISS indexes today;
any later index of the same data is one more `DerivedFile`), under one set of rules
for crash safety.

- Saving: the file is written under a temporary name and flushed, then its identity
  (the data generation it was built from, size, mtime, SHA-256 and a digest of what
  it holds) is recorded in settings and the file renamed into place, in one SQLite
  transaction. A crash leaves the old file with the old record, or the new with the
  new. If the data moved on while the file was built, nothing is saved.
- Opening: cheap checks only (generation, size, mtime, then the content digest of
  the loaded object); a file that fails one is rebuilt from SQLite and saved.
- Checking (`newssearch check`): the full SHA-256, plus the file's own deep check.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from .files import file_identity, sync_directory
from .store import Store


class DerivedData(Protocol):
    """What a derived file's loaded object offers."""

    def write_temporary(self, path: Path) -> Path: ...


T = TypeVar("T", bound=DerivedData)


@dataclass(frozen=True)
class DerivedFile(Generic[T]):
    """One derived file of an index folder, and how to load, build and check it."""

    name: str  # file name in the index folder
    setting: str  # settings key that records its identity
    what: str  # for messages: "vector index"
    label: str  # for check's problems: "the FAISS file"
    load: Callable[[Path], T]
    build: Callable[[Store], T]  # from SQLite, without embedding anything
    empty: Callable[[Store], T]  # when there is nothing to derive it from
    digest: Callable[[T], str]  # of what the object holds, recorded as `ids_sha256`
    accepts: Callable[[T, Store], bool] = lambda data, store: True  # more cheap checks on open
    verify: Callable[[T, Store], list[str]] = lambda data, store: []  # check's deep comparison with SQLite
    legacy: Callable[[T, Store], bool] | None = None  # for records saved before there was a digest
    required: bool = False  # a missing or out-of-date file is a problem for `check` (else simply rebuilt)


class DerivedFiles:
    """The derived files of one index folder."""

    def __init__(self, directory: Path, store: Store, notices: list[str], may_save: Callable[[], bool]):
        self.directory = directory
        self.store = store
        self.notices = notices
        self._may_save = may_save

    def path(self, file: DerivedFile[Any]) -> Path:
        return self.directory / file.name

    def open(self, file: DerivedFile[T]) -> T:
        """The file's object as saved when it matches the committed data, else rebuilt
        from SQLite (and saved, unless another process is writing)."""
        path = self.path(file)
        with self.store.snapshot():
            generation = self.store.generation()
            if not path.exists() and not self.store.has_paragraphs():
                return file.empty(self.store)
            recorded = self.store.settings().get(file.setting)
            reason = self._stale(path, recorded, generation)
            if reason is None:
                try:
                    data = file.load(path)
                    if file.accepts(data, self.store) and self._holds_recorded(file, data, recorded):
                        return data
                    reason = "inconsistent"
                except RuntimeError:
                    reason = "unreadable"
            data = file.build(self.store)
        if file.required:
            self.notices.append(f"{file.what} {reason}; rebuilt it from the stored vectors")
        self.save(file, data, generation)
        return data

    def rebuild(self, file: DerivedFile[T]) -> T:
        """Build the file from SQLite and save it."""
        generation = self.store.generation()
        data = file.build(self.store)
        self.save(file, data, generation)
        return data

    def save(self, file: DerivedFile[T], data: T, generation: int) -> None:
        """Write the file for data `generation` (see the module's docstring)."""
        if not self._may_save():  # read-only here, or a writer saves its own files when it finishes
            return
        path = self.path(file)
        temporary: Path | None = None
        try:
            temporary = data.write_temporary(path)
            identity = {"generation": generation, **file_identity(temporary), "ids_sha256": file.digest(data)}
            with self.store.transaction():
                if self.store.generation() != generation:
                    return
                self.store.set_settings({file.setting: identity})
                os.replace(temporary, path)
            sync_directory(path.parent)
        except (OSError, RuntimeError, sqlite3.DatabaseError) as error:  # a read-only index still answers queries
            self.notices.append(f"could not save the {file.what}: {error}")
        finally:
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    def problems(self, file: DerivedFile[T]) -> list[str]:
        """What `check` finds wrong with the file; nothing is changed. A file that is not
        required and was recorded for older data is not a problem: it is rebuilt when
        opened."""
        path = self.path(file)
        recorded = self.store.settings().get(file.setting) or {}
        generation = self.store.generation()
        if not file.required:
            if recorded.get("generation") != generation or not path.exists():
                return []
            if file_identity(path)["sha256"] != recorded.get("sha256"):
                return [f"{file.label}'s checksum differs from the one recorded with the data"]
            return []
        try:
            data = file.load(path)
        except (OSError, RuntimeError):
            return [f"{file.label} is missing or unreadable"] if self.store.has_paragraphs() else []
        problems = file.verify(data, self.store)
        if "sha256" not in recorded:
            return [*problems, f"no checksum is recorded for {file.label}"]
        if recorded.get("generation") != generation:
            problems.append(f"{file.label} was written for data generation {recorded.get('generation')}, "
                            f"the data is at {generation}")
        if file_identity(path)["sha256"] != recorded["sha256"]:
            problems.append(f"{file.label}'s checksum differs from the one recorded with the data")
        return problems

    @staticmethod
    def _stale(path: Path, recorded: dict[str, Any] | None, generation: int) -> str | None:
        """Why a file cannot be the one recorded for this data generation (cheap tests
        only: the checksum is verified by `check`), or None."""
        try:
            stat = path.stat()
        except OSError:
            return "missing"
        expected = (generation, stat.st_size, stat.st_mtime_ns)
        if not recorded or (recorded.get("generation"), recorded.get("size"), recorded.get("mtime_ns")) != expected:
            return "out of date"
        return None

    def _holds_recorded(self, file: DerivedFile[T], data: T, recorded: dict[str, Any]) -> bool:
        if "ids_sha256" in recorded:
            return file.digest(data) == recorded["ids_sha256"]
        return file.legacy is not None and file.legacy(data, self.store)
