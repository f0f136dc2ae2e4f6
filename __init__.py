"""newssearch: semantic search over news archives.

    from newssearch import Archive
    with Archive.open(create=True) as archive:
        archive.index(["corpus/"])
        for hit in archive.search("troop buildup", k=5):
            print(hit.rank, hit.article.title, hit.paragraphs[0].text)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    ArticleNotFoundError,
    FilterError,
    IndexBusyError,
    IndexFormatError,
    IndexNotFoundError,
    IndexWriteError,
    InputError,
    ModelError,
    ModelMismatchError,
    NewssearchError,
)

if TYPE_CHECKING:
    from .archive import Archive
    from .index.storage.locations import default_index_dir
    from .index.report import IndexReport
    from .search.searcher import Hit, ParagraphHit

# Imported when first used, so that `import newssearch.cli` (the command line) can
# start work before numpy and FAISS load.
_LAZY = {"Archive": ".archive", "default_index_dir": ".index.storage.locations", "IndexReport": ".index.report",
         "Hit": ".search.searcher", "ParagraphHit": ".search.searcher"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'newssearch' has no attribute '{name}'")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Archive", "default_index_dir", "Hit", "ParagraphHit", "IndexReport",
    "NewssearchError", "InputError", "IndexNotFoundError", "IndexFormatError", "ModelError",
    "ModelMismatchError", "FilterError", "ArticleNotFoundError", "IndexBusyError", "IndexWriteError",
]
