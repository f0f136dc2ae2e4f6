"""Build the sample archive in corpus/ from the team's demo data (shared/data/demo),
in the formats a user meets: JSON Lines, HTML pages, a CSV table, and the seed
article as a text file in a dated folder.

    python benchmarks/make_demo_corpus.py [--demo ../shared/data/demo] [--out corpus]

The selection is fixed by a seed, so running it again gives the same files. The seed
article and corpus/README.md are kept as they are.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import json
import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILDUP = re.compile(r"build-?up", re.IGNORECASE)
RUSSIA = re.compile(r"Ukrain|Russia|NATO|Kyiv|Kremlin|Putin")
FIELDS = ["id", "title", "date", "source", "url", "license", "text"]

# What a briefing-room page wraps around its article: navigation, a share bar and a
# footer, for the HTML extraction to leave out.
PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<title>{title} | The White House</title>
<meta property="og:site_name" content="The White House">
<meta property="og:title" content="{title}">
<meta property="og:type" content="article">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{date}">
<link rel="canonical" href="{url}">
</head>
<body>
<header class="site-header">
<nav aria-label="Main"><ul>
<li><a href="/administration/">Administration</a></li><li><a href="/priorities/">Priorities</a></li>
<li><a href="/briefing-room/">Briefing Room</a></li><li><a href="/get-involved/">Get Involved</a></li>
</ul></nav>
</header>
<main id="content">
<article class="post">
<p class="breadcrumb"><a href="/briefing-room/">Briefing Room</a> / <a href="/briefing-room/speeches-remarks/">Speeches and Remarks</a></p>
<h1 class="page-title">{title}</h1>
<time class="posted-on" datetime="{date}">{human_date}</time>
<div class="body-content">
{paragraphs}
</div>
<div class="share"><a href="#">Share on Twitter</a> <a href="#">Share on Facebook</a> <a href="#">Copy link</a></div>
</article>
</main>
<footer class="site-footer">
<p>The White House, 1600 Pennsylvania Ave NW, Washington, DC 20500</p>
<nav aria-label="Footer"><a href="/privacy/">Privacy Policy</a> <a href="/copyright/">Copyright Policy</a>
<a href="/accessibility/">Accessibility Statement</a></nav>
</footer>
</body>
</html>
"""


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def words(record: dict) -> int:
    return len(record["text"].split())


def choose_statements(records: list[dict], rng: random.Random) -> list[dict]:
    """Every statement on the buildup, those on Russia and Ukraine up to 1,200 words,
    and 40 others up to 1,000 words."""
    statements = [r for r in records if r["source"].endswith("Statements and Releases")]
    buildup = [r for r in statements if BUILDUP.search(r["text"])]
    related = [r for r in statements if r not in buildup and len(RUSSIA.findall(r["text"])) >= 2 and words(r) <= 1200]
    others = [r for r in statements if r not in buildup and r not in related and words(r) <= 1000]
    return sorted(buildup + related + rng.sample(others, 40), key=lambda r: (r["date"], r["id"]))


def choose_remarks(records: list[dict]) -> list[dict]:
    """Speeches and remarks on the buildup, and those on Russia and Ukraine up to 1,200 words."""
    remarks = [r for r in records if r["source"].endswith("Speeches and Remarks")]
    return [r for r in remarks if BUILDUP.search(r["text"]) or words(r) <= 1200]


def page(record: dict) -> str:
    paragraphs = [p.strip() for p in record["text"].split("\n\n") if p.strip()]
    date = dt.date.fromisoformat(record["date"][:10])
    return PAGE.format(
        title=html.escape(record["title"]), url=html.escape(record["url"]), date=record["date"][:10],
        human_date=f"{date:%B} {date.day}, {date.year}",
        paragraphs="\n".join(f"<p>{html.escape(' '.join(p.split()))}</p>" for p in paragraphs),
    )


def slug(record: dict) -> str:
    name = record["url"].rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:80]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, default=REPO.parent / "shared" / "data" / "demo")
    parser.add_argument("--out", type=Path, default=REPO / "corpus")
    args = parser.parse_args()
    rng = random.Random(20261130)
    whitehouse = load(args.demo / "whitehouse-2021-11_2022-03" / "articles.jsonl")
    wikinews = load(args.demo / "wikinews-2019_2020" / "articles.jsonl")

    statements = choose_statements(whitehouse, rng)
    folder = args.out / "whitehouse"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "statements-and-releases.jsonl").open("w", encoding="utf-8") as handle:
        for record in statements:
            handle.write(json.dumps({k: record[k] for k in FIELDS}, ensure_ascii=False) + "\n")

    remarks = choose_remarks(whitehouse)
    pages = folder / "speeches-and-remarks"
    pages.mkdir(exist_ok=True)
    for record in remarks:
        (pages / f"{slug(record)}.html").write_text(page(record), encoding="utf-8")

    chosen = sorted(rng.sample([r for r in wikinews if words(r) <= 900], 120), key=lambda r: (r["date"], r["id"]))
    (args.out / "wikinews").mkdir(exist_ok=True)
    with (args.out / "wikinews" / "wikinews-2019_2020.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for record in chosen:
            writer.writerow({k: record[k] for k in FIELDS})
    print(json.dumps({"statements": len(statements), "remarks_pages": len(remarks), "wikinews": len(chosen)}))


if __name__ == "__main__":
    main()
