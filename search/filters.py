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
    places: tuple[str, ...] = field(default_factory=tuple)  # of the dateline's place

    def __post_init__(self) -> None:
        for name in ("sources", "places"):
            value = getattr(self, name)
            # One given as a string, not a list of letters.
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None,
              sources: Sequence[str] | None = None, places: Sequence[str] | None = None) -> Filter:
        start = parse_filter_date(since, "--since") if since else None
        end = parse_filter_date(until, "--until") if until else None
        if start and end and start > end:
            raise FilterError(f"--since {start} is after --until {end}")
        return cls(start, end, _cleaned(sources, "--source"), _cleaned(places, "--place"))

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources or self.places)


def _cleaned(values: Sequence[str] | str | None, option: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    cleaned = tuple(s.strip() for s in (values or ()) if s and s.strip())
    if values and not cleaned:
        raise FilterError(f"{option} needs a non-empty value")
    return cleaned
