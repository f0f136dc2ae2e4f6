"""`Archive`: the library's front door. One index directory holds an SQLite database
(the source of truth) and a FAISS file derived from it."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    ArticleNotFoundError,
    IndexBusyError,
    FilterError,
    IndexFormatError,
    IndexNotFoundError,
    IndexWriteError,
    InputError,
    ModelMismatchError,
)
from .index.models.loading import ArchiveModels
from .index.models.embedders import Embedder, default_model_name, same_model
from .index.storage.locations import DATABASE_NAME, INDEX_ENV, STDIN, default_index_dir  # noqa: F401 - part of this module's API
from .index.storage.lock import WriteLock
from .index.paragraphs import PARAGRAPHING_VERSION
from .index.models.precision import resolve_precision
from .index.report import IndexReport, Progress
from .index.storage.rows import Paragraph, StoredArticle
from .index.storage.store import Store
from .index.storage.derived import DerivedFile, DerivedFiles
from .index.storage.keywords import FOLDER as KEYWORD_FOLDER
from .index.storage.keywords import KeywordIndex, KeywordIndexError, remove_folder
from .index.storage.vector_files import ARTICLE_FILE, LEAD_FILE, PARAGRAPH_FILE, VECTOR_FILES
from .index.storage.vectors import VectorIndex
from .search.filters import Filter
from .search.recency import half_life_days
from .search.searcher import MAX_RESULTS, Hit, Searcher
from .search.story import Similar, Story, similar, story_of

if TYPE_CHECKING:
    from .index.storage.checks import CheckReport
    from .search.timeline import Timeline
    from .index.formats.records import ReadOptions

FORMAT_VERSION = 1
# How often (seconds) a long index run brings the keyword index up to date, so that
# searches meanwhile, which leave out the articles noted since, miss little.
KEYWORDS_EVERY = 600.0
SORTS = ("relevance", "newest", "oldest")


def check_sources(paths: Sequence[str | os.PathLike]) -> None:
    """InputError unless every path given to `index` exists (or is `-`, stdin)."""
    for path in paths:
        try:
            found = str(path) == STDIN or Path(path).expanduser().exists()
        except OSError as error:
            raise InputError(f"cannot reach {path}: {error.strerror}") from None
        if not found:
            raise InputError(f"path not found: {path}")


def version() -> str:
    """The installed newssearch's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newssearch")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


