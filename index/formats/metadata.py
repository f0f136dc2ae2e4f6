"""Metadata every article gets whatever its format, decided in one place.

Dates, in order: the record's own field, the page's metadata or a `Date:` header line
(set by the readers), a date in the file name, then in the folder it sits in
(`2022-01-10/` or `2022/01/10/`), the crawl date of a web archive. Never
the file's modification time. Source: the record's field or site name (set by the
readers), else the URL's domain. Title and text in Unicode NFC."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import PurePath
from urllib.parse import urlsplit

from .dates import parse_date
from .records import Article

# 2022-01-10-title.txt, 20220110_x.html, 2022_01_10.md: the same separator (or none)
# between the parts, and no digit or letter right before or after.
NAME_DATE = re.compile(r"(?<![0-9A-Za-z])(19\d\d|20\d\d|2100)([-_.]?)(\d\d)\2(\d\d)(?![0-9])")


def date_from_name(name: str) -> str | None:
    """ISO date written in a file name, or None; only years 1900-2100 and real days."""
    for match in NAME_DATE.finditer(name):
        year, _, month, day = match.groups()
        try:
            return dt.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            continue
    return None


def date_from_folders(path: str) -> str | None:
    """ISO date of the folder a file sits in: `2022-01-10/a.txt` or `2022/01/10/a.txt`."""
    folders = PurePath(path).parts[:-1]
    if len(folders) >= 3 and [len(f) for f in folders[-3:]] == [4, 2, 2] and all(f.isdigit() for f in folders[-3:]):
        found = date_from_name("-".join(folders[-3:]))
        if found:
            return found
    return date_from_name(folders[-1]) if folders else None


def domain(url: str | None) -> str | None:
    """The host of a URL without `www.`, or None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host[4:] if host.startswith("www.") else host


def complete(article: Article, name: str, path: str = "") -> Article:
    """Fill the fallbacks of an article read from the file (or member) called `name`
    at `path`."""
    if article.date is None:
        article.date = (date_from_name(name) or date_from_folders(path)
                        or parse_date(article.metadata.get("crawl_date")))
    if not article.source:
        article.source = domain(article.url)
    article.text = unicodedata.normalize("NFC", article.text)
    if article.title:
        article.title = unicodedata.normalize("NFC", article.title)
    return article
