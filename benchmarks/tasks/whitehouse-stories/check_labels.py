"""Self-check for the hand-labelled White House story set (labels.tsv).

    python benchmarks/tasks/whitehouse-stories/check_labels.py [--articles PATH]

Checks: header; every article_id exists in articles.jsonl; no article labelled twice;
one title per story_id; and the counts reported in LABELLING.md.
"""
import argparse
import csv
import json
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT = REPO.parent / "shared" / "data" / "demo" / "whitehouse-2021-11_2022-03" / "articles.jsonl"

# counts as reported in LABELLING.md
EXPECTED = {
    "articles_labelled": 690,
    "stories": 486,
    "stories_ge2": 101,
    "articles_in_ge2": 305,
    "largest": 16,
    "singletons": 385,
    "same_story_pairs": 545,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=Path, default=DEFAULT)
    ap.add_argument("--labels", type=Path, default=HERE / "labels.tsv")
    args = ap.parse_args()

    ids = [json.loads(line)["id"] for line in args.articles.open(encoding="utf-8") if line.strip()]
    known = set(ids)
    assert len(known) == len(ids), "duplicate ids in articles.jsonl"

    with args.labels.open(encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["article_id", "story_id", "story_title"], header
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))

    seen = Counter(r[0] for r in rows)
    assert all(len(r) == 3 and all(r) for r in rows), "malformed row"
    dupes = [a for a, n in seen.items() if n > 1]
    assert not dupes, f"labelled twice: {dupes}"
    missing = [r[0] for r in rows if r[0] not in known]
    assert not missing, f"unknown article_id: {missing}"
    titles = {}
    for _, story, title in rows:
        assert re.fullmatch(r"20\d\d-\d\d(-\d\d)?-[a-z0-9-]+", story), story
        assert titles.setdefault(story, title) == title, f"two titles for {story}"

    sizes = Counter(r[1] for r in rows)
    got = {
        "articles_labelled": len(rows),
        "stories": len(sizes),
        "stories_ge2": sum(1 for n in sizes.values() if n >= 2),
        "articles_in_ge2": sum(n for n in sizes.values() if n >= 2),
        "largest": max(sizes.values()),
        "singletons": sum(1 for n in sizes.values() if n == 1),
        "same_story_pairs": sum(n * (n - 1) // 2 for n in sizes.values()),
    }
    for k, v in got.items():
        print(f"{k:18} {v}")
    print("unlabelled articles:", len(known - set(seen)))
    assert got == EXPECTED, f"counts differ from LABELLING.md: {got} != {EXPECTED}"
    print("OK")


if __name__ == "__main__":
    main()
