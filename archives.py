"""`Archives`: several index folders searched as one (one archive per year or per
outlet, or the shards of one). Searches, articles, stories and similar articles come
back as one index holding all their articles would give them (index/storage/union.py
says how ids and keyword scores are made comparable), with two differences: story
threads and syndicated copies link articles of the same index only, since they are
found when an index is written."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .archive import Archive, Reading
from .errors import InputError, ModelMismatchError
from .index.models.embedders import Embedder, same_model
from .index.storage.union import UnionStore, UnionVectors
from .search.searcher import Searcher


class Archives(Reading):
    def __init__(self, archives: Sequence[Archive]):
        self.archives = list(archives)
        self.directory = self.archives[0].directory
        self.directories = [archive.directory for archive in self.archives]
        self.store = UnionStore([archive.store for archive in self.archives])
        self._keyword_store: UnionStore | None = None
        self.parallel_search = True

    @classmethod
    def open(cls, directories: Sequence[str | os.PathLike], model: str | None = None,
             embedder: Embedder | None = None) -> Archives:
        """Open each index (none is created); they must have been built with one model."""
        folders = [Path(d).expanduser().resolve() for d in directories]
        if len(set(folders)) < len(folders):
            raise InputError("the same index is named twice")
        archives: list[Archive] = []
        try:
            for folder in folders:
                archives.append(Archive.open(folder, model=model, embedder=embedder))
                first, this = archives[0], archives[-1]
                if not same_model(first.model_name, this.model_name) or \
                        first.settings.get("dimension") != this.settings.get("dimension"):
                    raise ModelMismatchError(
                        f"{this.directory} was built with model '{this.model_name}' and {first.directory} with "
                        f"'{first.model_name}': indexes searched together need one model")
        except BaseException:
            for archive in archives:
                archive.close()
            raise
        return cls(archives)

    @property
    def notices(self) -> list[str]:
        return [notice for archive in self.archives for notice in archive.notices]

    @property
    def model_name(self) -> str:
        return self.archives[0].model_name

    @property
    def query_embedder(self) -> Embedder:
        return self.archives[0].query_embedder

    def start_loading_query_embedder(self) -> None:
        self.archives[0].start_loading_query_embedder()

    @property
    def vectors(self) -> UnionVectors:
        return UnionVectors([archive.vectors for archive in self.archives])

    @property
    def article_vectors(self) -> UnionVectors:
        return UnionVectors([archive.article_vectors for archive in self.archives])

    @property
    def lead_vectors(self) -> UnionVectors:
        return UnionVectors([archive.lead_vectors for archive in self.archives])

    def searcher(self) -> Searcher:
        readers = [archive._keyword_reader() for archive in self.archives]  # each told of its keyword index
        if self._keyword_store is None:
            self._keyword_store = UnionStore(readers)
        return Searcher(self.store, self.vectors, self.article_vectors, self.lead_vectors,  # type: ignore[arg-type]
                        lambda: self.query_embedder, self._keyword_store, self.parallel_search)  # type: ignore[arg-type]

    def refresh(self) -> None:
        for archive in self.archives:
            archive.refresh()

    def stats(self) -> dict[str, Any]:
        each = [archive.stats() for archive in self.archives]
        sources = set()
        for archive in self.archives:
            sources.update(row[0] for row in archive.store.db.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL"))
        firsts = [s["first_date"] for s in each if s["first_date"]]
        lasts = [s["last_date"] for s in each if s["last_date"]]
        return {
            **each[0],
            "index": os.pathsep.join(s["index"] for s in each),
            **{name: sum(s[name] for s in each) for name in ("articles", "paragraphs", "vectors", "size_bytes")},
            "sources": len(sources),
            "first_date": min(firsts) if firsts else None,
            "last_date": max(lasts) if lasts else None,
            "keyword_index": ", ".join(s["keyword_index"] for s in each),
        }

    def close(self) -> None:
        for archive in self.archives:
            archive.close()

    def __enter__(self) -> Archives:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_archive(directories: Sequence[str | os.PathLike] | str | os.PathLike | None = None,
                 model: str | None = None, embedder: Embedder | None = None) -> Archive | Archives:
    """One index folder (None: the user's index) as an `Archive`, several as `Archives`."""
    if directories is None or isinstance(directories, (str, os.PathLike)):
        return Archive.open(directories, model=model, embedder=embedder)
    folders = list(directories)
    if len(folders) <= 1:
        return Archive.open(folders[0] if folders else None, model=model, embedder=embedder)
    return Archives.open(folders, model=model, embedder=embedder)
