"""int8 on an AVX2-only CPU, the last lever issue 17 names (static calibration): does
smoothing the activations before quantizing them keep fp32's vectors (mean cosine
>= 0.999), and how fast is it with torch held to AVX2 kernels?

    python benchmarks/int8_smooth.py [--texts 600] [--alpha 0.7]

Each variant runs in a child process, natively and with torch held to AVX2
(`ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2`: oneDNN then multiplies int8 with
AVX2's `vpmaddubsw`, as on a CPU without VNNI). In each child:

- fp32: sentence-transformers over the BBC headline task's first --texts paragraphs
  (32 a pass, 2 threads), timed after a warm-up; the share of that time spent in the
  linear layers (torch profiler), which bounds what int8 products can gain;
- int8: every linear layer but the feed-forward down-projections (30 of 36 products;
  quantizing those loses most, benchmarks/int8_layers.py) replaced by oneDNN's dynamic
  int8 linear (activations per tensor, weights per output channel), after SmoothQuant's
  per-channel rescaling (scale_j = max|x_j|^alpha / max|w_j|^(1 - alpha), the activation
  maxima from 256 other paragraphs), with weights of 8 bits, and of 7 bits: without VNNI
  an 8-bit product pair can overflow `vpmaddubsw`'s 16-bit sums, which 7-bit weights avoid.

Prints one JSON line per child: CPU, kernel limit, weight bits, fp32 and int8 seconds,
the linear layers' share, cosine to fp32 (mean, lowest).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def measure(texts: int, alpha: float, weight_bits: int) -> dict:
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from int8_layers import paragraphs  # type: ignore[import-not-found]
    from newssearch.index.models.embedders import default_model_path
    from newssearch.index.models.machine import cpu_description

    warnings.filterwarnings("ignore")  # torch's quantized tensors are deprecated, not gone in 2.13
    torch.set_num_threads(2)
    torch.backends.quantized.engine = "onednn"
    pool = paragraphs(texts + 256)
    sample, calibration = pool[:texts], pool[texts:]
    model = SentenceTransformer(str(default_model_path()), device="cpu")

    def embed(chunk: list[str]) -> np.ndarray:
        return model.encode(chunk, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)

    def timed() -> tuple[np.ndarray, float]:
        embed(sample[:64])
        began = time.perf_counter()
        vectors = embed(sample)
        return vectors, time.perf_counter() - began

    reference, fp32_seconds = timed()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        embed(sample[:192])
    events = profile.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    linear = sum(e.cpu_time_total for e in events if e.key == "aten::linear")

    linears = [(name, module) for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)
               and "pooler" not in name and not ("output.dense" in name and "attention" not in name)]
    maxima: dict[str, torch.Tensor] = {}

    def observe(name: str):
        def hook(module, inputs, output):
            seen = inputs[0].detach().reshape(-1, inputs[0].shape[-1]).abs().amax(0)
            maxima[name] = torch.maximum(maxima[name], seen) if name in maxima else seen
        return hook

    hooks = [module.register_forward_hook(observe(name)) for name, module in linears]
    embed(calibration)
    for hook in hooks:
        hook.remove()

    class Int8Linear(torch.nn.Module):
        def __init__(self, linear: torch.nn.Linear, smooth: torch.Tensor):
            super().__init__()
            weight = linear.weight.data * smooth
            scales = (weight.abs().amax(1) / (2 ** (weight_bits - 1) - 1)).double()
            quantized = torch.quantize_per_channel(weight, scales, torch.zeros(len(scales), dtype=torch.long), 0, torch.qint8)
            self.packed = torch.ops.quantized.linear_prepack(quantized, linear.bias.data)
            self.inverse = 1 / smooth
            self.outputs = weight.shape[0]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            rows = (x * self.inverse).reshape(-1, x.shape[-1])
            return torch.ops.quantized.linear_dynamic(rows, self.packed, False).reshape(*x.shape[:-1], self.outputs)

    for name, module in linears:
        smooth = (maxima[name].clamp(min=1e-5) ** alpha
                  / module.weight.data.abs().amax(0).clamp(min=1e-5) ** (1 - alpha))
        parent, leaf = name.rsplit(".", 1)
        setattr(model.get_submodule(parent), leaf, Int8Linear(module, smooth))
    vectors, int8_seconds = timed()
    cosines = (vectors * reference).sum(axis=1)
    return {"cpu": cpu_description(), "kernels": os.environ.get("ONEDNN_MAX_CPU_ISA", "native"),
            "weight_bits": weight_bits, "alpha": alpha, "texts": len(sample), "int8_products": len(linears),
            "fp32_seconds": round(fp32_seconds, 2), "int8_seconds": round(int8_seconds, 2),
            "speed_vs_fp32": round(fp32_seconds / int8_seconds, 2),
            "linear_share_of_fp32": round(linear / total, 3),
            "cosine_mean": round(float(cosines.mean()), 5), "cosine_lowest": round(float(cosines.min()), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--alpha", type=float, default=0.7)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # weight bits, in a child
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.texts, args.alpha, args.child)))
        return
    for limit in ({}, AVX2):
        for bits in (8, 7):
            command = [sys.executable, __file__, "--texts", str(args.texts), "--alpha", str(args.alpha), "--child", str(bits)]
            done = subprocess.run(command, env={**os.environ, **limit},
                                  capture_output=True, text=True, check=False)
            print(done.stdout.strip() or f"child failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)


if __name__ == "__main__":
    main()
