"""newssearch: semantic search over news archives.

    from newssearch import Archive
    with Archive.open(create=True) as archive:
        archive.index(["corpus/"])
        for hit in archive.search("troop buildup", k=5):
            print(hit.rank, hit.article.title, hit.paragraphs[0].text)
"""

from .archive import Archive, default_index_dir
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
from .index.report import IndexReport
from .search.searcher import Hit, ParagraphHit

__all__ = [
    "Archive", "default_index_dir", "Hit", "ParagraphHit", "IndexReport",
    "NewssearchError", "InputError", "IndexNotFoundError", "IndexFormatError", "ModelError",
    "ModelMismatchError", "FilterError", "ArticleNotFoundError", "IndexBusyError", "IndexWriteError",
]
