"""Where an index lives, decided without importing anything heavy."""

from __future__ import annotations

import os
from pathlib import Path

INDEX_ENV = "NEWSSEARCH_INDEX"
DATABASE_NAME = "newssearch.db"  # the SQLite file inside an index folder
STDIN = "-"  # as a path to index: JSON Lines on standard input


def default_index_dir() -> Path:
    """$NEWSSEARCH_INDEX, else the user's data directory (e.g. ~/.local/share/newssearch/index)."""
    configured = os.environ.get(INDEX_ENV)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newssearch", appauthor=False)) / "index"
