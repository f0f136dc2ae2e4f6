"""Where an index lives, decided without importing anything heavy."""

from __future__ import annotations

import os
from pathlib import Path

INDEX_ENV = "NEWSSEARCH_INDEX"


def default_index_dir() -> Path:
    """$NEWSSEARCH_INDEX, else the user's data directory (e.g. ~/.local/share/newssearch/index)."""
    configured = os.environ.get(INDEX_ENV)
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newssearch", appauthor=False)) / "index"
