"""Kill-and-resume helpers: an archive to index, changes that give each round work to
be killed in, a writer process to kill, and what a consistent index must hold."""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from newssearch import Archive

from .fake import FAKE_MODEL, SLOW_WRITER

SHARED = Path(__file__).resolve().parents[2] / "shared"


def make_corpus(folder: Path) -> Path:
    """A slice of the BBC set when it is here, else generated articles."""
    folder.mkdir()
    raw = SHARED / "data" / "bbc" / "raw" / "business"
    if raw.is_dir():
        for source in sorted(raw.glob("*.txt"))[:150]:
            (folder / source.name).write_bytes(source.read_bytes())
    else:
        rng = random.Random(1)
        words = "troops border talks market shares profit election minister rain flood match goal".split()
        for n in range(150):
            paragraphs = [" ".join(rng.choice(words) for _ in range(40)) + "." for _ in range(6)]
            (folder / f"{n:03}.txt").write_text(f"Story {n}\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    return folder


def change_some_articles(corpus: Path, rng: random.Random, round_number: int) -> None:
    """Give every round work to be killed in: rewritten articles (every paragraph new,
    so it must be embedded), deletions and new articles."""
    files = sorted(corpus.glob("*.txt"))
    for path in rng.sample(files, 15):
        title, _, body = path.read_text(encoding="latin-1").partition("\n")
        paragraphs = [f"[{round_number}] {p}" for p in body.split("\n\n") if p.strip()]
        path.write_text(title + "\n\n" + "\n\n".join(paragraphs), encoding="latin-1")
    for path in rng.sample(files, 2):
        path.unlink()
    for n in range(3):
        source = rng.choice(files)
        if source.exists():
            (corpus / f"new-{round_number}-{n}.txt").write_text(
                f"Fresh report {round_number}-{n}\n\n" + source.read_text(encoding="latin-1")[:1500], encoding="latin-1")


def run_writer(index: Path, corpus: Path, kill_after: float | None) -> int:
    process = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(index), str(corpus), "0.05"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    process.wait()
    return process.returncode


def assert_consistent(index: Path, corpus: Path, complete: bool = False) -> None:
    """Invariants after any run; after a complete run also: exactly the folder's articles."""
    with Archive.open(index) as archive:
        # First the index exactly as the kill left it: SQLite's own data must be whole,
        # and a derived file may only be stale (recorded for an older data generation,
        # or not yet written), never recorded as current and wrong.
        as_left = archive.check()
        stale = {file: (archive.settings.get(setting) or {}).get("generation") != archive.store.generation()
                 for file, setting in (("the FAISS file", "faiss_file"), ("articles.faiss", "article_faiss_file"),
                                       ("leads.faiss", "lead_faiss_file"))}
        for problem in as_left["problems"]:
            derived = next((file for file in stale if problem.startswith(file)), None)
            if problem.startswith("FAISS ids differ"):
                derived = "the FAISS file"
            assert derived is not None and stale[derived], (problem, as_left["problems"])
        archive.search("profit", k=3)  # opening for a search rebuilds a stale FAISS file
        result = archive.check()
        assert result["ok"], result["problems"]
        db = archive.store.db
        keys = [r[0] for r in db.execute("SELECT key FROM articles")]
        assert len(keys) == len(set(keys))
        if complete:
            assert set(keys) == {str(p.resolve()) for p in corpus.glob("*.txt")}
        duplicated = db.execute("SELECT count(*) FROM (SELECT article_id, position, part FROM paragraphs "
                                "GROUP BY article_id, position, part HAVING count(*) > 1)").fetchone()[0]
        assert duplicated == 0


def index_content(archive: Archive) -> dict:
    """Everything an index holds, by article key rather than by row id (ids differ
    between a resumed build and a clean one)."""
    db = archive.store.db
    return {
        "articles": sorted(db.execute("SELECT key, title, content_hash FROM articles").fetchall()),
        "paragraphs": sorted(db.execute(
            "SELECT a.key, p.position, p.part, p.text, p.text_hash FROM paragraphs p "
            "JOIN articles a ON a.id = p.article_id").fetchall()),
        "vectors": sorted(db.execute("SELECT hash, vector FROM vectors").fetchall()),
        "article_vectors": sorted(
            (key, tuple(np.round(np.frombuffer(vector, dtype=np.float32), 5)))  # summed in any order
            for key, vector in db.execute(
                "SELECT a.key, v.vector FROM article_vectors v JOIN articles a ON a.id = v.article_id")),
        "article_texts": sorted(db.execute(
            "SELECT a.key, f.text FROM articles_fts f JOIN articles a ON a.id = f.rowid").fetchall()),
        "copies": sorted(db.execute(
            "SELECT c.key, o.key FROM articles c JOIN articles o ON o.id = c.copy_of").fetchall()),
        "faiss": len(archive.vectors),
        "keywords": keyword_content(archive),
        "stories": sorted(sorted(members) for members in _stories(db).values()),
    }


def keyword_content(archive: Archive) -> dict[str, list] | None:
    """What the keyword index holds, by article key (None when it is not current)."""
    keywords = archive.keywords
    if keywords is None:
        return None
    db = archive.store.db
    paragraphs = dict((row[0], row[1:]) for row in db.execute(
        "SELECT p.id, a.key, p.position, p.part FROM paragraphs p JOIN articles a ON a.id = p.article_id"))
    keys = dict(db.execute("SELECT id, key FROM articles").fetchall())
    return {"paragraphs": sorted(paragraphs.get(i, ("missing", i)) for i in keywords.paragraphs.ids()),
            "articles": sorted(keys.get(i, f"missing {i}") for i in keywords.articles.ids())}


def _stories(db) -> dict[str, list[str]]:  # noqa: ANN001 - a sqlite_utils Database
    found: dict[str, list[str]] = {}
    for key, first in db.execute("SELECT a.key, f.key FROM article_stories s JOIN articles a ON a.id = s.article_id "
                                 "JOIN articles f ON f.id = s.story_id"):
        found.setdefault(first, []).append(key)
    return found


RESULT_QUERIES = ["profits rise", "oil prices", "bank interest rates", "shares fell sharply", "economic growth"]


def search_results(archive: Archive) -> list:
    """What a user sees for a few queries in every mode: article keys, scores and the
    paragraphs shown (by position, as row ids differ between builds)."""
    return [[(hit.article.key, round(hit.score, 6), [(p.position, p.part) for p in hit.paragraphs])
             for hit in archive.search(query, k=10, mode=mode)]
            for query in RESULT_QUERIES for mode in ("hybrid", "semantic", "keyword")]
