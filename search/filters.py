"""Search filters (date range, sources), parsed from what the user typed; storage
applies them inside every search (index/storage/candidates.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import FilterError
from ..index.formats.dates import parse_filter_date


@dataclass(frozen=True)
class Filter:
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None  # YYYY-MM-DD, inclusive
    sources: tuple[str, ...] = field(default_factory=tuple)  # case-insensitive substrings

    def __post_init__(self) -> None:
        if isinstance(self.sources, str):  # one source given as a string, not a list of letters
            object.__setattr__(self, "sources", (self.sources,))
        else:
            object.__setattr__(self, "sources", tuple(self.sources))

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None,
              sources: Sequence[str] | None = None) -> Filter:
        start = parse_filter_date(since, "--since") if since else None
        end = parse_filter_date(until, "--until") if until else None
        if start and end and start > end:
            raise FilterError(f"--since {start} is after --until {end}")
        if isinstance(sources, str):
            sources = [sources]
        cleaned = tuple(s.strip() for s in (sources or ()) if s and s.strip())
        if sources and not cleaned:
            raise FilterError("--source needs a non-empty value")
        return cls(start, end, cleaned)

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)
