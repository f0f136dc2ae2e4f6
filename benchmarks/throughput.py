"""Indexing throughput: newssearch against txtai, same paragraphs, same model files,
same machine, in one run; optionally an int8 model against fp32.

    python benchmarks/throughput.py [--corpus ../shared/data/bbc/raw] [--every 1]
        [--precisions auto fp32] [--txtai-python /tmp/txtai-venv/bin/python] [--int8]
        [--isa avx2]

--every N indexes every Nth article file (sorted by path) instead of all. Each half
runs in a fresh child process; its clock starts before the model is loaded (imports
are done first and not timed) and stops when the index is built:
  newssearch  Archive.index() of a fresh index folder (read, split, embed, write
              SQLite and the vector file, export the ONNX query model), once per
              --precisions entry (auto: bf16 where it measured faster than fp32 on
              this machine with the same vectors; that measurement, index/models/
              calibration.py, is made first in a child of its own and timed apart,
              as a user's first run makes it once and later runs remember it);
  txtai       Embeddings(path=<the same model folder>, content=True, hybrid=True)
              .index() over the distinct texts newssearch embedded (headlines and
              paragraphs, long ones as windows), from a venv with txtai installed
              (it is not a dependency of newssearch); skipped, saying why, without one.
--int8 also times, over the same texts, the model in torch at fp32 and bf16, exported to
ONNX (fp32), and dynamically quantised to int8 (onnxruntime.quantization, per-channel
weights), with the cosine of each one's embeddings to torch fp32's. --isa avx2 holds every
child (txtai's too) to AVX2 kernels (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2):
an AVX2-only CPU emulated on a bigger one, for torch; onnxruntime has no such switch and
still uses what the CPU has. Prints one JSON object, with the CPU. Run it alone on the machine:
    flock /tmp/newssearch-bench.lock python benchmarks/throughput.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

NEWSSEARCH = """
import json, sys, time
from pathlib import Path
import sentence_transformers  # imported before the clock starts, as txtai's are
from newssearch import Archive
from newssearch.index.models.embedders import load_embedder
from newssearch.index.indexer import article_units
from newssearch.index.formats.sources import Article, collect_files, read_file

corpus, index, texts_out, precision = sys.argv[1:5]
started = time.perf_counter()
with Archive.open(index, create=True) as archive:
    report = archive.index([corpus], precision=precision)
seconds = time.perf_counter() - started
embedder = load_embedder()
texts = {}
for file in collect_files([corpus])[0]:
    for item in read_file(file):
        if isinstance(item, Article):
            texts.update((text, None) for _, _, text in article_units(item, embedder))
Path(texts_out).write_text(json.dumps(list(texts)))
print(json.dumps({"seconds": seconds, "report": report.to_dict()}))
"""

TXTAI = """
import json, sys, time
texts = json.load(open(sys.argv[2]))
import torch, txtai
from txtai import Embeddings
started = time.perf_counter()
embeddings = Embeddings(path=sys.argv[1], content=True, hybrid=True)
embeddings.index([(i, text, None) for i, text in enumerate(texts)])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "count": embeddings.count(), "torch_threads": torch.get_num_threads()}))
"""

INT8 = """
import json, sys, time
from pathlib import Path
import numpy as np, onnxruntime
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from newssearch.index.models.embedders import FORWARD_BATCH, load_embedder
from newssearch.index.models.query_model import export

texts, folder = json.load(open(sys.argv[1])), Path(sys.argv[2])
embedder = load_embedder(precision="fp32")
bf16 = load_embedder(precision="bf16")
settings = export(embedder.model, folder)
quantize_dynamic(str(folder / settings["file"]), str(folder / "int8.onnx"), weight_type=QuantType.QInt8,
                 per_channel=True)
tokenizer = Tokenizer.from_file(str(folder / settings["tokenizer"]))
tokenizer.enable_truncation(settings["max_seq_length"])
tokenizer.enable_padding(pad_id=settings["pad_id"])
order = sorted(texts, key=lambda t: len(tokenizer.encode(t).ids))

def onnx(name):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(str(folder / name), options, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in session.get_inputs()]
    def embed(batch):
        encodings = tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, {n: feed[n] for n in inputs})[0]
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / weights.sum(axis=1)
    return embed

def timed(embed):
    embed(order[:FORWARD_BATCH])
    started = time.perf_counter()
    vectors = np.vstack([embed(order[i:i + FORWARD_BATCH]) for i in range(0, len(order), FORWARD_BATCH)])
    seconds = time.perf_counter() - started
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return seconds, vectors

results, vectors = {}, {}
for name, embed in [("torch_fp32", embedder.embed), ("torch_bf16", bf16.embed), ("onnx_fp32", onnx(settings["file"])),
                    ("onnx_int8", onnx("int8.onnx"))]:
    seconds, vectors[name] = timed(embed)
    results[name] = {"seconds": round(seconds, 2), "paragraphs_per_second": round(len(order) / seconds, 1)}