class Reading:
    """Searching and reading, over whatever `store`, `searcher()` and `article_vectors`
    a subclass reads: one index folder (`Archive`) or several as one (`Archives`)."""

    directory: Path
    store: Any  # Store, or UnionStore
    article_vectors: Any  # VectorIndex, or UnionVectors

    def searcher(self) -> Searcher:
        raise NotImplementedError

    def start_loading_query_embedder(self) -> None:
        raise NotImplementedError

    def search(self, query: str, k: int = 10, mode: str = "hybrid", since: str | None = None,
               until: str | None = None, sources: Sequence[str] | str | None = None, fusion: str = "scores",
               sort: str = "relevance", group: bool = True, recent: str | float | None = None,
               places: Sequence[str] | str | None = None) -> list[Hit]:
        """The k best articles for `query`, each with its best paragraphs.

        mode: "hybrid" (dense + keyword), "semantic" (dense only) or "keyword" (BM25).
        since/until: ISO dates, inclusive; sources: substrings of the source name;
        places: substrings of the place in the article's dateline.
        fusion: how hybrid mode combines its two lists, "scores" or "rrf".
        sort: "relevance", or "newest"/"oldest": the articles about the query (the rule
        `timeline` counts by) in date order, undated ones last.
        group: one hit per story thread (the story's best match; the others listed
        under it). recent: a half-life ('30d', '2w', '6m', or days) that prefers newer
        articles (search/recency.py)."""
        where = Filter.parse(since, until, sources, places)
        half_life = half_life_days(str(recent)) if recent is not None else None
        if sort not in SORTS:
            raise FilterError(f"unknown sort '{sort}' (choose from {', '.join(SORTS)})")
        if not self.store.has_paragraphs():
            return []
        if mode != "keyword":
            self.start_loading_query_embedder()
        if sort == "relevance":
            return self.searcher().search(query, k=k, mode=mode, where=where, fusion=fusion, group=group,
                                          recent=half_life)
        from .search.timeline import POOL, in_date_order, one_per_story

        hits = self.searcher().search(query, k=max(k, POOL), mode=mode, where=where, fusion=fusion, group=False)
        hits = in_date_order(hits, newest_first=sort == "newest")
        return (one_per_story(hits) if group else hits)[:k]

    def facets(self, query: str, mode: str = "hybrid", since: str | None = None, until: str | None = None,
               sources: Sequence[str] | str | None = None,
               places: Sequence[str] | str | None = None) -> dict[str, dict[str, int]]:
        """How many articles about `query` (the rule `timeline` counts by) each source
        and each month has: {"source": {...}, "month": {...}}, largest first."""
        from .search.timeline import POOL, facet_counts

        return facet_counts(self.search(query, k=POOL, mode=mode, since=since, until=until, sources=sources,
                                        group=False, places=places))

    def timeline(self, query: str, by: str = "month", since: str | None = None, until: str | None = None,
                 sources: Sequence[str] | str | None = None, places: Sequence[str] | str | None = None) -> Timeline:
        """How many articles about `query` appeared per day, week or month (search/timeline.py)."""
        from .search.timeline import POOL, build

        where = Filter.parse(since, until, sources)
        hits = self.search(query, k=POOL, since=since, until=until, sources=sources, group=False, places=places)
        return build(query, hits, by, where.since, where.until)

    def article(self, identifier: str | int) -> tuple[StoredArticle, list[Paragraph]]:
        """An article and its paragraphs, by numeric id or by its own document id."""
        found = self._find(identifier)
        return found, self.store.article_paragraphs(found.id)

    def _find(self, identifier: str | int) -> StoredArticle:
        found: StoredArticle | None = None
        text = str(identifier).strip()
        if text.isascii() and text.isdigit() and int(text) < 2**63:  # SQLite's largest row id
            found = self.store.article(int(text))
        if found is None:
            matches = self.store.articles_by_doc_id(text)
            found = matches[0] if matches else None
        if found is None:
            raise ArticleNotFoundError(f"no article with id '{identifier}' in {self.directory}")
        return found

    def story(self, identifier: str | int) -> Story:
        """The story thread an article is in: its articles in time order, the first
        report first (search/story.py)."""
        return story_of(self.store, self._find(identifier))

    def similar(self, identifier: str | int, k: int = 10) -> list[Similar]:
        """The k articles most like this one, one per story, other stories than its own."""
        if k < 1 or k > MAX_RESULTS:
            raise FilterError(f"the number of results must be from 1 to {MAX_RESULTS:,}")
        return similar(self.store, self.article_vectors, self._find(identifier), k)


