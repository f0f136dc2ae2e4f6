"""What each API endpoint asks of the library, as plain functions of an archive that
return JSON-ready values. They run wherever the server's searches run: a thread of
the server's own process (`ThreadRunner`), or a search process (`ProcessRunner`),
which is why they are module-level functions of picklable arguments."""

from __future__ import annotations

import json
import time
from typing import Any

from .. import Archive, ArticleNotFoundError, IndexNotFoundError, NewssearchError, article_json


class Refused(NewssearchError):
    """A library error carried back from a search process: its message and the HTTP
    status it maps to (every NewssearchError pickles as this one shape)."""

    def __init__(self, message: str, status: int):
        super().__init__(message, status)
        self.status = status

    def __str__(self) -> str:
        return str(self.args[0])


class SearchProcessError(NewssearchError):
    """A search process could not start, or one call stopped search processes or took
    too long (503)."""


def status_of(error: NewssearchError) -> int:
    if isinstance(error, Refused):
        return error.status
    if isinstance(error, SearchProcessError):
        return 503
    return 404 if isinstance(error, (ArticleNotFoundError, IndexNotFoundError)) else 400


def search(archive: Archive, query: str, mode: str, facets: bool, where: dict[str, Any],
           options: dict[str, Any]) -> tuple[bytes, float]:
    """The search answer's JSON body (encoded where it is made: nothing re-encodes
    the hits) and the library's time for it in ms."""
    began = time.perf_counter()
    hits = archive.search(query, mode=mode, **options, **where)
    counts = archive.facets(query, mode=mode, **where) if facets else None
    body = json.dumps({"query": query, "mode": mode, "hits": [hit.to_dict() for hit in hits], "facets": counts},
                      ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return body, (time.perf_counter() - began) * 1000


def timeline(archive: Archive, query: str, by: str, where: dict[str, Any]) -> dict[str, Any]:
    return archive.timeline(query, by=by, **where).to_dict()


def article(archive: Archive, identifier: str) -> dict[str, Any]:
    found, paragraphs = archive.article(identifier)
    return dict(article_json(found, paragraphs))


def story(archive: Archive, identifier: str) -> dict[str, Any]:
    return archive.story(identifier).to_dict()


def similar(archive: Archive, identifier: str, k: int) -> list[dict[str, Any]]:
    return [item.to_dict() for item in archive.similar(identifier, k=k)]


def stats(archive: Archive) -> dict[str, Any]:
    return archive.stats()
