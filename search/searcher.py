"""Search an index: dense (FAISS), keyword (FTS5 BM25) or hybrid, with paragraph
hits rolled up to articles. Hybrid fuses five lists: dense and keyword search over
paragraphs; over whole articles (each article's mean vector; its full text); and over
leads (each article's first paragraph, which in news usually sums the story up)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..errors import FilterError
from ..index.linalg import unit_rows
from ..index.models.embedders import Embedder
from ..index.storage.rows import StoredArticle
from ..index.storage.store import Store
from ..index.storage.vectors import VectorIndex
from .feedback import FEEDBACK_ARTICLES, coverage_factor, expanded_query, is_short, query_words
from .filtered import Filtered
from .filters import Filter
from .recency import preferring_recent
from . import ties
from .fusion import FUSIONS, MODES, NORMALISE_OVER, fuse
from .keyword import article_keyword_search, keyword_search, query_terms, term_pattern, terms_covered

if TYPE_CHECKING:
    from .shapes import HitJSON

ARTICLE_LISTS = ("dense", "keyword", "lead")
PARAGRAPHS_PER_HIT = 2
MAX_RESULTS = 10_000  # per search: a result page, not an export
FEEDBACK = False  # whether short queries get a second, feedback pass by default (feedback.py)
COVERAGE = True  # whether short queries' articles are weighed by the share of their words they hold
SAME_STORY_SHOWN = 5  # other matching articles of a hit's story named with it


@dataclass
class ParagraphHit:
    id: int
    position: int  # 0 is the headline, 1 the first paragraph
    part: int
    text: str
    score: float


@dataclass
class Hit:
    """One article in the results, with the paragraphs that matched best."""

    rank: int
    score: float
    article: StoredArticle
    paragraphs: list[ParagraphHit]
    copies: list[StoredArticle] = field(default_factory=list)  # the same text published elsewhere
    story_id: int | None = None  # its story thread (index/stories.py); None before stories are computed
    story_size: int = 1  # articles in that story
    same_story: list[StoredArticle] = field(default_factory=list)  # other matches grouped under this hit

    def to_dict(self) -> HitJSON:
        # Imported here: the shapes import typing_extensions, which a plain-text query
        # never needs (benchmarks/cold_query.py).
        from .shapes import copy_json

        a = self.article
        return {
            "rank": self.rank, "score": round(self.score, 6), "id": a.id, "doc_id": a.doc_id,
            "title": a.title, "date": a.date, "source": a.source, "url": a.url, "author": a.author,
            "place": a.place, "agency": a.agency,
            "path": a.path,
            "paragraphs": [{"id": p.id, "position": p.position, "part": p.part, "score": round(p.score, 6),
                            "text": p.text} for p in self.paragraphs],
            "also_published_by": [copy_json(c) for c in self.copies],
            "story_id": self.story_id, "story_size": self.story_size,
            "same_story": [copy_json(c) for c in self.same_story],
        }


@dataclass
class _Ranked:
    """Candidates of one retriever, best first: (paragraph id, article id, score)."""

    paragraphs: list[tuple[int, int, float]]

    def articles(self) -> list[int]:
        order: list[int] = []
        seen: set[int] = set()
        for _, article_id, _ in self.paragraphs:
            if article_id not in seen:
                seen.add(article_id)
                order.append(article_id)
        return order


class _SideLists(NamedTuple):
    """Hybrid mode's keyword paragraphs, and its whole-article lists by name."""

    keyword: _Ranked
    articles: dict[str, list[tuple[int, float]]]


_workers: dict[int, ThreadPoolExecutor] = {}
_workers_lock = threading.Lock()


