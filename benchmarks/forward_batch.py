"""Texts per forward pass against embedding speed, on this machine.

    python benchmarks/forward_batch.py [--corpus ../shared/data/bbc/raw] [--every 8]
        [--sizes 16,32,64,128] [--precision fp32] [--rounds 2] [--isa avx2]

The indexer sorts a batch's texts by token count and embeds them FORWARD_BATCH (64) at
a time, a size chosen on an Intel AMX machine in bf16. This times the model alone over
the same sorted paragraphs (every Nth BBC article's body paragraphs) at each size,
--rounds times alternating the sizes, best of the rounds, in one process. --isa avx2
restarts the script with torch held to AVX2 kernels. Prints one JSON object with the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ISAS = {"avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "raw")
    parser.add_argument("--every", type=int, default=8)
    parser.add_argument("--sizes", default="16,32,64,128")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--isa", choices=sorted(ISAS))
    args = parser.parse_args()
    if args.isa and any(os.environ.get(k) != v for k, v in ISAS[args.isa].items()):
        sys.exit(subprocess.run([sys.executable, *sys.argv], env={**os.environ, **ISAS[args.isa]}).returncode)

    from newssearch.index.models.embedders import _autocast, load_embedder
    from newssearch.index.models.machine import cpu_description

    files = sorted(p for p in args.corpus.rglob("*.txt") if p.name != "README.TXT")[::args.every]
    texts = list(dict.fromkeys(p.strip() for f in files for p in f.read_text(encoding="latin-1").split("\n\n")[1:]
                               if p.strip()))
    embedder = load_embedder(precision=args.precision)
    tokens = embedder.count_tokens(texts)
    texts = [t for _, t in sorted(zip(tokens, texts), key=lambda pair: pair[0])]
    model = embedder.model
    sizes = [int(s) for s in args.sizes.split(",")]
    embedder.embed(texts[:64])  # first-use kernel setup
    best = {size: float("inf") for size in sizes}
    for _ in range(args.rounds):
        for size in sizes:
            started = time.perf_counter()
            with _autocast(args.precision):
                for start in range(0, len(texts), size):  # one forward pass each, as the indexer's calls are
                    model.encode(texts[start:start + size], batch_size=size, convert_to_numpy=True,
                                 normalize_embeddings=False, show_progress_bar=False)
            best[size] = min(best[size], time.perf_counter() - started)
    fastest = min(best.values())
    print(json.dumps({"cpu": cpu_description(), "isa_limit": args.isa, "precision": args.precision,
                      "texts": len(texts), "tokens": sum(tokens), "rounds": args.rounds,
                      "paragraphs_per_second": {size: round(len(texts) / best[size], 1) for size in sizes},
                      "vs_fastest": {size: round(fastest / best[size], 3) for size in sizes}}, indent=1))


if __name__ == "__main__":
    main()
