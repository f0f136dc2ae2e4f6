"""The keyword index: tantivy (BM25 with block-max WAND, so a query of common words
does not score every paragraph that holds one) over the text FTS5 indexes, derived
from SQLite as the FAISS files are.

The folder `keywords/` of an index holds two tantivy indexes: `paragraphs/` (one
document per paragraph) and `articles/` (one per article with text: its whole text).
Each document carries the ids and what filters ask of its article: the day
(YYYYMMDD), the source and the dateline's place, as stored.

How it follows SQLite (crash safety):
- Triggers (schema.py, `keyword_pending`) note in the same transaction as each write
  every article whose paragraphs, text or filtered fields changed.
- `bring_up_to_date` rewrites those articles' documents (delete, then add what SQLite
  holds now: doing it twice changes nothing), commits tantivy (atomic: its meta file is
  replaced), then clears the notes it handled and records the document counts in one
  SQLite transaction. A crash anywhere leaves notes behind, and the next writer or the
  next open finishes the job.
- Search uses the index when no note is pending and its document counts are the
  recorded ones. While notes are pending and the searching process may not write (a
  writer at work), it uses the index as of the last update, leaving out the noted
  articles' documents (`readable_behind`); it uses FTS5 (always current, inside SQLite)
  when the index cannot be read.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import tantivy

from .rows import batches

if TYPE_CHECKING:
    from .store import Store

Found = TypeVar("Found")  # what a search finds

FOLDER = "keywords"
SETTING = "keyword_index"
VERSION = 1  # of the schema and analyzer below; a record of another version is rebuilt
ANALYZER = "news"
WRITER_HEAP = 16_000_000  # bytes tantivy buffers before writing a segment: memory an index run holds for it
# tantivy counts a deleted document in its BM25 statistics until a merge drops it, so
# an index that was updated ranks a little differently from one built afresh. After
# an update the index is rebuilt when it is small (a rebuilt index then ranks exactly
# as a fresh one) or when deleted documents are this share of the live ones.
REBUILD_BELOW = 100_000
REBUILD_DELETED_SHARE = 0.1
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NO_DAY_LIMIT = 99_999_999
# A day range of at most this many days is matched as the set of its days: tantivy then
# walks those days' postings and seeks the query's words in them, where a range over
# the fast field is checked document by document under the words (4-8x slower for a
# fortnight in 10M paragraphs: docs/benchmarks.md).
DAY_TERMS = 4000


class KeywordIndexError(Exception):
    """The keyword index folder cannot be opened or written."""


def analyzer() -> tantivy.TextAnalyzer:
    """Words as FTS5's `porter unicode61 remove_diacritics 2` reads them: split at what
    is not a letter or digit, lower-cased, accents folded, English stems."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(64))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def idf_boost(documents: int, holding: int) -> float:
    """What turns tantivy's IDF, ln(1 + (N - n + 0.5) / (n + 0.5)), into FTS5's,
    ln((N - n + 0.5) / (n + 0.5)) and at least 1e-6, when multiplied into a word's score.

    The two differ most for common words, which FTS5's all but ignores; search's fusion
    scales each list between its best and its 100th score, so the list's shape matters.
    With tantivy's own IDF, hybrid MRR@10 on the White House headline task fell 0.0034
    below FTS5's; with FTS5's it is within 0.002 on every task
    (benchmarks/keyword_index_quality.py)."""
    if holding <= 0 or documents <= 0:
        return 1.0
    ratio = (documents - holding + 0.5) / (holding + 0.5)
    fts5 = math.log(ratio)
    return (fts5 if fts5 > 0.0 else 1e-6) / math.log1p(ratio)


def is_common(documents: int, holding: int) -> bool:
    """Whether a word is in at least half the documents: FTS5's IDF for it is 1e-6
    (idf_boost), so it adds next to nothing to a score, yet matching it means visiting
    most of the index ("the" in 89% of news paragraphs)."""
    return 0 < documents <= 2 * holding


def telling(tokens: Sequence[str], documents: int, holding: dict[str, int]) -> list[str]:
    """The tokens less the common ones (is_common), or all of them when every one is
    common. As FTS5 is searched (Candidates.telling_terms): the rest is searched first,
    and all the tokens only when that finds fewer documents than asked for."""
    kept = [t for t in tokens if not is_common(documents, holding.get(t, 0))]
    return kept or list(tokens)


def telling_first(search: Callable[[Sequence[str]], list[Found]], tokens: Sequence[str], documents: int,
                  holding: dict[str, int], limit: int) -> list[Found]:
    """`search(tokens)` with the common tokens left out (`telling`), and with all of them
    when that finds fewer than `limit`."""
    chosen = telling(tokens, documents, holding)
    found = search(chosen)
    if len(found) < limit and len(chosen) < len(tokens):
        found = search(tokens)
    return found


