"""The entry point starts a query's light model load before the CLI imports the library."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newssearch.cli import launch
from newssearch.index.models import preload


@pytest.mark.parametrize("arguments, started", [
    (["query", "troops", "--index", "/x/idx"], "/x/idx"),
    (["query", "troops", "--index=/x/idx", "-k", "3"], "/x/idx"),
    (["query", "troops"], "DEFAULT"),
    (["query", "troops", "--mode", "keyword", "--index", "/x/idx"], None),
    (["query", "troops", "-m", "keyword"], None),
    (["index", "corpus/", "--index", "/x/idx"], None),
    ([], None),
])
def test_only_a_dense_query_starts_a_load(monkeypatch, tmp_path, arguments, started):
    monkeypatch.setenv("NEWSSEARCH_INDEX", "DEFAULT")
    seen = []
    monkeypatch.setattr(preload, "start", lambda folder: seen.append(str(folder)))
    monkeypatch.setattr("newssearch.cli.app.main", lambda: None)
    monkeypatch.setattr(launch, "leave", lambda code: seen.append(f"exit {code}"))
    monkeypatch.setattr(sys, "argv", ["newssearch", *arguments])
    launch.main()
    query = arguments[:1] == ["query"]
    assert seen == ([started] if started else []) + (["exit 0"] if query else [])


def _newssearch(*arguments: str, index: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from newssearch.cli.launch import main; main()", *arguments,
                           "--index", str(index)], capture_output=True, text=True)


def test_a_query_process_exits_with_its_output_written_and_its_code(tmp_path, corpus):
    from newssearch import Archive

    with Archive.open(tmp_path / "index", create=True) as archive:
        archive.index([corpus])
    done = _newssearch("query", "troop buildup", "--mode", "keyword", "--json", "-k", "50", index=tmp_path / "index")
    assert done.returncode == 0, done.stderr
    hits = [json.loads(line) for line in done.stdout.splitlines()]
    assert hits and hits[0]["title"] and done.stdout.endswith("\n")
    missing = _newssearch("query", "troops", "--mode", "keyword", index=tmp_path / "none")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ") and missing.stderr.count("\n") == 1
    usage = _newssearch("query", "--limit", "zero", index=tmp_path / "index")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_a_query_piped_into_a_closed_reader_ends_quietly(tmp_path):
    from newssearch import Archive

    paragraph = "Troops gathered near the border as talks stalled again. " * 8
    (tmp_path / "many.jsonl").write_text("".join(
        json.dumps({"id": f"a{n}", "title": f"Troops story {n}", "text": f"{paragraph}\n\n{paragraph} {n}"}) + "\n"
        for n in range(300)), encoding="utf-8")
    with Archive.open(tmp_path / "index", create=True) as archive:
        archive.index([tmp_path / "many.jsonl"])
    # More than a pipe holds (64 KB), so the writer meets the closed pipe.
    assert len(_newssearch("query", "troops", "--mode", "keyword", "-k", "300", index=tmp_path / "index").stdout) > 65536
    command = (f"{sys.executable} -c 'from newssearch.cli.launch import main; main()' query troops --mode keyword "
               f"-k 300 --index {tmp_path / 'index'} | head -c 1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr


def test_nothing_starts_without_a_usable_light_model(tmp_path, corpus):
    from newssearch import Archive

    preload.start(tmp_path / "no-index")
    assert preload.take(tmp_path / "no-index") is None
    with Archive.open(tmp_path / "index", create=True) as archive:
        archive.index([corpus])  # the fake model has no light copy
    preload.start(tmp_path / "index")
    assert preload.take(tmp_path / "index") is None


def test_a_load_that_fails_falls_back_with_a_notice(tmp_path, corpus):
    from newssearch import Archive

    with Archive.open(tmp_path / "index", create=True) as archive:
        archive.index([corpus])
    (tmp_path / "index" / "query-model.onnx").write_bytes(b"not a model")
    settings = {"file": "query-model.onnx", "tokenizer": "query-tokenizer.json", "pooling": "mean",
                "max_seq_length": 256, "dimension": 64, "signature": preload.signature(tmp_path / "index" / "query-model.onnx")}
    with sqlite3.connect(tmp_path / "index" / "newssearch.db") as db:
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('query_model', ?)", [json.dumps(settings)])
    preload.start(tmp_path / "index")
    with Archive.open(tmp_path / "index") as archive:
        assert archive.search("troops", k=1)
        assert archive.notices and archive.notices[0].startswith("light query model unusable")
    assert preload.take(tmp_path / "index") is None  # taken by the archive


def test_importing_the_entry_point_loads_nothing_heavy():
    code = ("import sys, newssearch.cli.launch; "
            "print(sorted(m for m in ('numpy', 'faiss', 'sqlite_utils', 'typer', 'onnxruntime') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
