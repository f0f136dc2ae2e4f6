"""Which of the model's matrix products can run in int8 and keep the vectors (issue 17:
mean cosine >= 0.999 to fp32)?

    python benchmarks/int8_layers.py --index DIR [--texts 400]

DIR is an index with a light query model (the transformer exported to ONNX at index
time, `query-model.onnx`). The script quantizes its weight matrices to int8 with
onnxruntime's dynamic quantization (per-channel weights; activations quantized per
tensor as each product runs), all of them or one group at a time (the feed-forward
up-projections; both feed-forward products; all but the feed-forward down-projections;
all but the first and last layers), embeds the BBC headline task's first --texts
paragraphs with each on 2 threads (sorted by length, 32 a run, mean pooling), and
prints each variant's cosine to fp32 (mean, lowest) and its speed against fp32 in the
same run. JSON, with the CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def paragraphs(limit: int) -> list[str]:
    found: list[str] = []
    task = REPO.parent / "shared" / "data" / "bbc" / "headline-task" / "corpus.jsonl"
    for line in task.read_text(encoding="utf-8").splitlines():
        found += [p for p in json.loads(line)["text"].split("\n\n") if p.strip()]
        if len(found) >= limit:
            break
    return found[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--texts", type=int, default=400)
    args = parser.parse_args()

    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer

    from newssearch.index.models.machine import cpu_description

    texts = paragraphs(args.texts)
    tokenizer = Tokenizer.from_file(str(args.index / "query-tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding(pad_id=0)

    def embed(path: Path) -> tuple[np.ndarray, float]:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        began = time.perf_counter()
        for start in range(0, len(order), 32):
            rows = order[start:start + 32]
            encoded = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded])
            mask = np.array([e.attention_mask for e in encoded])
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, {n: feed[n] for n in names})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(1) / weights.sum(1)
            vectors[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return vectors, time.perf_counter() - began

    with tempfile.TemporaryDirectory(prefix="newssearch-int8-") as scratch:
        full = Path(scratch) / "fp32.onnx"
        model = onnx.load(str(args.index / "query-model.onnx"), load_external_data=True)
        onnx.save(model, str(full))
        products = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1].startswith("onnx::")]
        down = [n for n in products if "/output/dense" in n and "attention" not in n]
        up = [n for n in products if "intermediate" in n]
        groups = {"all": products, "feed-forward up": up, "feed-forward both": up + down,
                  "all but feed-forward down": [n for n in products if n not in down],
                  "all but first and last layers": [n for n in products if "layer.0/" not in n
                                                    and "layer.5/" not in n]}
        reference, seconds = embed(full)
        report = {"cpu": cpu_description(), "texts": len(texts), "fp32_seconds": round(seconds, 2), "variants": []}
        for name, nodes in groups.items():
            quantized = Path(scratch) / f"{len(report['variants'])}.onnx"
            quantize_dynamic(str(full), str(quantized), weight_type=QuantType.QInt8, per_channel=True,
                             nodes_to_quantize=nodes)
            vectors, took = embed(quantized)
            cosines = (vectors * reference).sum(axis=1)
            report["variants"].append({"int8": name, "products": len(nodes), "cosine_mean": round(float(cosines.mean()), 5),
                                       "cosine_lowest": round(float(cosines.min()), 5),
                                       "speed_vs_fp32": round(seconds / took, 2)})
            print(json.dumps(report["variants"][-1]), file=sys.stderr)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
