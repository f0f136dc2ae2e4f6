"""Build a short-query topical retrieval task (BEIR format) from English Wikinews
articles and the categories Wikinews editors gave them.

    python benchmarks/make_short_task.py SOURCE OUT_DIR [--max-docs 5000] [--per-query 40]
                                         [--seed 20240601] [--no-headline]

Score it with nDCG@10 and P@10 at article level.

Where the data comes from
-------------------------
SOURCE is a git directory (a clone, or a bare snapshot) of the public repository
github.com/lbechberger/ML4NLP (Osnabrueck University seminar "Machine Learning for NLP",
2018/19). Its students took 18,208 English Wikinews articles (2004-2015) from the
NewsReader KnowledgeStore and saved, in git, three things this script reads by their
content hashes, so any clone that has them gives the same task:

* the plain article texts, one file per article (no headline, no dateline), in
  `downloaded_texts/` of commit d897f22016c34d2e2379fbc868971abf0a42f2f2 (branch
  `epsilon`, "downloaded all articles", 2018-12-23; tree a2b1783bfb90...);
* `knowledgestore/subcategory_resource_mappings.pickle` (branch `alpha`, blob
  aa90350086feed280f31386d6606f0cf033acbd9): every Wikinews category an article's page
  listed (wgCategories, crawled from en.wikinews.org in 2018/19) mapped to the
  articles' URLs, the 13 top-level categories left out;
* `resource_category_mappings.pickle` (branch `master`, blob
  1fcc0e377b28b4d997e3304fea6c69d0aa61316d): the top-level categories ("Sports",
  "Health", ...), kept only in labels.jsonl.

The pickles hold nothing but dicts, lists and strings; they are read with an unpickler
that refuses every class, so a tampered file fails instead of running code.

On a machine with only the project's tools, get SOURCE with the search tool's
`fetch github:lbechberger/ML4NLP` (it lands under /work/.mirror/lbechberger+ML4NLP/repo);
anywhere else, `git clone https://github.com/lbechberger/ML4NLP` (all branches come
along). Nothing else is downloaded; only git and the standard library are needed.

Licence
-------
Wikinews text is CC BY 2.5 (articles from before 25 September 2005 are public domain);
attribute "Wikinews contributors" and link each article (metadata.url). The category
labels are Wikinews page metadata under the same terms. The ML4NLP repository's own code
is MIT; none of it is used here. Keep the built task out of this repository: it is
derived data, rebuilt in a second from SOURCE.

How queries and judgements are made
-----------------------------------
Each query is a topical Wikinews category, written as a one-to-four-word query:
usually the category name itself, lower-cased ("climate change", "ice hockey",
"same-sex marriage"); a few are reworded where the bare name is ambiguous or carries a
disambiguator ("Football (soccer)" -> "soccer", "Space" -> "space exploration",
"Species endangerment" -> "endangered species"); QUERIES below lists them all. An
article is relevant (score 1) to a query if it carries that category, and to no other
query: the standard construction of a topical task from human-assigned labels.
Judgements are complete with respect to the labels (every article in the corpus is
checked against every query), not with respect to topic: an article about an
earthquake that its editors did not tag "Earthquakes" counts as not relevant, so
absolute scores are lower bounds; comparisons between systems are what the task is for.

The corpus: for each query, up to --per-query articles carrying its category are drawn
(seeded), then articles drawn at random from the rest of the collection fill it to
--max-docs, so that most of the corpus is about other things. Articles that are exact
duplicates (after whitespace) are merged, their labels joined.

Text: the article's headline (from its Wikinews URL), a blank line, then the body's
paragraphs separated by blank lines. The headline is kept because real archives have
headlines and the indexer treats a first short line as one; it does make some queries
easier (an "Earthquakes" article's headline often says "earthquake"). --no-headline
writes bodies only, for a harder variant. The texts are cleaned of what the
KnowledgeStore export left in them: UTF-8 read as Windows-1252 ("Ã©", "â€™") is
repaired, wiki-template debris lines ("| referee =", "footballbox") and leading
datelines are dropped.

Files written: OUT_DIR/corpus.jsonl ({_id, title: "", text, metadata: {date, url,
source, license}}), OUT_DIR/queries.jsonl ({_id, text, metadata: {wikinews_categories}}),
OUT_DIR/qrels/test.tsv, OUT_DIR/labels.jsonl (every Wikinews category of each corpus
article, for error analysis; not part of BEIR), OUT_DIR/SOURCE.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import pickle
import random
import re
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

REPOSITORY = "https://github.com/lbechberger/ML4NLP"
TEXT_COMMIT = "d897f22016c34d2e2379fbc868971abf0a42f2f2"
TEXT_DIR = "downloaded_texts"
TEXT_TREE = "a2b1783bfb90991057b2d6ebcdfe5ee5cd716cff"
CATEGORY_BLOB = "aa90350086feed280f31386d6606f0cf033acbd9"   # alpha: knowledgestore/subcategory_resource_mappings.pickle
TOP_LEVEL_BLOB = "1fcc0e377b28b4d997e3304fea6c69d0aa61316d"  # master: resource_category_mappings.pickle
LICENSE = "CC BY 2.5 (Wikinews contributors; en.wikinews.org); public domain before 2005-09-25"

# (query, Wikinews categories whose articles are relevant). One category per query,
# except where Wikinews itself split one topic under two names.
QUERIES: list[tuple[str, tuple[str, ...]]] = [
    ("aviation", ("Aviation",)),
    ("elections", ("Elections",)),
    ("religion", ("Religion",)),
    ("human rights", ("Human rights",)),
    ("computing", ("Computing",)),
    ("space exploration", ("Space",)),
    ("missing persons", ("Missing persons",)),
    ("television", ("Television",)),
    ("soccer", ("Football (soccer)",)),
    ("music", ("Music",)),
    ("free speech", ("Free speech",)),
    ("fires", ("Fires",)),
    ("journalism", ("Journalism",)),
    ("earthquakes", ("Earthquakes",)),
    ("nuclear weapons", ("Nuclear weapons",)),
    ("islam", ("Islam",)),
    ("christianity", ("Christianity",)),
    ("LGBT", ("LGBT",)),
    ("biology", ("Biology",)),
    ("military", ("Military",)),
    ("film", ("Film",)),
    ("nuclear power", ("Nuclear power",)),
    ("same-sex marriage", ("Same-sex marriage",)),
    ("influenza", ("Influenza",)),
    ("ice hockey", ("Ice Hockey",)),
    ("climate change", ("Climate change",)),
    ("sex crimes", ("Sex crimes",)),
    ("formula one", ("Formula One",)),
    ("rail transport", ("Rail transport",)),
    ("iraq war", ("Iraq War",)),
    ("physics", ("Physics",)),
    ("merchant shipping", ("Merchant shipping",)),
    ("food", ("Food",)),
    ("energy", ("Energy",)),
    ("paralympics", ("Paralympics",)),
    ("mental health", ("Mental health",)),
    ("basketball", ("Basketball",)),
    ("baseball", ("Baseball",)),
    ("tourism", ("Tourism",)),
    ("cricket", ("Cricket",)),
    ("olympics", ("Olympics",)),
    ("avian flu", ("Avian Flu",)),
    ("rugby", ("Rugby",)),
    ("copyright", ("Copyright",)),
    ("financial crisis", ("2008 financial crisis", "2008-09 financial crisis")),
    ("chemistry", ("Chemistry",)),
    ("cannabis", ("Cannabis",)),
    ("astronomy", ("Astronomy",)),
    ("nuclear accidents", ("Nuclear accidents",)),
    ("vaccination", ("Vaccination",)),
    ("endangered species", ("Species endangerment",)),
    ("arab spring", ("Arab Spring",)),
    ("stock market", ("Stock market",)),
    ("abortion", ("Abortion",)),
    ("death penalty", ("Death penalty",)),
    ("cycling", ("Cycling",)),
    ("genetics", ("Genetics",)),
    ("cancer", ("Cancer",)),
    ("oil spills", ("Oil spills",)),
    ("floods", ("Floods",)),
    ("renewable energy", ("Renewable energy",)),
    ("animal rights", ("Animal rights",)),
    ("immigration", ("Immigration",)),
    ("archaeology", ("Archaeology",)),
    ("human trafficking", ("Human trafficking",)),
    ("world war II", ("World War II",)),
]
MIN_RELEVANT = 5          # a query with fewer relevant articles in the corpus is dropped
MIN_BODY_CHARS = 150      # shorter bodies are stubs, not articles

DATE_CATEGORY = re.compile(r"(January|February|March|April|May|June|July|August|September|"
                           r"October|November|December) (\d{1,2}), (\d{4})")
DATELINE = re.compile(r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),? "
                      r"\w+ \d{1,2},? \d{4}\s*$")
DEBRIS = re.compile(r"^(\||\{\||\|\}|\{\{|\}\}|!)|picture select\||^footballbox(-ver)?$|^[\w ]+=[^.]*\|$",
                    re.IGNORECASE)


# --- reading the source -------------------------------------------------------------

def git(source: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(source), *args], input=data, capture_output=True, check=True)
    except FileNotFoundError:
        sys.exit("git is needed to read SOURCE")
    except subprocess.CalledProcessError as error:
        sys.exit(f"git {' '.join(args[:2])} failed in {source}: {error.stderr.decode(errors='replace').strip()}\n"
                 f"SOURCE must be a clone or snapshot of {REPOSITORY} with all its branches.")
    return done.stdout


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201 - refuses every class
        raise pickle.UnpicklingError(f"refusing {module}.{name}: the category files hold plain data only")


def load_pickle(source: Path, blob: str):  # noqa: ANN201
    return _DataOnly(io.BytesIO(git(source, "cat-file", "blob", blob))).load()


def read_texts(source: Path) -> dict[str, str]:
    """File name (without .txt) -> text, for every file in downloaded_texts/."""
    tree = git(source, "rev-parse", f"{TEXT_COMMIT}:{TEXT_DIR}").decode().strip()
    if tree != TEXT_TREE:
        sys.exit(f"{TEXT_COMMIT}:{TEXT_DIR} is tree {tree}, not {TEXT_TREE}")
    entries = []
    for line in git(source, "ls-tree", "-z", TEXT_TREE).split(b"\0"):
        if line:
            meta, name = line.split(b"\t", 1)
            _mode, kind, oid = meta.split()
            if kind == b"blob" and name.endswith(b".txt"):
                entries.append((name[:-4].decode("utf-8"), oid.decode()))
    out = git(source, "cat-file", "--batch", data="".join(f"{oid}\n" for _, oid in entries).encode())
    texts, position = {}, 0
    for name, oid in entries:
        header_end = out.index(b"\n", position)
        got, kind, size = out[position:header_end].split()
        if got.decode() != oid or kind != b"blob":
            sys.exit(f"unexpected object for {name}: {out[position:header_end]!r}")
        start = header_end + 1
        texts[name] = out[start:start + int(size)].decode("utf-8", errors="replace")
        position = start + int(size) + 1
    return texts


# --- cleaning -----------------------------------------------------------------------

_CP1252 = {}
for _byte in range(0x80, 0xA0):
    try:
        _CP1252[bytes([_byte]).decode("cp1252")] = _byte
    except UnicodeDecodeError:
        pass
_SUSPECT = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                      "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _as_byte(char: str) -> int | None:
    if char in _CP1252:
        return _CP1252[char]
    return ord(char) if 0x80 <= ord(char) < 0x100 else None


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as Windows-1252/Latin-1 ("Â£" -> "£", "â€™" -> "’"),
    one well-formed UTF-8 sequence at a time, so text that is fine stays as it is."""
    for _ in range(2):  # twice-mangled text needs a second pass
        if not _SUSPECT.search(text):
            break
        out, i = [], 0
        while i < len(text):
            lead = _as_byte(text[i])
            follow = 1 if lead and 0xC2 <= lead <= 0xDF else 2 if lead and 0xE0 <= lead <= 0xEF \
                else 3 if lead and 0xF0 <= lead <= 0xF4 else 0
            if follow and i + follow < len(text):
                tail = [_as_byte(c) for c in text[i + 1:i + 1 + follow]]
                if all(b is not None and 0x80 <= b <= 0xBF for b in tail):
                    try:
                        out.append(bytes([lead, *tail]).decode("utf-8"))
                        i += follow + 1
                        continue
                    except UnicodeDecodeError:
                        pass
            out.append(text[i])
            i += 1
        text = "".join(out)
    return text