def day_number(date: str | None) -> int | None:
    """20220110 for '2022-01-10' or '2022-01-10T08:00:00Z'; None without a full date."""
    match = _ISO_DAY.match(date or "")
    return int("".join(match.groups())) if match else None


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=False, tokenizer_name=ANALYZER, index_option="freq")
    builder.add_integer_field("id", stored=False, indexed=True, fast=True)
    builder.add_integer_field("article", stored=False, indexed=True, fast=False)
    builder.add_integer_field("day", stored=False, indexed=True, fast=True)
    builder.add_text_field("source", stored=False, tokenizer_name="raw")
    builder.add_text_field("place", stored=False, tokenizer_name="raw")
    return builder.build()


@dataclass(frozen=True)
class KeywordFilter:
    """A filter as the keyword index reads it: a day range, and the exact sources and
    places the filter's substrings match in SQLite (None: any)."""

    first_day: int | None = None
    last_day: int | None = None
    sources: tuple[str, ...] | None = None
    places: tuple[str, ...] | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing can pass (a substring no source or place holds, days that
        end before they start)."""
        days_out = self.first_day is not None and self.last_day is not None and self.first_day > self.last_day
        return self.sources == () or self.places == () or days_out

    def days(self) -> list[int] | None:
        """The day numbers of a bounded range of at most DAY_TERMS days, else None."""
        if self.first_day is None or self.last_day is None:
            return None
        first, last = (dt.date(n // 10000, n // 100 % 100, n % 100) for n in (self.first_day, self.last_day))
        if (last - first).days + 1 > DAY_TERMS:
            return None
        return [int((first + dt.timedelta(days=n)).strftime("%Y%m%d")) for n in range((last - first).days + 1)]


class Part:
    """One tantivy index of the folder."""

    def __init__(self, path: Path, create: bool):
        self.schema = _schema()
        if not path.exists():
            if not create:
                raise KeywordIndexError(f"{path} is missing")
            path.mkdir(parents=True)
        try:
            self.index = tantivy.Index(self.schema, path=str(path))
            self.index.register_tokenizer(ANALYZER, analyzer())
            self.searcher = self.index.searcher()
        except (ValueError, OSError) as error:
            raise KeywordIndexError(f"cannot open {path}: {error}") from None
        self._totals: tuple[Any, tuple[int, int]] | None = None

    def reload(self) -> None:
        self.index.reload()
        self.searcher = self.index.searcher()

    @property
    def count(self) -> int:
        return int(self.searcher.num_docs)

    def search(self, tokens: Sequence[str], limit: int, where: KeywordFilter) -> list[tuple[int, float]]:
        """(id, BM25 score) of the `limit` best documents holding any of the tokens."""
        if not tokens:
            return []
        documents = self.totals(tokens)[0]
        holding = {t: self.searcher.doc_freq("text", t) for t in set(tokens)}
        boosts = {t: idf_boost(documents, holding[t]) for t in holding}
        found = telling_first(lambda chosen: self.best(self.query(chosen, boosts), where, limit),
                              tokens, documents, holding, limit)
        return [(identifier, score) for identifier, score, _ in found]

    def query(self, tokens: Sequence[str], boosts: dict[str, float]) -> tantivy.Query:
        """Any of the tokens, each term's score multiplied by its boost."""
        Query, Occur = tantivy.Query, tantivy.Occur
        return Query.boolean_query([
            (Occur.Should, Query.boost_query(Query.term_query(self.schema, "text", t), boosts[t])) for t in tokens])

    def best(self, query: tantivy.Query, where: KeywordFilter, limit: int) -> list[tuple[int, float, Any]]:
        """(id, score, document address) of the `limit` best documents for the query
        within the filter."""
        if where.empty or limit < 1:
            return []
        Query, Occur = tantivy.Query, tantivy.Occur
        narrowing = []
        days = where.days()
        if days is not None:
            narrowing.append(Query.term_set_query(self.schema, "day", days))
        elif where.first_day is not None or where.last_day is not None:
            narrowing.append(Query.range_query(self.schema, "day", tantivy.FieldType.Integer,
                                               where.first_day or 0, where.last_day or _NO_DAY_LIMIT))
        for field, values in (("source", where.sources), ("place", where.places)):
            if values is not None:
                narrowing.append(Query.term_set_query(self.schema, field, list(values)))
        if narrowing:  # scored 0: a filter must not add to BM25
            query = Query.boolean_query([(Occur.Must, query),
                                         *[(Occur.Must, Query.const_score_query(q, 0.0)) for q in narrowing]])
        hits = self.searcher.search(query, limit, count=False).hits
        if not hits:
            return []
        ids = self.searcher.fast_field_values("id", [address for _, address in hits])
        return [(int(i), float(score), address) for i, (score, address) in zip(ids, hits)]

    def totals(self, hint: Sequence[str] = ()) -> tuple[int, int]:
        """(documents, tokens) as BM25 counts them, deleted documents included until
        merged away: read from a score's explanation, the only place the Python binding
        shows them (a word of `hint` that the index holds saves looking for one);
        remembered for this searcher."""
        searcher = self.searcher
        if self._totals is not None and self._totals[0] is searcher:
            return self._totals[1]
        term = next((t for t in hint if searcher.doc_freq("text", t) > 0), None)
        if term is None:
            common = searcher.terms_with_prefix("text", "", limit=1)
            term = common[0][0] if common else None
        found = (0, 0)
        if term is not None:
            query = tantivy.Query.term_query(self.schema, "text", term)
            hits = searcher.search(query, 1, count=False).hits
            if hits:
                numbers = term_numbers(query.explain(searcher, hits[0][1]).to_json())[0]
                documents = int(numbers["N"])
                found = (documents, int(round(float(numbers["avgdl"]) * documents)))
        self._totals = (searcher, found)
        return found

    def ids(self) -> list[int]:
        """Every document's id (for `check`)."""
        count = self.count
        if not count:
            return []
        hits = self.searcher.search(tantivy.Query.all_query(), count, count=False).hits
        return sorted(int(i) for i in self.searcher.fast_field_values("id", [address for _, address in hits]))


