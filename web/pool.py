"""Where the server's library calls run when they run in its own process.

An archive's SQLite connections belong to the thread that uses them, so each thread
that serves requests opens its own archive of the same index folders (`ArchivePool`);
the light query model (onnxruntime, safe to call from several threads) is loaded once
and shared. Before each call the archive lets go of vector indexes that a running
`newssearch index` has made stale, so new batches are searched without a restart.
`ThreadRunner` runs calls on the server's threads (`serve --workers 1`, or the app in
another ASGI server); processes.py runs them in search processes."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from .. import Archive, Archives, default_index_dir, open_archive

Result = TypeVar("Result")


def index_folders(index: str | os.PathLike | Sequence[str | os.PathLike] | None) -> list[Path]:
    """The index folders named (several are searched as one), or the user's index."""
    if index is None or isinstance(index, (str, os.PathLike)):
        return [Path(index).expanduser() if index else default_index_dir()]
    return [Path(folder).expanduser() for folder in index] or [default_index_dir()]


class ArchivePool:
    def __init__(self, directories: Path | Sequence[Path], parallel_search: bool = True):
        """`directories`: one index folder, or several searched as one (archives.py).
        `parallel_search`: see `Archive.parallel_search` (False with a process per core)."""
        self.directories = [directories] if isinstance(directories, Path) else list(directories)
        self.directory = self.directories[0]
        self.parallel_search = parallel_search
        self._models = open_archive(self.directories)  # fails here, at start, when there is no index
        self._local = threading.local()
        self._opened: list[Archive | Archives] = [self._models]
        self._lock = threading.Lock()

    @property
    def notices(self) -> list[str]:
        return self._models.notices

    def warm_up(self) -> None:
        """Load the query model now rather than on the first request."""
        _ = self._models.query_embedder

    def archive(self) -> Archive | Archives:
        """This thread's archive, up to date with the committed data."""
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = open_archive(self.directories, embedder=self._models.query_embedder)
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


class ThreadRunner:
    """Library calls on the server's own threads (`serve --workers 1`, and the app
    mounted in someone else's ASGI server)."""

    def __init__(self, pool: ArchivePool):
        self.pool = pool
        self.directory = pool.directory
        self.directories = pool.directories

    async def run(self, call: Callable[..., Result], *args: Any) -> Result:
        return await run_in_threadpool(lambda: call(self.pool.archive(), *args))

    def close(self) -> None:
        self.pool.close()
