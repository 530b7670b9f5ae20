"""Web-analytics CSV exports as traffic events: GA4 exports and plain referrer logs.

Headers are matched case-insensitively, with runs of spaces and underscores read as
one space (``Landing_URL`` = ``landing url``). Lines before the header that are blank
or start with ``#`` (GA4 writes its account and date-range notes there) are skipped,
as is a ``Grand total`` row. Two layouts are accepted:

- **GA4** (an Explore / report export with the dimensions "Session source", "Page
  referrer", "Landing page + query string" and a date): ``Landing page + query
  string`` or ``Landing page`` (required: a path, joined to the ``Hostname`` column
  or the ``site`` the request names, or a full URL); ``Date`` (``YYYYMMDD`` as GA4
  writes it, or ``YYYY-MM-DD``; midnight in the request's ``tz``) or ``Date + hour
  (YYYYMMDDHH)`` (required); ``Page referrer`` (a URL, may be empty); ``Session
  source`` (used as the referrer ``https://{source}/`` when the page referrer is
  empty and the source is a host name, e.g. ``news.example``; ``(direct)``,
  ``google``... are not host names); ``Session medium`` or ``Session source /
  medium`` (the medium judges paid traffic); ``Session campaign``; ``Sessions``
  (default 1); ``Conversions`` or ``Key events`` (default 0; GA4 may write
  decimals, which are rounded).
- **Referrer log**: ``timestamp`` (ISO 8601 with an offset, or naive = in ``tz``),
  ``referrer``, ``landing_url``, optional ``sessions`` and ``conversions``.

Event ids are derived from the row's content (the SHA-256 of the layout and the
parsed values, with the number of identical rows before it in the file), so
importing the same file again stores nothing new. ``parse_csv`` reports every bad
row with its line number and returns no event when any row is bad.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from search import TrafficEvent
from service._attribution import campaign_of

__all__ = ["RowError", "parse_csv"]

Layout = Literal["ga4", "log"]

_GA4_LANDING = ("landing page + query string", "landing page")
_GA4_DATE = ("date", "date + hour (yyyymmddhh)", "date hour")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    message: str


def _key(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower())


def _number(raw: str, *, name: str, default: int, minimum: int) -> int:
    text = raw.strip().replace(",", "")
    if not text:
        return default
    try:
        value = round(float(text))
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


def _ga4_time(raw: str, tz: ZoneInfo) -> datetime:
    text = raw.strip()
    # Chosen by shape: strptime would read "20261102" as %Y%m%d%H = 2026-01-10 02h.
    fmt = {10: "%Y%m%d%H", 8: "%Y%m%d"}.get(len(text)) if text.isdigit() else "%Y-%m-%d"
    try:
        if fmt is not None:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
    except ValueError:
        pass
    raise ValueError(f"date must be YYYYMMDD, YYYYMMDDHH or YYYY-MM-DD, not {raw!r}")


def _log_time(raw: str, tz: ZoneInfo) -> datetime:
    try:
        ts = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"timestamp must be ISO 8601, not {raw!r}") from None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=tz)


def _absolute(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _source_referrer(source: str) -> str:
    source = source.strip().lower()
    if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", source):
        return f"https://{source}/"
    return ""


def _find(columns: dict[str, int], names: tuple[str, ...]) -> int | None:
    return next((columns[n] for n in names if n in columns), None)


def _layout(columns: dict[str, int]) -> Layout | None:
    if _find(columns, _GA4_LANDING) is not None:
        return "ga4"
    if {"timestamp", "referrer", "landing url"} <= columns.keys():
        return "log"
    return None


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_csv(
    text: str, *, tz: ZoneInfo, site: str | None = None
) -> tuple[list[TrafficEvent], list[RowError]]:
    """Rows of ``text`` as events, or every row error (then no rows); see the module."""
    lines = list(csv.reader(io.StringIO(text)))
    start = 0
    while start < len(lines) and (
        not any(c.strip() for c in lines[start])
        or (lines[start] and lines[start][0].lstrip().startswith("#"))
    ):
        start += 1
    if start == len(lines):
        return [], [RowError(1, "header", "no header row")]
    columns = {_key(h): i for i, h in reversed(list(enumerate(lines[start])))}
    layout = _layout(columns)
    if layout is None:
        return [], [
            RowError(
                start + 1,
                "header",
                "neither a GA4 export (needs 'Landing page + query string' or 'Landing page'"
                " and 'Date') nor a referrer log (needs timestamp, referrer, landing_url)",
            )
        ]
    if layout == "ga4" and _find(columns, _GA4_DATE) is None:
        return [], [RowError(start + 1, "header", "a GA4 export needs a 'Date' column")]
    rows: list[TrafficEvent] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(lines[start + 1 :], start=start + 2):
        if not any(c.strip() for c in row) or any(c.strip().lower() == "grand total" for c in row):
            continue
        try:
            parsed = (_ga4_row if layout == "ga4" else _log_row)(row, columns, tz, site)
        except _Bad as exc:
            errors.append(RowError(offset, exc.field, exc.message))
            continue
        digest = hashlib.sha256(json.dumps([layout, *parsed], default=str).encode()).hexdigest()
        seen[digest] = seen.get(digest, 0) + 1
        ts, landing, referrer, sessions, conversions, medium, campaign = parsed
        rows.append(
            TrafficEvent(
                id=f"import-{digest[:32]}-{seen[digest]}",
                timestamp=ts,
                landing_url=landing,
                referrer=referrer,
                sessions=sessions,
                conversions=conversions,
                utm_medium=medium,
                campaign=campaign or campaign_of(landing),
            )
        )
    return ([], errors) if errors else (rows, [])


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_Parsed = tuple[datetime, str, str, int, int, str, str]


def _counts(row: list[str], columns: dict[str, int], conv: tuple[str, ...]) -> tuple[int, int]:
    try:
        sessions = _number(
            _cell(row, columns.get("sessions")), name="sessions", default=1, minimum=1
        )
    except ValueError as exc:
        raise _Bad("sessions", str(exc)) from None
    try:
        conversions = _number(
            _cell(row, _find(columns, conv)), name="conversions", default=0, minimum=0
        )
    except ValueError as exc:
        raise _Bad("conversions", str(exc)) from None
    return sessions, conversions


def _ga4_row(row: list[str], columns: dict[str, int], tz: ZoneInfo, site: str | None) -> _Parsed:
    raw_date = _cell(row, _find(columns, _GA4_DATE))
    try:
        ts = _ga4_time(raw_date, tz)
    except ValueError as exc:
        raise _Bad("date", str(exc)) from None
    landing = _cell(row, _find(columns, _GA4_LANDING))
    if not landing:
        raise _Bad("landing page", "empty landing page")
    if not _absolute(landing):
        host = _cell(row, columns.get("hostname"))
        base = f"https://{host}/" if host else site
        if not base:
            raise _Bad("landing page", "a path: add a Hostname column or the `site` parameter")
        landing = urljoin(base, landing)
    referrer = _cell(row, columns.get("page referrer"))
    source = _cell(row, columns.get("session source"))
    medium = _cell(row, columns.get("session medium"))
    combined = _cell(row, columns.get("session source / medium"))
    if combined and "/" in combined:
        combined_source, _, combined_medium = combined.partition("/")
        source = source or combined_source.strip()
        medium = medium or combined_medium.strip()
    if referrer and not _absolute(referrer):
        referrer = ""
    referrer = referrer or _source_referrer(source)
    campaign = _cell(row, columns.get("session campaign"))
    if campaign.startswith("("):  # GA4's "(not set)", "(organic)", "(direct)"
        campaign = ""
    sessions, conversions = _counts(row, columns, ("conversions", "key events"))
    return ts, landing, referrer, sessions, conversions, medium, campaign


def _log_row(row: list[str], columns: dict[str, int], tz: ZoneInfo, site: str | None) -> _Parsed:
    try:
        ts = _log_time(_cell(row, columns["timestamp"]), tz)
    except ValueError as exc:
        raise _Bad("timestamp", str(exc)) from None
    landing = _cell(row, columns["landing url"])
    if not _absolute(landing):
        raise _Bad("landing_url", f"must be an absolute http(s) URL, not {landing!r}")
    referrer = _cell(row, columns["referrer"])
    if referrer in ("-",):  # the combined log format's "no referrer"
        referrer = ""
    sessions, conversions = _counts(row, columns, ("conversions",))
    return ts, landing, referrer, sessions, conversions, "", ""
