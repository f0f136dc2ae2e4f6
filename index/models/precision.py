"""The number format the indexing forward pass computes in.

fp32  the model as trained.
bf16  matrix products in bfloat16 (torch autocast; layer norms, softmax and pooling stay
      in fp32, and so do the stored vectors). On this project's test machines (Intel
      AMX) 2.4x fp32's throughput with embeddings at cosine >= 0.9999 to fp32's and the
      same retrieval quality (docs/benchmarks.md, "Indexing throughput").
auto  bf16 where the CPU multiplies bfloat16 matrices in hardware (AMX-BF16), fp32
      elsewhere: without that hardware torch's bfloat16 path is no faster.

Queries are embedded in fp32 either way; mixing the two in one index is harmless at
that cosine.
"""

from __future__ import annotations

import os

from ...errors import ModelError
from .machine import has_amx_bf16

PRECISIONS = ("auto", "fp32", "bf16")
PRECISION_ENV = "NEWSSEARCH_PRECISION"


def resolve_precision(requested: str | None = None) -> str:
    """"fp32" or "bf16" for a requested precision (None: $NEWSSEARCH_PRECISION, else auto)."""
    choice = (requested or os.environ.get(PRECISION_ENV) or "auto").strip().lower()
    if choice not in PRECISIONS:
        source = "" if requested else f" (from ${PRECISION_ENV})"
        raise ModelError(f"unknown precision '{choice}'{source}: use one of {', '.join(PRECISIONS)}")
    if choice == "auto":
        return "bf16" if has_amx_bf16() else "fp32"
    return choice
