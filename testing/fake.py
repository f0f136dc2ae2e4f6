"""A deterministic fake embedder (no torch, no model files), a tiny dated archive,
and a slow writer process built on them."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

FAKE_MODEL = "fake-hash-64"


class FakeEmbedder:
    """Bag of words hashed into 64 dimensions: texts that share words are close.
    Tokens are words; it reads at most 40, so long paragraphs get windowed."""

    def __init__(self, name: str = FAKE_MODEL):
        self.name = name
        self.embedded: list[str] = []

    dimension = 64
    normalized = True
    max_tokens = 40

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                word = word[:-1] if word.endswith("s") and len(word) > 3 else word
                bucket = zlib.crc32(word.encode())
                vectors[row, bucket % self.dimension] += 1.0 if bucket & 1024 else -1.0
        return vectors


def register() -> None:
    """Make FAKE_MODEL loadable in this process (e.g. a search process of the web
    server's, started with `setup=register`)."""
    from ..index.models import embedders

    embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())


def failing_setup() -> None:
    """A search process's setup that fails, as a model that cannot load would."""
    raise RuntimeError("the model cannot be loaded here")


# Calls that go wrong in a search process (web/processes.py), as a bug would.
def stopping_call(archive: object) -> None:
    """Stops the process answering it."""
    import os

    os._exit(3)


def slow_call(archive: object, seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "done"


def unpicklable_call(archive: object) -> object:
    """An answer that cannot be sent back."""
    return lambda: None


# A writer process for crash and concurrency tests: indexes argv[2] into argv[1] with
# the fake model, slowed down by argv[3] seconds per embedding call, in small batches.
SLOW_WRITER = """
import sys, time
from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder
from newssearch import Archive
from newssearch.index.models import embedders
from newssearch.index import indexer

class Slow(FakeEmbedder):
    def embed(self, texts):
        time.sleep(float(sys.argv[3]))
        return super().embed(texts)

embedders.register_embedder(FAKE_MODEL, lambda name: Slow())
indexer.ARTICLES_PER_BATCH = 10
indexer.TEXTS_PER_EMBED_CALL = 8
with Archive.open(sys.argv[1], model=FAKE_MODEL, create=True) as archive:
    print(archive.index([sys.argv[2]]).added, flush=True)
"""
ARTICLES = {
    "2022-01-10-troops.txt": (
        "Russia masses troops near Ukraine\nDate: 2022-01-10\nSource: Example Wire\n\n"
        "Russia has moved 100,000 troops and tanks close to the border with Ukraine, officials said.\n\n"
        "NATO allies met in Brussels to discuss the military buildup and possible sanctions against Moscow.\n"
    ),
    "2021-11-02-climate.txt": (
        "Leaders pledge to cut methane at climate summit\nDate: 2021-11-02\nSource: Daily Planet\n\n"
        "More than 100 countries pledged to cut methane emissions by 30 percent by the end of the decade.\n\n"
        "The pledge was announced at the COP26 climate conference in Glasgow on Tuesday afternoon.\n"
    ),
    "sport/2020-03-01-football.md": (
        "# Cup final postponed\n\nDate: 2020-03-01\nSource: Example Sport\n\n"
        "The cup final was postponed after heavy rain flooded the stadium and the pitch was unplayable.\n\n"
        "Fans who bought tickets will be refunded in full, the football association said in a statement.\n"
    ),
}
