"""`newssearch` commands. Each parses its options, calls the library, and prints:
results on stdout, progress and messages on stderr. Errors the user can cause end
as one line on stderr and exit code 1 (NEWSSEARCH_DEBUG=1 shows the traceback)."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer
from typer.core import TyperGroup

from .. import FUSIONS, INDEX_ENV, MODES, InputError, NewssearchError
from . import render

if TYPE_CHECKING:
    from .. import Archive, Archives

def one_line(message: str) -> str:
    """An error message as one line: control characters from what the user typed (a
    newline, a carriage return) are shown escaped, not obeyed."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in message)


# The click exceptions Typer raises (Typer 0.28 carries its own copy of click, older
# versions use the click package): found through the one Typer exports.
_CLICK = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
UsageError, ClickException = _CLICK["UsageError"], _CLICK["ClickException"]


class OneLineErrors(TyperGroup):
    """Usage errors (a missing argument, a bad option value, an unknown command) as one
    line on stderr and exit code 2, like every other error: no usage block, no box."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except UsageError as error:
            message = error.format_message()
            if message:  # else the help was shown (no arguments at all)
                command = error.ctx.command_path if error.ctx else "newssearch"
                typer.echo(f"Error: {one_line(message)} (see '{command} --help')", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("Interrupted; everything committed so far is kept.", err=True)
            sys.exit(130)
        except ClickException as error:
            typer.echo(f"Error: {one_line(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="newssearch",
    cls=OneLineErrors,
    help="Semantic search over news archives: index articles, then search what they meant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

IndexOption = Annotated[Optional[Path], typer.Option(
    "--index", envvar=INDEX_ENV, show_envvar=True,
    help="Index folder (default: the user data folder, e.g. ~/.local/share/newssearch/index).")]
IndexesOption = Annotated[Optional[list[Path]], typer.Option(
    "--index", envvar=INDEX_ENV, show_envvar=True,
    help="Index folder (default: the user data folder); repeat it to search several indexes as one.")]
ModelOption = Annotated[Optional[str], typer.Option(
    "--model", envvar="NEWSSEARCH_MODEL", show_envvar=True,
    help="sentence-transformers model name or path (default: the bundled all-MiniLM-L6-v2).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Write JSON for scripts.")]
ModeOption = Annotated[str, typer.Option("--mode", "-m", help=f"One of: {', '.join(MODES)}.")]
FusionOption = Annotated[str, typer.Option(
    "--fusion", help=f"How hybrid mode combines dense and keyword results: {' or '.join(FUSIONS)}.")]



def _field(what: str) -> Any:
    return Annotated[Optional[str], typer.Option(
        show_default=False, help=f"CSV/TSV column or JSON field with the {what} (default: found by its usual names).")]

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn library errors into one line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewssearchError as error:
            if os.environ.get("NEWSSEARCH_DEBUG"):
                raise
            typer.echo(f"Error: {one_line(str(error))}", err=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted; everything committed so far is kept.", err=True)
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]


def _open(*args: Any, **kwargs: Any) -> Archive:
    """The archive in an index folder. The library (numpy, FAISS, SQLite helpers) is
    imported here, not when the command line starts, so --help and usage errors stay quick."""
    from .. import Archive

    return Archive.open(*args, **kwargs)


def _open_reading(indexes: list[Path] | None, model: str | None = None) -> Archive | Archives:
    """One index folder, or several searched as one (archives.py)."""
    from .. import open_archive

    return open_archive(indexes or None, model=model)


def _notices(archive: Archive | Archives) -> None:
    for notice in archive.notices:
        typer.echo(f"Note: {notice}", err=True)
    archive.notices.clear()


@app.command("index")
@reports_errors
def index_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Files and folders to index (folders are walked recursively); - reads JSON Lines from stdin.",
        show_default=False)],
    index: IndexOption = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    text_field: _field("article text") = None,
    title_field: _field("title") = None,
    date_field: _field("publication date") = None,
    source_field: _field("source name") = None,
    url_field: _field("URL") = None,
    id_field: _field("article id") = None,
    strict: Annotated[bool, typer.Option(
        "--strict",
        help="Exit with code 2 if any file, line or record was skipped (the rest is still indexed).")] = False,
    precision: Annotated[Optional[str], typer.Option(
        "--precision",
        help="Number format of the model's matrix products: auto (bf16 where measured faster than fp32 on this "
             "machine with the same vectors, else fp32), fp32 or bf16. [default: $NEWSSEARCH_PRECISION or auto]",
        show_default=False)] = None,
    ray: Annotated[Optional[str], typer.Option(
        "--ray", metavar="ADDRESS",
        help="Embed on a Ray cluster: its address (host:port), auto (the cluster this machine belongs to, or "
             "$RAY_ADDRESS) or local (start Ray on this machine). Needs pip install 'newssearch[cluster]'.",
        show_default=False)] = None,
) -> None:
    """Index articles: new and changed ones are embedded, unchanged ones skipped, and those whose files are gone from the given folders removed."""
    from .. import ReadOptions
    from .progress import BarProgress  # tqdm: only where there is progress to show

    from ..archive import check_sources

    options = ReadOptions(text_field=text_field, title_field=title_field, date_field=date_field,
                          source_field=source_field, url_field=url_field, id_field=id_field)
    check_sources(paths)  # before the index folder is created: a mistyped path leaves nothing behind
    with _open(index, model=model, create=True) as archive:
        progress = BarProgress(enabled=not quiet and sys.stderr.isatty())
        report = archive.index(paths, progress=progress, read_options=options, precision=precision,
                               ray=ray).to_dict()
        _notices(archive)
        if as_json:
            typer.echo(render.json_line({"index": str(archive.directory), **report}))
        else:
            typer.echo(render.report_text(report), err=True)
            for line in render.skip_reasons(report):
                typer.echo(line, err=True)
    skipped = len(report["skipped"])
    if strict and skipped:
        typer.echo(f"Error: {skipped} input{' was' if skipped == 1 else 's were'} skipped (--strict)", err=True)
        raise typer.Exit(code=2)


@app.command("query")
@reports_errors
def query_command(
    words: Annotated[list[str], typer.Argument(help="What to search for.", show_default=False)],
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, help="Number of articles to return.")] = 10,
    mode: ModeOption = "hybrid",
    fusion: FusionOption = "scores",
    since: Annotated[Optional[str], typer.Option(help="Only articles dated on or after this day (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only articles dated on or before this day (YYYY-MM-DD).")] = None,
    source: Annotated[Optional[list[str]], typer.Option(
        "--source", "-s", help="Only articles whose source contains this text (repeatable).")] = None,
    place: Annotated[Optional[list[str]], typer.Option(
        "--place", help="Only articles whose dateline's place contains this text (repeatable).")] = None,
    sort: Annotated[str, typer.Option(
        "--sort", help="relevance, or newest/oldest: the articles about the query in date order.")] = "relevance",
    facets: Annotated[bool, typer.Option(
        "--facets", help="Also count the articles about the query by source and month.")] = False,
    recent: Annotated[Optional[str], typer.Option(
        "--recent", metavar="HALF_LIFE",
        help="Prefer newer articles: a score halves every HALF_LIFE (30d, 2w, 6m, 1y) before the newest.")] = None,
    group: Annotated[bool, typer.Option(
        "--group/--no-group", help="One result per story; other articles of the story listed under it.")] = True,
    index: IndexesOption = None,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit (then one of facets).")] = False,
) -> None:
    """Search the index; results are articles, best first, with their best paragraphs."""
    text = " ".join(words)
    with _open_reading(index, model=model) as archive:
        hits = archive.search(text, k=limit, mode=mode, since=since, until=until, sources=source, fusion=fusion,
                              sort=sort, group=group, recent=recent, places=place)
        counts = archive.facets(text, mode=mode, since=since, until=until, sources=source,
                                places=place) if facets else None
        _notices(archive)
    if as_json:
        for hit in hits:
            typer.echo(render.json_line(hit.to_dict()))
        if counts is not None:
            typer.echo(render.json_line({"facets": counts}))
        return
    if counts is not None:
        typer.echo(render.facets_text(counts), err=True)
    if not hits:
        typer.echo("No results.", err=True)
        return
    typer.echo("\n\n".join(render.hit_text(hit, text) for hit in hits))


@app.command("timeline")
@reports_errors
def timeline_command(
    words: Annotated[list[str], typer.Argument(help="What the articles are about.", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Period: day, week or month.")] = "month",
    since: Annotated[Optional[str], typer.Option(help="Only articles dated on or after this day (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only articles dated on or before this day (YYYY-MM-DD).")] = None,
    source: Annotated[Optional[list[str]], typer.Option(
        "--source", "-s", help="Only articles whose source contains this text (repeatable).")] = None,
    place: Annotated[Optional[list[str]], typer.Option(
        "--place", help="Only articles whose dateline's place contains this text (repeatable).")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="Also draw it to this file (.png, .svg or .pdf).", show_default=False)] = None,
    index: IndexesOption = None,
    as_json: JsonOption = False,
) -> None:
    """How many articles about a subject appeared per day, week or month."""
    if plot is not None and plot.suffix.lower() not in render.PLOT_SUFFIXES:
        raise InputError(f"--plot takes a .png, .svg or .pdf file, not '{plot.name}'")
    text = " ".join(words)
    with _open_reading(index) as archive:
        timeline = archive.timeline(text, by=by, since=since, until=until, sources=source, places=place)
        _notices(archive)
    if plot is not None:
        render.timeline_plot(timeline, plot)
    if as_json:
        typer.echo(render.json_line(timeline.to_dict()))
    else:
        typer.echo(render.timeline_text(timeline))


@app.command("story")
@reports_errors
def story_command(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="Any article of the story (id or document id).")],
    index: IndexesOption = None,
    as_json: JsonOption = False,
) -> None:
    """The story an article belongs to: its articles in time order, the first report first."""
    with _open_reading(index) as archive:
        story = archive.story(article_id)
    if as_json:
        typer.echo(render.json_line(story.to_dict()))
    else:
        typer.echo(render.story_text(story.to_dict()))


@app.command("similar")
@reports_errors
def similar_command(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="Article id (as in results) or document id.")],
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, help="Number of articles to return.")] = 10,
    index: IndexesOption = None,
    as_json: JsonOption = False,
) -> None:
    """The articles most like this one, one per story, other stories than its own."""
    with _open_reading(index) as archive:
        found = archive.similar(article_id, k=limit)
    if as_json:
        for item in found:
            typer.echo(render.json_line(item.to_dict()))
        return
    if not found:
        typer.echo("No similar articles.", err=True)
        return
    typer.echo("\n".join(render.similar_text(item.to_dict()) for item in found))


@app.command("show")
@reports_errors
def show_command(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="Article id (as in results) or document id.")],
    index: IndexesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print one article with its numbered paragraphs."""
    with _open_reading(index) as archive:
        article, paragraphs = archive.article(article_id)
    if as_json:
        from .. import article_json

        typer.echo(render.json_line(article_json(article, paragraphs)))
        return
    typer.echo(typer.style(article.title or "(untitled)", bold=True))
    facts = [f for f in (article.date, article.source, article.author, article.url) if f]
    typer.echo(typer.style(" · ".join(facts + [article.path]), fg="cyan"))
    for paragraph in paragraphs:
        if paragraph.position == 0:
            continue
        label = f"¶{paragraph.position}" + (f".{paragraph.part + 1}" if paragraph.part else "")
        typer.echo(f"\n{typer.style(label, dim=True)} {paragraph.text}")


