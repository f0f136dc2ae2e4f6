"""Search filters (date range, sources), applied inside both searches as SQL
parameters, never spliced into the SQL text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import FilterError
from ..index.formats.dates import parse_filter_date
from ..index.storage.store import Store


@dataclass(frozen=True)
class Filter:
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None  # YYYY-MM-DD, inclusive
    sources: tuple[str, ...] = field(default_factory=tuple)  # case-insensitive substrings

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None,
              sources: Sequence[str] | None = None) -> Filter:
        start = parse_filter_date(since, "--since") if since else None
        end = parse_filter_date(until, "--until") if until else None
        if start and end and start > end:
            raise FilterError(f"--since {start} is after --until {end}")
        cleaned = tuple(s.strip() for s in (sources or ()) if s and s.strip())
        if sources and not cleaned:
            raise FilterError("--source needs a non-empty value")
        return cls(start, end, cleaned)

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def sql(self, article_alias: str = "a") -> tuple[str, list[str]]:
        """A WHERE fragment over the articles table (always true when inactive) and its parameters."""
        clauses: list[str] = []
        params: list[str] = []
        if self.since:
            clauses.append(f"substr({article_alias}.date, 1, 10) >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"substr({article_alias}.date, 1, 10) <= ?")
            params.append(self.until)
        if self.sources:
            ors = " OR ".join(f"instr(lower({article_alias}.source), ?) > 0" for _ in self.sources)
            clauses.append(f"({ors})")
            params.extend(s.lower() for s in self.sources)
        return (" AND ".join(clauses) or "1"), params

    def article_ids(self, store: Store) -> np.ndarray:
        """Ids of the articles that pass the filter."""
        where, params = self.sql()
        rows = store.db.execute(f"SELECT a.id FROM articles a WHERE {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def paragraph_ids(self, store: Store) -> np.ndarray:
        """Ids of the paragraphs whose article passes the filter."""
        where, params = self.sql()
        rows = store.db.execute(
            f"SELECT p.id FROM paragraphs p JOIN articles a ON a.id = p.article_id WHERE {where}", params
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)
