"""HTML pages: the article's main text (navigation, ads and footers left out), title,
date, author and site name, extracted with trafilatura (dates by htmldate).

trafilatura is imported on first use: searching never needs it."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ...errors import DependencyError
from .dates import parse_date
from .decoding import decode, looks_binary
from .records import MAX_ARTICLE_BYTES, Article, Origin, ReadOptions, Skip, read_limited

MAX_PAGE_BYTES = MAX_ARTICLE_BYTES
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
              "tr", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt", "hr"}


@dataclass
class Page:
    """What trafilatura found in one page."""

    text: str
    title: str | None
    date: str | None
    author: str | None
    site_name: str | None


def html_text(data: bytes, declared: str | None = None) -> str:
    """Text of an HTML document: the charset the server or the page declares, else as
    any text file is decoded."""
    match = META_CHARSET.search(data[:4096])
    for name in (declared, match.group(1).decode("ascii") if match else None):
        if not name:
            continue
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"  # what browsers do, and what these pages really use
        try:
            return data.decode("utf-8-sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError:
            break
    return decode(data)


def _paragraph(element: Any) -> str:
    for line_break in element.iter("lb", "br"):
        line_break.tail = "\n" + (line_break.tail or "")
    lines = ("".join(element.itertext())).split("\n")
    return "\n".join(SPACES.sub(" ", line).strip() for line in lines if line.strip())


def _body_text(body: Any) -> str:
    """Paragraphs of trafilatura's body tree, separated by blank lines; list items and
    table rows each on a line of their own."""
    blocks: list[str] = []
    for element in body:
        if not isinstance(element.tag, str):
            continue
        if element.tag == "list":
            block = "\n".join(_paragraph(item) for item in element.iter("item"))
        elif element.tag == "table":
            block = "\n".join(" | ".join(_paragraph(cell) for cell in row.iter("cell")) for row in element.iter("row"))
        else:
            block = _paragraph(element)
        if block.strip():
            blocks.append(block.strip())
    return "\n\n".join(blocks)


def extract_page(text: str, url: str | None = None) -> Page | None:
    """The main text and metadata of an HTML page, or None when it has no article text."""
    import trafilatura

    document = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params={"original_date": True, "extensive_search": True},
    )
    if document is None or document.body is None:
        return None
    body = _body_text(document.body)
    if not body.strip():
        return None
    return Page(text=body, title=document.title or None, date=document.date or None,
                author=document.author or None, site_name=document.sitename or None)


def page_article(data: bytes, origin: Origin, key: str, declared_charset: str | None = None,
                 url: str | None = None, line: int | None = None) -> Article | Skip:
    """One article from the bytes of an HTML page, or why not."""
    if looks_binary(data):
        return Skip(origin.key, "binary content", line)
    text = html_text(data, declared_charset)
    if not text.strip():
        return Skip(origin.key, "no article text", line, empty=True)
    try:
        page = extract_page(text, url)
    except ImportError as error:  # not the page's fault: every page would fail
        raise DependencyError(error) from None
    except Exception as error:  # noqa: BLE001 - a parser failing on one page must not stop a run
        return Skip(origin.key, f"invalid HTML ({type(error).__name__}: {error})", line)
    if page is None:
        return Skip(origin.key, "no article text found in the HTML", line)
    return Article(key=key, path=origin.path, text=page.text, title=page.title, date=parse_date(page.date),
                   source=page.site_name, url=url, author=page.author, size=len(data), line=line)


def read_html(stream: IO[bytes], origin: Origin, options: ReadOptions) -> Iterator[Article | Skip]:
    data = read_limited(stream, origin, MAX_PAGE_BYTES)
    yield data if isinstance(data, Skip) else page_article(data, origin, origin.key)


def fragment_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content), one paragraph per block
    element, paragraphs separated by blank lines."""
    if "<" not in fragment:
        return fragment.strip()
    from lxml import etree, html

    try:
        root = html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    etree.strip_elements(root, "script", "style", with_tail=False)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif element.tag in BLOCK_TAGS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    text = root.text_content()
    blocks = (block.strip() for block in re.split(r"\n\s*\n", text))
    return "\n\n".join(
        "\n".join(SPACES.sub(" ", line).strip() for line in block.split("\n") if line.strip())
        for block in blocks if block
    )
