"""Shared fixtures: a deterministic fake embedder (no torch), an index folder under
tmp_path for every test, and small generated archives."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from newssearch.index.models import embedders

FAKE_MODEL = "fake-hash-64"
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


class RepositoryRootIsNotATestPackage:
    """pyproject.toml maps the newssearch package onto the repository root, so the root
    holds its __init__.py; pytest would collect the root as a test package and import
    that file outside its package. Collect the root as a plain folder instead."""

    @staticmethod
    def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if path == REPO:
            return pytest.Dir.from_parent(parent, path=path)
        return None


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RepositoryRootIsNotATestPackage(), "newssearch-repository-root")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the tests that load the real model")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="loads the real model; run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


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


# A writer process for crash and concurrency tests: indexes argv[2] into argv[1] with
# the fake model, slowed down by argv[3] seconds per embedding call, in small batches.
SLOW_WRITER = """
import sys, time
sys.path.insert(0, sys.argv[4])
from conftest import FAKE_MODEL, FakeEmbedder
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
TESTS = str(Path(__file__).resolve().parent)


@pytest.fixture
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    """The fake embedder every archive in the test gets (one instance, so tests can
    count what was embedded)."""
    instance = FakeEmbedder()
    embedders.register_embedder(FAKE_MODEL, lambda name: instance)
    yield instance
    embedders.unregister_embedder(FAKE_MODEL)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Every test gets its own index folder; unit tests use the fake model."""
    index = tmp_path / "index"
    monkeypatch.setenv("NEWSSEARCH_INDEX", str(index))
    monkeypatch.delenv("NEWSSEARCH_DEBUG", raising=False)
    if "slow" not in request.keywords:
        request.getfixturevalue("fake_embedder")
        monkeypatch.setenv("NEWSSEARCH_MODEL", FAKE_MODEL)
    else:
        monkeypatch.delenv("NEWSSEARCH_MODEL", raising=False)
    return index


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


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small dated archive in a folder: three text/Markdown articles and a JSONL file."""
    root = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "feed.jsonl").write_text(
        '{"id": "a1", "title": "Central bank raises interest rates", "body": "The central bank raised '
        'interest rates by half a point to fight inflation, the biggest rise in twenty years.", '
        '"published": "2022-03-16T18:00:00Z", "source": "Money Times", "url": "https://example.com/a1"}\n'
        '{"id": "a2", "title": "Tanks seen near the border", "text": "Satellite images show tanks and '
        'artillery gathering near the Ukrainian border as the troop buildup continues.", '
        '"date": "2022-02-01", "publisher": "Example Wire"}\n',
        encoding="utf-8",
    )
    return root


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip the test when that data is not on this machine."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (shared test data is not on this machine)")
    return path
