"""The number format of the indexing forward pass: auto/fp32/bf16, how auto chooses,
how a bad choice is reported, and (slow) that bf16 embeddings stay at fp32's."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from newssearch import Archive
from newssearch.cli.app import app
from newssearch.errors import ModelError
from newssearch.index.models import calibration, machine, precision
from newssearch.index.models.embedders import DEFAULT_MODEL, load_embedder
from newssearch.index.models.precision import resolve_precision

from conftest import REPO, shared_path

AMX_FLAGS = "fpu avx2 avx512f amx_bf16 amx_tile amx_int8"
PLAIN_FLAGS = "fpu avx2 fma"


@pytest.fixture
def cpu(monkeypatch):
    def with_flags(flags: str, mhz: str = "2600.000") -> None:
        monkeypatch.setattr(machine, "_cpuinfo", lambda: {"flags": flags, "cpu MHz": mhz})
    return with_flags


def fake_model(bf16_seconds: float, fp32_seconds: float, noise: float):
    """An embed(texts, precision) whose bf16 runs take bf16_seconds and whose vectors
    differ from fp32's by `noise`; counts its calls."""
    calls = []

    def embed(texts, precision):
        calls.append(precision)
        clock["now"] += (bf16_seconds if precision == "bf16" else fp32_seconds)
        base = np.array([[len(t), i + 1.0, 3.0] for i, t in enumerate(texts)], dtype=np.float32)
        return base + (noise * np.arange(3, dtype=np.float32) if precision == "bf16" else 0)

    clock = {"now": 0.0}
    return embed, calls, clock


@pytest.mark.parametrize("bf16_seconds, noise, chosen", [
    (0.4, 0.0, "bf16"),    # faster, same vectors
    (1.05, 0.0, "fp32"),   # faster by less than MIN_SPEEDUP
    (6.0, 0.0, "fp32"),    # slower (an AVX2-only CPU): measured once, not twice
    (0.4, 500.0, "fp32"),  # faster but different vectors
])
def test_auto_measures_both_formats_and_keeps_bf16_only_when_faster_and_alike(monkeypatch, bf16_seconds, noise,
                                                                              chosen):
    embed, calls, clock = fake_model(bf16_seconds, 1.0, noise)
    monkeypatch.setattr(calibration.time, "perf_counter", lambda: clock["now"])
    choice = calibration.measure(embed)
    assert choice.precision == chosen and choice.how == "measured"
    assert choice.speedup == pytest.approx(1.0 / bf16_seconds, abs=0.01)
    assert calls.count("bf16") == (2 if bf16_seconds >= 1.0 else 3)  # warm-up, then one or two timed runs


def test_the_choice_is_remembered_per_machine_and_model(monkeypatch, tmp_path):
    monkeypatch.setenv(calibration.CACHE_ENV, str(tmp_path / "cache"))
    embed, calls, clock = fake_model(0.4, 1.0, 0.0)
    monkeypatch.setattr(calibration.time, "perf_counter", lambda: clock["now"])
    first = calibration.choose(embed, "model-a")
    measured = len(calls)
    again = calibration.choose(embed, "model-a")
    assert (first.precision, first.how, again.precision, again.how) == ("bf16", "measured", "bf16", "remembered")
    assert len(calls) == measured  # not measured again
    calibration.choose(embed, "model-b")
    assert len(calls) == 2 * measured  # another model is measured
    (tmp_path / "cache" / "precision.json").write_text("not json")
    assert calibration.choose(embed, "model-a").how == "measured"  # a damaged file is measured over


def test_auto_stays_auto_until_the_model_measures_it(monkeypatch):
    monkeypatch.delenv(precision.PRECISION_ENV, raising=False)
    assert resolve_precision() == resolve_precision("auto") == resolve_precision(" AUTO ") == "auto"
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"


def test_the_embedder_measures_auto_once_when_asked_and_a_request_replaces_it(monkeypatch):
    from newssearch.index.models import embedders

    measured = []

    def choose(embed, name):
        measured.append(name)
        return calibration.PrecisionChoice("bf16", 2.0, 0.9999, "measured")

    monkeypatch.setattr(embedders, "choose", choose)
    embedder = embedders.SentenceTransformerEmbedder("some-model", precision="auto")
    assert measured == [] and embedder.precision_choice is None  # nothing measured until asked
    assert embedder.precision == "bf16" and embedder.precision == "bf16" and measured == ["some-model"]
    assert embedder.precision_choice.speedup == 2.0
    embedder.precision = "fp32"
    assert embedder.precision == "fp32" and embedder.precision_choice is None and measured == ["some-model"]


