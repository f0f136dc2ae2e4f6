"""Reader fuzzing: files of every many-record format (JSON Lines, JSON arrays, CSV, TSV)
hold good records among records whose fields are hostile (dates that overflow or are
malformed, huge and odd numbers, deep nesting, lists, nulls, control characters, odd
encodings). Every good record in the file must be indexed, whatever its neighbours hold."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newssearch import Archive

HOSTILE_DATES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-14:00", "2022-01-019", "2022-02-30",
                 "99999999999", "-1", "1e400", "yesterday", "", "\x00", "２０２２-０１-０１", "Jan 32 2022"]
SCALARS = st.one_of(
    st.sampled_from(HOSTILE_DATES),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
)


# Deep nesting is drawn as a marker and built when the file is written, so that a
# failing example stays printable.
DEEP = st.integers(min_value=50, max_value=3000).map(lambda depth: f"<nested {depth}>")
HOSTILE_VALUE = st.one_of(SCALARS, DEEP, st.lists(SCALARS, max_size=4),
                          st.dictionaries(st.text(max_size=5), SCALARS, max_size=3))
FIELDS = ["id", "title", "text", "body", "date", "published", "source", "url", "author", "metadata", "extra"]
HOSTILE_RECORD = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), HOSTILE_VALUE, max_size=8),
    SCALARS,
    st.lists(SCALARS, max_size=3),
)


def good_record(number: int) -> dict:
    return {"id": f"good-{number}", "title": f"Good story {number}", "date": f"2022-01-{number % 28 + 1:02}",
            "source": "Example Wire",
            "text": f"Ships arrived in harbour number {number} and the crews went ashore for the festival."}


def hostile_for_table(record: object) -> dict:
    """A table row: every value a string (as CSV has them), the id never a good one's."""
    fields = record if isinstance(record, dict) else {"text": record}
    row = {name: ("" if value is None else json.dumps(value) if not isinstance(value, str) else value)
           for name, value in fields.items() if name in FIELDS}
    row["id"] = "bad-" + row.get("id", "")[:20]
    return row


def hostile_for_json(record: object, number: int) -> object:
    if isinstance(record, dict):
        return {**record, "id": f"bad-{number}"} if "id" in record else record
    return record


def deepened(text: str) -> str:
    """JSON text with each nesting marker replaced by that many nested arrays and objects
    (written as text: json.dumps itself stops at about a thousand levels)."""
    return re.sub(r'"<nested (\d+)>"', lambda m: "".join("[" if level % 2 else '{"a":' for level in range(int(m.group(1))))
                  + '"deep"' + "".join("]" if level % 2 else "}" for level in reversed(range(int(m.group(1))))), text)


def write(path: Path, kind: str, rows: list) -> None:
    if kind == "jsonl":
        path.write_text("\n".join(deepened(json.dumps(row, allow_nan=True)) for row in rows) + "\n", encoding="utf-8")
    elif kind == "json":
        # A JSON document is parsed whole: nesting past the parser's limit (about a
        # thousand levels) costs the file, with its reason; JSON Lines costs the line.
        shallow = re.sub(r"<nested (\d+)>", lambda m: f"<nested {min(int(m.group(1)), 400)}>",
                         json.dumps(rows, allow_nan=True))
        path.write_text(deepened(shallow), encoding="utf-8")
    else:
        names = sorted({name for row in rows for name in row}, key=FIELDS.index)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=names, delimiter="\t" if kind == "tsv" else ",")
            writer.writeheader()
            writer.writerows(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(kind=st.sampled_from(["jsonl", "json", "csv", "tsv"]),
       layout=st.lists(st.one_of(st.none(), HOSTILE_RECORD), min_size=1, max_size=12))
def test_every_good_record_is_indexed_whatever_its_neighbours_hold(tmp_path_factory, fake_embedder, kind, layout):
    folder = tmp_path_factory.mktemp("fuzz")
    rows: list = []
    good: list[str] = []
    for number, slot in enumerate(layout):
        if slot is None:  # a good record here
            rows.append(good_record(number))
            good.append(f"good-{number}")
        elif kind in ("csv", "tsv"):
            rows.append(hostile_for_table(slot))
        else:
            rows.append(hostile_for_json(slot, number))
    if kind in ("csv", "tsv") and not good:
        rows.append(good_record(len(layout)))
        good.append(f"good-{len(layout)}")
    path = folder / f"records.{kind}"
    write(path, kind, rows)
    with Archive.open(tmp_path_factory.mktemp("index"), create=True) as archive:
        archive.index([path])
        indexed = {row[0] for row in archive.store.db.execute("SELECT doc_id FROM articles")}
        assert set(good) <= indexed, (kind, sorted(set(good) - indexed))
        assert archive.check()["ok"]
