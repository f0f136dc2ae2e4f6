"""The SQL of story threads (`article_stories`): which story each article is in, the
earlier article it follows, and what the linking rule (index/stories.py) reads: the
articles near a date, their vectors and their terms as the keyword index holds them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import sqlite_utils

from .fts import FTS_TOKENIZER
from .rows import batches, unpack


class StoryRow(NamedTuple):
    article_id: int
    follows: int | None  # the earlier article of the same story it is most like
    score: float  # how like it it is (0 when it starts a story)
    story_id: int  # the first article of its story


class Candidate(NamedTuple):
    id: int
    key: str
    date: str | None


class TermStatistics:
    """What one story update has read of the keyword index: each article's term counts
    and each term's document frequency (valid while the index is unchanged)."""

    def __init__(self) -> None:
        self.counts: dict[int, dict[str, int]] = {}
        self.frequency: dict[str, int] = {}
        self.total: int | None = None


class StoryRows:
    """Reading and writing story threads; part of `Store`."""

    db: sqlite_utils.Database

    # state ----------------------------------------------------------------------------
    def drop_stale_stories(self, size: int) -> None:
        """Forget the links of articles whose link no longer holds: those whose earlier
        article has changed or gone (the rows of changed articles are dropped by
        triggers on `article_vectors`, schema.py), syndicated copies, and links made
        when the archive was less than half its `size` (their terms' weights, which
        depend on how many articles hold each term, have drifted since; linking again
        at each doubling costs each article a handful of links over the archive's life)."""
        self.db.execute("DELETE FROM article_stories WHERE article_id IN "
                        "(SELECT id FROM articles WHERE copy_of IS NOT NULL)")
        self.db.execute("DELETE FROM article_stories WHERE archive_size * 2 < ?", [size])
        self.db.execute("DELETE FROM article_stories WHERE article_id NOT IN (SELECT article_id FROM article_vectors)")
        self.db.execute("DELETE FROM article_stories WHERE follows IS NOT NULL AND follows NOT IN "
                        "(SELECT article_id FROM article_stories)")

    def forget_stories(self) -> None:
        self.db.execute("DELETE FROM article_stories")

    def articles_without_story(self) -> list[Candidate]:
        """Articles with a vector (originals, not copies) not yet linked."""
        return [Candidate(*row) for row in self.db.execute(
            "SELECT a.id, a.key, a.date FROM articles a JOIN article_vectors v ON v.article_id = a.id "
            "WHERE a.copy_of IS NULL AND a.id NOT IN (SELECT article_id FROM article_stories)")]

    def story_rows(self, article_ids: Iterable[int]) -> dict[int, StoryRow]:
        found: dict[int, StoryRow] = {}
        for chunk, marks in batches(article_ids):
            for row in self.db.execute("SELECT article_id, follows, score, story_id FROM article_stories "
                                       f"WHERE article_id IN ({marks})", chunk):
                found[row[0]] = StoryRow(*row)
        return found

    def write_story_links(self, links: Sequence[tuple[int, int | None, float]], size: int) -> None:
        """(article id, follows, score) linked in an archive of `size` articles; story
        ids are set by `set_story_ids`."""
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO article_stories (article_id, follows, score, story_id, archive_size) "
            "VALUES (?, ?, ?, ?, ?)",
            [(article_id, follows, score, article_id, size) for article_id, follows, score in links])

    def keyword_article_count(self) -> int:
        """The articles the keyword index holds (originals): N of the terms' weights."""
        return self.db.execute("SELECT count(*) FROM articles_fts").fetchone()[0]

    def followers(self, article_ids: Iterable[int]) -> list[int]:
        """The given articles and every article that follows one of them, directly or not."""
        ids = list(dict.fromkeys(article_ids))
        found: list[int] = []
        for chunk, marks in batches(ids):
            found += [row[0] for row in self.db.execute(
                f"WITH RECURSIVE down(id) AS (SELECT value FROM json_each(?) UNION "
                "SELECT s.article_id FROM article_stories s JOIN down ON s.follows = down.id) SELECT id FROM down",
                [_json_list(chunk)])]
        return list(dict.fromkeys(found))

    def set_story_ids(self, article_ids: Sequence[int]) -> None:
        """Each given article's story is that of the article it follows (itself when it
        follows none). Links always point to an earlier article, so going through the
        articles in time order sees every followed article's story before its followers."""
        rows = self.story_rows(article_ids)
        order = self.chronological(list(rows))
        known: dict[int, int] = {}
        outside = self.story_rows({r.follows for r in rows.values() if r.follows is not None} - set(rows))
        for article_id in order:
            row = rows[article_id]
            if row.follows is None:
                known[article_id] = article_id
            elif row.follows in known:
                known[article_id] = known[row.follows]
            else:
                known[article_id] = outside[row.follows].story_id
        self.db.conn.executemany("UPDATE article_stories SET story_id = ? WHERE article_id = ?",
                                 [(story, article_id) for article_id, story in known.items()])

    def chronological(self, article_ids: Sequence[int]) -> list[int]:
        """Ids in time order: dated articles by (date, key), then undated ones by key."""
        keyed: list[tuple[bool, str, str, int]] = []
        for chunk, marks in batches(article_ids):
            keyed += [(date is None, date or "", key, article_id) for article_id, key, date in self.db.execute(
                f"SELECT id, key, date FROM articles WHERE id IN ({marks})", chunk)]
        return [row[-1] for row in sorted(keyed)]

    # what the rule reads -------------------------------------------------------------
    def story_candidates(self, first: str, last: str) -> tuple[list[Candidate], np.ndarray]:
        """Originals dated from `first` to `last`, with their article vectors."""
        rows = self.db.execute(
            "SELECT a.id, a.key, a.date, v.vector FROM articles a JOIN article_vectors v ON v.article_id = a.id "
            "WHERE a.copy_of IS NULL AND a.date BETWEEN ? AND ?", [first, last]).fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        _, vectors = unpack([(r[0], r[3]) for r in rows], len(rows[0][3]) // 4)
        return [Candidate(r[0], r[1], r[2]) for r in rows], vectors

    def term_weights(self, article_ids: Sequence[int], chars: int,
                     known: TermStatistics | None = None) -> dict[int, dict[str, float]]:
        """The terms of each article's first `chars` characters (as the keyword index
        stems them) weighted by TF-IDF, (1 + ln tf) * ln((N + 1) / (df + 1)) over the
        articles indexed, L2-normalised. `known`: what earlier calls of the same story
        update read (the keyword index does not change within one), so each article is
        tokenised and each term's document frequency read once per update."""
        known = known if known is not None else TermStatistics()
        self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.story_text USING fts5(text, "
                        f"tokenize='{FTS_TOKENIZER}')")
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.story_terms USING fts5vocab(temp, story_text, "
                        "'instance')")
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.archive_terms USING fts5vocab(main, articles_fts, "
                        "'row')")
        new = [a for a in dict.fromkeys(article_ids) if a not in known.counts]
        if new:
            self.db.execute("DELETE FROM temp.story_text")
            for chunk, marks in batches(new):
                self.db.execute(f"INSERT INTO temp.story_text (rowid, text) SELECT rowid, substr(text, 1, ?) "
                                f"FROM articles_fts WHERE rowid IN ({marks})", [chars, *chunk])
            for article_id in new:
                known.counts[article_id] = {}
            for term, doc, count in self.db.execute(
                    "SELECT term, doc, count(*) FROM temp.story_terms GROUP BY doc, term"):
                known.counts[doc][term] = count
            self.db.execute("DELETE FROM temp.story_text")
        unread = list({term for a in new for term in known.counts[a]} - known.frequency.keys())
        for chunk, marks in batches(unread):
            known.frequency.update(self.db.execute(
                f"SELECT term, doc FROM temp.archive_terms WHERE term IN ({marks})", chunk).fetchall())
        known.frequency.update((term, 0) for term in unread if term not in known.frequency)
        if known.total is None:
            known.total = self.keyword_article_count()
        total = known.total
        weights: dict[int, dict[str, float]] = {}
        for doc in dict.fromkeys(article_ids):
            found = known.counts.get(doc, {})
            if not found:
                continue
            weighted = {term: (1 + math.log(n)) * math.log((total + 1) / (known.frequency[term] + 1))
                        for term, n in found.items()}
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
            weights[doc] = {term: w / norm for term, w in weighted.items() if w > 0}
        return weights

    # what search and `story` read ------------------------------------------------------
    def stories_of(self, article_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """article id -> (story id, number of articles in that story)."""
        found: dict[int, tuple[int, int]] = {}
        for chunk, marks in batches(article_ids):
            for article_id, story_id, size in self.db.execute(
                    "SELECT s.article_id, s.story_id, (SELECT count(*) FROM article_stories t "
                    "WHERE t.story_id = s.story_id) FROM article_stories s "
                    f"WHERE s.article_id IN ({marks})", chunk):
                found[article_id] = (story_id, size)
        return found

    def story_members(self, story_id: int) -> list[StoryRow]:
        return [StoryRow(*row) for row in self.db.execute(
            "SELECT article_id, follows, score, story_id FROM article_stories WHERE story_id = ?", [story_id])]

    def story_count(self) -> int:
        return self.db.execute("SELECT count(DISTINCT story_id) FROM article_stories").fetchone()[0]


def _json_list(values: Sequence[int]) -> str:
    return "[" + ",".join(str(int(v)) for v in values) + "]"
