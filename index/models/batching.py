"""Concurrent callers' texts embedded in one model run.

A short query's embedding is bound by reading the model's weights from memory, not by
arithmetic: on the 2-core EPYC four queries in one onnxruntime run cost 2.4 ms of CPU
each against 5.4 ms alone (benchmarks/serve_load.py reports what it does to a server).
So when several threads embed at once (a web server's requests), the texts that arrive
while a run is under way wait for it to end and then go together in the next run.
A caller that finds the model idle runs at once: batching never delays a lone query.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

import numpy as np

MAX_TEXTS = 16  # texts per shared run: a longer run would hold up its first caller


class _Request:
    __slots__ = ("texts", "ready", "leads", "vectors", "error")

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.ready = threading.Event()
        self.leads = False  # woken to run the next batch rather than with vectors
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None


class SharedRuns:
    """Calls `run` (texts -> one vector per text) with the texts of every caller
    waiting, one run at a time; the caller whose texts are first in line runs it."""

    def __init__(self, run: Callable[[list[str]], np.ndarray], max_texts: int = MAX_TEXTS):
        self._run = run
        self._max_texts = max_texts
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._busy = False
        self._pid = os.getpid()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) >= self._max_texts:  # a batch of its own: no one gains by sharing it
            return self._run(texts)
        request = _Request(texts)
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's callers are not here
                self._waiting, self._busy, self._pid = [], False, os.getpid()
            self._waiting.append(request)
            leads = not self._busy
            self._busy = True
        if not leads:
            try:
                request.ready.wait()
            except BaseException:  # interrupted: lead if asked to, so no one waits for this caller
                if request.leads:
                    self._lead()
                raise
            if not request.leads:
                return self._result(request)
        self._lead()
        return self._result(request)

    def _lead(self) -> None:
        """Run the texts of those first in line (this caller's among them), hand them
        their vectors, and wake the next in line to lead, if anyone waits."""
        with self._lock:
            batch, size = [], 0
            while self._waiting and (not batch or size + len(self._waiting[0].texts) <= self._max_texts):
                size += len(self._waiting[0].texts)
                batch.append(self._waiting.pop(0))
        try:
            vectors = self._run([text for request in batch for text in request.texts])
            start = 0
            for request in batch:
                request.vectors = vectors[start:start + len(request.texts)]
                start += len(request.texts)
        except BaseException as error:  # every caller in the batch sees the failure
            for request in batch:
                request.error = error
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._busy = following is not None
            for request in batch[1:]:
                request.ready.set()
            if following is not None:
                following.leads = True
                following.ready.set()

    @staticmethod
    def _result(request: _Request) -> np.ndarray:
        if request.error is not None:
            raise request.error
        assert request.vectors is not None
        return request.vectors
