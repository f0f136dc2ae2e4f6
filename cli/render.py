"""How results look on a terminal: plain text, query words highlighted when stdout is
a terminal (click drops the colours otherwise), JSON lines for scripts."""

from __future__ import annotations

import json
import shutil
import textwrap
from typing import TYPE_CHECKING, Any

import typer

from .. import highlight_pattern as term_pattern

if TYPE_CHECKING:
    from pathlib import Path

    from .. import Hit
    from ..search.timeline import Timeline

SNIPPET_CHARS = 480


def json_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def location(hit: Hit) -> str:
    article = hit.article
    where = article.doc_id if article.path.endswith((".jsonl", ".ndjson", ".json")) and article.doc_id else article.path
    return where


def hit_text(hit: Hit, query: str) -> str:
    """A hit as a few lines: rank, title and score; date, source, where; best paragraphs."""
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    pattern = term_pattern(query)
    article = hit.article
    title = article.title or "(untitled)"
    lines = [typer.style(f"{hit.rank:>2}. ", dim=True) + typer.style(title, bold=True)
             + typer.style(f"  [{hit.score:.4f}]", dim=True)]
    facts = [fact for fact in (article.date[:10] if article.date else None, article.source) if fact]
    facts.append(f"id {article.id}")
    lines.append("    " + typer.style(" · ".join(facts) + f" · {location(hit)}", fg="cyan"))
    if hit.copies:
        others = [copy.source or copy.url or copy.path for copy in hit.copies]
        lines.append("    " + typer.style("also published by " + ", ".join(dict.fromkeys(others)), fg="cyan"))
    for other in hit.same_story:
        facts = " · ".join(f for f in ((other.date or "")[:10], other.source, f"id {other.id}") if f)
        lines.append("    " + typer.style(f"also on this story: {other.title or '(untitled)'}", fg="magenta")
                     + typer.style(f" · {facts}", dim=True))
    if hit.story_size > 1:
        lines.append("    " + typer.style(f"story of {hit.story_size} articles: newssearch story {article.id}",
                                            fg="magenta"))
    for paragraph in hit.paragraphs:
        label = "headline" if paragraph.position == 0 else f"¶{paragraph.position}"
        body = textwrap.fill(_snippet(paragraph.text), width=width - 6, subsequent_indent="      ")
        if pattern:
            body = pattern.sub(lambda m: typer.style(m.group(0), fg="yellow", bold=True), body)
        lines.append(typer.style(f"    {label} ", dim=True) + body)
    return "\n".join(lines)


def story_text(story: dict[str, Any]) -> str:
    """A story as a dated list: day since the first report, date, source, headline, lead."""
    width = min(shutil.get_terminal_size((100, 20)).columns, 120)
    span = f"{story['first_date']} to {story['last_date']}" if story["first_date"] else "undated"
    lines = [typer.style(f"Story {story['story_id']}: {story['size']} article{'s' if story['size'] != 1 else ''}, "
                         f"{span}, {len(story['sources'])} source{'s' if len(story['sources']) != 1 else ''}",
                         bold=True)]
    for article in story["articles"]:
        day = "first report" if article["first_report"] else (f"day {article['day']}" if article["day"] is not None
                                                              else "")
        facts = [f for f in (day, (article["date"] or "")[:10], article["source"], f"id {article['id']}") if f]
        lines.append("")
        lines.append(typer.style(article["title"] or "(untitled)", bold=True))
        lines.append("    " + typer.style(" · ".join(facts), fg="cyan"))
        if article["also_published_by"]:
            others = [c["source"] or c["url"] or str(c["id"]) for c in article["also_published_by"]]
            lines.append("    " + typer.style("also published by " + ", ".join(dict.fromkeys(others)), fg="cyan"))
        if article["lead"]:
            lines.append("    " + textwrap.fill(_snippet(article["lead"]), width=width - 4, subsequent_indent="    "))
    return "\n".join(lines)


def similar_text(item: dict[str, Any]) -> str:
    facts = [f for f in ((item["date"] or "")[:10], item["source"], f"id {item['id']}") if f]
    story = f" · story of {item['story_size']}" if item["story_size"] > 1 else ""
    return (typer.style(f"{item['rank']:>2}. ", dim=True) + typer.style(item["title"] or "(untitled)", bold=True)
            + typer.style(f"  [{item['likeness']:.4f}]", dim=True) + "\n    "
            + typer.style(" · ".join(facts) + story, fg="cyan"))


