"""What opening a large archive costs a cold query: the whole `Archive`, not only the
FAISS file (benchmarks/scale.py measures that).

    python benchmarks/open_scale.py --articles 25000 --paragraphs 20 [--work DIR] [--keep] [--keyword [--compress]]

Builds an archive of --articles articles of --paragraphs paragraphs each, generated
by a word bigram chain over the BBC paragraphs (every paragraph distinct, words at
their real frequencies, so keyword search meets text like news; `--repeat`: whole BBC
paragraphs drawn at random instead) and embedded by a hashing model of 384 dimensions
(the real model's size, thousands of times faster: this measures the index, not the
model; query vectors get a small dense part, as a real model's have: `query_vector`).
Then, in fresh processes, times each step a cold query takes before it can search:
opening the database, the paragraph vector index (loaded or memory-mapped and checked
against SQLite), the article and lead vector indexes, and one hybrid search with a
ready query vector; with the peak RSS. Prints JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
MODEL = "hash-384"

HASH_MODEL = """
import zlib
import numpy as np

class HashModel:
    name, dimension, normalized, max_tokens = "hash-384", 384, True, 250

    def count_tokens(self, texts):
        return [len(text.split()) for text in texts]

    def embed(self, texts):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                bucket = zlib.crc32(word.encode())
                vectors[row, bucket % self.dimension] += 1.0 if bucket & 1024 else -1.0
        return vectors

def query_vector(text):
    # The hashing model's vectors are sparse: a short query shares no word bucket with
    # most paragraphs, and all of those score exactly alike (0, or one constant under
    # IVF-SQ8's codes), so equal scores cross every cut-off and search/ties.py fetches
    # 4 and 16 times deeper. A real model's vectors are dense and distinct paragraphs
    # score differently: a small dense part, fixed by the query's text, does the same.
    vector = HashModel().embed([text])[0]
    vector /= np.linalg.norm(vector) or 1.0
    dense = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(len(vector)).astype(np.float32)
    vector += 0.1 * dense / np.linalg.norm(dense)
    return vector / np.linalg.norm(vector)

from newssearch.index.models.embedders import register_embedder
register_embedder("hash-384", lambda name: HashModel())
"""

OPEN = HASH_MODEL + """
import json, resource, sys, time
from newssearch import Archive

steps = {}
started = last = time.perf_counter()
def step(name):
    global last
    now = time.perf_counter()
    steps[name] = round(1000 * (now - last), 1)
    last = now

