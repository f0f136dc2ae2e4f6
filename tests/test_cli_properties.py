"""Property-based: every command of the CLI, driven with generated arguments and option
values (unicode digits, huge numbers, empty and control-character strings, odd paths),
ends with exit code 0, 1 or 2; an error is one line on stderr and never a traceback;
and a command that fails leaves the index as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app

from test_eval import make_task

ODD_STRINGS = ["", " ", "\t", "\x01\x7f", "²", "٣", "-", "--", "0", "-1", "1e309", "nan", "inf",
               "99999999999999999999", str(2**63), "1000000000000000000", "Ω≈ç√", "\u202e", "a" * 300,
               "'", '"', "(", "NEAR", "*", "troops:border", "2022-01-019", "0001-01-01", "9999-12-31",
               "2022-13-45", "hybrid", "semantic", "keyword", "rrf", "scores", "bf16", "fp32", "auto",
               "newest", "oldest", "relevance", "week", "month", "day"]
WORDS = st.sampled_from(["troops", "border", "bank", "rain", "cup", "sanctions", "the", "Ukraine"])
VALUE = st.one_of(st.sampled_from(ODD_STRINGS), WORDS,
                  st.integers(min_value=-10**20, max_value=10**20).map(str),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                          max_size=12))
OPTIONS = {
    "index": ["--json", "--quiet", "--strict", "--text-field", "--title-field", "--date-field", "--source-field",
              "--url-field", "--id-field", "--precision", "--model"],
    "query": ["--limit", "-k", "--mode", "-m", "--fusion", "--since", "--until", "--source", "-s", "--json",
              "--model", "--sort", "--facets"],
    "timeline": ["--by", "--since", "--until", "--source", "--plot", "--json"],
    "show": ["--json"],
    "stats": ["--json"],
    "check": ["--json"],  # --repair is left out: on a consistent index it changes nothing anyway
    "eval": ["--mode", "--fusion", "--json", "--compare"],
}
FLAGS = {"--json", "--quiet", "--strict", "--facets"}


class Sandbox:
    """An indexed archive and a few odd paths, all under one temporary folder."""

    def __init__(self, root: Path):
        self.root = root
        self.index = root / "index"
        corpus = root / "corpus"
        corpus.mkdir()
        (corpus / "a.txt").write_text("Troops at the border\n\nRussia moved troops to the border with Ukraine.",
                                      encoding="utf-8")
        (corpus / "b.txt").write_text("Bank raises rates\n\nThe central bank raised interest rates again.",
                                      encoding="utf-8")
        with Archive.open(self.index, create=True) as archive:
            archive.index([corpus])
        self.task = make_task(root / "task")
        (root / "empty.txt").write_text("", encoding="utf-8")
        (root / "binary.txt").write_bytes(bytes(range(256)) * 4)
        (root / "a-file").write_text("not a folder", encoding="utf-8")
        (root / "saved.json").write_text(json.dumps({"task": "task", "mode": "hybrid", "metrics": {"mrr@10": 1}}),
                                         encoding="utf-8")
        self.paths = [str(p) for p in (corpus / "a.txt", root / "empty.txt", root / "binary.txt", root / "missing",
                                       root / "a-file", root / "saved.json", self.task, root / "a-file" / "below",
                                       root / "plot.png", root / "plot.svg")]
        self.indexes = [str(self.index), str(root / "no-index-here"), str(root / "a-file"),
                        str(root / "a-file" / "index")]

    def fingerprint(self) -> tuple:
        with Archive.open(self.index) as archive:
            settings = archive.settings
            return settings.get("data_generation"), archive.store.counts(), settings.get("faiss_file")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    from newssearch.index.models import embedders
    from newssearch.testing.fake import FAKE_MODEL, FakeEmbedder

    embedders.register_embedder(FAKE_MODEL, lambda name: FakeEmbedder())
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("NEWSSEARCH_MODEL", FAKE_MODEL)
            yield Sandbox(tmp_path_factory.mktemp("cli-sandbox"))
    finally:
        embedders.unregister_embedder(FAKE_MODEL)


@st.composite
def command_lines(draw: st.DrawFn, sandbox: Sandbox) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    arguments = [command]
    if command in ("query", "show", "timeline"):
        arguments += draw(st.lists(st.one_of(VALUE, WORDS), min_size=0, max_size=3))
    elif command in ("index", "eval"):
        arguments += draw(st.lists(st.sampled_from(sandbox.paths), min_size=0, max_size=2))
    for option in draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=3)):
        arguments.append(option)
        if option not in FLAGS:
            arguments.append(draw(st.one_of(VALUE, st.sampled_from(sandbox.paths))))
    if command != "eval":  # eval's --index is where it builds; the archive under test is another's
        arguments += ["--index", draw(st.sampled_from(sandbox.indexes))]
    return arguments


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_every_command_ends_cleanly_and_a_failure_changes_nothing(sandbox, data):
    arguments = data.draw(command_lines(sandbox))
    before = sandbox.fingerprint()
    result = CliRunner().invoke(app, arguments, input="")
    event(f"{arguments[0]} exit {result.exit_code}")
    assert result.exit_code in (0, 1, 2), (arguments, result.output, result.exception)
    assert "Traceback" not in result.output, (arguments, result.output)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (arguments, repr(result.exception))
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) >= 1 and lines[-1].startswith("Error: "), (arguments, result.stderr)
        errors = [line for line in lines if line.startswith("Error: ")]
        assert len(errors) == 1, (arguments, result.stderr)
        if result.exit_code == 1:
            assert sandbox.fingerprint() == before, arguments
