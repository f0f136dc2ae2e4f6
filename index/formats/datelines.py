"""Datelines and bylines, parsed by rule from the start of an article's text:

    KYIV, Jan 10 (Reuters) - ...          place Kyiv, agency Reuters
    WASHINGTON (AP) — ...                 place Washington, agency AP
    Paris (AFP) - ...                     place Paris, agency AFP
    MOSCOW — ...                          place Moscow
    (CNN) — ...                           agency CNN
    By Jane Doe and John Roe, Reuters     author Jane Doe, John Roe

A place is in capitals, or followed by an agency in brackets: a sentence that merely
begins with a capitalised word and a dash is not a dateline. The tests hold a corpus
of real dateline forms (tests/data/datelines.tsv)."""

from __future__ import annotations

import re
from typing import NamedTuple

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)"
_DASH = r"(?:--?|—|–|:)"
_CAPS_WORD = r"[A-Z][A-Z.'’/\-]+"  # KYIV, D.C., ST., LONDON/PARIS
_CAPS_PLACE = rf"{_CAPS_WORD}(?:\s+{_CAPS_WORD}){{0,3}}"
_WORD = r"[A-Z][\w.'’\-]*"
_PLACE = rf"{_WORD}(?:\s+{_WORD}){{0,3}}"
_REGION = rf"(?:,\s*{_WORD}(?:\s+{_WORD}){{0,2}})?"  # ", Ukraine", ", D.C.", ", Calif."
_AGENCY = r"\((?P<agency>[A-Z][\w .&'’/-]{0,40}?)\)"

_DATELINES = [
    # KYIV, Ukraine, Jan 10 (Reuters) -    WASHINGTON (AP) —    LONDON, March 3 -
    re.compile(rf"^(?P<place>{_CAPS_PLACE}){_REGION}(?:,?\s*{_DATE})?\s*(?:{_AGENCY})?\s*{_DASH}\s+"),
    # Paris (AFP) -    Washington, Jan. 5 (Reuters) -
    re.compile(rf"^(?P<place>{_PLACE}){_REGION}(?:,?\s*{_DATE})?\s*{_AGENCY}\s*{_DASH}\s+"),
    # (CNN) —    Jan. 10 (UPI) --
    re.compile(rf"^(?:{_DATE}\s*)?{_AGENCY}\s*{_DASH}\s+"),
]

_NAME = r"[A-Z][\w.'’\-]+(?:\s+(?:[A-Z][\w.'’\-]+|de|van|von|da|del|bin|al))*"
_BYLINE = re.compile(rf"^By\s+(?P<names>{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s*&\s*){_NAME})*)"
                     r"(?:\s*(?:,|\||\bfor\b|\bin\b)\s*(?P<org>[^\n]{1,60}))?\s*$")
MAX_BYLINE_CHARS = 160
_ORGS = re.compile(r"^(?:Reuters|Associated Press|AP|AFP|Bloomberg|CNN|BBC News|UPI)$", re.IGNORECASE)


class Dateline(NamedTuple):
    place: str | None
    agency: str | None


def _place_name(text: str) -> str:
    """KYIV -> Kyiv, NEW YORK -> New York; a place already in mixed case is kept."""
    if text.isupper():
        return " ".join(word if "." in word else "/".join(part.capitalize() for part in word.split("/"))
                        for word in text.split())
    return text


def parse_dateline(text: str) -> Dateline | None:
    """The dateline at the start of `text`, or None."""
    head = text.lstrip().split("\n", 1)[0][:200]
    for pattern in _DATELINES:
        match = pattern.match(head)
        if match is None:
            continue
        place = match.groupdict().get("place")
        agency = match.groupdict().get("agency")
        if place and not agency and len(place.replace(".", "").replace(" ", "")) < 3:
            continue  # "A -", "US -": too short to be a place in capitals
        return Dateline(_place_name(place.strip(" ,")) if place else None, agency.strip() if agency else None)
    return None


def parse_byline(text: str) -> str | None:
    """The author names of a byline paragraph ("By Jane Doe and John Roe, Reuters"),
    joined with ", ", or None."""
    line = text.strip()
    if len(line) > MAX_BYLINE_CHARS or "\n" in line:
        return None
    match = _BYLINE.match(line)
    if match is None:
        return None
    written = re.split(r"\s+for\s+", match.group("names"), flags=re.IGNORECASE)[0]  # "By X For Dailymail.com"
    if written.isupper():
        written = written.title()
    names = [n.strip() for n in re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", written) if n.strip()]
    names = [n for n in names if not _ORGS.match(n)]
    return ", ".join(names) or None


def parse_metadata(paragraphs: list[str]) -> dict[str, str]:
    """place, agency and author found in an article's first paragraphs (a byline may
    come before the dateline's paragraph)."""
    found: dict[str, str] = {}
    lines = [line.strip() for paragraph in paragraphs[:3] for line in paragraph.splitlines() if line.strip()]
    for paragraph in lines[:4]:
        if "author" not in found and (author := parse_byline(paragraph)):
            found["author"] = author
            continue
        dateline = parse_dateline(paragraph)
        if dateline is not None:
            if dateline.place:
                found["place"] = dateline.place
            if dateline.agency:
                found["agency"] = dateline.agency
            break
        if "author" not in found and len(paragraph) > MAX_BYLINE_CHARS:
            break  # the story has begun: no dateline or byline beyond
    return found
