"""The number format the indexing forward pass computes in.

fp32  the model as trained.
bf16  matrix products in bfloat16 (torch autocast; layer norms, softmax and pooling stay
      in fp32, and so do the stored vectors). On this project's test machines (Intel
      AMX) 2.4x fp32's throughput with embeddings at cosine >= 0.9999 to fp32's and the
      same retrieval quality (docs/benchmarks.md, "Indexing throughput").
auto  bf16 where it is measured, on this machine, to be faster than fp32 and to give the
      same vectors (cosine >= 0.999); fp32 elsewhere (calibration.py).

Queries are embedded in fp32 either way; mixing the two in one index is harmless at
that cosine.
"""

from __future__ import annotations

import os

from ...errors import ModelError

PRECISIONS = ("auto", "fp32", "bf16")
PRECISION_ENV = "NEWSSEARCH_PRECISION"


def resolve_precision(requested: str | None = None) -> str:
    """"auto", "fp32" or "bf16" for a requested precision (None: $NEWSSEARCH_PRECISION,
    else auto); the embedder settles "auto" by measuring (calibration.py)."""
    choice = (requested or os.environ.get(PRECISION_ENV) or "auto").strip().lower()
    if choice not in PRECISIONS:
        source = "" if requested else f" (from ${PRECISION_ENV})"
        raise ModelError(f"unknown precision '{choice}'{source}: use one of {', '.join(PRECISIONS)}")
    return choice