def report_text(report: dict[str, Any]) -> str:
    parts = [f"{report[k]} {k}" for k in ("added", "updated", "unchanged", "removed")]
    if report.get("copies"):
        parts.append(f"{report['copies']} stored as copies of an article already indexed")
    if report.get("boilerplate_paragraphs"):
        parts.append(f"{report['boilerplate_paragraphs']} boilerplate paragraphs left out")
    parts.append(f"{len(report['skipped'])} skipped")
    files = report["files"]
    line = f"Indexed {files} file{'s' if files != 1 else ''}: " + ", ".join(parts)
    if report["texts_embedded"]:
        line += (f"; embedded {report['texts_embedded']} paragraphs in {report['embed_seconds']:.1f}s "
                 f"({report['paragraphs_per_second']:.1f}/s, {report['tokens_per_second']:,.0f} tokens/s"
                 + (f", {report['peak_share']:.0%} of the CPU's {report['precision'].upper()} peak" if "peak_share" in report else "")
                 + ")" + _precision_note(report))
    else:
        line += "; nothing to embed"
    return line


def _precision_note(report: dict[str, Any]) -> str:
    measured = report.get("precision_measured")
    if not measured or measured.get("speedup") is None:
        return ""
    return (f"; {report['precision']} chosen by measuring: bf16 ran at {measured['speedup']:.2f}x fp32's speed, "
            f"cosine {measured['min_cosine']:.5f} to fp32 ({measured['how']})")


def skip_reasons(report: dict[str, Any], limit: int = 20) -> list[str]:
    lines = []
    for skip in report["skipped"][:limit]:
        where = f"{skip['path']}:{skip['line']}" if skip["line"] is not None else skip["path"]
        lines.append(f"  skipped {where}: {skip['reason']}")
    if len(report["skipped"]) > limit:
        lines.append(f"  … and {len(report['skipped']) - limit} more (use --json for all)")
    return lines


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


BAR_WIDTH = 40
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def timeline_text(timeline: Timeline) -> str:
    """One line per period: its first day, a bar, the number of articles."""
    if not timeline.periods:
        return f"No dated articles about '{timeline.query}'" + (f" ({timeline.undated} undated)" if timeline.undated else "")
    most = max(count for _, count in timeline.periods) or 1
    label = {"month": 7, "week": 10, "day": 10}[timeline.by]
    lines = [f"{start[:label]}  {'█' * round(BAR_WIDTH * count / most):<{BAR_WIDTH}}  {count}"
             for start, count in timeline.periods]
    total = sum(count for _, count in timeline.periods)
    lines.append(f"{total} articles about '{timeline.query}' by {timeline.by}"
                 + (f", and {timeline.undated} undated" if timeline.undated else ""))
    return "\n".join(lines)


def timeline_plot(timeline: Timeline, path: Path) -> None:
    """A bar chart of the timeline, written to `path` (matplotlib, imported only here)."""
    import datetime as dt

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    starts = [dt.date.fromisoformat(start) for start, _ in timeline.periods]
    counts = [count for _, count in timeline.periods]
    width = {"month": 25, "week": 6, "day": 0.8}[timeline.by]
    figure, axes = pyplot.subplots(figsize=(9, 3.2), dpi=120)
    axes.bar(starts, counts, width=width, align="edge", color="#1f4e79")
    axes.set_title(f"Articles about \u201c{timeline.query}\u201d per {timeline.by}")
    axes.set_ylabel("articles")
    axes.spines[["top", "right"]].set_visible(False)
    figure.autofmt_xdate()
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as error:
        from .. import InputError

        raise InputError(f"cannot write {path}: {error.strerror}") from None
    finally:
        pyplot.close(figure)


def facets_text(counts: dict[str, dict[str, int]]) -> str:
    """Facet counts as two short lines."""
    return "\n".join(f"{name}: " + ", ".join(f"{value} {count}" for value, count in values.items())
                     for name, values in counts.items())

