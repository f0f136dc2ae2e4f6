"""An opt-in preference for newer articles (`--recent 30d`): an article's score is
halved for every half-life it is older than the archive's newest article. Measured
from the archive's newest date, not today's, so an archive of 2022 still prefers its
own latest news. Undated articles count as one half-life old."""

from __future__ import annotations

import datetime as dt
import re

from ..errors import FilterError
from ..index.storage.store import Store

_UNITS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}
HALF_LIFE = r"\s*(\d+(?:\.\d+)?)\s*([dwmyDWMY]?)\s*"  # what half_life_days reads (also the API's check)


def half_life_days(text: str) -> float:
    """'30d', '2w', '6m', '1y' or a number of days, as days."""
    match = re.fullmatch(HALF_LIFE, text)
    if not match or float(match.group(1)) <= 0:
        raise FilterError(f"cannot read the half-life '{text}': give a positive number of days, weeks, months "
                          "or years, like 30d, 2w, 6m or 1y")
    return float(match.group(1)) * _UNITS[match.group(2).lower() or "d"]


def preferring_recent(store: Store, scores: dict[int, float], half_life: float) -> dict[int, float]:
    newest = store.date_range()[1]
    if newest is None:
        return scores
    end = dt.date.fromisoformat(newest[:10]).toordinal()
    dates = store.article_dates(list(scores))
    factors = {a: 0.5 ** ((end - dt.date.fromisoformat(d[:10]).toordinal()) / half_life) if d else 0.5
               for a, d in dates.items()}
    return {a: score * factors.get(a, 0.5) for a, score in scores.items()}
