"""The FastAPI app: a read-only JSON API over one archive, its OpenAPI schema and docs
at /docs, and the search page at /. Everything the page needs is served from here
(no CDN); no endpoint writes to the index."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from typing_extensions import TypedDict

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParameter
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import NewssearchError, version
from ..search.recency import HALF_LIFE
from ..search.shapes import ArticleJSON, HitJSON, SimilarJSON, StoryJSON
from . import calls
from .calls import status_of
from .pool import ArchivePool, ThreadRunner, index_folders
from .processes import ProcessRunner

Runner = ThreadRunner | ProcessRunner

STATIC = Path(__file__).resolve().parent / "static"
MAX_RESULTS = 100  # per request
MAX_QUERY_CHARS = 1000
MAX_BODY_BYTES = 16 * 1024  # the API reads no bodies; anything larger is refused at once

Mode = Literal["hybrid", "semantic", "keyword"]
Fusion = Literal["scores", "rrf"]


class FacetsJSON(TypedDict):
    source: dict[str, int]
    month: dict[str, int]


class SearchJSON(TypedDict):
    query: str
    mode: str
    hits: list[HitJSON]
    facets: Optional[FacetsJSON]  # with facets=true: the articles about the query by source and month


class StatsJSON(TypedDict):
    index: str
    articles: int
    paragraphs: int
    vectors: int
    sources: int
    first_date: Optional[str]
    last_date: Optional[str]
    model: Optional[str]
    dimension: Optional[int]
    normalized: Optional[bool]
    created_at: Optional[str]
    size_bytes: int


class PeriodJSON(TypedDict):
    start: str
    articles: int


class CountedJSON(TypedDict):
    id: int
    date: Optional[str]
    source: Optional[str]
    title: Optional[str]
    score: float


class TimelineJSON(TypedDict):
    query: str
    by: str
    floor: float
    pool: int
    periods: list[PeriodJSON]
    total: int
    undated: int
    articles: list[CountedJSON]


class ErrorJSON(TypedDict):
    error: str



class RefuseBodies:
    """ASGI middleware: a request that announces a body larger than MAX_BODY_BYTES gets
    a 413 at once (the API reads no bodies)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers", ())).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                await error(413, f"request bodies are limited to {MAX_BODY_BYTES} bytes")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(index: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
               runner: Runner | None = None) -> FastAPI:
    """The app for the index at `index` (default: the user's index; several folders are
    searched as one), for uvicorn or any ASGI server; its library calls run on `runner`
    (default: the server's own threads). Opening fails at once (IndexNotFoundError) when
    there is no index."""
    if runner is None:
        runner = ThreadRunner(ArchivePool(index_folders(index)))
    app = FastAPI(title="newssearch", version=version(), docs_url=None, redoc_url=None,
                  description="Search a news archive: the JSON shapes are those of `newssearch ... --json`.")
    app.state.runner = runner
    run = runner.run
    errors = {400: {"model": ErrorJSON}, 404: {"model": ErrorJSON}, 422: {"model": ErrorJSON}}

    app.add_middleware(RefuseBodies)

    @app.exception_handler(NewssearchError)
    async def library_error(request: Request, exc: NewssearchError) -> JSONResponse:
        return error(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "path"))
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else first.get("msg", "invalid request")
        return JSONResponse({"error": message, "detail": jsonable_encoder(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug
        return error(500, "internal error: the server's log has the details")

    @app.get("/api/search", response_model=SearchJSON, responses=errors, summary="Search the archive")
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="What to search for.")],
        k: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="Number of articles.")] = 10,
        mode: Mode = "hybrid",
        fusion: Fusion = "scores",
        since: Annotated[Optional[datetime.date], Query(description="Only articles dated on or after this day.")] = None,
        until: Annotated[Optional[datetime.date], Query(description="Only articles dated on or before this day.")] = None,
        source: Annotated[list[str], Query(max_length=200, description="Substring of the source (repeatable).")] = [],  # noqa: B006 - FastAPI copies it
        place: Annotated[list[str], Query(max_length=200, description="Substring of the dateline's place (repeatable).")] = [],  # noqa: B006
        sort: Literal["relevance", "newest", "oldest"] = "relevance",
        facets: bool = False,
        group: Annotated[bool, Query(description="One hit per story; the story's other matches under it.")] = True,
        recent: Annotated[Optional[str], Query(
            pattern=f"^{HALF_LIFE}$", max_length=20,
            description="Prefer newer articles: a score halves every this long (30d, 2w, 6m, 1y).")] = None,
    ) -> Response:
        where = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                 "sources": [s for s in source if s.strip()] or None, "places": [p for p in place if p.strip()] or None}
        options = {"k": k, "fusion": fusion, "sort": sort, "group": group, "recent": recent}
        # Sent as it is: the shapes are the library's (and the schema test checks them), so
        # FastAPI need not validate and re-serialise every hit. Server-Timing: how long the
        # library took, apart from HTTP (browsers' developer tools show it).
        body, took = await run(calls.search, q, mode, facets, where, options)
        return Response(body, media_type="application/json", headers={"Server-Timing": f"search;dur={took:.2f}"})

    @app.get("/api/timeline", response_model=TimelineJSON, responses=errors,
             summary="How many articles about the query appeared per day, week or month")
    async def timeline(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
        by: Literal["day", "week", "month"] = "month",
        since: Annotated[Optional[datetime.date], Query()] = None,
        until: Annotated[Optional[datetime.date], Query()] = None,
        source: Annotated[list[str], Query(max_length=200)] = [],  # noqa: B006 - FastAPI copies it
    ) -> TimelineJSON:
        where = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                 "sources": [s for s in source if s.strip()] or None}
        return await run(calls.timeline, q, by, where)  # type: ignore[return-value]

    @app.get("/api/articles/{article_id}", response_model=ArticleJSON, responses=errors,
             summary="One article with its paragraphs (by id, or by its own document id)")
    async def article(article_id: Annotated[str, PathParameter(max_length=500)]) -> ArticleJSON:
        return await run(calls.article, article_id)  # type: ignore[return-value]

    @app.get("/api/stories/{article_id}", response_model=StoryJSON, responses=errors,
             summary="The story an article belongs to: its articles in time order, the first report first")
    async def story(article_id: Annotated[str, PathParameter(max_length=500)]) -> StoryJSON:
        return await run(calls.story, article_id)  # type: ignore[return-value]

    @app.get("/api/similar/{article_id}", response_model=list[SimilarJSON], responses=errors,
             summary="The articles most like this one, one per story, other stories than its own")
    async def similar(article_id: Annotated[str, PathParameter(max_length=500)],
                      k: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 10) -> list[SimilarJSON]:
        return await run(calls.similar, article_id, k)  # type: ignore[return-value]

    @app.get("/api/stats", response_model=StatsJSON, responses=errors, summary="Counts, model and size")
    async def stats() -> StatsJSON:
        return await run(calls.stats)  # type: ignore[return-value]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="newssearch API",
                                   swagger_js_url="/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/swagger/swagger-ui.css", swagger_favicon_url="/static/favicon.svg")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    swagger = _swagger_files()
    if swagger is not None:
        app.mount("/swagger", StaticFiles(directory=swagger), name="swagger")
    return app


def _swagger_files() -> Path | None:
    """Swagger UI's files from the swagger-ui-bundle package, so /docs needs no CDN."""
    try:
        import swagger_ui_bundle
    except ImportError:  # pragma: no cover - a dependency; /docs then has no styles
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)