class KeywordIndex:
    """The `keywords/` folder of one index: its paragraph and article indexes."""

    def __init__(self, folder: Path, create: bool = False):
        self.folder = folder
        self.analyzer = analyzer()
        self.paragraphs = Part(folder / "paragraphs", create)
        self.articles = Part(folder / "articles", create)

    @classmethod
    def open(cls, folder: Path, create: bool = False) -> KeywordIndex:
        return cls(folder, create)

    def tokens(self, terms: Sequence[str]) -> list[str]:
        """The indexed words of the query's terms, one per term (as FTS5 matches each
        term as a phrase of its own, a term given twice counts twice)."""
        return [token for term in terms for token in self.analyzer.analyze(term)]

    def counts(self) -> dict[str, int]:
        return {"paragraphs": self.paragraphs.count, "articles": self.articles.count}

    def current(self, store: Store) -> bool:
        """Whether this index holds what SQLite holds now (cheap: no pending notes, and
        the document counts recorded when it was last brought up to date)."""
        recorded = store.settings().get(SETTING)
        if not recorded or recorded.get("version") != VERSION or store.keyword_changes_pending():
            return False
        return recorded.get("counts") == self.counts()

    def readable_behind(self, store: Store) -> bool:
        """Whether search may use this index while articles are noted as changed since
        its last update (a writer at work): it was last written by this version, so its
        other documents are SQLite's. The noted articles' documents are left out of
        what it finds (Candidates._current_keyword_hits)."""
        recorded = store.settings().get(SETTING)
        return bool(recorded) and recorded.get("version") == VERSION

    def reload(self) -> None:
        self.paragraphs.reload()
        self.articles.reload()

    # writing --------------------------------------------------------------------------
    def bring_up_to_date(self, store: Store, rebuild: bool = False) -> int:
        """Rewrite the documents of every article noted as changed (every article with
        `rebuild`, or when the record is missing or of another version), commit, and
        record what the index holds. Returns the number of articles rewritten."""
        self.reload()  # another process may have written it since this one was opened
        recorded = store.settings().get(SETTING) or {}
        # The index changes only here, and records its counts each time: other counts
        # mean it was lost, damaged, or written without being recorded (a crash).
        rebuild = rebuild or recorded.get("version") != VERSION or recorded.get("counts") != self.counts()
        noted = [row[0] for row in store.db.execute("SELECT article_id FROM keyword_pending ORDER BY article_id")]
        changed: Iterable[int] = noted
        if rebuild:
            changed = (row[0] for row in store.db.execute("SELECT id FROM articles ORDER BY id"))
        elif not noted:
            return 0
        writers = []
        try:
            writers = [part.index.writer(heap_size=WRITER_HEAP, num_threads=1)
                       for part in (self.paragraphs, self.articles)]
        except ValueError as error:  # its lock is held: another process is writing it
            raise KeywordIndexError(f"cannot write the keyword index in {self.folder}: {error}") from None
        paragraph_writer, article_writer = writers
        done = 0
        if rebuild:
            paragraph_writer.delete_all_documents()
            article_writer.delete_all_documents()
        for chunk, _ in batches(changed):
            done += len(chunk)
            if not rebuild:
                for article_id in chunk:
                    paragraph_writer.delete_documents_by_term("article", article_id)
                    article_writer.delete_documents_by_term("id", article_id)
            for document in _paragraph_documents(store, chunk):
                paragraph_writer.add_document(document)
            for document in _article_documents(store, chunk):
                article_writer.add_document(document)
        for writer in writers:
            writer.commit()
            writer.wait_merging_threads()
        self.reload()
        if not rebuild and self._worth_rebuilding():
            return self.bring_up_to_date(store, rebuild=True)
        with store.transaction():
            for part, marks in batches(noted):
                store.db.execute(f"DELETE FROM keyword_pending WHERE article_id IN ({marks})", part)
            store.set_settings({SETTING: {"version": VERSION, "counts": self.counts()}})
        return done

    def _worth_rebuilding(self) -> bool:
        for part in (self.paragraphs, self.articles):
            live = part.count
            deleted = part.totals()[0] - live
            if deleted > 0 and (live < REBUILD_BELOW or deleted > REBUILD_DELETED_SHARE * live):
                return True
        return False

    def problems(self, store: Store) -> list[str]:
        """What `check` finds wrong: documents that are not SQLite's paragraphs and articles."""
        found: list[str] = []
        expected = {
            "paragraphs": [row[0] for row in store.db.execute("SELECT id FROM paragraphs ORDER BY id")],
            "articles": [row[0] for row in store.db.execute("SELECT rowid FROM articles_fts ORDER BY rowid")],
        }
        for name, part in (("paragraphs", self.paragraphs), ("articles", self.articles)):
            if part.ids() != expected[name]:
                found.append(f"the keyword index's {name} differ from the stored ones "
                             f"({part.count:,} documents, {len(expected[name]):,} stored)")
        return found


