"""Retrieval quality of an int8 model: the default model exported to ONNX and dynamically
quantised (onnxruntime, per-channel int8 weights), used for the archive and its queries,
scored on a BEIR task like `newssearch eval`.

    python benchmarks/int8_quality.py [TASK_DIR] [--fp32]

Issue 5 keeps int8 as an indexing option only if it is at least 1.3x faster with MRR@10
within 0.005 of fp32; benchmarks/throughput.py --int8 measures the speed, this the
quality. --fp32 scores the unquantised ONNX export the same way, for the comparison.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NAME = "onnx-minilm-{}"


class OnnxModel:
    """An embedder over an exported (possibly quantised) copy of the default model."""

    def __init__(self, name: str, folder: Path, settings: dict, file: str):
        from newssearch.index.models.query_model import OnnxEmbedder

        self.inner = OnnxEmbedder(name, folder, {**settings, "file": file})
        self.name, self.dimension, self.normalized = name, self.inner.dimension, True
        self.max_tokens = self.inner.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", nargs="?", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "headline-task")
    parser.add_argument("--fp32", action="store_true", help="score the unquantised export instead")
    args = parser.parse_args()

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from newssearch import Archive
    from newssearch.index.models import embedders
    from newssearch.index.models.query_model import export

    with tempfile.TemporaryDirectory(prefix="newssearch-int8-") as scratch:
        folder = Path(scratch)
        settings = export(embedders.load_embedder().model, folder)
        if isinstance(settings, str):
            raise SystemExit(f"export failed: {settings}")
        file = settings["file"]
        if not args.fp32:
            quantize_dynamic(str(folder / file), str(folder / "int8.onnx"), weight_type=QuantType.QInt8,
                             per_channel=True)
            file = "int8.onnx"
        name = NAME.format("fp32" if args.fp32 else "int8")
        embedders.register_embedder(name, lambda _: OnnxModel(name, folder, settings, file))
        with Archive.open(folder / "index", model=name, create=True) as archive:
            result = archive.evaluate(args.task)
    print(json.dumps({"model": name, "metrics": result["metrics"],
                      "paragraphs_per_second": result["indexing"]["paragraphs_per_second"],
                      "index_seconds": result["indexing"]["seconds"], "search_seconds": result["search_seconds"]}))


if __name__ == "__main__":
    main()
