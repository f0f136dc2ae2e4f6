"""The models an archive uses: the embedder that indexes (sentence-transformers, loaded
when first needed) and what embeds queries: the index's light ONNX copy of its model
when it has a usable one (loaded on a background thread, which the command line may
have started before the library was imported: preload.py), else the embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..storage.store import Store
from . import preload
from .embedders import Embedder, SentenceTransformerEmbedder, load_embedder
from .query_model import LAYOUT as QUERY_MODEL_LAYOUT
from .query_model import export as export_query_model


class ArchiveModels:
    def __init__(self, directory: Path, name: str, store: Store, embedder: Embedder | None = None):
        self.directory = directory
        self.name = name
        self.store = store
        self.notices: list[str] = []
        self._embedder = embedder
        self._query_embedder: Embedder | None = None
        self._query_loading: preload.Background | None = None
        self._light_model_checked = False

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.name)
        return self._embedder

    @property
    def query_embedder(self) -> Embedder:
        if self._query_embedder is None:
            self.start_loading_query()
            light = None
            if self._query_loading is not None:
                try:
                    light = self._query_loading.result()
                except Exception as error:  # noqa: BLE001 - any failure of the light model means: use the model
                    self.notices.append(f"light query model unusable ({error}); queries load sentence-transformers")
                self._query_loading = None
            self._query_embedder = light or self.embedder
        return self._query_embedder

    def start_loading_query(self) -> None:
        """Start loading the light query model in a background thread (onnxruntime lets
        go of the GIL while it builds its session)."""
        if self._query_embedder is not None or self._query_loading is not None or self._light_model_checked:
            return
        self._light_model_checked = True
        if self._embedder is None:
            self._query_loading = preload.take(self.directory)  # started by the command line
        if self._query_loading is None:
            settings = self._light_model_settings()
            if settings is not None:
                self._query_loading = preload.Background(preload.load_light_model, self.name, self.directory,
                                                         settings)

    def _light_model_settings(self) -> dict[str, Any] | None:
        """The recorded light query model, when there is one to use."""
        if self._embedder is not None:  # already loaded (tests, or after indexing): use it
            return None
        settings = self.store.settings()
        if "query_model" not in settings:
            self.notices.append("this index has no light query model; queries load sentence-transformers "
                                "(run 'newssearch index' once to add it)")
            return None
        recorded = settings["query_model"]
        if recorded is None:  # the model could not be exported; said so when indexing
            return None
        reason = preload.changed(self.directory, recorded)
        if reason is not None:
            self.notices.append(f"light query model unusable ({reason}); queries load sentence-transformers")
            return None
        return recorded

    def ensure_light_model(self) -> None:
        """Export the light query model once, from the model that embedded the archive
        (again when it was saved in an older, slower layout)."""
        settings = self.store.settings()
        if "query_model" in settings and (settings["query_model"] is None
                                          or settings["query_model"].get("layout", 1) >= QUERY_MODEL_LAYOUT):
            return
        if not isinstance(self.embedder, SentenceTransformerEmbedder):
            self.store.set_settings({"query_model": None})
            return
        result = export_query_model(self.embedder.model, self.directory)
        if isinstance(result, str):
            self.notices.append(f"no light query model: {result}; queries will load sentence-transformers")
            self.store.set_settings({"query_model": None})
        else:
            self.store.set_settings({"query_model": result})