@app.command("stats")
@reports_errors
def stats_command(index: IndexesOption = None, as_json: JsonOption = False) -> None:
    """Counts, model, index location and size."""
    with _open_reading(index) as archive:
        stats = archive.stats()
    if as_json:
        typer.echo(render.json_line(stats))
        return
    stats["size"] = render.human_size(stats.pop("size_bytes"))
    width = max(len(key) for key in stats)
    for key, value in stats.items():
        typer.echo(f"{key.replace('_', ' '):<{width}}  {value if value is not None else '-'}")


@app.command("check")
@reports_errors
def check_command(
    repair: Annotated[bool, typer.Option("--repair", help="Fix what can be fixed from SQLite (no re-embedding).")] = False,
    index: IndexOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify the index: SQLite integrity, text indexes, vectors, and that FAISS holds exactly SQLite's paragraphs."""
    with _open(index) as archive:
        result = archive.check(repair=repair)
    if as_json:
        typer.echo(render.json_line(result))
    else:
        for line in result["repaired"]:
            typer.echo(f"repaired: {line}", err=True)
        for problem in result["problems"]:
            typer.echo(f"problem: {problem}")
        for what in result["not_checked"]:
            typer.echo(f"not checked: {what}", err=True)
        typer.echo("index is consistent" if result["ok"] else "index has problems", err=True)
    if not result["ok"]:
        raise typer.Exit(code=1)


@app.command("eval")
@reports_errors
def eval_command(
    task: Annotated[Path, typer.Argument(help="BEIR task folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")],
    mode: ModeOption = "hybrid",
    fusion: FusionOption = "scores",
    index: Annotated[Optional[Path], typer.Option(
        "--index", help="Index folder to build or reuse (default: a throwaway one).")] = None,
    model: ModelOption = None,
    compare_with: Annotated[Optional[Path], typer.Option(
        "--compare", help="A saved 'eval --json' result to show each metric's change against.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Measure retrieval quality on a BEIR task: MRR@10, nDCG@10, Recall@1/10/100 at article level, and indexing throughput."""
    from .progress import BarProgress

    with tempfile.TemporaryDirectory(prefix="newssearch-eval-") as scratch:
        with _open(index or scratch, model=model, create=True) as archive:
            result = archive.evaluate(task, mode=mode, fusion=fusion, progress=BarProgress(enabled=sys.stderr.isatty()))
            _notices(archive)
    if compare_with:
        from .. import compare_evaluations, load_saved_evaluation

        saved = load_saved_evaluation(compare_with, result["task"], result["mode"])
        result["compared_with"] = {"file": str(compare_with), "changes": compare_evaluations(result, saved)}
    if as_json:
        typer.echo(render.json_line(result))
        return
    fused = f" ({result['fusion']} fusion)" if result["fusion"] else ""
    typer.echo(f"task {result['task']} · mode {result['mode']}{fused} · {result['queries']} queries")
    changes = result.get("compared_with", {}).get("changes", {})
    for name, value in result["metrics"].items():
        change = f"  ({changes[name]:+.4f})" if name in changes else ""
        typer.echo(f"  {name:<10} {value:.4f}{change}")
    if changes:
        typer.echo(f"  changes against {compare_with}")
    indexing = result["indexing"]
    typer.echo(f"  indexing   {indexing['texts_embedded']} paragraphs embedded in {indexing['embed_seconds']:.1f}s "
               f"({indexing['paragraphs_per_second']:.1f}/s); run took {indexing['seconds']:.1f}s")
    typer.echo(f"  search     {result['queries_per_second']} queries/s")


@app.command("serve")
@reports_errors
def serve_command(
    index: IndexesOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every network interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8080,
    workers: Annotated[Optional[int], typer.Option(
        min=1, max=64, help="Search processes, each loading the query model and the vectors (default: one per "
                            "core, at most 8); 1 searches on the server's own threads.")] = None,
) -> None:
    """Serve the search page and a JSON API (read-only) over the index, until Ctrl-C."""
    from ..web.serve import serve

    serve(index, host, port, workers, say=lambda line: typer.echo(line, err=True))


def main() -> None:
    app()
