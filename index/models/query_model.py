"""A light copy of the embedding model for queries: the transformer exported to ONNX,
run with onnxruntime and the model's own fast tokenizer, so a query never imports
torch or sentence-transformers.

The export happens at index time, from the very model that embedded the archive,
and is kept only when it reproduces that model's embeddings (cosine >= PARITY).
A model it cannot export (an unusual architecture or pooling) simply has no light
copy: queries then load sentence-transformers.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..linalg import unit_rows
from .batching import SharedRuns
from .embedders import embedding_dimension
from .preload import signature as file_signature

ONNX_NAME = "query-model.onnx"
WEIGHTS_NAME = "query-model.weights"
TOKENIZER_NAME = "query-tokenizer.json"
# 1: one ONNX file, optimised on every load. 2: the graph already optimised (onnxruntime's
# basic, hardware-independent level) with its weights in WEIGHTS_NAME, which onnxruntime
# maps instead of parsing: a session in about 60 ms instead of 200 (docs/benchmarks.md).
LAYOUT = 2
PARITY = 0.9999
PARITY_TEXTS = [
    "troop buildup",
    "Russia has deployed 100,000 troops and heavy weapons near Ukraine's border.",
    "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) for the three months to December.",
    "Le président a rencontré les dirigeants européens à Bruxelles.",
    "The cup final was postponed after heavy rain flooded the stadium " * 30,
]
POOLINGS = {"mean", "cls"}
RUN_BATCH = 32  # texts per onnxruntime run


class OnnxEmbedder:
    """Embeds texts with an exported model: tokenizers + onnxruntime + pooling."""

    def __init__(self, name: str, folder: Path, settings: dict[str, Any]):
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = name
        self._settings = settings
        self.dimension = int(settings["dimension"])
        self.normalized = True
        self.max_tokens = int(settings["max_seq_length"]) - 2
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_NAME))
        self._tokenizer.enable_truncation(int(settings["max_seq_length"]))
        self._tokenizer.enable_padding(pad_id=int(settings.get("pad_id", 0)))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Basic graph optimisations load in about half the time of the default level
        # and cost nothing noticeable on one short query; a layout-2 graph has had them.
        options.graph_optimization_level = (onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
                                            if settings.get("layout", 1) >= 2 else
                                            onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC)
        # Threads that sleep instead of spinning between the model's small kernels: on a
        # busy 2-core machine spinning made one query 6x slower (benchmarks/cold_query.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # One thread per query: a second made one query no faster (a one-off comparison on
        # the 2-core Xeon, 2026-12-02) and cost half as much CPU again, which concurrent
        # searches (the web server) need.
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(folder / ONNX_NAME), options,
                                                     providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._shared = SharedRuns(self._embed_all)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) - 2 for e in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._shared.embed(texts)  # threads embedding at once share runs (batching.py)

    def _embed_all(self, texts: Sequence[str]) -> np.ndarray:
        # In slices: attention over a whole list at once would take gigabytes.
        return np.vstack([self._embed(texts[start:start + RUN_BATCH]) for start in range(0, len(texts), RUN_BATCH)])

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {name: feed[name] for name in self._inputs})[0]
        if self._settings["pooling"] == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return unit_rows(pooled)


def export(model: Any, folder: Path) -> dict[str, Any] | str:
    """Export a loaded SentenceTransformer's transformer to `folder`; returns the
    settings to record, or the reason there is no light query model."""
    modules = list(model)
    transformer = modules[0]
    pooling = modules[1] if len(modules) > 1 else None
    mode = pooling.get_config_dict().get("pooling_mode") if hasattr(pooling, "get_config_dict") else None
    rest = [type(m).__name__ for m in modules[2:]]
    if type(transformer).__name__ != "Transformer" or mode not in POOLINGS or rest not in ([], ["Normalize"]):
        return f"model layout not supported for export ({', '.join(type(m).__name__ for m in modules)})"
    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    if backend is None:
        return "the model has no fast tokenizer"
    import torch

    names = [n for n in model.tokenizer.model_input_names if n in ("input_ids", "attention_mask", "token_type_ids")]
    sample = model.tokenizer(PARITY_TEXTS[:2], padding=True, return_tensors="pt")

    class Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    exported = folder / (ONNX_NAME + ".export")
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(Encoder(transformer.auto_model).eval(), tuple(sample[n] for n in names), str(exported),
                              input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes={**axes, "last_hidden_state": {0: "batch", 1: "tokens"}},
                              opset_version=17, dynamo=False)
        _optimise(exported, folder)
    except Exception as error:  # an exporter failure means: no light model, not a failed run
        return f"ONNX export failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    finally:
        exported.unlink(missing_ok=True)
    backend.save(str(folder / TOKENIZER_NAME))
    settings = {
        "file": ONNX_NAME, "weights": WEIGHTS_NAME, "layout": LAYOUT, "tokenizer": TOKENIZER_NAME, "pooling": mode,
        "max_seq_length": int(model.max_seq_length), "dimension": embedding_dimension(model),
        "pad_id": int(model.tokenizer.pad_token_id or 0),
    }
    light = OnnxEmbedder("check", folder, settings)
    reference = model.encode(PARITY_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    agreement = float((light.embed(PARITY_TEXTS) * reference).sum(axis=1).min())
    if agreement < PARITY:
        remove(folder)
        return f"the exported model disagrees with the original (cosine {agreement:.6f})"
    return {**settings, "parity_min_cosine": round(agreement, 7), "signature": file_signature(folder / ONNX_NAME),
            "weights_signature": file_signature(folder / WEIGHTS_NAME)}


def _optimise(exported: Path, folder: Path) -> None:
    """Write the exported model as layout 2: onnxruntime's basic optimisations applied,
    the graph in ONNX_NAME and the weights beside it in WEIGHTS_NAME (the graph names
    that file, so both are written in a scratch folder and then moved in)."""
    import onnxruntime

    scratch = Path(tempfile.mkdtemp(prefix=".query-model-", dir=folder))
    try:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(scratch / ONNX_NAME)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS_NAME)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        onnxruntime.InferenceSession(str(exported), options, providers=["CPUExecutionProvider"])
        (scratch / WEIGHTS_NAME).replace(folder / WEIGHTS_NAME)
        (scratch / ONNX_NAME).replace(folder / ONNX_NAME)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remove(folder: Path) -> None:
    for name in (ONNX_NAME, WEIGHTS_NAME, TOKENIZER_NAME):
        (folder / name).unlink(missing_ok=True)