archive = Archive.open(sys.argv[1]); step("open database")
vectors = archive.vectors; step("paragraph vectors")
articles = archive.article_vectors; step("article vectors")
leads = archive.lead_vectors; step("lead vectors")
query = query_vector("government plans new tax on oil companies")
hits = archive.searcher().search("government plans new tax on oil companies", k=10, query_vector=query)
step("first hybrid search")
print(json.dumps({"steps_ms": steps, "total_ms": round(1000 * (time.perf_counter() - started), 1),
                  "paragraphs": len(vectors), "articles": len(articles), "hits": len(hits),
                  "notices": archive.notices,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""

KEYWORD = HASH_MODEL + """
import statistics, sys, time
from pathlib import Path
from newssearch import Archive

index, queries, engine, rounds, filters = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
archive = Archive.open(index)
if engine == "fts5":  # as before the keyword index: SQLite's FTS5 tables
    archive._open_keywords = lambda may_write: None
if sys.argv[6]:  # another paragraph vector file for the same paragraphs (--compress)
    from newssearch.index.storage.vectors import VectorIndex
    archive._vectors = archive._exact_from_store(VectorIndex.load(Path(sys.argv[6])))
searcher = archive.searcher()
assert (archive.keywords is None) == (engine == "fts5"), archive.notices
vectors = {}
for query in queries:
    vectors[query] = query_vector(query)
archive.vectors, archive.article_vectors, archive.lead_vectors  # opened before the clock

def timed(query, where):
    started = time.perf_counter()
    searcher.search(query, k=10, query_vector=vectors[query], where=where_of[json.dumps(where)])
    return 1000 * (time.perf_counter() - started)

from newssearch.search.filters import Filter
where_of = {json.dumps(w): Filter.parse(w.get("since"), w.get("until"), w.get("sources"), None) for w in filters.values()}
report = {"engine": engine, "vectors": archive.vectors.kind, "filters": {}}
for name, where in filters.items():
    first = {query: round(timed(query, where), 1) for query in queries}  # this process's first search of each
    warm = sorted(timed(query, where) for _ in range(rounds) for query in queries)
    report["filters"][name] = {"first_median_ms": round(statistics.median(first.values()), 1),
                               "first_max_ms": max(first.values()),
                               "warm_p50_ms": round(warm[len(warm) // 2], 1),
                               "warm_p95_ms": round(warm[int(0.95 * len(warm))], 1), "warm_searches": len(warm)}
print(json.dumps(report))
"""
# Filters of about 1% and 10% of the generated articles (their share is printed).
FILTERS = {"none": {}, "one source (2.5%)": {"sources": ["Source 7"]},
           "two weeks (about 1%)": {"since": "2015-06-01", "until": "2015-06-14"},
           "eighteen months (about 10%)": {"since": "2015-01-01", "until": "2016-06-30"}}
QUERIES = ["troop buildup at the border", "the government plans a new tax on oil companies", "oil prices rise",
           "interest rates", "film wins award", "what is the best mobile phone to buy", "people in the city",
           "chancellor budget", "the football club sacked its manager", "a new record for the company"]

COMPRESSED = """
import json, resource, sys, time
from pathlib import Path
from newssearch.index.storage import vectors as vector_module
from newssearch.index.storage.store import Store
from newssearch.index.storage.vector_files import PARAGRAPH_FILE

vector_module.COMPRESS_POINT = 0  # whatever the size: IVF-PQ
store = Store(Path(sys.argv[1]) / "newssearch.db", readonly=True)
started = time.perf_counter()
index = PARAGRAPH_FILE.build(store)
built = time.perf_counter() - started
index.save(Path(sys.argv[2]))
print(json.dumps({"kind": index.kind, "build_s": round(built, 1), "file_bytes": Path(sys.argv[2]).stat().st_size,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""

BUILD = HASH_MODEL + """
import sys, time
from newssearch import Archive
from newssearch.index import indexer
# Story links are left out: at this size their TF-IDF weights (fts5vocab counts, which
# walk each word's list) made the build take hours (docs/benchmarks.md); this measures
# opening and searching.
indexer.LINK_STORIES = False
started = time.perf_counter()
with Archive.open(sys.argv[1], model="hash-384", create=True) as archive:
    report = archive.index([sys.argv[2]])
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "added": report.added,
                  "paragraphs": report.paragraphs_written}))