def clean_body(text: str) -> str:
    # "â€" + a replacement character is a right double quote whose last byte (0x9D)
    # Windows-1252 does not define, so the export lost it; it can only have been "”".
    text = text.replace("\u00e2\u20ac\ufffd", "\u201d")
    text = fix_mojibake(text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = []
        for line in block.split("\n"):
            line = re.sub(r"[ \t\u00a0\u2009\u200b]+", " ", line).strip()
            if not line or DEBRIS.search(line) or not re.search(r"\w", line):
                continue
            lines.append(line)
        if lines:
            paragraphs.append("\n".join(lines))
    if paragraphs and DATELINE.match(paragraphs[0]):
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs)


def headline(uri: str) -> str:
    return unquote(uri.split("/wiki/", 1)[1]).replace("_", " ").strip()


def article_date(categories: set[str]) -> str | None:
    dates = []
    for category in categories:
        match = DATE_CATEGORY.fullmatch(category)
        if match:
            try:
                dates.append(dt.datetime.strptime(category, "%B %d, %Y").date())
            except ValueError:
                pass
    return min(dates).isoformat() if dates else None


# --- building -----------------------------------------------------------------------

def load_articles(source: Path) -> tuple[dict[str, str], dict[str, set[str]], dict[str, set[str]]]:
    """(uri -> cleaned body, uri -> categories, uri -> top-level categories) for every
    article whose text file can be tied to exactly one categorised URL."""
    by_category = load_pickle(source, CATEGORY_BLOB)
    top = load_pickle(source, TOP_LEVEL_BLOB)
    if not isinstance(by_category, dict) or not isinstance(top, dict) or "mappings" not in top:
        sys.exit("the category files are not the expected dictionaries")
    categories: dict[str, set[str]] = {}
    for category, uris in by_category.items():
        if category:
            for uri in uris:
                categories.setdefault(uri, set()).add(category)
    top_level = {uri: set(cats) for uri, cats in top["mappings"].items()}
    # The texts were saved as <last path segment of the URL>.txt; a title with a "/"
    # in it loses its beginning, so a name is used only when one URL fits it.
    by_name: dict[str, list[str]] = {}
    for uri in categories:
        by_name.setdefault(uri.rsplit("/", 1)[-1], []).append(uri)
    bodies = {}
    for name, text in read_texts(source).items():
        candidates = by_name.get(name, [])
        if len(candidates) == 1:
            body = clean_body(text)
            if len(body) >= MIN_BODY_CHARS:
                bodies[candidates[0]] = body
    # Exact duplicates (same body after whitespace): keep the first URL, join labels.
    seen: dict[str, str] = {}
    for uri in sorted(bodies):
        key = hashlib.sha1(" ".join(bodies[uri].split()).encode()).hexdigest()
        if key in seen:
            kept = seen[key]
            categories[kept] |= categories[uri]
            top_level[kept] = top_level.get(kept, set()) | top_level.get(uri, set())
            del bodies[uri]
        else:
            seen[key] = uri
    return bodies, categories, top_level