def test_setting_a_precision_on_an_archive_does_not_measure_auto(corpus, monkeypatch):
    from newssearch.index.models import embedders

    monkeypatch.setattr(embedders, "choose", lambda embed, name: pytest.fail("measured"))
    embedder = embedders.SentenceTransformerEmbedder("some-model", precision="auto")
    with Archive.open(create=True) as archive:
        archive.models._embedder = embedder
        with pytest.raises(Exception):
            archive.index([corpus / "missing"], precision="fp32")
    assert embedder._precision == "fp32"


def test_the_environment_chooses_when_no_argument_does(monkeypatch):
    monkeypatch.setenv(precision.PRECISION_ENV, "fp32")
    assert resolve_precision() == "fp32"
    assert resolve_precision("bf16") == "bf16"
    monkeypatch.setenv(precision.PRECISION_ENV, "half")
    with pytest.raises(ModelError, match=r"unknown precision 'half' \(from \$NEWSSEARCH_PRECISION\): use one of "
                                         "auto, fp32, bf16"):
        resolve_precision()


def test_peak_follows_the_precision(cpu):
    cpu(AMX_FLAGS)
    fp32, fp32_basis = machine.peak("fp32")
    bf16, bf16_basis = machine.peak("bf16")
    cores = machine._cores()
    assert fp32 == pytest.approx(cores * 2 * 16 * 2 * 2.6) and "AVX-512" in fp32_basis
    assert bf16 == pytest.approx(cores * 1024 * 2.6) and "AMX" in bf16_basis
    cpu(PLAIN_FLAGS)
    assert machine.peak("bf16") is None
    assert machine.peak("fp32")[0] == pytest.approx(cores * 2 * 8 * 2 * 2.6)


def test_an_amd_cpu_with_avx512_has_no_peak_to_report(monkeypatch):
    monkeypatch.setattr(machine, "_cpuinfo", lambda: {"flags": "avx2 fma avx512f avx512_bf16",
                                                      "vendor_id": "AuthenticAMD", "cpu MHz": "2600.000"})
    assert machine.peak("fp32") is None and machine.peak("bf16") is None


def test_a_bad_precision_is_one_line_and_changes_nothing(corpus, isolated):
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus)]).exit_code == 0
    (corpus / "new.txt").write_text("A new article\n\nIt should not be indexed by a failed run.\n")
    result = runner.invoke(app, ["index", str(corpus), "--precision", "fp8"])
    assert result.exit_code == 1
    assert result.stderr == "Error: unknown precision 'fp8': use one of auto, fp32, bf16\n"
    with Archive.open() as archive:
        assert archive.stats()["articles"] == 5


def test_the_report_names_the_precision(corpus):
    with Archive.open(create=True) as archive:
        report = archive.index([corpus], precision="bf16").to_dict()
    assert report["precision"] == "fp32"  # the fake model has no bf16 path; the report says what ran


@pytest.mark.slow
def test_bf16_embeddings_match_fp32_and_the_report_says_bf16(tmp_path):
    try:
        raw = sorted(shared_path("data", "bbc", "raw").glob("*/*.txt"))[::20]
        texts = [p for f in raw for p in f.read_text(encoding="latin-1").split("\n\n")[1:] if p.strip()][:400]
    except pytest.skip.Exception:
        seed = REPO / "corpus" / "2022-01-10" / "000_8e24c4ccbe2509cc.txt"
        texts = [line for line in seed.read_text().splitlines() if line.strip()]
    fp32 = load_embedder(DEFAULT_MODEL, precision="fp32")
    bf16 = load_embedder(DEFAULT_MODEL, precision="bf16")
    reference, reduced = fp32.embed(texts), bf16.embed(texts)
    assert reduced.dtype == np.float32
    cosines = (reference * reduced).sum(1) / np.linalg.norm(reference, axis=1) / np.linalg.norm(reduced, axis=1)
    assert cosines.min() >= 0.9999, cosines.min()

    seed_folder = REPO / "corpus" / "2022-01-10"
    result = CliRunner().invoke(app, ["index", str(seed_folder), "--index", str(tmp_path / "i"),
                                      "--model", DEFAULT_MODEL, "--precision", "bf16", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["precision"] == "bf16" and report["texts_embedded"] > 0
