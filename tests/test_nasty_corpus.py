"""Index a generated hostile archive (tests/nasty.py) after a good one: every good
article comes in and can be found, every bad input is reported with its path (and
line) and a reason, the run never stops, the good archive indexed before is intact,
and memory stays bounded although some files are 200 MB."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app

from newssearch.testing.measured import index_measured
from newssearch.testing.nasty import NastyCorpus, remove_huge, unreadable, write_nasty_corpus

HUGE = 200 * 2**20
# The child peaks near 130 MB here; reading any one of the 200 MB files whole would pass this.
PEAK_RSS_LIMIT = 300 * 2**20


@pytest.fixture(scope="module")
def nasty(tmp_path_factory: pytest.TempPathFactory) -> NastyCorpus:
    corpus = write_nasty_corpus(tmp_path_factory.mktemp("nasty") / "archive", seed=3, huge_bytes=HUGE)
    yield corpus
    remove_huge(corpus)  # 400 MB of real bytes: not left behind in pytest's kept folders


def assert_reported(corpus: NastyCorpus, skipped: list[dict]) -> None:
    """Each bad input has a skip with its path, line and reason; nothing else is skipped
    (a damaged file may add a skip for the line its damage cut)."""
    for bad in corpus.bad:
        found = [s["reason"] for s in skipped if (s["path"], s["line"]) == (bad.path, bad.line)]
        assert any(bad.reason in reason for reason in found), (bad, found)
    expected = {(bad.path, bad.line) for bad in corpus.bad}
    extra = [s for s in skipped if (s["path"], s["line"]) not in expected and s["path"] not in corpus.partial]
    assert extra == []


def assert_all_good_indexed(archive: Archive, corpus: NastyCorpus) -> None:
    titles = {row[0] for row in archive.store.db.execute("SELECT title FROM articles")}
    assert [good.title for good in corpus.good if good.title not in titles] == []
    for good in corpus.good:
        hits = archive.search(good.token, k=3, mode="keyword")
        assert [hit.article.title for hit in hits][:1] == [good.title], good


def test_nasty_corpus_after_a_good_one(nasty, corpus):
    with Archive.open(create=True) as archive:
        before = archive.index([corpus])
        kept = {row[0]: row[1] for row in archive.store.db.execute("SELECT key, content_hash FROM articles")}
        with unreadable(nasty.denied):
            report = archive.index([nasty.root])
        assert_reported(nasty, report.to_dict()["skipped"])
        assert_all_good_indexed(archive, nasty)
        # Nothing indexed before is lost or changed.
        rows = archive.store.db.execute("SELECT key, content_hash FROM articles WHERE key IN "
                                        f"({','.join('?' * len(kept))})", list(kept))
        assert dict(rows.fetchall()) == kept and before.added == len(kept) == 5
        assert archive.search("troops near the Ukrainian border", k=1)[0].article.key in kept
        assert archive.check()["ok"]
        # Again: nothing new, nothing removed, the same skips.
        with unreadable(nasty.denied):
            again = archive.index([nasty.root])
        assert (again.added, again.updated, again.removed) == (0, 0, 0)
        assert sorted(map(str, again.skipped)) == sorted(map(str, report.skipped))
        assert archive.check()["ok"]


def test_nasty_corpus_on_the_command_line(nasty, corpus, tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["index", "--strict", str(corpus)]).exit_code == 0
    with unreadable(nasty.denied):
        result = runner.invoke(app, ["index", str(nasty.root), "--json"])
    assert (result.exit_code, result.exception) == (0, None)
    report = json.loads(result.stdout)
    assert_reported(nasty, report["skipped"])
    assert report["added"] >= len(nasty.good)
    # Plain output: the summary, then one line per skip (the first 20) with its place and reason.
    with unreadable(nasty.denied):
        result = runner.invoke(app, ["index", str(nasty.root)])
    assert result.exit_code == 0
    assert result.stderr.startswith("Indexed ") and f"{len(report['skipped'])} skipped" in result.stderr
    shown = [f"  skipped {s['path']}{'' if s['line'] is None else ':' + str(s['line'])}: {s['reason']}"
             for s in report["skipped"][:20]]
    assert "\n".join(shown) + f"\n  … and {len(report['skipped']) - 20} more (use --json for all)\n" in result.stderr


def test_strict_makes_any_skip_an_error(nasty, corpus):
    runner = CliRunner()
    with unreadable(nasty.denied):
        result = runner.invoke(app, ["index", "--strict", str(corpus), str(nasty.root)])
        skipped = len(json.loads(runner.invoke(app, ["index", "--json", str(nasty.root)]).stdout)["skipped"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Indexed ") and f", {skipped} skipped" in result.stderr
    assert result.stderr.endswith(f"Error: {skipped} inputs were skipped (--strict)\n")
    # What could be indexed was indexed and stays.
    with Archive.open() as archive:
        assert_all_good_indexed(archive, nasty)
        assert archive.check()["ok"]
    assert runner.invoke(app, ["index", "--strict", str(corpus)]).exit_code == 0


def test_strict_with_json_output(corpus, tmp_path):
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["index", "--strict", "--json", str(corpus)])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["skipped"] == [
        {"path": str(corpus / "empty.txt"), "line": None, "reason": "no article text"}]
    assert result.stderr == "Error: 1 input was skipped (--strict)\n"


def test_memory_stays_bounded(nasty, corpus, tmp_path):
    """The child's peak RSS, with 200 MB files among the input, stays far below what
    reading any of them whole would take."""
    measured = index_measured([corpus, nasty.root], tmp_path / "index", denied=[str(p) for p in nasty.denied])
    assert measured.returncode == 0, measured.stderr
    assert_reported(nasty, measured.report["skipped"])
    assert measured.report["added"] >= len(nasty.good) + 5
    print(f"nasty corpus: peak RSS {measured.peak_rss / 2**20:.0f} MB")
    assert measured.peak_rss < PEAK_RSS_LIMIT, f"peak RSS {measured.peak_rss / 2**20:.0f} MB"


def test_size_limits_hold_inside_compressed_files(tmp_path):
    """A decompressed stream has no size to check first: it is read to the limit, no further."""
    from newssearch.index.formats.sources import Skip, read_file

    big = tmp_path / "big.txt.gz"
    big.write_bytes(gzip.compress(b"word " * (21 * 2**20 // 5), compresslevel=1))
    assert list(read_file(big)) == [Skip(str(big), "file too large (over the 20 MB limit)")]
    lines = tmp_path / "lines.jsonl.gz"
    record = json.dumps({"id": "ok", "text": "A short article."}).encode()
    lines.write_bytes(gzip.compress(record + b'\n{"text": "' + b"x" * (21 * 2**20) + b'"}\n' + record[:-1] + b"\n"))
    items = list(read_file(lines))
    assert [(type(i).__name__, i.line) for i in items] == [("Article", 1), ("Skip", 2), ("Skip", 3)]
    assert items[1].reason == "line too large (over the 20 MB limit)"
