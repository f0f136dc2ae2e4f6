"""A generated WARC of news pages streams through ingestion (parsing, extraction,
storage; fake embedder) in memory that does not grow with the file: two sizes are
indexed in child processes and their peak RSS compared. benchmarks/warc_ingest.py
runs the same on 1 GB."""

from __future__ import annotations

import pytest

from newssearch.testing.measured import index_measured
from newssearch.testing.news_warc import write_news_warc

SIZES_MB = (16, 64)
# What each paragraph adds to the in-memory vector index (FAISS IndexIDMap2 with the fake
# model's 64 floats): the vector, its id, the id map's entry, and the slack of arrays that
# grow by doubling. Measured near 0.7 KB; reading the larger WARC whole would add 64 MB.
PER_PARAGRAPH = 1024
# The keyword index (index/storage/keywords.py) is built at the end of the run; tantivy's
# writer, with its 16 MB buffer, still grew by about 0.4 KB per paragraph between these
# two sizes (27 MB for the small run, 41 MB for the large one) and by 141 MB for 1M
# paragraphs: it grows with the archive, not with the input file.
KEYWORD_PER_PARAGRAPH = 512
SLACK = 16 * 2**20


@pytest.mark.slow
def test_a_large_warc_streams_in_bounded_memory(tmp_path):
    runs = {}
    for size in SIZES_MB:
        warc = tmp_path / f"news-{size}.warc"
        pages = write_news_warc(warc, size * 2**20)
        measured = index_measured([warc], tmp_path / f"index-{size}")
        warc.unlink()
        assert measured.returncode == 0, measured.stderr
        assert (measured.report["added"], measured.report["skipped"]) == (pages, [])
        runs[size] = measured
    small, large = (runs[size] for size in SIZES_MB)
    # The vector index lives in memory and grows with the archive by design; reading,
    # extraction and batches must not grow with the input.
    more_paragraphs = large.report["paragraphs_written"] - small.report["paragraphs_written"]
    growth = large.peak_rss - small.peak_rss
    assert growth < more_paragraphs * (PER_PARAGRAPH + KEYWORD_PER_PARAGRAPH) + SLACK, (
        f"peak RSS {small.peak_rss / 2**20:.0f} MB for {SIZES_MB[0]} MB of WARC, "
        f"{large.peak_rss / 2**20:.0f} MB for {SIZES_MB[1]} MB ({more_paragraphs} more paragraphs)")
    assert large.peak_rss < 300 * 2**20
