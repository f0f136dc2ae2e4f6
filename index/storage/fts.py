"""FTS5 syntax, kept apart from the rest of storage so the query side can build a
MATCH expression without importing numpy or sqlite-utils (the command line's start)."""

from __future__ import annotations

from collections.abc import Sequence

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


def match_expression(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression that ORs plain words, each quoted as a phrase, so no
    word is ever read as FTS5 syntax."""
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
