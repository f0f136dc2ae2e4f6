"""Ingest a generated WARC of news pages and measure it: parsing, HTML extraction
(trafilatura) and storage, with the fake embedder, so the numbers are the ingest path's
and not the model's.

    python benchmarks/warc_ingest.py [--size-mb 1024] [--gzip] [--keep DIR]

Generates the WARC in a temporary folder (check `df -h /tmp` first: it needs the size
of the WARC plus the index, about a third of it), runs `newssearch index` on it in a
child process, and prints one JSON line: records, wall time, records/s, MB/s, the
child's peak RSS (from the kernel) and its RSS sampled over time. Everything written
is deleted afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from newssearch.testing.measured import index_measured
from newssearch.testing.news_warc import write_news_warc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=1024, help="size of the WARC to generate (default 1024)")
    parser.add_argument("--gzip", action="store_true", help="write .warc.gz (gzip per record)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep what is written")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="newssearch-warc-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        warc = folder / ("news.warc.gz" if args.gzip else "news.warc")
        started = time.perf_counter()
        pages = write_news_warc(warc, int(args.size_mb * 2**20), seed=args.seed)
        generated = time.perf_counter() - started
        size = warc.stat().st_size
        measured = index_measured([warc], folder / "index", sample_every=1.0)
        report = measured.report
        samples = measured.samples
        quarter = max(len(samples) // 4, 1)
        result = {
            "warc": warc.name, "warc_mb": round(size / 2**20, 1), "html_records": pages,
            "generate_seconds": round(generated, 1),
            "exit_code": measured.returncode,
            "added": report.get("added"), "skipped": len(report.get("skipped", [])),
            "paragraphs": report.get("paragraphs_written"),
            "boilerplate_paragraphs": report.get("boilerplate_paragraphs"),
            "wall_seconds": round(measured.seconds, 1),
            "records_per_second": round(pages / measured.seconds, 1),
            "mb_per_second": round(size / 2**20 / measured.seconds, 2),
            "peak_rss_mb": round(measured.peak_rss / 2**20, 1),
            "rss_mb_first_quarter_max": round(max(s[1] for s in samples[:quarter]) / 2**20, 1) if samples else None,
            "rss_mb_last_quarter_max": round(max(s[1] for s in samples[-quarter:]) / 2**20, 1) if samples else None,
            "rss_mb_every_10_percent": [round(samples[i * len(samples) // 10][1] / 2**20) for i in range(10)]
            if len(samples) >= 10 else [round(s[1] / 2**20) for s in samples],
            "index_mb": round(sum(p.stat().st_size for p in (folder / "index").iterdir()) / 2**20, 1),
        }
        if measured.returncode:
            result["stderr"] = measured.stderr[-2000:]
        print(json.dumps(result), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
