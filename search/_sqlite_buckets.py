"""Local time buckets in SQLite's SQL, exact in every time zone, for a known window.

SQLite has no time zones. For a window ``[start, end)`` the local bucket
boundaries are computed in Python (``search._buckets.bucket_starts``, which
defines them) and turned into one SQL expression that maps a counted time
(epoch microseconds) to the number of its bucket, so that a ``GROUP BY`` returns
one row per bucket instead of one per 15-minute slot (``search._sqlite_counts``
folds those in Python, 96 per day: the fold cost more than the query at 1M
mentions).

How the expression is exact: hour and day boundaries are almost all a fixed
length ``L`` apart; where they are not (a DST change, a historical offset
change), a new *segment* starts at the next boundary. In a segment that starts
at boundary ``k0`` (instant ``s``) and ends with bucket ``k1``, an instant ``t``
is in bucket ``min(k1, k0 + (t - s) / L)``: the buckets before the last are
``L`` long, the last one may be shorter or longer (the ``min`` keeps the extra
hour of a 25-hour day in it). Week and month buckets are unions of local days:
the expression numbers days and ``start_of`` gives each day's week or month.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from enrichment import SentimentLabel
from search._buckets import bucket_start, bucket_starts
from search._sqlite_codec import from_us, to_us
from search._stats import OutletPart
from search._store import Dimension, Interval

__all__ = ["WindowBuckets", "bucket_parts"]

_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")

_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# Probe step inside a bucket of irregular length (``WindowBuckets.exact``): every
# offset change of today's tzdata is a multiple of 15 minutes; 5 minutes also
# meets the historical ones that are not, at most 300 probes per such bucket.
_PROBE = 5 * 60 * 1_000_000


@dataclass(frozen=True, slots=True)
class _Segment:
    first: int  # the index of its first bucket
    last: int  # the index of its last bucket
    start_us: int  # the first bucket's start


class WindowBuckets:
    """The buckets of ``interval`` in ``tz`` over ``[start, end)`` (see the module
    docstring). Use ``sql`` only when ``exact`` (else fold 15-minute slots)."""

    def __init__(self, start: datetime, end: datetime, *, interval: Interval, tz: ZoneInfo) -> None:
        unit: Interval = "hour" if interval == "hour" else "day"
        self._interval = interval
        self._tz = tz
        self._starts = bucket_starts(start, end, interval=unit, tz=tz)
        self._length = _LENGTH[unit] // timedelta(microseconds=1)
        bounds = [to_us(s) for s in self._starts]
        self._segments = list(self._split(bounds))
        self.exact = self._check(unit, bounds, to_us(end))

    def _check(self, unit: Interval, bounds: list[int], end_us: int) -> bool:
        """Whether every bucket of irregular length, or with an offset change
        inside, holds only instants whose ``bucket_start`` is its start (probed
        every ``_PROBE``). Not so for hours
        cut by a DST change off the hour (Pacific/Chatham, 03:45 -> 02:45): there
        ``bucket_start`` sends the instants after the change back to an earlier
        hour, which one number per bucket cannot express."""
        for k, lo in enumerate(bounds):
            hi = bounds[k + 1] if k + 1 < len(bounds) else max(end_us, lo + 1)
            if hi - lo == self._length and self._offset(lo) == self._offset(hi - 1):
                continue
            probes = [*range(lo, hi, _PROBE), hi - 1]
            if any(
                bucket_start(from_us(t), interval=unit, tz=self._tz) != self._starts[k]
                for t in probes
            ):
                return False
        return True

    def _split(self, bounds: list[int]) -> Iterator[_Segment]:
        first = 0
        for k in range(len(bounds) - 1):
            if bounds[k + 1] - bounds[k] != self._length:
                yield _Segment(first, k, bounds[first])
                first = k + 1
        if bounds:
            yield _Segment(first, len(bounds) - 1, bounds[first])

    def _offset(self, us: int) -> timedelta | None:
        return from_us(us).astimezone(self._tz).utcoffset()

    def sql(self, column: str) -> str:
        """The bucket number of ``column`` (epoch microseconds inside the window)
        as a SQL expression; integer literals only, no parameters."""
        if not self._segments:
            return "NULL"

        def number(s: _Segment) -> str:
            # t >= s.start_us here, so SQLite's truncating division is the floor.
            return f"MIN({s.last}, {s.first} + ({column} - {s.start_us}) / {self._length})"

        *head, tail = self._segments
        if not head:
            return number(tail)
        nxt = [s.start_us for s in self._segments[1:]]
        cases = " ".join(
            f"WHEN {column} < {n} THEN {number(s)}" for s, n in zip(head, nxt, strict=True)
        )
        return f"CASE {cases} ELSE {number(tail)} END"

    def start_of(self, number: int) -> datetime:
        """The start of the ``interval`` bucket that bucket ``number`` is in."""
        local = self._starts[number]
        if self._interval in ("hour", "day"):
            return local
        return bucket_start(local, interval=self._interval, tz=self._tz)


def bucket_parts(
    conn: sqlite3.Connection,
    *,
    source: str,
    condition: str,
    params: list[object],
    dims: tuple[Dimension, ...],
    columns: tuple[str, ...],
    labels: tuple[str, str, str],
    audience: str,
    counted: str,
    window: WindowBuckets | None,
    prefix: str = "",
    weight: str = "1",
) -> Iterator[OutletPart]:
    """``OutletPart``s of the rows of ``source`` that meet ``condition``, per
    (``dims``, bucket of ``window``, sentiment), in one ``GROUP BY``.

    ``prefix``: a ``WITH`` clause the statement starts with. ``weight``: what a
    row adds (an expression; -1 subtracts it), so that parts may be negative.

    ``columns`` are the SQL expressions of ``dims``; ``labels`` the conditions
    that a row is negative, neutral, positive; ``audience`` and ``counted`` the
    expressions of a row's audience and counted time. The sentiments are
    counted side by side (``SUM`` of each condition) rather than grouped, which
    returns a third of the rows. ``window`` ``None``: no bucket."""
    select = ", ".join(f"{c} AS d{i}" for i, c in enumerate(columns))
    group = ", ".join(f"d{i}" for i in range(len(columns)))
    bucket = window.sql(counted) if window is not None else "NULL"
    sums = ", ".join(
        f"SUM(CASE WHEN {cond} THEN {weight} ELSE 0 END) AS n{j}, "
        f"SUM(CASE WHEN {cond} THEN {audience} * {weight} ELSE 0 END) AS r{j}"
        for j, cond in enumerate(labels)
    )
    rows = conn.execute(
        f"{prefix}SELECT {select}, {bucket} AS bucket, {sums} FROM {source} WHERE {condition} "
        f"GROUP BY {group}, bucket",
        params,
    ).fetchall()
    starts: dict[int, datetime] = {}
    for row in rows:
        part_dims = {d: row[i] for i, d in enumerate(dims)}
        start = None
        if window is not None:
            number = row["bucket"]
            start = starts.get(number)
            if start is None:
                start = starts[number] = window.start_of(number)
        for j, label in enumerate(_LABELS):
            if row[f"n{j}"] or row[f"r{j}"]:
                yield OutletPart(start, part_dims, label, row[f"n{j}"], row[f"r{j}"])
