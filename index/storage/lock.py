"""One writer per index: an exclusive lock on a file in the index folder.

The operating system drops the lock when its process ends, however it ends, so a
lock left by a crashed run needs no cleaning up. The holder writes its process id into
the file, so a second writer can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ...errors import IndexBusyError, IndexWriteError

LOCK_NAME = "write.lock"


class WriteLock:
    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self._handle = None

    def acquire(self) -> None:
        """Take the lock now or fail at once, naming the process that holds it."""
        try:
            handle = open(self.path, "a+", encoding="ascii")
        except OSError as error:
            raise IndexWriteError(f"cannot write to the index at {self.path.parent} ({error.strerror})") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise IndexBusyError(
                f"another newssearch process (pid {holder}) is writing to {self.path.parent}; "
                "wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def held_elsewhere(self) -> bool:
        """Whether another process is writing right now."""
        if self._handle is not None or not self.path.exists():
            return False
        try:
            with open(self.path, encoding="ascii") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
        except OSError:  # unreadable lock file: nobody can be holding it through this path
            return False
        return False

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
