"""BM25 over the keyword indexes (keywords.py) of several index folders, scored as
tantivy scores one index holding all their documents.

tantivy's BM25 of a document sums, over the query's words, idf * (k1 + 1) * f /
(f + k1 * (1 - b + b * dl / avgdl)), with idf = ln(1 + (N - n + 0.5) / (n + 0.5)),
each word's term multiplied by a boost that makes the IDF FTS5's (keywords.idf_boost).
N (documents), n (documents holding the word) and avgdl (tokens per document) belong
to the whole index; f (the word's count in the document) and dl (its length, as the
index stores it) to the document. Summed over the folders, N, n and the token totals
are the union's.

Each folder first finds its candidates with block-max WAND, each word's weight
boosted by the union's idf over its own (so its best documents are the union's best
among its documents, but for avgdl); the best candidates over all folders, with a
margin, then have their f and dl read from tantivy's explanation of their score and
the union's score computed as tantivy computes it, in 32-bit floats."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import tantivy

from .keywords import KeywordFilter, Part, idf_boost, telling_first, term_numbers

K1 = np.float32(1.2)  # tantivy's BM25 constants
B = np.float32(0.75)
MARGIN = 16  # candidates scored beyond the limit, for the folders' different average lengths


def idf(documents: int, holding: int) -> np.float32:
    """tantivy's IDF, in its 32-bit steps; the logarithm correctly rounded, as the C
    library's logf that tantivy calls gives it (numpy's own float32 log can be one unit
    in the last place off)."""
    ratio = (np.float32(documents - holding) + np.float32(0.5)) / (np.float32(holding) + np.float32(0.5))
    return np.float32(math.log(float(np.float32(1.0) + ratio)))


def best(parts: Sequence[Part], tokens: Sequence[str], filters: Sequence[KeywordFilter],
         limit: int) -> list[tuple[int, int, float]]:
    """(the folder's place, document id, score) of the `limit` best documents over all
    the folders' parts, best first; `filters[place]` is the filter as that folder reads it."""
    if not tokens or limit < 1:
        return []
    totals = [part.totals(tokens) for part in parts]
    documents = sum(n for n, _ in totals)
    if documents == 0:
        return []
    average = np.float32(sum(t for _, t in totals)) / np.float32(documents)
    distinct = list(dict.fromkeys(tokens))
    holding = {t: sum(part.searcher.doc_freq("text", t) for part in parts) for t in distinct}
    union_idf = {t: idf(documents, holding[t]) for t in distinct}
    union_boost = {t: np.float32(idf_boost(documents, holding[t])) for t in distinct}
    boosts = []
    for part, (own_documents, _) in zip(parts, totals):
        boosts.append({})
        for t in distinct:
            own = part.searcher.doc_freq("text", t)
            boosts[-1][t] = float(union_idf[t] * union_boost[t] / idf(own_documents, own)) if own else 1.0

    def candidates_for(chosen: Sequence[str]) -> list[tuple]:
        found = []
        for place, (part, (own_documents, _)) in enumerate(zip(parts, totals)):
            if own_documents:
                query = part.query(chosen, boosts[place])
                found += [(score, place, identifier, address, query)
                          for identifier, score, address in part.best(query, filters[place], limit + MARGIN)]
        return found

    candidates = telling_first(candidates_for, tokens, documents, holding, limit)  # as Part.search
    # The folders' scores differ from the union's only by their average lengths: the
    # best of them, with a margin, are scored exactly.
    candidates.sort(key=lambda row: -row[0])
    found: list[tuple[int, int, float]] = []
    for _, place, identifier, address, query in candidates[:limit + MARGIN]:
        score = np.float32(0.0)
        for node in term_numbers(query.explain(parts[place].searcher, address).to_json()):
            frequency = np.float32(node["freq"])
            norm = K1 * (np.float32(1.0) - B + B * np.float32(node["dl"]) / average)
            # tantivy folds the boost into the term's weight before scoring it
            weight = np.float32(union_idf[node["term"]] * (np.float32(1.0) + K1)) * union_boost[node["term"]]
            score = np.float32(score + weight * (frequency / (frequency + norm)))
        found.append((place, identifier, float(score)))
    found.sort(key=lambda row: -row[2])
    return found[:limit]
