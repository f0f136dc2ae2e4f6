"""Dates as ISO 8601 strings: YYYY-MM-DD, or a full timestamp (UTC) when a time is known."""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as date_parser

from ...errors import FilterError

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Starts like an ISO date (year-month-day in digits)...
NUMERIC_DATE = re.compile(r"^\d{4}-\d+-\d+")
# ...and is one: a month and a day of one or two digits, then the end or a non-digit.
ISO_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?!\d)")
EPOCH = re.compile(r"^\d{9,10}(\.\d+)?$")
FIRST_DEFAULT = dt.datetime(2000, 1, 1)
SECOND_DEFAULT = dt.datetime(2001, 2, 2)


def parse_date(value: str | None) -> str | None:
    """ISO form of a date written in any common way, or None if it is not a date (or
    one that cannot be written as an ISO date, such as year 1 moved to UTC)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return _parse(text)
    except (ValueError, OverflowError, TypeError, OSError):
        return None


def _parse(text: str) -> str | None:
    if NUMERIC_DATE.match(text) and not ISO_PREFIX.match(text):
        return None  # 2022-01-019, 2022-1-1x: digits in the wrong places are no date
    if ISO_DATE.match(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    if EPOCH.match(text):
        return _format(dt.datetime.fromtimestamp(float(text), tz=dt.timezone.utc), has_time=True)
    # Parsed against two different defaults: a part that differs was not written, and
    # a date missing its year, month or day is not made up from today's.
    parsed = date_parser.parse(text, default=FIRST_DEFAULT)
    if parsed.date() != date_parser.parse(text, default=SECOND_DEFAULT).date():
        return None
    return _format(parsed, has_time=":" in text)


def _format(moment: dt.datetime, has_time: bool) -> str:
    if not has_time:
        return moment.date().isoformat()
    if moment.tzinfo is not None:
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def parse_filter_date(value: str, option: str) -> str:
    """A --since/--until value as YYYY-MM-DD; the error names the option."""
    text = value.strip()
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise FilterError(f"invalid date for {option}: '{value}' (use YYYY-MM-DD)") from None