class _InFlight:
    """How many searches this process is running: a search that has the machine to
    itself ranks its keyword lists on a second thread; one among others runs them on
    its own thread, since the other cores are busy with the other searches and handing
    work between threads only adds to what each costs (benchmarks/serve_load.py)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __enter__(self) -> int:
        with self._lock:
            self.count += 1
            return self.count

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.count -= 1


_in_flight = _InFlight()


def _background() -> ThreadPoolExecutor:
    """The threads that rank hybrid mode's side lists, one pool per process (a forked
    child does not inherit the parent's threads, so it gets its own)."""
    pid = os.getpid()
    with _workers_lock:
        if pid not in _workers:
            _workers.clear()
            # One per core: a server's concurrent searches each need one (a single
            # worker would make them take turns).
            _workers[pid] = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="newssearch-search")
        return _workers[pid]


class Searcher:
    def __init__(self, store: Store, vectors: VectorIndex, article_vectors: VectorIndex, lead_vectors: VectorIndex,
                 embedder: Callable[[], Embedder], keyword_store: Store | None = None, parallel: bool = True):
        """`keyword_store`: a second connection to the same database for the keyword
        lists, so that their SQL, ranked on another thread, does not hold up this one's.
        `parallel`: whether a search alone in this process may use that second thread
        (False in a server with a process per core, where each search keeps to one)."""
        self.parallel = parallel
        self.store = store
        self.keyword_store = keyword_store or store
        self.vectors = vectors
        self.article_vectors = article_vectors
        self.lead_vectors = lead_vectors
        self._embedder = embedder

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        return unit_rows(self._embedder().embed(queries))

    def search(self, query: str, k: int = 10, mode: str = "hybrid", where: Filter | None = None,
               query_vector: np.ndarray | None = None, fusion: str = "scores",
               article_lists: tuple[str, ...] = ARTICLE_LISTS, feedback: bool | None = None,
               coverage: bool | None = None, group: bool = True, recent: float | None = None) -> list[Hit]:
        """The k best articles. Hybrid mode fuses its lists by relative scores
        (default) or reciprocal ranks (fusion="rrf"); `article_lists` chooses which
        whole-article lists join the paragraph ones (for measuring what each adds);
        `feedback` searches a short query's dense lists again and `coverage` weighs a
        short query's articles by the share of its words they hold (feedback.py; None:
        the defaults, FEEDBACK and COVERAGE). With `group` (the default) the k hits are
        k stories: an article whose story already has a better hit is listed under it.
        `recent` (days): newer articles preferred, a score halving every that many days
        before the archive's newest date (recency.py)."""
        if mode not in MODES:
            raise FilterError(f"unknown search mode '{mode}' (choose from {', '.join(MODES)})")
        if fusion not in FUSIONS:
            raise FilterError(f"unknown fusion '{fusion}' (choose from {', '.join(FUSIONS)})")
        if set(article_lists) - set(ARTICLE_LISTS):
            raise FilterError(f"unknown article lists {sorted(set(article_lists) - set(ARTICLE_LISTS))} "
                              f"(choose from {', '.join(ARTICLE_LISTS)})")
        if k < 1:
            raise FilterError("the number of results must be at least 1")
        if k > MAX_RESULTS:
            raise FilterError(f"the number of results must be at most {MAX_RESULTS:,}")
        if not query_terms(query):
            raise FilterError("the query has no words to search for")
        with _in_flight as running:
            return self._search(query, k, mode, where or Filter(), query_vector, fusion, article_lists, feedback,
                                coverage, group, recent, alone=running == 1 and self.parallel)

    def _search(self, query: str, k: int, mode: str, where: Filter, query_vector: np.ndarray | None, fusion: str,
                article_lists: tuple[str, ...], feedback: bool | None, coverage: bool | None, group: bool,
                recent: float | None, alone: bool) -> list[Hit]:
        depth = max(10 * k, 100)
        side: Future[_SideLists] | None = None
        vector_ready: Future[np.ndarray] = Future()
        article_vectors = threading.Lock()  # taken by the thread that searches the article vectors
        allowed = Filtered(self.store, where, len(self.article_vectors)) if where.active else None
        if mode == "hybrid" and alone:
            # The keyword lists need no query vector: SQLite ranks them on the other core
            # (it releases the GIL) while this thread embeds the query. The article
            # vectors are searched by whichever thread is free first.
            side = _background().submit(self._side_lists, query, depth, where, allowed, article_lists,
                                        vector_ready, article_vectors)
        try:
            dense = None
            by_name: dict[str, list[tuple[int, float]]] = {}
            if mode != "keyword":
                if query_vector is None:
                    query_vector = self.embed_queries([query])[0]
                vector_ready.set_result(query_vector)
                dense = self._dense_paragraphs(query_vector, depth, allowed)
                if mode == "hybrid" and article_vectors.acquire(blocking=False):
                    by_name = self._article_vector_lists(query_vector, allowed, article_lists, self.store)
        finally:
            vector_ready.cancel()  # unless set: the other thread stops waiting for it
            if side is not None:
                wait([side])  # no search work outlives this call
        keyword, articles = None, []
        if mode == "hybrid":
            keyword, more = side.result() if side is not None else self._side_lists(
                query, depth, where, allowed, article_lists, vector_ready, article_vectors)
            by_name.update(more)
            articles = [by_name[name] for name in article_lists]
        lists = self._retrieve(query, mode, depth, where, allowed, query_vector, dense, keyword)
        total = allowed.bound(len(self.vectors)) if allowed is not None else len(self.vectors)
        # A filter, or one article with many matching paragraphs, can leave fewer than
        # k articles in a list cut at `depth`: look deeper.
        while depth < total and not all(len(r.articles()) >= k or len(r.paragraphs) < depth for r in lists):
            depth *= 4
            lists = self._retrieve(query, mode, depth, where, allowed, query_vector)
        short = mode == "hybrid" and is_short(query)
        if short and (FEEDBACK if feedback is None else feedback):
            lists, articles = self._second_pass(query_vector, lists, articles, article_lists, fusion, depth,
                                                allowed)
        covered = short and (COVERAGE if coverage is None else coverage)
        hits = self._fuse(lists, articles, k, fusion, query, mode, covered, group, recent)
        # Grouped, the lists' articles may hold fewer than k stories: look deeper.
        while group and len(hits) < k and depth < total and any(len(r.paragraphs) >= depth for r in lists):
            depth *= 4
            lists = self._retrieve(query, mode, depth, where, allowed, query_vector)
            hits = self._fuse(lists, articles, k, fusion, query, mode, covered, group, recent)
        return hits

    def _second_pass(self, query_vector: np.ndarray, lists: list[_Ranked], articles: list[list[tuple[int, float]]],
                     names: tuple[str, ...], fusion: str, depth: int,
                     allowed: Filtered | None) -> tuple[list[_Ranked], list[list[tuple[int, float]]]]:
        """The dense lists searched again with the query moved toward its best articles."""
        _, scores = fuse([r.paragraphs for r in lists], articles, fusion)
        candidates = list({a for ranked in lists for a in ranked.articles()})
        order = self.store.article_order(candidates)
        best = sorted(candidates, key=lambda a: (-scores[a], order.get(a, "")))[:FEEDBACK_ARTICLES]
        _, vectors = self.store.article_vectors_of(best)
        moved = expanded_query(query_vector, vectors)
        by_name = self._article_vector_lists(moved, allowed, names, self.store)
        articles = [by_name.get(name, old) for name, old in zip(names, articles)]
        return [self._dense_paragraphs(moved, depth, allowed), *lists[1:]], articles

    def _side_lists(self, query: str, depth: int, where: Filter, allowed: Filtered | None, names: tuple[str, ...],
                    query_vector: Future[np.ndarray], article_vectors: threading.Lock) -> _SideLists:
        """Hybrid mode's keyword lists (paragraphs; whole articles, by name), and the
        article vector lists unless the other thread took them, on the keyword connection."""
        store = self.keyword_store
        paragraphs = self._keyword_paragraphs(query, depth, where)
        articles: dict[str, list[tuple[int, float]]] = {}
        if "keyword" in names:
            articles["keyword"] = ties.top(lambda n: article_keyword_search(store, query, n, where), NORMALISE_OVER,
                                           store.article_order)
        if article_vectors.acquire(blocking=False):
            articles.update(self._article_vector_lists(query_vector.result(), allowed, names, store))
        return _SideLists(paragraphs, articles)

    def _article_vector_lists(self, query_vector: np.ndarray, allowed: Filtered | None, names: tuple[str, ...],
                              store: Store) -> dict[str, list[tuple[int, float]]]:
        """The whole-article vector lists by name (each article's mean vector; its lead):
        (article id, score), best first, within the filter."""
        indexes = {"dense": self.article_vectors, "lead": self.lead_vectors}
        wanted = [name for name in names if name in indexes]
        ids = allowed.articles if allowed is not None and wanted else None
        return {name: ties.top(lambda n, index=indexes[name]: index.search(query_vector, n, ids),
                               NORMALISE_OVER, store.article_order) for name in wanted}

    def _keyword_paragraphs(self, query: str, depth: int, where: Filter) -> _Ranked:
        store = self.keyword_store
        return _Ranked(ties.top(lambda n: keyword_search(store, query, n, where), depth, store.paragraph_order))

    def _dense_paragraphs(self, query_vector: np.ndarray, depth: int, allowed: Filtered | None) -> _Ranked:
        def fetch(n: int) -> list[tuple[int, float]]:
            if allowed is None:
                return self.vectors.search(query_vector, n)
            return allowed.search(self.vectors, query_vector, n)

        dense = ties.top(fetch, depth, self.store.paragraph_order)
        owners = self.store.paragraph_article_ids([pid for pid, _ in dense])
        return _Ranked([(pid, owners[pid], score) for pid, score in dense if pid in owners])

    def _retrieve(self, query: str, mode: str, depth: int, where: Filter, allowed: Filtered | None,
                  query_vector: np.ndarray | None, dense: _Ranked | None = None,
                  keyword: _Ranked | None = None) -> list[_Ranked]:
        """The mode's paragraph lists cut at `depth`: dense, then keyword (each one given
        is used as it is: the first pass ranks them on two threads)."""
        lists = []
        if mode in ("hybrid", "semantic"):
            lists.append(dense if dense is not None else self._dense_paragraphs(query_vector, depth, allowed))
        if mode in ("hybrid", "keyword"):
            lists.append(keyword if keyword is not None else self._keyword_paragraphs(query, depth, where))
        return lists

    def _covered(self, query: str, scores: dict[int, float], candidates: list[int], k: int) -> dict[int, float]:
        """Candidates' scores scaled by the share of the query's words each holds. Only
        those that can still reach the top k are looked at: scaling keeps at least
        coverage_factor(0) of a score, so nothing below that share of the k-th best
        can climb past the k that are scaled."""
        words = query_words(query)
        if not words:
            return scores
        ranked = sorted(candidates, key=lambda a: -scores[a])
        floor = coverage_factor(0.0) * scores[ranked[min(k, len(ranked)) - 1]] if ranked else 0.0
        contenders = [a for a in ranked if scores[a] >= floor]
        held = dict.fromkeys(contenders, 0)
        for variants in words:
            for article_id in self.store.articles_containing(variants, contenders):
                held[article_id] += 1
        return {**scores, **{a: scores[a] * coverage_factor(held[a] / len(words)) for a in contenders}}

    def _fuse(self, lists: list[_Ranked], article_lists: list[list[tuple[int, float]]], k: int,
              fusion: str, query: str, mode: str, covered: bool = False, group: bool = False,
              recent: float | None = None) -> list[Hit]:
        paragraph_scores, article_scores = fuse([r.paragraphs for r in lists], article_lists, fusion)
        if covered:
            article_scores = self._covered(query, article_scores, list({a for r in lists for a in r.articles()}), k)
        # Only articles with a matching paragraph are hits: the article-level list adds
        # evidence about them, not new results without a paragraph to show.
        if recent is not None:
            article_scores = preferring_recent(self.store, article_scores, recent)
        candidates = sorted({a for ranked in lists for a in ranked.articles()}, key=lambda a: -article_scores[a])
        stories = self.store.stories_of(candidates) if group else {}
        cut = _cut(candidates, stories, k)
        if len(candidates) > cut:  # keep every article tied with the last one kept: ties are broken below
            candidates = [a for a in candidates if article_scores[a] >= article_scores[candidates[cut - 1]]]
        articles = self.store.articles(candidates)
        # Equal scores are ordered by article key, not row id, so a rebuilt index ranks
        # exactly as the original did.
        ranked = sorted((a for a in candidates if a in articles), key=lambda a: (-article_scores[a], articles[a].key))
        top, grouped = group_by_story(ranked, stories, k)
        if not group:
            stories = self.store.stories_of(top)
        owners: dict[int, list[int]] = {a: [] for a in top}
        for ranked in lists:
            for pid, article_id, _ in ranked.paragraphs:
                if article_id in owners and pid not in owners[article_id]:
                    owners[article_id].append(pid)
        texts = self.store.paragraphs([p for pids in owners.values() for p in pids])
        # Like a snippet: show first the paragraphs that contain more of the query's
        # words (ties, and semantic mode, by score).
        pattern = term_pattern(query) if mode != "semantic" else None
        coverage = {p: terms_covered(texts[p].text, pattern) for pids in owners.values() if len(pids) > 1
                    for p in pids if p in texts}
        copies = self.store.copies_of(top)
        hits = []
        for rank, article_id in enumerate(top, start=1):
            ordered = sorted((p for p in owners[article_id] if p in texts),
                             key=lambda p: (-coverage.get(p, 0), -paragraph_scores[p], texts[p].position, texts[p].part))
            # The headline is already shown as the title: show body paragraphs when any matched.
            shown = [p for p in ordered if texts[p].position != 0][:PARAGRAPHS_PER_HIT] or ordered[:1]
            paragraphs = [ParagraphHit(p, texts[p].position, texts[p].part, texts[p].text, paragraph_scores[p])
                          for p in shown]
            story_id, story_size = stories.get(article_id, (None, 1))
            hits.append(Hit(rank, article_scores[article_id], articles[article_id], paragraphs,
                            copies.get(article_id, []), story_id, story_size,
                            [articles[a] for a in grouped.get(article_id, [])[:SAME_STORY_SHOWN]]))
        return hits


def _cut(candidates: list[int], stories: dict[int, tuple[int, int]], k: int) -> int:
    """How many of the candidates (best first) hold the k best stories (articles
    without a story each count as one)."""
    seen: set[object] = set()
    for n, article_id in enumerate(candidates):
        seen.add(stories[article_id][0] if article_id in stories else ("article", article_id))
        if len(seen) == k:
            return n + 1
    return len(candidates)


def group_by_story(ranked: list[int], stories: dict[int, tuple[int, int]],
                   k: int) -> tuple[list[int], dict[int, list[int]]]:
    """The first k articles of distinct stories, and under each the other articles of
    its story among `ranked`."""
    top: list[int] = []
    lead: dict[int, int] = {}  # story id -> its hit
    grouped: dict[int, list[int]] = {}
    for article_id in ranked:
        story = stories.get(article_id)
        if story is not None and story[0] in lead:
            grouped[lead[story[0]]].append(article_id)
            continue
        if len(top) == k:
            continue
        top.append(article_id)
        grouped[article_id] = []
        if story is not None:
            lead[story[0]] = article_id
    return top, grouped