class Archive(Reading):
    """A searchable news archive stored in one index directory."""

    def __init__(self, directory: Path, store: Store, model: str, embedder: Embedder | None = None):
        self.directory = directory
        self.store = store
        self.model_name = model
        self.models = ArchiveModels(directory, model, store, embedder)
        self.notices: list[str] = self.models.notices
        self._vectors: VectorIndex | None = None
        self._article_vectors: VectorIndex | None = None
        self._lead_vectors: VectorIndex | None = None
        self._keyword_store: Store | None = None
        self._keywords: KeywordIndex | None = None
        self._keywords_checked = False
        self._keywords_behind = False  # opened while a writer works (Candidates.keywords_behind)
        self._lock = WriteLock(directory)
        self._derived: DerivedFiles | None = None
        self._loaded_generation: int | None = None
        # Whether a search alone in this process may rank its keyword lists on a second
        # thread: faster alone, but a server with a process per core turns it off, since
        # there each core has searches of its own to run.
        self.parallel_search = True

    # opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: str | os.PathLike | None = None, model: str | None = None,
             create: bool = False, embedder: Embedder | None = None) -> Archive:
        """Open the index at `directory` (default: see `default_index_dir`).

        With create=True a missing index is created (for the model given, or the
        default). A `model` that differs from the one the index was built with is an
        error, since its vectors would not be comparable.
        """
        folder = Path(directory).expanduser() if directory else default_index_dir()
        database = folder / DATABASE_NAME
        try:
            present = database.exists()
            if not present and create and folder.exists() and not folder.is_dir():
                raise InputError(f"index location is not a folder: {folder}")
        except OSError as error:  # a folder above it cannot be read
            raise InputError(f"cannot reach the index at {folder}: {error.strerror}") from None
        if not present:
            if not create:
                raise IndexNotFoundError(f"no index at {folder}; run 'newssearch index PATH' first")
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise InputError(f"cannot create index folder {folder}: {error.strerror}") from None
        store = Store(database)
        settings = store.settings()
        stored_model = settings.get("model")
        if stored_model and model and not same_model(stored_model, model):
            store.close()
            raise ModelMismatchError(
                f"the index at {folder} was built with model '{stored_model}', not '{model}'; "
                f"use --model {stored_model}, or another --index for the new model"
            )
        if settings.get("format_version", FORMAT_VERSION) > FORMAT_VERSION:
            store.close()
            raise IndexFormatError(f"the index at {folder} was written by a newer newssearch; upgrade to read it")
        return cls(folder, store, stored_model or model or (embedder.name if embedder else default_model_name()),
                   embedder)

    def close(self) -> None:
        self.store.close()
        if self._keyword_store is not None:
            self._keyword_store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        """The model that embeds articles (loaded when first needed)."""
        return self.models.embedder

    @property
    def query_embedder(self) -> Embedder:
        """What embeds queries: the index's light ONNX copy of its model when it has a
        valid one (no torch import), else the model itself."""
        return self.models.query_embedder

    def start_loading_query_embedder(self) -> None:
        """Start loading the light query model in a background thread, so that it
        overlaps with opening the vector indexes; `query_embedder` waits for it."""
        self.models.start_loading_query()

    def _ensure_query_model(self) -> None:
        self.models.ensure_light_model()

    @property
    def settings(self) -> dict[str, Any]:
        return self.store.settings()

    def refresh(self) -> None:
        """Let go of the vector indexes loaded for data that a writer has changed since
        (a long-lived reader, such as the web server, calls this before each search;
        the next search loads them for the data as committed now)."""
        generation = self.store.generation()
        if generation != self._loaded_generation:
            self._vectors = self._article_vectors = self._lead_vectors = None
            self._loaded_generation = generation
            self._keywords, self._keywords_checked = None, False
        elif (self._keywords_checked and (self._keywords is None or self._keywords_behind)
              and not self.store.keyword_changes_pending()):  # a writer has brought it up to date since
            self._keywords = self._open_keywords(may_write=False)

    @property
    def keywords(self) -> KeywordIndex | None:
        """The keyword index (index/storage/keywords.py) when it holds what SQLite holds
        now, brought up to date first where this process may write. While a writer is at
        work, the index as of its last update, the articles noted since left out of what
        it finds (until the writer's run ends their keyword matches are missing; the dense
        lists find them). None when it cannot be read or brought up to date (a read-only
        index without one): keyword lists then come from FTS5."""
        if not self._keywords_checked:
            self._keywords_checked = True
            self._keywords = self._open_keywords(may_write=self._may_save_derived())
        return self._keywords

    def _open_keywords(self, may_write: bool) -> KeywordIndex | None:
        self._keywords_behind = False
        keywords: KeywordIndex | None = None
        try:
            keywords = KeywordIndex.open(self.directory / KEYWORD_FOLDER)
            if keywords.current(self.store):
                return keywords
        except KeywordIndexError:
            keywords = None
        if not may_write:
            # A writer at work (or one stopped before updating it): the index as of its last
            # update, less the articles noted since; FTS5 when there is none to read.
            self._keywords_behind = (keywords is not None and self.store.keyword_changes_pending()
                                     and keywords.readable_behind(self.store))
            return keywords if self._keywords_behind else None
        if not self.store.has_paragraphs():
            return None
        try:
            with self._lock:
                return self._update_keywords(keywords)
        except (IndexBusyError, IndexWriteError):  # a writer started meanwhile: it brings the index up to date
            return None

    def _update_keywords(self, keywords: KeywordIndex | None = None, rebuild: bool = False) -> KeywordIndex | None:
        """Bring the keyword index up to the committed data (the write lock is held); a
        folder that cannot be opened is built anew. None, with a notice, on failure."""
        folder = self.directory / KEYWORD_FOLDER
        try:
            if keywords is None:
                try:
                    keywords = KeywordIndex.open(folder, create=True)
                except KeywordIndexError:
                    remove_folder(folder)
                    keywords = KeywordIndex.open(folder, create=True)
            keywords.bring_up_to_date(self.store, rebuild=rebuild)
            return keywords
        except (KeywordIndexError, OSError, ValueError, sqlite3.DatabaseError) as error:
            self.notices.append(f"could not update the keyword index ({error}); keyword lists come from SQLite's FTS5")
            return None

    @property
    def derived(self) -> DerivedFiles:
        """The index folder's files derived from SQLite (index/storage/derived.py)."""
        if self._derived is None:
            self._derived = DerivedFiles(self.directory, self.store, self.notices, self._may_save_derived)
        return self._derived

    def _may_save_derived(self) -> bool:
        return not self.store.readonly and not self._lock.held_elsewhere()  # a writer saves its own when done

    def _vector_file(self, file: DerivedFile[VectorIndex]) -> VectorIndex:
        if self.settings.get("dimension") is None:  # nothing indexed yet
            return VectorIndex(self.embedder.dimension)
        return self.derived.open(file)

    @property
    def vectors(self) -> VectorIndex:
        """The paragraph vectors' FAISS index, loaded from its file, or rebuilt from
        SQLite when the file is missing or does not match the committed data."""
        if self._vectors is None:
            self._vectors = self._exact_from_store(self._vector_file(PARAGRAPH_FILE))
        return self._vectors

    def _exact_from_store(self, vectors: VectorIndex) -> VectorIndex:
        """A compressed index re-scores its candidates with the vectors SQLite holds."""
        vectors.exact_vectors = functools.partial(self.store.paragraph_vectors_of, dimension=vectors.dimension)
        return vectors

    @property
    def article_vectors(self) -> VectorIndex:
        """Article vectors (mean of each article's paragraph vectors), by article id."""
        if self._article_vectors is None:
            self._article_vectors = self._vector_file(ARTICLE_FILE)
        return self._article_vectors

    @property
    def lead_vectors(self) -> VectorIndex:
        """Each article's lead paragraph vector, by article id."""
        if self._lead_vectors is None:
            self._lead_vectors = self._vector_file(LEAD_FILE)
        return self._lead_vectors

    # indexing ---------------------------------------------------------------------------
    def index(self, paths: Sequence[str | os.PathLike], progress: Progress | None = None,
              read_options: ReadOptions | None = None, precision: str | None = None,
              ray: str | None = None) -> IndexReport:
        """Add new and changed articles from files and folders (`-`: JSON Lines on stdin),
        and remove those whose files are gone from the folders given. `read_options`
        names the fields of tables and JSON records; `precision` (auto, fp32, bf16) the
        number format the model computes in (index/models/precision.py); `ray` the
        address of a Ray cluster to embed on ("auto", "local" or host:port;
        index/cluster.py), None to embed in this process."""
        if not paths:
            raise InputError("nothing to index: give one or more files or folders")
        if precision is not None:
            chosen = resolve_precision(precision)
            if inspect.getattr_static(self.embedder, "precision", None) is not None:  # without measuring "auto"
                self.embedder.precision = chosen
        check_sources(paths)
        from .index.indexer import Indexer  # reading files and splitting text: not needed to search

        self._refuse_if_read_only()
        embedder = lambda: self.embedder  # noqa: E731 - loaded only when something needs embedding
        if ray is not None:
            from .index.cluster import on_cluster

            remote = on_cluster(self.embedder, ray)
            embedder = lambda: remote  # noqa: E731

        with self._lock:
            try:
                self._record_model()
                self._vectors = None  # another writer may have changed the data since this archive was opened
                indexer = Indexer(self.store, self.vectors, embedder, progress, read_options,
                                  pipelined=ray is not None, committed=self._keywords_catch_up())
                report = indexer.run(paths)
                if self.vectors.needs_rebuild():  # outgrew its IVF lists, or shrank below the switch point
                    self._vectors = self._exact_from_store(PARAGRAPH_FILE.build(self.store))
            except (sqlite3.DatabaseError, OSError) as error:
                raise IndexWriteError(f"cannot write to the index at {self.directory} ({error}); the batch in "
                                      "progress was rolled back and everything committed before it is kept") from None
            self.derived.save(PARAGRAPH_FILE, self.vectors, self.store.generation())
            self._refresh_derived_vectors()
            self._keywords, self._keywords_checked = self._update_keywords(self._keywords), True
            try:
                self._ensure_query_model()
            except (OSError, sqlite3.DatabaseError) as error:
                raise IndexWriteError(f"cannot write the light query model to {self.directory} ({error}); "
                                      "everything indexed is kept, and the next index run writes it") from None
        return report

    def _keywords_catch_up(self) -> Callable[[], None]:
        """What an index run calls after each batch it commits: every KEYWORDS_EVERY
        seconds, the keyword index brought up to date with the batches so far."""
        last = time.monotonic()

        def committed() -> None:
            nonlocal last
            if time.monotonic() - last >= KEYWORDS_EVERY:
                self._keywords, self._keywords_checked = self._update_keywords(self._keywords), True
                last = time.monotonic()

        return committed

    def _refresh_derived_vectors(self) -> None:
        """Bring the article and lead vector files up to the data just written (each is
        loaded as it is when its recorded generation still holds, else rebuilt and saved)."""
        self._article_vectors = self._lead_vectors = None
        _ = self.article_vectors, self.lead_vectors

    def _refuse_if_read_only(self) -> None:
        if self.store.readonly:
            raise IndexWriteError(f"the index at {self.directory} is read-only here (no write permission or a "
                                  "read-only file system); it can be searched but not changed")

    def _record_model(self) -> None:
        settings = self.settings
        if "model" in settings:
            return
        embedder = self.embedder
        self.store.set_settings({
            "format_version": FORMAT_VERSION,
            "model": embedder.name,
            "dimension": embedder.dimension,
            "normalized": True,
            "metric": "cosine (inner product of L2-normalised vectors)",
            "max_tokens": embedder.max_tokens,
            "paragraphing_version": PARAGRAPHING_VERSION,
            "created_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_by": f"newssearch {version()}",
            "data_generation": 0,
        })

    # searching --------------------------------------------------------------------------
    def searcher(self) -> Searcher:
        return Searcher(self.store, self.vectors, self.article_vectors, self.lead_vectors,
                        lambda: self.query_embedder, self._keyword_reader(), self.parallel_search)

    def _keyword_reader(self) -> Store:
        """The second connection the keyword lists are ranked on, and on which side of
        the keyword index they are (both connections are told)."""
        if self._keyword_store is None:
            self._keyword_store = Store(self.store.path, readonly=True)
        self.store.keywords = self._keyword_store.keywords = self.keywords
        self.store.keywords_behind = self._keyword_store.keywords_behind = self._keywords_behind
        return self._keyword_store

    def stats(self) -> dict[str, Any]:
        settings = self.settings
        counts = self.store.counts()
        first, last = self.store.date_range()
        size = sum(f.stat().st_size for f in self.directory.rglob("*") if f.is_file())
        return {
            "index": str(self.directory),
            **counts,
            "first_date": first,
            "last_date": last,
            "model": settings.get("model"),
            "dimension": settings.get("dimension"),
            "normalized": settings.get("normalized"),
            "created_at": settings.get("created_at"),
            "keyword_index": self.keyword_index_state(),
            "size_bytes": size,
        }

    def keyword_index_state(self) -> str:
        """"current", "behind (N articles to rewrite)", "out of date" or "missing"; changes nothing."""
        try:
            keywords = KeywordIndex.open(self.directory / KEYWORD_FOLDER)
        except KeywordIndexError:
            return "missing"
        if keywords.current(self.store):
            return "current"
        pending = self.store.db.execute("SELECT count(*) FROM keyword_pending").fetchone()[0]
        return f"behind ({pending:,} articles to rewrite)" if pending else "out of date"

    # checking -----------------------------------------------------------------------------
    def check(self, repair: bool = False) -> dict[str, Any]:
        """Verify the index's invariants; with repair=True fix what can be fixed from
        SQLite (no re-embedding) and check again."""
        from .index.storage.checks import CheckReport, repair as repair_index

        dimension = self.settings.get("dimension")
        if dimension is None:
            return CheckReport().to_dict()
        report = self._check(dimension)
        if repair and not report.ok:
            self._refuse_if_read_only()
            with self._lock:
                done = repair_index(self.store, dimension)
                for file in VECTOR_FILES:
                    self.derived.rebuild(file)
                self._vectors = self._article_vectors = self._lead_vectors = None
                done.append("rebuilt the FAISS files from the stored vectors")
                self._keywords = self._update_keywords(rebuild=True)
                self._keywords_checked = True
                if self._keywords is not None:
                    done.append("rebuilt the keyword index from the stored text")
            report = self._check(dimension)
            report.repaired = done
        return report.to_dict()

    def _check(self, dimension: int) -> CheckReport:
        from .index.storage.checks import check

        report = check(self.store)
        for file in VECTOR_FILES:
            report.problems.extend(self.derived.problems(file))
        report.problems.extend(self._keyword_problems())
        return report

    def _keyword_problems(self) -> list[str]:
        """A keyword index recorded as current must hold exactly SQLite's paragraphs and
        articles; one that is behind (pending notes) is brought up to date when opened."""
        try:
            keywords = KeywordIndex.open(self.directory / KEYWORD_FOLDER)
        except KeywordIndexError:
            return []
        return keywords.problems(self.store) if keywords.current(self.store) else []

    # quality ----------------------------------------------------------------------------
    def evaluate(self, task_folder: str | os.PathLike, mode: str = "hybrid", progress: Progress | None = None,
                 fusion: str = "scores") -> dict[str, Any]:
        """Index a BEIR task's corpus into this archive, run its queries, and score them."""
        from .search.evaluate import evaluation_summary, load_task, run_queries, score_rankings

        task = load_task(task_folder)
        report = self.index([task.corpus], progress)
        rankings, seconds = run_queries(self.searcher(), task, mode, fusion=fusion)
        metrics = score_rankings(rankings, task.qrels)
        summary = evaluation_summary(task, mode, metrics, report.to_dict(), seconds, len(rankings))
        return {**summary, "fusion": fusion if mode == "hybrid" else None, "model": self.model_name,
                "newssearch": version()}
