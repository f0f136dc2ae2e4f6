"""Boilerplate: paragraphs that one source repeats across many of its articles
("Advertisement", "Read the full article", subscribe lines, a standard sign-off).

They are recognised by how often they recur within a source in this archive, not
from a list of phrases, and kept out of the index: removed after each run, and left
out when later articles of that source are written. Headlines are never boilerplate,
and an article keeps its paragraphs when all of them would go.
"""

from __future__ import annotations

from collections.abc import Sequence

from .storage.store import Store

# A paragraph is boilerplate for a source when it appears in at least this many of
# the source's articles, and in at least this share of them.
MIN_ARTICLES = 5
MIN_SHARE = 0.05


def known(store: Store) -> set[tuple[str, str]]:
    """(source, text hash) pairs already found to be boilerplate."""
    return store.known_boilerplate()


def leave_out(units: Sequence[tuple[int, int, str, str]], source: str | None,
              boilerplate: set[tuple[str, str]]) -> tuple[list[tuple[int, int, str, str]], int]:
    """An article's units without its source's known boilerplate, and how many went."""
    kept = [unit for unit in units if unit[0] == 0 or (source or "", unit[3]) not in boilerplate]
    if not any(unit[0] > 0 for unit in kept):
        return list(units), 0
    return kept, len(units) - len(kept)


def find(store: Store) -> list[tuple[str, str, int]]:
    """(source, text hash, articles) of body paragraphs repeated often enough within a
    source to be boilerplate, not yet recorded."""
    return store.boilerplate_candidates(MIN_ARTICLES, MIN_SHARE)


def remove(store: Store, found: list[tuple[str, str, int]], dimension: int) -> list[int]:
    """Record `found` and delete those paragraphs, then fold articles that have become
    copies of another (the caller holds the transaction); returns the paragraph ids
    deleted."""
    return store.remove_boilerplate(found, dimension)