def doc_id(uri: str) -> str:
    return "wn-" + hashlib.sha1(uri.encode("utf-8")).hexdigest()[:12]


def build(source: Path, out: Path, max_docs: int, per_query: int, seed: int, with_headline: bool) -> dict:
    bodies, categories, top_level = load_articles(source)
    pool = sorted(bodies)
    rng = random.Random(seed)
    chosen: list[str] = []
    taken: set[str] = set()
    for query, labels in QUERIES:
        carriers = [u for u in pool if categories[u] & set(labels)]
        rng.shuffle(carriers)
        for uri in carriers[:per_query]:
            if uri not in taken:
                taken.add(uri)
                chosen.append(uri)
    rest = [u for u in pool if u not in taken]
    rng.shuffle(rest)
    chosen.extend(rest[:max(0, max_docs - len(chosen))])
    chosen = chosen[:max_docs]

    dates = {u: article_date(categories[u]) for u in chosen}
    chosen.sort(key=lambda u: (dates[u] or "9999", u))
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as corpus, \
            (out / "labels.jsonl").open("w", encoding="utf-8") as labels:
        for uri in chosen:
            text = f"{headline(uri)}\n\n{bodies[uri]}" if with_headline else bodies[uri]
            metadata = {"url": uri.replace("http://", "https://", 1), "source": "Wikinews (English)",
                        "license": LICENSE}
            if dates[uri]:
                metadata = {"date": dates[uri], **metadata}
            corpus.write(json.dumps({"_id": doc_id(uri), "title": "", "text": text, "metadata": metadata},
                                    ensure_ascii=False) + "\n")
            labels.write(json.dumps({"_id": doc_id(uri), "categories": sorted(categories[uri]),
                                     "top_level": sorted(top_level.get(uri, ()))}, ensure_ascii=False) + "\n")

    relevant_counts: dict[str, int] = {}
    dropped = []
    with (out / "queries.jsonl").open("w", encoding="utf-8") as queries, \
            (out / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for number, (query, labels_) in enumerate(QUERIES, start=1):
            relevant = [u for u in chosen if categories[u] & set(labels_)]
            if len(relevant) < MIN_RELEVANT:
                dropped.append(query)
                continue
            query_id = f"wnq-{number:02d}"
            relevant_counts[query_id] = len(relevant)
            queries.write(json.dumps({"_id": query_id, "text": query,
                                      "metadata": {"wikinews_categories": list(labels_)}},
                                     ensure_ascii=False) + "\n")
            for uri in relevant:
                qrels.write(f"{query_id}\t{doc_id(uri)}\t1\n")

    counts = sorted(relevant_counts.values())
    stats = {
        "articles_available": len(pool), "docs": len(chosen), "queries": len(counts),
        "judgements": sum(counts), "relevant_min": counts[0] if counts else 0,
        "relevant_median": statistics.median(counts) if counts else 0,
        "relevant_max": counts[-1] if counts else 0,
        "docs_with_no_query_label": sum(1 for u in chosen
                                        if not any(categories[u] & set(l) for _, l in QUERIES)),
        "dropped_queries": dropped, "seed": seed, "per_query": per_query, "headline": with_headline,
    }
    (out / "SOURCE.md").write_text(
        "# Wikinews short-query topical task\n\n"
        f"Built by benchmarks/make_short_task.py from {REPOSITORY} (texts: commit {TEXT_COMMIT}, "
        f"`{TEXT_DIR}/`; categories: blobs {CATEGORY_BLOB}, {TOP_LEVEL_BLOB}).\n\n"
        "Articles: English Wikinews, 2004-2015. Licence: CC BY 2.5; attribute \"Wikinews contributors\" "
        "and link each article (metadata.url, https://creativecommons.org/licenses/by/2.5/); articles "
        "from before 2005-09-25 are in the public domain.\n\n"
        "Queries are Wikinews categories (see the builder's QUERIES); an article is relevant to a query "
        "if its editors gave it that category. Score nDCG@10 and P@10 at article level.\n\n"
        "```\n" + json.dumps(stats, indent=2) + "\n```\n", encoding="utf-8")
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help=f"git clone or snapshot of {REPOSITORY}")
    parser.add_argument("out", type=Path, help="folder to write the BEIR task into")
    parser.add_argument("--max-docs", type=int, default=5000, help="corpus size (default 5000)")
    parser.add_argument("--per-query", type=int, default=40,
                        help="articles drawn per query before the random fill (default 40)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--no-headline", action="store_true", help="bodies only, no headline line")
    args = parser.parse_args()
    stats = build(args.source, args.out, args.max_docs, args.per_query, args.seed, not args.no_headline)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
