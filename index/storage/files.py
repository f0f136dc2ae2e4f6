"""Small file-system helpers for the files of an index folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_identity(path: Path) -> dict[str, int | str]:
    """Size, modification time and SHA-256 of a file. A rename keeps all three, so the
    identity of a temporary file is that of the file it becomes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    stat = os.stat(path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}


def sync_directory(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