def remove_folder(folder: Path) -> None:
    """Delete a keyword index folder that cannot be opened (it is rebuilt from SQLite)."""
    shutil.rmtree(folder, ignore_errors=True)


def _fields(date: str | None, source: str | None, place: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    day = day_number(date)
    if day is not None:
        fields["day"] = day
    if source is not None:
        fields["source"] = source
    if place is not None:
        fields["place"] = place
    return fields


def _paragraph_documents(store: Store, article_ids: list[int]) -> Iterator[tantivy.Document]:
    for chunk, marks in batches(article_ids):
        for paragraph_id, article_id, text, date, source, place in store.db.execute(
                "SELECT p.id, p.article_id, coalesce(p.search_text, p.text), a.date, a.source, a.place "
                f"FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE p.article_id IN ({marks})", chunk):
            yield tantivy.Document(text=text, id=paragraph_id, article=article_id, **_fields(date, source, place))


def _article_documents(store: Store, article_ids: list[int]) -> Iterator[tantivy.Document]:
    for chunk, marks in batches(article_ids):
        for article_id, text, date, source, place in store.db.execute(
                "SELECT f.rowid, f.text, a.date, a.source, a.place "
                f"FROM articles_fts f JOIN articles a ON a.id = f.rowid WHERE f.rowid IN ({marks})", chunk):
            yield tantivy.Document(text=text, id=article_id, article=article_id, **_fields(date, source, place))


_NUMBERS = {
    "freq, occurrences of term within document": "freq",
    "dl, length of field": "dl",
    "avgdl, average length of field": "avgdl",
    "N, total number of docs": "N",
    "n, number of docs containing this term": "n",
}


def term_numbers(explanation_json: str) -> list[dict[str, Any]]:
    """Each matching term's numbers in tantivy's explanation of a BM25 score: its word
    ("term"), freq, dl, avgdl, N and n."""
    found: list[dict[str, Any]] = []

    def visit(node: dict[str, Any], current: dict[str, Any] | None) -> None:
        description = node.get("description", "")
        if description.startswith("TermQuery"):
            current = {"term": _term_text(node.get("context", []))}
            found.append(current)
        elif current is not None and description in _NUMBERS:
            current[_NUMBERS[description]] = node["value"]
        for child in node.get("details", []) or []:
            visit(child, current)

    visit(json.loads(explanation_json), None)
    return found


def _term_text(context: list[str]) -> str:
    """The word in tantivy's description of a term: Term(field=0, type=Str, "troop")."""
    for line in context:
        start = line.find(', "')
        if line.startswith("Term=") and start >= 0:
            return json.loads(line[start + 2:line.rindex('"') + 1])
    raise ValueError(f"no term in the explanation's context {context}")
