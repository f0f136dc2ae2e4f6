"""Cutting a ranked list at a depth without letting row ids decide ties.

Identical texts (wire copy, a shared quote) score exactly alike. A search engine
returns tied candidates in its own order, by row id here, so which of them make a
cut-off would depend on the order things were indexed, and a rebuilt index would
rank differently from the original. `top` fetches a little past the cut, and when
a tie crosses it, keeps the tied candidates that come first in a stable order (by
article key and position).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Candidate = TypeVar("Candidate", bound=Sequence[Any])  # (id, ..., score)

MARGIN = 32


def top(fetch: Callable[[int], list[Candidate]], depth: int,
        stable_order: Callable[[list[int]], dict[int, Any]]) -> list[Candidate]:
    """The best `depth` of what `fetch(n)` ranks (its first n, best first, each
    (id, ..., score)); candidates tied at the cut-off are chosen by `stable_order`
    (id -> sort key) instead of by the fetch's order."""
    size = depth + MARGIN
    while True:
        found = fetch(size)
        if len(found) <= depth or found[depth][-1] != found[depth - 1][-1]:
            return found[:depth]
        cutoff = found[depth - 1][-1]
        if len(found) < size or found[-1][-1] != cutoff:
            break
        size *= 4  # the tie runs past what was fetched
    above = [c for c in found if c[-1] > cutoff]
    tied = [c for c in found if c[-1] == cutoff]
    order = stable_order([c[0] for c in tied])
    tied.sort(key=lambda c: order.get(c[0], ()))
    return above + tied[:depth - len(above)]
