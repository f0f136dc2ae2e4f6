import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from newssearch.cli.app import app


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def indexed(runner, corpus):
    result = run(runner, "index", corpus)
    assert result.exit_code == 0, result.output
    return corpus


def test_index_prints_a_summary_on_stderr(runner, corpus):
    result = run(runner, "index", corpus)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("Indexed 4 files: 5 added, 0 updated, 0 unchanged, 0 removed, 0 skipped; embedded ")
    again = run(runner, "index", corpus)
    assert again.stderr.strip() == "Indexed 4 files: 0 added, 0 updated, 5 unchanged, 0 removed, 0 skipped; nothing to embed"


def test_index_json_lists_skips_with_reasons(runner, corpus):
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    (corpus / "feed.jsonl").write_text('{"id": "x", "text": "Good one here."}\n{broken\n', encoding="utf-8")
    result = run(runner, "index", corpus, "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["added"] == 4
    assert {(os.path.basename(s["path"]), s["line"]) for s in report["skipped"]} == {("notes.pdf", None), ("feed.jsonl", 2)}


def test_query_prints_hits(runner, indexed):
    result = run(runner, "query", "troop", "buildup")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith(" 1. ") and ("troops" in first.lower() or "tanks" in first.lower())
    assert "·" in result.stdout.splitlines()[1]


def test_query_json_and_filters(runner, indexed):
    result = run(runner, "query", "border", "--json", "-k", "2", "--source", "wire", "--since", "2022-01-01")
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 2 and {h["source"] for h in hits} == {"Example Wire"}
    assert set(hits[0]) >= {"rank", "score", "id", "title", "date", "source", "url", "path", "paragraphs"}


@pytest.mark.parametrize("args, message", [
    (["query", "x", "--since", "last week"], "Error: invalid date for --since: 'last week' (use YYYY-MM-DD)\n"),
    (["query", "x", "--mode", "fuzzy"], "Error: unknown search mode 'fuzzy' (choose from hybrid, semantic, keyword)\n"),
    (["query", "?!"], "Error: the query has no words to search for\n"),
    (["show", "999"], None),
    (["query", "x", "--model", "other"], "Error: the index at {index} was built with model 'fake-hash-64', not 'other'; "
                                         "use --model fake-hash-64, or another --index for the new model\n"),
])
def test_user_errors_are_one_line(runner, indexed, isolated, args, message):
    result = run(runner, *args)
    assert result.exit_code == 1
    if message:
        assert result.stderr == message.format(index=isolated)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_missing_path_and_empty_folder(runner, tmp_path, isolated):
    result = run(runner, "index", tmp_path / "nope")
    assert (result.exit_code, result.stderr) == (1, f"Error: path not found: {tmp_path / 'nope'}\n")
    assert not isolated.exists()  # a mistyped path creates no index folder
    (tmp_path / "empty").mkdir()
    result = run(runner, "index", tmp_path / "empty")
    assert (result.exit_code, result.stderr) == (1, f"Error: folder is empty: {tmp_path / 'empty'}\n")


def test_no_index_yet(runner, isolated):
    for args in (["query", "anything"], ["stats"], ["show", "1"]):
        result = run(runner, *args)
        assert result.exit_code == 1
        assert result.stderr == f"Error: no index at {isolated}; run 'newssearch index PATH' first\n"


def test_debug_env_shows_the_traceback(runner, isolated, monkeypatch):
    monkeypatch.setenv("NEWSSEARCH_DEBUG", "1")
    result = run(runner, "stats")
    assert result.exit_code == 1 and type(result.exception).__name__ == "IndexNotFoundError"


def test_show_and_stats(runner, indexed, isolated):
    result = run(runner, "show", "a2")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Tanks seen near the border"
    assert "¶1 Satellite images show tanks" in result.stdout
    article = json.loads(run(runner, "show", "1", "--json").stdout)
    assert article["id"] == 1 and article["paragraphs"]
    stats = json.loads(run(runner, "stats", "--json").stdout)
    assert (stats["articles"], stats["model"], stats["index"]) == (5, "fake-hash-64", str(isolated))
    assert stats["first_date"] == "2020-03-01" and stats["size_bytes"] > 0
    text = run(runner, "stats").stdout
    assert "articles" in text and "fake-hash-64" in text


def test_index_option_overrides_the_environment(runner, corpus, tmp_path):
    other = tmp_path / "elsewhere"
    assert run(runner, "index", corpus, "--index", other).exit_code == 0
    assert (other / "newssearch.db").exists()
    assert run(runner, "stats", "--index", other).exit_code == 0


def test_help_is_fast_and_does_not_import_torch():
    code = ("import sys; from newssearch.cli.app import app; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]; "
            "print(heavy)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
    result = subprocess.run([sys.executable, "-m", "newssearch.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "query" in result.stdout
