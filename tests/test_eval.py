import json
import math

import pytest
from typer.testing import CliRunner

from newssearch.cli.app import app
from newssearch.errors import InputError
from newssearch.search.evaluate import load_task, ndcg, recall, reciprocal_rank, score_rankings


def test_metrics_by_hand():
    relevant = {"a": 1, "b": 1}
    assert reciprocal_rank(["x", "y", "a"], relevant) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"] * 10 + ["a"], relevant) == 0.0
    assert recall(["a", "x"], relevant, 1) == 0.5 and recall(["x", "b", "a"], relevant, 10) == 1.0
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg(["x", "a"], relevant) == pytest.approx(expected)
    assert ndcg(["a", "b"], relevant) == pytest.approx(1.0)
    metrics = score_rankings({"q1": ["a"], "q2": ["x", "b"]}, {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}})
    assert metrics["mrr@10"] == pytest.approx(0.75) and metrics["recall@1"] == pytest.approx(0.5)


def make_task(root):
    docs = {
        "d1": "The central bank raised interest rates to fight inflation.",
        "d2": "Heavy rain flooded the river valley and closed roads.",
        "d3": "The striker scored twice as the home team won the cup final.",
    }
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "title": "", "text": v}) for k, v in docs.items()), encoding="utf-8")
    queries = {"q1": "interest rates inflation", "q2": "river flooding", "q3": "cup final goals"}
    (root / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in queries.items()), encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n",
                                            encoding="utf-8")
    return root


def test_eval_command_on_a_small_task(tmp_path):
    task = make_task(tmp_path / "task")
    result = CliRunner().invoke(app, ["eval", str(task), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["queries"] == 3 and summary["mode"] == "hybrid"
    assert summary["metrics"]["mrr@10"] == 1.0 and summary["metrics"]["recall@100"] == 1.0
    assert summary["indexing"]["added"] == 3
    text = CliRunner().invoke(app, ["eval", str(task), "--mode", "keyword"]).stdout
    assert "mrr@10" in text and "mode keyword" in text


def test_eval_reuses_an_index(tmp_path):
    task = make_task(tmp_path / "task")
    index = tmp_path / "eval-index"
    CliRunner().invoke(app, ["eval", str(task), "--index", str(index)])
    again = json.loads(CliRunner().invoke(app, ["eval", str(task), "--index", str(index), "--json"]).stdout)
    assert again["indexing"]["unchanged"] == 3 and again["indexing"]["texts_embedded"] == 0


def test_not_a_task_folder(tmp_path):
    with pytest.raises(InputError, match="not a BEIR task folder"):
        load_task(tmp_path)
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: not a BEIR task folder")


def test_compare_with_a_saved_result(tmp_path):
    task = make_task(tmp_path / "task")
    saved = tmp_path / "before.json"
    saved.write_text(CliRunner().invoke(app, ["eval", str(task), "--json"]).stdout, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(task), "--compare", str(saved), "--json"])
    assert result.exit_code == 0
    changes = json.loads(result.stdout)["compared_with"]["changes"]
    assert changes["mrr@10"] == 0.0 and set(changes) >= {"ndcg@10", "recall@1", "recall@10", "recall@100"}
    text = CliRunner().invoke(app, ["eval", str(task), "--compare", str(saved)]).stdout
    assert "mrr@10     1.0000  (+0.0000)" in text


def test_compare_picks_the_matching_result_among_several(tmp_path):
    from newssearch.search.evaluate import load_saved

    lines = [{"task": "a", "mode": "hybrid", "metrics": {"mrr@10": 0.1}},
             {"task": "b", "mode": "keyword", "metrics": {"mrr@10": 0.2}},
             {"task": "b", "mode": "hybrid", "metrics": {"mrr@10": 0.3}}]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assert load_saved(path, "b", "hybrid")["metrics"]["mrr@10"] == 0.3
    assert load_saved(path, "b", "semantic")["metrics"]["mrr@10"] == 0.2
    with pytest.raises(InputError, match="no result for task 'c'"):
        load_saved(path, "c", "hybrid")
    (tmp_path / "bad.json").write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="is not a saved"):
        load_saved(tmp_path / "bad.json", "a", "hybrid")
