"""`--precision auto`: bfloat16 where it is measured to be faster on this machine and to
give the same vectors, fp32 elsewhere.

Whether bfloat16 pays is a property of the CPU and of torch's kernels for it, not of
a flag: it is 2.4x fp32 on Intel AMX, about 2.5x on AMD's AVX512-BF16, and 6x *slower*
on an AVX2-only CPU (docs/benchmarks.md). So the model embeds a few fixed paragraphs in
both formats: bf16 is chosen when its vectors are at cosine >= PARITY to fp32's (every
one of them) and it runs at least MIN_SPEEDUP times as fast. The choice is remembered
per machine, torch version and model (a file in the user's cache folder), so the
measurement (a few seconds) happens once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .machine import SPEED_FLAGS, cpu_flags, cpu_model

PARITY = 0.999  # least cosine of a bf16 vector to its fp32 one
MIN_SPEEDUP = 1.10  # below this, fp32's exact vectors are worth more than the time saved
CACHE_ENV = "NEWSSEARCH_CACHE"  # where the choice is remembered (default: ~/.cache/newssearch)
# Written for this measurement: news-like paragraphs of the lengths indexing meets.
SENTENCES = [
    "Russia has moved more troops and armour towards its border with Ukraine, satellite images published on Monday "
    "show, as Western governments warned of the risk of a wider war.",
    "The central bank raised its main interest rate by half a percentage point, the largest increase in two "
    "decades, and signalled that further rises would follow if inflation did not ease.",
    "Flood waters receded slowly across the valley after three days of heavy rain, leaving farmers to count the "
    "cost to crops and livestock and councils to repair damaged roads and bridges.",
    "The club sacked its manager after a run of seven defeats in nine league matches left the team two points "
    "above the relegation places with ten games of the season remaining.",
    "Shares in the mobile phone maker rose sharply after it reported record quarterly sales, driven by demand "
    "for its new handset in Asia and a recovery in European markets.",
    "Election officials said turnout was the highest in thirty years, with long queues outside polling stations "
    "in the capital well into the evening and counting expected to last until Thursday.",
    "Scientists warned that the glacier was melting faster than any model had predicted, adding to concerns "
    "about rising sea levels along the coasts of low-lying island nations.",
    "The film, a low-budget drama shot in six weeks, won the festival's top prize on Saturday, and its director "
    "thanked a cast made up almost entirely of first-time actors.",
]
TEXTS = [" ".join(SENTENCES[i:] + SENTENCES[:i])[: 200 + 90 * i] for i in range(len(SENTENCES))] * 2
WARM_UP = 4  # texts embedded in each format before timing (first-use kernel setup)


@dataclass
class PrecisionChoice:
    precision: str  # "fp32" or "bf16"
    speedup: float | None  # bf16's measured speed over fp32's, None when not measured
    min_cosine: float | None  # least cosine of bf16 vectors to fp32's over the texts
    how: str  # "measured", "remembered" (measured before on this machine), "requested"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        if self.speedup is None:
            return f"{self.precision} ({self.how})"
        return (f"{self.precision} (auto: bf16 measured at {self.speedup:.2f}x fp32's speed, "
                f"cosine {self.min_cosine:.5f}; {self.how})")


Embed = Callable[[list[str], str], np.ndarray]  # (texts, "fp32" or "bf16") -> vectors


def measure(embed: Embed, texts: list[str] | None = None) -> PrecisionChoice:
    """Time fp32 and bf16 on the same texts (best of two runs each, alternating) and
    compare their vectors. A bf16 run slower than fp32's ends the measurement."""
    texts = texts or TEXTS
    embed(texts[:WARM_UP], "fp32")
    embed(texts[:WARM_UP], "bf16")
    best = {"fp32": float("inf"), "bf16": float("inf")}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(2):
        for precision in ("fp32", "bf16"):
            started = time.perf_counter()
            vectors[precision] = embed(texts, precision)
            best[precision] = min(best[precision], time.perf_counter() - started)
        if best["bf16"] >= best["fp32"]:
            break
    unit = {p: v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None) for p, v in vectors.items()}
    cosine = float((unit["fp32"] * unit["bf16"]).sum(axis=1).min())
    speedup = best["fp32"] / best["bf16"]
    chosen = "bf16" if cosine >= PARITY and speedup >= MIN_SPEEDUP else "fp32"
    return PrecisionChoice(chosen, round(speedup, 2), round(cosine, 5), "measured")


def machine_key(model: str) -> str:
    """What the choice depends on: the CPU, the kernels torch may use, the model."""
    import torch

    flags = " ".join(f for f in SPEED_FLAGS if f in cpu_flags())
    limits = " ".join(f"{name}={os.environ[name]}" for name in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")
                      if os.environ.get(name))
    return f"{cpu_model()} | {flags} | {limits} | torch {torch.__version__} | {torch.get_num_threads()} threads | {model}"


def cache_file() -> Path:
    root = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newssearch"
    return Path(root) / "precision.json"


def choose(embed: Embed, model: str) -> PrecisionChoice:
    """The remembered choice for this machine and model, else a measured one (then
    remembered, where the cache folder can be written)."""
    key = machine_key(model)
    path = cache_file()
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), dict):
        try:
            remembered = PrecisionChoice(**{**known[key], "how": "remembered"})
            if remembered.precision in ("fp32", "bf16"):
                return remembered
        except TypeError:
            pass
    choice = measure(embed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        known = known if isinstance(known, dict) else {}
        known[key] = choice.to_dict()
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(known, indent=1), encoding="utf-8")
        os.replace(scratch, path)
    except OSError:
        pass  # measured again next time
    return choice
