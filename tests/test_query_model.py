"""The light query model: exported at index time, used by queries without torch."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from newssearch import Archive
from newssearch.index.models import query_model
from newssearch.index.models.embedders import DEFAULT_MODEL, load_embedder

from conftest import REPO, shared_path


class Module:
    def get_config_dict(self):
        return {"pooling_mode": "max"}


def test_an_unsupported_model_layout_gets_no_light_model(tmp_path):
    class Transformer:
        pass

    reason = query_model.export([Transformer(), Module()], tmp_path)
    assert reason == "model layout not supported for export (Transformer, Module)"
    assert list(tmp_path.iterdir()) == []


def test_queries_fall_back_when_the_light_model_is_missing_or_changed(corpus, fake_embedder):
    with Archive.open(create=True) as archive:
        archive.index([corpus])
        directory = archive.directory
        assert archive.settings["query_model"] is None  # the fake model is not exportable
        archive.store.set_settings({"query_model": {"file": "query-model.onnx", "signature": {"size": 1}}})
    with Archive.open() as archive:
        assert archive.search("troops", k=1)
        assert archive.notices[0].startswith("light query model unusable")
    with Archive.open() as archive:
        archive.store.db.execute("DELETE FROM settings WHERE key = 'query_model'")
        archive.search("troops", k=1)
        assert archive.notices == ["this index has no light query model; queries load sentence-transformers "
                                   "(run 'newssearch index' once to add it)"]
    assert not (directory / query_model.ONNX_NAME).exists()


@pytest.mark.slow
def test_exported_model_matches_sentence_transformers(tmp_path):
    embedder = load_embedder(DEFAULT_MODEL, precision="fp32")
    result = query_model.export(embedder.model, tmp_path)
    assert isinstance(result, dict), result
    assert result["parity_min_cosine"] >= query_model.PARITY
    light = query_model.OnnxEmbedder(DEFAULT_MODEL, tmp_path, result)
    try:
        raw = sorted(shared_path("data", "bbc", "raw").glob("*/*.txt"))[:150]
        texts = [p for f in raw for p in f.read_text(encoding="latin-1").split("\n\n") if p.strip()][:600]
    except pytest.skip.Exception:
        texts = [line for line in (REPO / "corpus" / "2022-01-10" / "000_8e24c4ccbe2509cc.txt").read_text().splitlines() if line]
    reference = embedder.embed(texts)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    cosines = (light.embed(texts) * reference).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines.min()
    # Queries that share a run (concurrent searches, batching.py) get exactly the vectors
    # each would get alone: padding changes nothing.
    queries = ["troop buildup", "oil prices rise at the pump", "Russia", "talks in Geneva between the US and Russia"]
    assert np.array_equal(np.vstack([light.embed([q]) for q in queries]), light.embed(queries))


@pytest.mark.slow
def test_a_query_in_a_new_process_does_not_import_torch(tmp_path):
    index = tmp_path / "index"
    with Archive.open(index, model=DEFAULT_MODEL, create=True) as archive:
        archive.index([REPO / "corpus" / "2022-01-10" / "000_8e24c4ccbe2509cc.txt"])
        assert archive.settings["query_model"]["parity_min_cosine"] >= query_model.PARITY
    code = (
        "import sys, json; from newssearch import Archive; a = Archive.open(sys.argv[1]); "
        "hits = a.search('troop buildup', k=1); "
        "print(json.dumps([type(a.query_embedder).__name__, 'torch' in sys.modules, hits[0].article.title]))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(index)], capture_output=True, text=True,
                            env={**os.environ, "NEWSSEARCH_INDEX": str(index)})
    assert result.returncode == 0, result.stderr
    embedder, torch_loaded, title = json.loads(result.stdout)
    assert (embedder, torch_loaded) == ("OnnxEmbedder", False)
    assert title.startswith("Russia says")


def test_a_changed_or_missing_weights_file_is_noticed(tmp_path):
    from newssearch.index.models import preload

    (tmp_path / "query-model.onnx").write_bytes(b"graph")
    (tmp_path / "query-model.weights").write_bytes(b"weights")
    settings = {"file": "query-model.onnx", "signature": preload.signature(tmp_path / "query-model.onnx"),
                "weights": "query-model.weights", "weights_signature": preload.signature(tmp_path / "query-model.weights")}
    assert preload.changed(tmp_path, settings) is None
    (tmp_path / "query-model.weights").write_bytes(b"other weights")
    assert preload.changed(tmp_path, settings) == "query-model.weights changed since it was exported"
    (tmp_path / "query-model.weights").unlink()
    assert preload.changed(tmp_path, settings) == "query-model.weights: No such file or directory"
    old_layout = {"file": "query-model.onnx", "signature": preload.signature(tmp_path / "query-model.onnx")}
    assert preload.changed(tmp_path, old_layout) is None


@pytest.mark.slow
def test_an_older_light_model_layout_is_exported_again(tmp_path):
    index = tmp_path / "index"
    seed = REPO / "corpus" / "2022-01-10" / "000_8e24c4ccbe2509cc.txt"
    with Archive.open(index, model=DEFAULT_MODEL, create=True) as archive:
        archive.index([seed])
        current = archive.settings["query_model"]
        assert current["layout"] == query_model.LAYOUT and (index / query_model.WEIGHTS_NAME).is_file()
        older = {k: v for k, v in current.items() if k not in ("layout", "weights", "weights_signature")}
        archive.store.set_settings({"query_model": older})
    with Archive.open(index) as archive:
        assert archive.search("troop buildup", k=1)  # an older layout still answers
        assert type(archive.query_embedder).__name__ == "OnnxEmbedder"
    with Archive.open(index) as archive:
        archive.index([seed])
        assert archive.settings["query_model"]["layout"] == query_model.LAYOUT
    assert sorted(p.name for p in index.iterdir() if p.name.startswith("query-model")) == [
        query_model.ONNX_NAME, query_model.WEIGHTS_NAME]
