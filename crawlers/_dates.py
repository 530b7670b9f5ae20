"""Publication dates: which of the feed's, the page's and the URL's to believe (pure).

A document's ``published_at`` decides when its mentions count, so a wrong date
moves coverage in time: a feed item dated next year would create a spike then,
an item dated 1970 would vanish from every chart. ``published_date`` takes the
candidates in order of trust — the feed's date (publishers date feed items when
they publish), the page's metadata (``article:published_time`` and the like,
else trafilatura's date extraction: ``crawlers._extract``), then a date written
in the URL (``/2024/05/17/``, ``/2024-05-17-title``, ``20240517``) — and keeps
the first plausible one. A date more than ``MAX_FUTURE_SKEW`` after the fetch,
or before ``EARLIEST``, is implausible: never used, but reported (``flag`` and
``claimed``). With no plausible date the document counts at its fetch time
(``published_at`` is ``None``, ``source`` is ``"fetched"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "EARLIEST",
    "MAX_FUTURE_SKEW",
    "DateFlag",
    "DateSource",
    "PublishedDate",
    "published_date",
    "url_date",
]

DateSource = Literal["feed", "page", "url", "fetched"]
DateFlag = Literal["future", "too_old", "missing"]

MAX_FUTURE_SKEW = timedelta(hours=1)
"""How far after the fetch a date may be: clocks and time-zone slips of an hour
are common and harmless; anything later is a scheduled post or a wrong zone."""

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
"""Dates before this are not publication dates of web news (the first news sites
went online in 1994-95); they are placeholders (1970-01-01, 0001-01-01) or typos."""

# A URL's date has no time or zone: a site east of UTC writes tomorrow's date
# up to 14 hours before UTC midnight, so such a date is the fetch day, not the future.
_URL_DAY_AHEAD = timedelta(days=1)

# /2024/05/17/ or /2024/5/7 (each number a whole path segment, the day may end the path
# or be followed by a title: /2024/05/17-title).
_SLASHED = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?=$|[/_.-])")
# 2024-05-17, 2024_05_17 or 20240517, not inside a longer run of digits.
_COMPACT = re.compile(r"(?<![0-9])((?:19|20)\d{2})([-_]?)(\d{2})\2(\d{2})(?![0-9])")


@dataclass(frozen=True, slots=True)
class PublishedDate:
    """The chosen date (``None``: count at the fetch time) and where it came from.

    ``flag`` is ``"future"`` or ``"too_old"`` when a candidate was refused (the
    first refused one, whose value is ``claimed``), ``"missing"`` when there was
    no candidate at all, else ``None``.
    """

    at: datetime | None
    source: DateSource
    flag: DateFlag | None = None
    claimed: datetime | None = None


def url_date(url: str) -> datetime | None:
    """The date written in ``url``'s path, as midnight UTC; ``None`` if there is none
    or it is not a calendar date."""
    path = urlsplit(url).path
    for match in (*_SLASHED.finditer(path), *_COMPACT.finditer(path)):
        groups = [g for g in match.groups() if g and g not in "-_"]
        year, month, day = (int(g) for g in groups)
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            continue  # 2024/13/45 is not a date: try the next pattern
    return None


def published_date(
    *,
    feed: datetime | None,
    page: datetime | None,
    url: str,
    fetched_at: datetime,
    max_future_skew: timedelta = MAX_FUTURE_SKEW,
    earliest: datetime = EARLIEST,
) -> PublishedDate:
    """The first plausible of the feed's, the page's and ``url``'s date (see the module
    docstring). Datetimes are aware."""
    flag: DateFlag | None = None
    claimed: datetime | None = None
    candidates: tuple[tuple[DateSource, datetime | None], ...] = (
        ("feed", feed),
        ("page", page),
        ("url", url_date(url)),
    )
    for source, value in candidates:
        if value is None:
            continue
        refused: DateFlag | None = None
        if source == "url" and fetched_at < value <= fetched_at + _URL_DAY_AHEAD:
            value = fetched_at  # a date east of UTC, already "tomorrow": today, clamped
        if value > fetched_at + max_future_skew:
            refused = "future"
        elif value < earliest:
            refused = "too_old"
        if refused is None:
            return PublishedDate(value, source, flag, claimed)
        if flag is None:
            flag, claimed = refused, value
    return PublishedDate(None, "fetched", flag or "missing", claimed)
