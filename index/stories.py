"""Story threads: the articles that report one event, across outlets and days.

The rule: an article follows the earlier article most like it that appeared at most
`window_days` before it, when that likeness reaches `threshold`; otherwise it starts a
story. A story is an article that follows none and every article that follows it,
directly or not, so its id is its first article's. Likeness is a blend of the TF-IDF
cosine of the two texts (their terms as the keyword index stems them) and the cosine
of their article vectors. An undated article is a story of its own: without the time
window, likeness alone links reports of different events (on the labelled White House
set with its dates removed, no threshold from 0.475 to 0.8 got pairwise precision
above 0.13, and none beat leaving every article alone).
The rule, its settings and how they were chosen are in benchmarks/stories.py and
docs/quality.md ("Story threads").

Stories are kept up to date as articles arrive: a new article links to its best earlier
match, and a later article that is more like the newcomer than the one it follows
switches to it, so an archive indexed in pieces, in any order, gets the stories one
pass over the whole of it gives (the benchmark measures how close).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .linalg import unit_rows
from .storage.store import Store
from .storage.stories import Candidate, TermStatistics


@dataclass(frozen=True)
class StoryRule:
    # Chosen on the Nov-Dec 2021 half of the labelled White House set by B-cubed F1
    # (benchmarks/stories.py); scored on the Jan-Mar 2022 half.
    window_days: int = 1
    threshold: float = 0.475
    terms_weight: float = 0.5  # the rest is the article vectors' cosine
    candidates: int = 50  # the most alike by vector whose terms are compared, each way
    terms_chars: int = 4000  # the terms compared are those of an article's beginning
    longest_run_days: int = 31  # a batch's dates are read in runs of at most this many days


DEFAULT_RULE = StoryRule()


def rebuild(store: Store, rule: StoryRule = DEFAULT_RULE) -> int:
    """Every story computed again in one pass over the archive. The caller holds the
    transaction."""
    store.forget_stories()
    return update(store, rule)


def update(store: Store, rule: StoryRule = DEFAULT_RULE) -> int:
    """Link the articles that have no story yet (new, changed, or whose earlier article
    went); returns how many. The caller holds the transaction."""
    size = store.keyword_article_count()
    store.drop_stale_stories(size)
    new = store.articles_without_story()
    if not new:
        return 0
    new_ids = {c.id for c in new}
    follows: dict[int, tuple[int | None, float]] = {}
    switched: set[int] = set()
    for c in new:
        if c.date is None:
            follows[c.id] = (None, 0.0)
    known = TermStatistics()  # read once for all the runs: the keyword index is not changed here
    for first, last, _ in _runs(new, rule):
        pool, vectors = store.story_candidates(first, last)
        _link_pool(store, pool, unit_rows(vectors), new_ids, rule, follows, switched, known)
    store.write_story_links([(a, f, s) for a, (f, s) in follows.items() if a in new_ids], size)
    changed = [(f, s, a) for a, (f, s) in follows.items() if a not in new_ids]
    store.db.conn.executemany("UPDATE article_stories SET follows = ?, score = ? WHERE article_id = ?", changed)
    store.set_story_ids(store.followers([*new_ids, *switched]))
    return len(new_ids)


def _order(c: Candidate) -> tuple[bool, str, str]:
    return (c.date is None, c.date or "", c.key)


def _day(date: str) -> int:
    return dt.date.fromisoformat(date[:10]).toordinal()


def _runs(new: list[Candidate], rule: StoryRule) -> list[tuple[str, str, list[Candidate]]]:
    """The new dated articles in runs of nearby dates, each with the date range whose
    articles it must be compared with."""
    runs: list[tuple[str, str, list[Candidate]]] = []
    dated = sorted((c for c in new if c.date is not None), key=_order)
    current: list[Candidate] = []
    for c in dated:
        if current and (_day(c.date) - _day(current[-1].date) > 2 * rule.window_days  # type: ignore[arg-type]
                        or _day(c.date) - _day(current[0].date) > rule.longest_run_days):  # type: ignore[arg-type]
            runs.append(_with_range(current, rule))
            current = []
        current.append(c)
    if current:
        runs.append(_with_range(current, rule))
    return runs


def _with_range(run: list[Candidate], rule: StoryRule) -> tuple[str, str, list[Candidate]]:
    window = dt.timedelta(days=rule.window_days)
    first = dt.date.fromisoformat(run[0].date[:10]) - window  # type: ignore[index]
    last = dt.date.fromisoformat(run[-1].date[:10]) + window  # type: ignore[index]
    return first.isoformat(), last.isoformat() + "\uffff", run


def _link_pool(store: Store, pool: list[Candidate], vectors: np.ndarray, new_ids: set[int], rule: StoryRule,
               follows: dict[int, tuple[int | None, float]], switched: set[int], known: TermStatistics) -> None:
    """Link the new articles of one pool (the articles of a date range) in time order."""
    if not pool:
        return
    order = sorted(range(len(pool)), key=lambda i: _order(pool[i]))
    rank = np.empty(len(pool), dtype=np.int64)
    rank[order] = np.arange(len(pool))
    days = np.array([_day(c.date) for c in pool])  # type: ignore[arg-type]
    existing = np.array([c.id not in new_ids for c in pool])
    todo = [i for i in order if pool[i].id in new_ids]
    # The vector side first, for all of them: which pairs get their terms compared.
    earlier: dict[int, np.ndarray] = {}
    later: dict[int, np.ndarray] = {}
    for i in todo:
        near = np.abs(days - days[i]) <= rule.window_days
        likeness = vectors @ vectors[i]
        earlier[i] = _best(np.flatnonzero(near & (rank < rank[i])), likeness, rule.candidates)
        later[i] = _best(np.flatnonzero(near & (rank > rank[i]) & existing), likeness, rule.candidates)
    needed = {pool[j].id for i in todo for j in (i, *earlier[i], *later[i])}
    rows = [j for j in range(len(pool)) if pool[j].id in needed]
    words = _cosines(store.term_weights([pool[j].id for j in rows], rule.terms_chars, known), pool, rows, todo)
    current = store.story_rows(pool[j].id for i in todo for j in later[i])

    def likeness(i: int, j: int) -> float:
        return rule.terms_weight * words(i, j) + (1 - rule.terms_weight) * float(vectors[i] @ vectors[j])

    for i in todo:
        scored = sorted(((likeness(i, j), -rank[j], j) for j in earlier[i]), reverse=True)
        if scored and scored[0][0] >= rule.threshold:
            follows[pool[i].id] = (pool[scored[0][2]].id, round(scored[0][0], 6))
        else:
            follows[pool[i].id] = (None, 0.0)
        for j in later[i]:
            article_id = pool[j].id
            held = follows.get(article_id)
            if held is None and article_id in current:
                held = (current[article_id].follows, current[article_id].score)
            score = likeness(j, i)
            if score >= rule.threshold and (held is None or score > held[1]):
                follows[article_id] = (pool[i].id, round(score, 6))
                switched.add(article_id)


def _cosines(weights: dict[int, dict[str, float]], pool: list[Candidate], rows: list[int],
             todo: list[int]):  # noqa: ANN202
    """cosine(i, j) of the term weights of pool rows i and j: both among `rows`, one
    among `todo`."""
    from scipy.sparse import csr_matrix

    columns: dict[str, int] = {}
    data, indices, pointers = [], [], [0]
    for j in rows:
        for term, weight in weights.get(pool[j].id, {}).items():
            indices.append(columns.setdefault(term, len(columns)))
            data.append(weight)
        pointers.append(len(data))
    matrix = csr_matrix((np.array(data, dtype=np.float32), indices, pointers), shape=(len(rows), max(len(columns), 1)))
    where = {j: n for n, j in enumerate(rows)}
    first = {i: n for n, i in enumerate(todo)}
    products = (matrix[[where[i] for i in todo]] @ matrix.T).toarray()

    def cosine(i: int, j: int) -> float:
        return float(products[first[i], where[j]] if i in first else products[first[j], where[i]])
    return cosine


def _best(candidates: np.ndarray, likeness: np.ndarray, count: int) -> np.ndarray:
    if len(candidates) <= count:
        return candidates
    return candidates[np.argpartition(-likeness[candidates], count)[:count]]
