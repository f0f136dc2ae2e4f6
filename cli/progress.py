"""Indexing progress as a bar on stderr: bytes of input read (for the ETA), files,
paragraphs embedded and their rate."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


class BarProgress:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._bar: tqdm | None = None
        self._files = 0
        self._total_files = 0
        self._paragraphs = 0
        self._started = 0.0

    def start(self, total_bytes: int, total_files: int) -> None:
        self._total_files = total_files
        self._started = time.perf_counter()
        self._bar = tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, desc="Indexing",
                         file=sys.stderr, disable=not self.enabled, dynamic_ncols=True, leave=False,
                         bar_format="{desc} {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]")
        self._refresh()

    def advance(self, bytes_done: int = 0, files: int = 0, paragraphs: int = 0) -> None:
        self._files += files
        self._paragraphs += paragraphs
        if self._bar is not None:
            self._refresh()
            self._bar.update(bytes_done)

    def _refresh(self) -> None:
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        rate = f", {self._paragraphs / elapsed:.1f} ¶/s" if self._paragraphs else ""
        self._bar.set_postfix_str(f"files {self._files}/{self._total_files}, ¶ {self._paragraphs} embedded{rate}",
                                  refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
