"""Incremental indexing: read articles, skip what is unchanged (content hash),
split and embed what is new or changed (each distinct text embedded once), write in
batches, and remove articles whose files are gone from the folders indexed."""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import boilerplate, stories
from .linalg import unit_rows
from .models.embedders import FORWARD_BATCH, Embedder
from .paragraphs import PARAGRAPHING_VERSION, normalize_text, split_paragraphs, window_paragraph
from .prefetch import prefetch
from .report import IndexReport, Progress, SilentProgress
from .formats.datelines import parse_metadata
from .formats.sources import STDIN, Article, ReadOptions, Skip, collect_files, read_file
from .storage.store import Store
from .storage.vectors import VectorIndex

ARTICLES_PER_BATCH = 200
# Distinct new texts of a whole batch are sorted by length, then embedded this many
# at a time: one forward pass each, padded only to the longest of similar texts.
TEXTS_PER_EMBED_CALL = FORWARD_BATCH
LINK_STORIES = True  # off only to measure what story threads cost (benchmarks/story_cost.py)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def content_hash(article: Article) -> str:
    payload = json.dumps(
        [PARAGRAPHING_VERSION, article.title, article.text, article.date, article.source, article.url,
         article.author, article.doc_id, article.metadata],
        ensure_ascii=False, sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def article_units(article: Article, embedder: Embedder) -> list[tuple[int, int, str]]:
    """(position, part, text) of what gets embedded: the headline as position 0, then
    each paragraph (1, 2, ...), long ones as several windows (part 0, 1, ...)."""
    units: list[tuple[int, int, str]] = []
    title = normalize_text(article.title or "")
    paragraphs = split_paragraphs(article.text)
    if title and (not paragraphs or paragraphs[0] != title):
        units.append((0, 0, title))
    for position, paragraph in enumerate(paragraphs, start=1):
        for part, window in enumerate(window_paragraph(paragraph, embedder.count_tokens, embedder.max_tokens)):
            units.append((position, part, window))
    return units


@dataclass
class _Embedding:
    """A batch's new texts in the order they are embedded, and one call per group of
    forward passes that returns their vectors (already running on a cluster)."""

    order: list[str]
    calls: list[Callable[[], np.ndarray]]
    seconds: float  # spent starting it


@dataclass
class _Batch:
    prepared: list[tuple[Article, str, int | None, list[tuple[int, int, str, str]]]]
    embedding: _Embedding
    bytes_total: int


class Indexer:
    """One indexing run over a store and its vector index."""

    def __init__(self, store: Store, vectors: VectorIndex, embedder: Callable[[], Embedder],
                 progress: Progress | None = None, read_options: ReadOptions | None = None,
                 pipelined: bool = False, committed: Callable[[], None] | None = None):
        """`pipelined`: hand each batch's texts to the embedder before the previous batch
        is written (for an embedder that embeds elsewhere, index/cluster.py, so that it
        works while this process writes). `committed` is called after each batch is
        written."""
        self.pipelined = pipelined
        self._committed = committed
        self.store = store
        self.read_options = read_options
        self.vectors = vectors
        self._embedder = embedder
        self.progress = progress or SilentProgress()
        self.report = IndexReport()
        self._boilerplate: set[tuple[str, str]] = set()

    def run(self, paths: Sequence[str | Path]) -> IndexReport:
        started = time.perf_counter()
        self._boilerplate = boilerplate.known(self.store)
        files, skips = collect_files(paths)
        self.report.files = len(files)
        self.report.skipped.extend(skips)
        roots = sorted({str(Path(p).expanduser().resolve()) for p in paths if str(p) != STDIN})
        previous: dict[str, tuple[int, str]] = {}
        for root in roots:
            previous.update(self.store.article_keys_under(root))
        seen: dict[str, str] = {}
        unreadable: set[str] = set()

        sizes = {file: _size(file) for file in files}
        self.progress.start(sum(sizes.values()), len(files))
        try:
            # Files are read in a thread while this one embeds and writes, batch by batch
            # in order, each batch in one transaction.
            ahead: _Batch | None = None  # pipelined: being embedded while the one before is written
            for item in prefetch(self._read(files, sizes, seen, unreadable)):
                if isinstance(item, int):
                    self.progress.advance(bytes_done=item, files=1)
                    continue
                try:
                    batch = self._prepare(item)
                except Exception:  # not an interrupt: that stops at once
                    self._commit(ahead)  # what is already embedded is kept
                    raise
                self._commit(ahead)
                ahead = batch
                if not self.pipelined:
                    self._commit(ahead)
                    ahead = None
            self._commit(ahead)
            gone = [article_id for key, (article_id, path) in previous.items()
                    if key not in seen and path not in unreadable]
            self._remove(gone)
            self.report.removed = len(gone)
            self._remove_boilerplate()
            with self.store.transaction():
                self._link_stories()
        finally:
            self.progress.close()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _read(self, files: list[Path], sizes: dict[Path, int], seen: dict[str, str],
              unreadable: set[str]) -> Iterator[list[Article] | int]:
        """Batches of articles to write and, after each file, the bytes of it that no
        article accounts for (for the progress bar)."""
        batch: list[Article] = []
        for file in files:
            read_bytes = 0
            for item in read_file(file, self.read_options):
                if isinstance(item, Skip):
                    self.report.skipped.append(item)
                    if item.line is None and not item.empty:  # keep what it held until it reads again
                        unreadable.add(str(file))
                    continue
                for problem in item.problems:
                    self.report.skipped.append(Skip(item.path, problem, item.line))
                if item.key in seen:
                    self.report.skipped.append(Skip(item.path, f"duplicate article id '{item.doc_id}'", item.line))
                    continue
                seen[item.key] = item.path
                read_bytes += item.size
                batch.append(item)
                if len(batch) >= ARTICLES_PER_BATCH:
                    yield batch
                    batch = []
            yield max(sizes[file] - read_bytes, 0)
        if batch:
            yield batch

    def _prepare(self, articles: list[Article]) -> _Batch | None:
        """What a batch changes, with its new texts handed to the embedder; None when
        nothing in it changed."""
        hashes = [content_hash(a) for a in articles]
        existing = self.store.article_hashes([a.key for a in articles])
        changed: list[tuple[Article, str, int | None]] = []
        for article, digest in zip(articles, hashes):
            known = existing.get(article.key)
            if known and known[1] == digest:
                self.report.unchanged += 1
                self.progress.advance(bytes_done=article.size)
            else:
                changed.append((article, digest, known[0] if known else None))
        if not changed:
            return None
        embedder = self._embedder()
        prepared = []
        for article, digest, replace_id in changed:
            units = [(pos, part, text, text_hash(text)) for pos, part, text in article_units(article, embedder)]
            units, left_out = boilerplate.leave_out(units, article.source, self._boilerplate)
            self.report.boilerplate += left_out
            prepared.append((article, digest, replace_id, units))
        new_texts = self._texts_to_embed([unit for *_, units in prepared for unit in units])
        bytes_total = sum(article.size for article, *_ in prepared)
        return _Batch(prepared, self._start_embedding(new_texts, embedder), bytes_total)

    def _commit(self, batch: _Batch | None) -> None:
        """Wait for the batch's vectors, then write it in one transaction (None: nothing
        to write)."""
        if batch is None:
            return
        prepared = batch.prepared
        new_hashes, new_vectors = self._finish_embedding(batch.embedding, batch.bytes_total)

        removed: list[int] = []
        added: list[int] = []
        with self.store.transaction():
            # Vectors only the replaced paragraphs used go in the same transaction, so a
            # crash leaves no garbage behind.
            replaced = self.store.text_hashes_of([r for _, _, r, _ in prepared if r is not None])
            if len(new_hashes):
                self.store.add_vectors(new_hashes, new_vectors)
            for article, digest, replace_id, units in prepared:
                found = parse_metadata([text for position, part, text, _ in units if position > 0 and part == 0])
                fields = {
                    "key": article.key, "doc_id": article.doc_id, "title": article.title, "date": article.date,
                    "source": article.source, "url": article.url, "author": article.author or found.get("author"),
                    "path": article.path, "content_hash": digest, "metadata": article.metadata,
                    "place": found.get("place"), "agency": found.get("agency"),
                }
                written = self.store.write_article(fields, units, replace_id, self.vectors.dimension)
                removed += written.removed
                added += written.added
                self.report.copies += written.copy_of is not None
                if replace_id is None:
                    self.report.added += 1
                else:
                    self.report.updated += 1
            # Also the new vectors of texts only a syndicated copy had (it keeps no paragraphs).
            self.store.delete_released_vectors(replaced | set(new_hashes))
            self._link_stories()
        self.report.paragraphs_written += len(added)
        self.vectors.remove(removed)
        for ids, vectors in self.store.paragraph_vectors(added, self.vectors.dimension):
            self.vectors.add(ids, vectors)
        if self._committed is not None:
            self._committed()

    def _link_stories(self) -> None:
        if not LINK_STORIES:
            return
        started = time.perf_counter()
        self.report.stories_linked += stories.update(self.store)
        self.report.story_seconds += time.perf_counter() - started

    def _texts_to_embed(self, units: list[tuple[int, int, str, str]]) -> dict[str, str]:
        """hash -> text of the distinct texts that have no stored vector yet."""
        distinct = {digest: text for *_, text, digest in units}
        known = self.store.known_vectors(list(distinct))
        return {digest: text for digest, text in distinct.items() if digest not in known}

    def _start_embedding(self, texts: dict[str, str], embedder: Embedder) -> _Embedding:
        """The texts sorted by token count (so each forward pass pads little; counted
        with the special tokens the model adds, a window never exceeds max_tokens) and
        cut into calls; an embedder that can (`submit`) starts on them at once."""
        if not texts:
            return _Embedding([], [], 0.0)
        precision = getattr(embedder, "precision", "fp32")  # "auto" is settled (measured) here, before the clock
        started = time.perf_counter()
        digests = list(texts)
        tokens = {d: min(n, embedder.max_tokens) + 2
                  for d, n in zip(digests, embedder.count_tokens([texts[d] for d in digests]))}
        order = sorted(digests, key=tokens.__getitem__)
        # A cluster (index/cluster.py) takes many forward passes at a time.
        per_call = getattr(embedder, "texts_per_call", TEXTS_PER_EMBED_CALL)
        submit = getattr(embedder, "submit", None)
        calls: list[Callable[[], np.ndarray]] = []
        for begin in range(0, len(order), per_call):
            chunk = [texts[d] for d in order[begin:begin + per_call]]
            calls.append(submit(chunk) if submit is not None else functools.partial(embedder.embed, chunk))
        self.report.precision = precision
        choice = getattr(embedder, "precision_choice", None)
        self.report.precision_measured = choice.to_dict() if choice is not None else None
        self.report.flops += 2 * getattr(embedder, "matmul_parameters", 0) * sum(tokens.values())
        self.report.tokens_embedded += sum(tokens.values())
        return _Embedding(order, calls, time.perf_counter() - started)

    def _finish_embedding(self, embedding: _Embedding, bytes_total: int) -> tuple[list[str], np.ndarray]:
        """The vectors of a started embedding, in its order, normalised. The time the
        writer spends here (and starting it) is the report's embedding time."""
        if not embedding.order:
            self.progress.advance(bytes_done=bytes_total)
            return [], np.zeros((0, self.vectors.dimension), dtype=np.float32)
        started = time.perf_counter()
        order, chunks, done, done_bytes = embedding.order, [], 0, 0
        for call in embedding.calls:
            chunks.append(unit_rows(call()))
            done += len(chunks[-1])
            share = bytes_total * done // len(order) - done_bytes
            done_bytes += share
            self.progress.advance(bytes_done=share, paragraphs=len(chunks[-1]))
        self.report.embed_seconds += embedding.seconds + time.perf_counter() - started
        self.report.texts_embedded += len(order)
        return order, np.vstack(chunks)

    def _remove_boilerplate(self) -> None:
        """Paragraphs that now recur in many articles of their source leave the index."""
        found = boilerplate.find(self.store)
        if not found:
            return
        with self.store.transaction():
            removed = boilerplate.remove(self.store, found, self.vectors.dimension)
        self.vectors.remove(removed)
        self.report.boilerplate += len(removed)
        self.report.boilerplate_texts += len(found)

    def _remove(self, article_ids: list[int]) -> None:
        """Delete articles that are gone, and vectors no paragraph uses any more."""
        with self.store.transaction():
            removed = self.store.delete_articles(article_ids)
            self.store.delete_released_vectors()
        self.vectors.remove(removed)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
