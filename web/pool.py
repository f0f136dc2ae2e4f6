"""One `Archive` per server thread, sharing the query model.

An archive's SQLite connections belong to the thread that uses them, so each thread
that serves requests opens its own archive of the same index folder; the light query
model (onnxruntime, safe to call from several threads) is loaded once and shared.
Before each request the archive lets go of vector indexes that a running
`newssearch index` has made stale, so new batches are searched without a restart."""

from __future__ import annotations

import threading
from pathlib import Path

from .. import Archive


class ArchivePool:
    def __init__(self, directory: Path, parallel_search: bool = True):
        """`parallel_search`: see `Archive.parallel_search` (False with a process per core)."""
        self.directory = directory
        self.parallel_search = parallel_search
        self._models = Archive.open(directory)  # fails here, at start, when there is no index
        self._local = threading.local()
        self._opened: list[Archive] = [self._models]
        self._lock = threading.Lock()

    @property
    def notices(self) -> list[str]:
        return self._models.notices

    def warm_up(self) -> None:
        """Load the query model now rather than on the first request."""
        _ = self._models.query_embedder

    def archive(self) -> Archive:
        """This thread's archive, up to date with the committed data."""
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = Archive.open(self.directory, embedder=self._models.query_embedder)
            archive.parallel_search = self.parallel_search
            with self._lock:
                self._opened.append(archive)
            self._local.archive = archive
        archive.refresh()
        return archive

    def close(self) -> None:
        with self._lock:
            for archive in self._opened:
                archive.close()
            self._opened.clear()
