"""FTS5 syntax, kept apart from the rest of storage so the query side can build a
MATCH expression without importing numpy or sqlite-utils (the command line's start)."""

from __future__ import annotations

import re
from collections.abc import Sequence

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# A word written with hyphens: build-up, cease-fire, e-mail, covid-19, state-of-the-art.
COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def joined_compounds(text: str) -> list[str]:
    """Each hyphenated word of the text written without its hyphens ("build-up" ->
    "buildup"), once each. FTS5 reads "build-up" as the two words "build" and "up";
    with these beside them, "buildup" finds "build-up" and the other way round."""
    found: list[str] = []
    for match in COMPOUND.finditer(text):
        joined = match.group(0).replace("-", "").lower()
        if joined not in found:
            found.append(joined)
    return found


def searchable(text: str) -> str | None:
    """What the keyword index holds for a paragraph when it differs from the text: the
    text with each hyphenated word followed by its joined form ("build-up buildup of
    troops", so the words near it stay near it); None when it has none."""
    if "-" not in text:
        return None
    indexed, count = COMPOUND.subn(lambda match: f"{match.group(0)} {match.group(0).replace('-', '')}", text)
    return indexed if count else None


def match_expression(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression that ORs plain words, each quoted as a phrase, so no
    word is ever read as FTS5 syntax."""
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