for name in ("torch_bf16", "onnx_fp32", "onnx_int8"):
    cosine = (vectors[name] * vectors["torch_fp32"]).sum(axis=1)
    results[name].update(cosine_to_torch_mean=round(float(cosine.mean()), 5), cosine_to_torch_min=round(float(cosine.min()), 5))
results["int8_speedup_over_torch_fp32"] = round(results["torch_fp32"]["seconds"] / results["onnx_int8"]["seconds"], 2)
results["int8_speedup_over_torch_bf16"] = round(results["torch_bf16"]["seconds"] / results["onnx_int8"]["seconds"], 2)
print(json.dumps(results))
"""


CALIBRATE = """
import json, time
from newssearch.index.models.embedders import load_embedder
embedder = load_embedder(precision="auto")
embedder.model
started = time.perf_counter()
embedder.precision
print(json.dumps({"seconds": time.perf_counter() - started, **embedder.precision_choice.to_dict()}))
"""
ISAS = {"avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}}
child_env = dict(os.environ)


def child(python: str, script: str, *arguments: str) -> dict:
    done = subprocess.run([python, "-c", script, *arguments], capture_output=True, text=True, env=child_env)
    if done.returncode != 0:
        raise SystemExit(f"{python} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "raw")
    parser.add_argument("--every", type=int, default=1, help="index every Nth article file only")
    parser.add_argument("--txtai-python", default="/tmp/txtai-venv/bin/python")
    parser.add_argument("--precisions", nargs="+", default=["auto", "fp32"], choices=["auto", "fp32", "bf16"],
                        help="index once at each of these precisions (index/models/precision.py)")
    parser.add_argument("--int8", action="store_true", help="also time an int8 ONNX model against fp32")
    parser.add_argument("--isa", choices=sorted(ISAS), help="hold torch (ours and txtai's) to these kernels")
    args = parser.parse_args()

    from newssearch.index.models.embedders import default_model_path
    from newssearch.index.models.machine import cpu_description, peak

    model = str(default_model_path())
    files = sorted(p for p in args.corpus.rglob("*.txt") if p.name != "README.TXT")[::args.every]
    result: dict = {"cpu": cpu_description(), "emulated_isa": args.isa, "corpus": str(args.corpus),
                    "every": args.every, "files": len(files), "model": model, "cpus": os.cpu_count(),
                    "fp32_peak": peak("fp32")}
    child_env.update(ISAS.get(args.isa, {}))
    with tempfile.TemporaryDirectory(prefix="newssearch-throughput-") as scratch:
        work = Path(scratch)
        child_env["NEWSSEARCH_CACHE"] = str(work / "cache")  # a machine seen for the first time
        if "auto" in args.precisions:
            result["auto_measurement"] = child(sys.executable, CALIBRATE)
        corpus = work / "corpus"
        for file in files:
            target = corpus / file.relative_to(args.corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        texts = work / "texts.json"

        result["load_before"] = load()
        for precision in args.precisions:
            ours = child(sys.executable, NEWSSEARCH, str(corpus), str(work / f"index-{precision}"), str(texts), precision)
            report = ours["report"]
            result[f"newssearch_{precision}"] = {
                "precision": report["precision"], "precision_measured": report.get("precision_measured"),
                "seconds": round(ours["seconds"], 2),
                "texts_embedded": report["texts_embedded"],
                "paragraphs_per_second": round(report["texts_embedded"] / ours["seconds"], 1),
                "embedding_only_paragraphs_per_second": report["paragraphs_per_second"],
                **{k: report.get(k) for k in ("embed_seconds", "tokens_embedded", "tokens_per_second",
                                              "gflops_per_second", "peak_share", "peak_basis")},
            }
            result[f"load_after_newssearch_{precision}"] = load()
        result["texts"] = len(json.loads(texts.read_text()))

        if not Path(args.txtai_python).exists():
            result["txtai"] = f"skipped: {args.txtai_python} not found (python3 -m venv /tmp/txtai-venv; " \
                              "/tmp/txtai-venv/bin/pip install torch==2.13.0 txtai)"
        else:
            theirs = child(args.txtai_python, TXTAI, model, str(texts))
            result["txtai"] = {"seconds": round(theirs["seconds"], 2), "count": theirs["count"],
                               "paragraphs_per_second": round(result["texts"] / theirs["seconds"], 1),
                               "torch_threads": theirs["torch_threads"]}
            for precision in args.precisions:
                result[f"ratio_{precision}"] = round(result[f"newssearch_{precision}"]["paragraphs_per_second"]
                                                     / result["txtai"]["paragraphs_per_second"], 2)
            result["load_after_txtai"] = load()
        if args.int8:
            result["int8"] = child(sys.executable, INT8, str(texts), str(work))
            result["load_after_int8"] = load()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
