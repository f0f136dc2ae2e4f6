"""Shared fixtures: a deterministic fake embedder (no torch), an index folder under
tmp_path for every test, and small generated archives."""

from __future__ import annotations

from pathlib import Path

import pytest

from newssearch.index.models import embedders
from newssearch.testing.fake import ARTICLES, FAKE_MODEL, FakeEmbedder  # noqa: F401 - for the tests

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




@pytest.fixture
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    """The fake embedder every archive in the test gets (one instance, so tests can
    count what was embedded)."""
    instance = FakeEmbedder()
    embedders.register_embedder(FAKE_MODEL, lambda name: instance)
    yield instance
    embedders.unregister_embedder(FAKE_MODEL)


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Every test gets its own index folder; unit tests use the fake model."""
    index = tmp_path / "index"
    monkeypatch.setenv("NEWSSEARCH_INDEX", str(index))
    monkeypatch.delenv("NEWSSEARCH_DEBUG", raising=False)
    # One measured precision choice for the whole session, not the user's cache.
    monkeypatch.setenv("NEWSSEARCH_CACHE", str(request.getfixturevalue("session_cache")))
    if "slow" not in request.keywords:
        request.getfixturevalue("fake_embedder")
        monkeypatch.setenv("NEWSSEARCH_MODEL", FAKE_MODEL)
    else:
        monkeypatch.delenv("NEWSSEARCH_MODEL", raising=False)
    return index


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
