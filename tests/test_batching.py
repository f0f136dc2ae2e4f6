"""Concurrent callers share model runs (index/models/batching.py): each gets its own
vectors, failures reach every caller in the run, and a lone caller runs at once."""

from __future__ import annotations

import threading
import time

import numpy as np
from newssearch.index.models.batching import SharedRuns


def fake_model(runs: list[list[str]], delay: float = 0.0):
    def run(texts: list[str]) -> np.ndarray:
        runs.append(list(texts))
        time.sleep(delay)
        return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts], dtype=np.float32)
    return run


def expected(texts: list[str]) -> np.ndarray:
    return fake_model([])(texts)


def test_a_lone_caller_runs_at_once_with_its_own_texts():
    runs: list[list[str]] = []
    shared = SharedRuns(fake_model(runs))
    assert np.array_equal(shared.embed(["one", "three"]), expected(["one", "three"]))
    assert runs == [["one", "three"]]


def test_concurrent_callers_share_runs_and_each_gets_its_own_vectors():
    runs: list[list[str]] = []
    shared = SharedRuns(fake_model(runs, delay=0.02), max_texts=8)
    texts = [f"query number {i}" + "x" * i for i in range(24)]
    results: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(texts))

    def call(i: int) -> None:
        start.wait()
        results[i] = shared.embed([texts[i]])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(np.array_equal(results[i], expected([texts[i]])) for i in range(len(texts)))
    assert len(runs) < len(texts)  # some runs were shared
    assert all(len(run) <= 8 for run in runs)
    assert sorted(t for run in runs for t in run) == sorted(texts)  # each text embedded once


def test_a_failed_run_reaches_every_caller_in_it_and_the_next_run_works():
    failing = threading.Event()
    failing.set()
    entered = threading.Event()

    def run(texts: list[str]) -> np.ndarray:
        entered.set()
        time.sleep(0.05)
        if failing.is_set() and "bad" in texts:
            raise RuntimeError("model failed")
        return expected(texts)

    shared = SharedRuns(run)
    errors: list[str] = []

    def call(text: str) -> None:
        try:
            shared.embed([text])
        except RuntimeError as error:
            errors.append(f"{text}: {error}")

    first = threading.Thread(target=call, args=("first",))
    first.start()
    entered.wait(5)
    waiting = [threading.Thread(target=call, args=(t,)) for t in ("bad", "good")]
    for thread in waiting:
        thread.start()
    for thread in [first, *waiting]:
        thread.join(timeout=30)
    assert sorted(errors) == ["bad: model failed", "good: model failed"]  # the two shared the failed run
    failing.clear()
    assert np.array_equal(shared.embed(["bad"]), expected(["bad"]))


def test_a_big_batch_is_run_alone():
    runs: list[list[str]] = []
    shared = SharedRuns(fake_model(runs), max_texts=4)
    shared.embed([str(i) for i in range(10)])
    assert runs == [[str(i) for i in range(10)]]