"""


def corpus(path: Path, articles: int, paragraphs: int, source: Path, repeat: bool = False) -> None:
    """Articles of text generated from BBC paragraphs by a word bigram chain: each
    paragraph as long as a real one, distinct, as in a real archive, with the words'
    real frequencies. With `repeat` (the generator before 2026-12-04), each paragraph is
    a whole BBC paragraph: at 5M paragraphs each of the ~40,000 occurs ~130 times, and
    equal scores tie at nearly every cut-off."""
    pool = []
    for file in sorted(source.glob("*/*.txt")):
        text = file.read_text(encoding="latin-1")
        pool.extend(p.strip() for p in text.split("\n\n")[1:] if len(p.split()) >= 12)
    rng = random.Random(0)
    chain = None if repeat else BigramChain(pool, seed=0)
    with path.open("w", encoding="utf-8") as out:
        for first in range(0, articles, 10_000):
            numbers = range(first, min(first + 10_000, articles))
            texts = iter(chain.paragraphs(len(numbers) * paragraphs)) if chain else None
            for number in numbers:
                body = [next(texts) if texts else rng.choice(pool) + f" ({number}/{part})" for part in range(paragraphs)]
                out.write(json.dumps({"id": f"a{number}", "title": rng.choice(pool)[:80],
                                      "date": f"20{10 + number % 15:02d}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                                      "source": f"Source {number % 40}", "text": "\n\n".join(body)}) + "\n")


class BigramChain:
    """Text walked word by word through the pairs of words the given paragraphs hold,
    each paragraph as many words long as one of them (drawn at random)."""

    def __init__(self, texts: list[str], seed: int):
        import numpy as np

        self.np = np
        self.random = np.random.default_rng(seed)
        self.words = ["\n"]  # 0: a paragraph boundary, never written
        number: dict[str, int] = {}
        sequence = [0]
        for text in texts:
            for word in text.split():
                sequence.append(number.setdefault(word, len(number) + 1))
            sequence.append(0)
        self.words += list(number)
        sequence = np.array(sequence, dtype=np.int64)
        order = np.argsort(sequence[:-1], kind="stable")
        self.successors = sequence[1:][order]  # the words after each word, grouped by word
        counts = np.bincount(sequence[:-1], minlength=len(self.words))
        self.counts, self.starts = counts, np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.lengths = np.array([len(text.split()) for text in texts])
        self.words = np.array(self.words, dtype=object)

    def paragraphs(self, count: int) -> list[str]:
        np = self.np
        lengths = self.random.choice(self.lengths, size=count)
        walk = np.zeros((count, int(lengths.max())), dtype=np.int64)
        current = np.zeros(count, dtype=np.int64)
        for step in range(walk.shape[1]):
            current = self.successors[self.starts[current] + (self.random.random(count) * self.counts[current]).astype(np.int64)]
            walk[:, step] = current
        return [" ".join(self.words[row[:length][row[:length] > 0]]) for row, length in zip(walk, lengths)]


@contextlib.contextmanager
def every_word_matched() -> Iterator[None]:
    """The keyword index matching every query word, as before 2026-12-04 (search leaves
    words in half the documents or more out of the match: `keywords.telling`)."""
    from newssearch.index.storage import keywords

    telling, keywords.telling = keywords.telling, lambda tokens, *_: list(tokens)
    try:
        yield
    finally:
        keywords.telling = telling


def shares(index: Path, filters: dict) -> dict[str, float]:
    """The share of the archive's articles each filter lets through."""
    import sqlite3

    db = sqlite3.connect(index / "newssearch.db")
    total = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    found = {}
    for name, where in filters.items():
        clauses, params = ["1"], []
        if "since" in where:
            clauses.append("substr(date, 1, 10) >= ?")
            params.append(where["since"])
        if "until" in where:
            clauses.append("substr(date, 1, 10) <= ?")
            params.append(where["until"])
        for source in where.get("sources", []):
            clauses.append("instr(lower(source), ?) > 0")
            params.append(source.lower())
        count = db.execute(f"SELECT count(*) FROM articles WHERE {' AND '.join(clauses)}", params).fetchone()[0]
        found[name] = round(count / total, 4)
    return found


def run(script: str, *arguments: str) -> dict:
    done = subprocess.run([sys.executable, "-c", "import json\n" + script, *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=25_000)
    parser.add_argument("--paragraphs", type=int, default=20)
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "bbc" / "raw")
    parser.add_argument("--work", type=Path, default=None, help="keep the archive here (reused when present)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", action="store_true",
                        help="the corpus before 2026-12-04: whole BBC paragraphs, each repeated many times")
    parser.add_argument("--keyword", action="store_true",
                        help="also time hybrid searches of ten queries, keyword lists from the keyword index "
                             "(tantivy) and from FTS5, unfiltered and filtered (fresh process each; first search "
                             "of each query, then warm)")
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds over the queries (--keyword)")
    parser.add_argument("--engines", default="tantivy,fts5", help="keyword engines to time (--keyword)")
    parser.add_argument("--compress", action="store_true",
                        help="search a compressed (IVF-PQ) paragraph vector file, built from SQLite once into --work "
                             "(--keyword): candidates re-scored with the vectors SQLite holds")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="newssearch-open-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    index = work / "index"
    result: dict = {"articles": args.articles, "paragraphs_per_article": args.paragraphs}
    try:
        if not (index / "newssearch.db").exists():
            corpus(work / "corpus.jsonl", args.articles, args.paragraphs, args.source, args.repeat)
            result["build"] = run(BUILD, str(index), str(work / "corpus.jsonl"))
        result["index_bytes"] = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
        result["keyword_index_bytes"] = sum(f.stat().st_size for f in (index / "keywords").rglob("*") if f.is_file())
        result["cold_opens"] = [run(OPEN, str(index)) for _ in range(args.runs)]
        if args.keyword:
            result["filter_shares"] = shares(index, FILTERS)
            vectors = ""
            if args.compress:
                vectors = str(work / "vectors-ivf-pq.faiss")
                if not Path(vectors).exists():
                    result["compressed_build"] = run(COMPRESSED, str(index), vectors)
            result["keyword"] = [run(KEYWORD, str(index), json.dumps(QUERIES), engine, str(args.rounds),
                                     json.dumps(FILTERS), vectors)
                                 for _ in range(args.runs) for engine in args.engines.split(",")]
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
