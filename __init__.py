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
    ClusterError,
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
    from .archive import Archive, version
    from .archives import Archives, open_archive
    from .index.formats.records import ReadOptions
    from .index.report import IndexReport
    from .index.storage.locations import INDEX_ENV, default_index_dir
    from .search.evaluate import compare as compare_evaluations
    from .search.evaluate import load_saved as load_saved_evaluation
    from .search.fusion import FUSIONS, MODES
    from .search.keyword import term_pattern as highlight_pattern
    from .search.searcher import Hit, ParagraphHit
    from .search.shapes import article_json

# Imported when first used, so that `import newssearch.cli` (the command line) can
# start work before numpy and FAISS load: name -> (module, its name there).
_LAZY = {
    "Archive": (".archive", "Archive"),
    "version": (".archive", "version"),
    "Archives": (".archives", "Archives"),
    "open_archive": (".archives", "open_archive"),
    "default_index_dir": (".index.storage.locations", "default_index_dir"),
    "INDEX_ENV": (".index.storage.locations", "INDEX_ENV"),
    "IndexReport": (".index.report", "IndexReport"),
    "ReadOptions": (".index.formats.records", "ReadOptions"),
    "Hit": (".search.searcher", "Hit"),
    "ParagraphHit": (".search.searcher", "ParagraphHit"),
    "MODES": (".search.fusion", "MODES"),
    "FUSIONS": (".search.fusion", "FUSIONS"),
    "highlight_pattern": (".search.keyword", "term_pattern"),
    "compare_evaluations": (".search.evaluate", "compare"),
    "article_json": (".search.shapes", "article_json"),
    "load_saved_evaluation": (".search.evaluate", "load_saved"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'newssearch' has no attribute '{name}'")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value
    return value


__all__ = [
    "Archive", "Archives", "open_archive", "version", "default_index_dir", "INDEX_ENV", "Hit", "ParagraphHit", "IndexReport", "ReadOptions", "MODES",
    "FUSIONS", "highlight_pattern", "compare_evaluations", "load_saved_evaluation", "article_json",
    "NewssearchError", "InputError", "IndexNotFoundError", "IndexFormatError", "ModelError",
    "ModelMismatchError", "FilterError", "ArticleNotFoundError", "IndexBusyError", "IndexWriteError",
    "ClusterError",
]
