"""Time buckets in the caller's time zone (pure): which bucket an instant falls in,
and which buckets a window covers.

A bucket is a local clock hour, a local calendar day, a local week that
starts on Monday at 00:00, or a local calendar month, all in ``tz``. Bucket
starts are aware datetimes in ``tz``; two starts are equal when they are the same instant.

Across DST changes the buckets follow the local clock:

- a local day is 23 or 25 hours long on the days the clocks change;
- during a fall-back the repeated local hour makes two hour buckets (same wall
  clock, different offsets), as Elasticsearch's ``date_histogram`` does;
- when a bucket's wall-clock start does not exist (a DST gap at midnight, as in
  America/Santiago or America/Havana), the bucket starts at the first instant
  after the gap, i.e. at the transition.

Zones with 30- or 45-minute offsets (Asia/Kolkata, Asia/Kathmandu) need nothing
special: buckets are computed on the local wall clock, then turned back into
instants.

Bucket starts carry a fixed-offset ``datetime.timezone`` (the zone's offset and
abbreviation at that instant, e.g. ``+01:00 CET``), not the ``ZoneInfo``:
Python compares and hashes two datetimes that share a ``ZoneInfo`` by wall
clock, ignoring ``fold``, so the two 02:00 buckets of a fall-back night would
be equal, and collapse as dict keys. With fixed offsets, equality, ordering and
hashing are by instant, and ``isoformat()`` shows the local time and offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from search._store import Interval

__all__ = ["bucket_start", "bucket_starts"]

_STEP: dict[Interval, timedelta] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    # Past the longest month from its first day: ``_next_start`` lands in the
    # next month and walks back to its first day.
    "month": timedelta(days=31),
}
_TICK = timedelta(microseconds=1)


def bucket_start(ts: datetime, *, interval: Interval, tz: ZoneInfo) -> datetime:
    """The start of the ``interval`` bucket of ``tz`` that contains the aware instant ``ts``.

    The start is local time in ``tz`` with a fixed offset (see the module
    docstring); it is ``<= ts`` and non-decreasing in ``ts``. Raises
    ``ValueError`` for a naive ``ts`` or an unknown interval.
    """
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts.isoformat()}: times must be timezone-aware")
    if interval not in _STEP:
        raise ValueError(f"unknown interval {interval!r}: expected hour, day, week or month")
    return _fixed(_resolve(_floor_wall(ts.astimezone(tz), interval), tz), tz)


def bucket_starts(
    start: datetime, end: datetime, *, interval: Interval, tz: ZoneInfo
) -> list[datetime]:
    """The starts of every bucket that overlaps ``[start, end)``, in order.

    The first one is ``bucket_start(start)`` (which may be before ``start``);
    an empty window (``start >= end``) has no bucket.
    """
    if start >= end:
        return []
    starts: list[datetime] = []
    current = bucket_start(start, interval=interval, tz=tz)
    while current < end:
        starts.append(current)
        current = _next_start(current, interval, tz)
    return starts


def _fixed(instant: datetime, tz: ZoneInfo) -> datetime:
    """``instant`` as local time in ``tz``, with that moment's offset as a fixed tzinfo."""
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    return local.replace(tzinfo=timezone(offset, local.tzname() or str(tz)), fold=0)


def _floor_wall(local: datetime, interval: Interval) -> datetime:
    """The naive wall-clock start of the bucket holding ``local``.

    An hour keeps ``fold`` (the second pass through a repeated hour is its own
    bucket); a day or week starts at its first midnight (``fold=0``).
    """
    wall = local.replace(tzinfo=None)
    if interval == "hour":
        return wall.replace(minute=0, second=0, microsecond=0)
    day = wall.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if interval == "day":
        return day
    if interval == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def _resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock in ``tz`` reads ``wall`` or later."""
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # ``wall`` is in a DST gap. With fold=1 zoneinfo applies the offset after the
    # change (the larger one), giving an instant before the transition; with fold=0
    # the offset before it, giving one after. Bisect between them, to the second
    # (tzdata transitions fall on whole seconds).
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # local clock < wall
    high = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)  # local clock >= wall
    low_s, high_s = int(low.timestamp()), int(high.timestamp())
    while high_s - low_s > 1:
        mid = (low_s + high_s) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            high_s = mid
        else:
            low_s = mid
    return datetime.fromtimestamp(high_s, UTC)


def _next_start(current: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    """The start of the bucket right after the one starting at ``current``."""
    candidate = bucket_start(current + _STEP[interval], interval=interval, tz=tz)
    if candidate <= current:
        # A bucket longer than the step (a 25-hour day, a 90-minute hour where a
        # half-hour is repeated): step on the wall clock instead.
        wall = _floor_wall(current.astimezone(tz), interval).replace(fold=0)
        candidate = _fixed(_resolve(wall + _STEP[interval], tz), tz)
    # Never skip a bucket shorter than the step (a 23-hour day ends before
    # current + 24 h): walk back while the instant before ``candidate`` starts
    # a later bucket than ``current``.
    while (before := bucket_start(candidate - _TICK, interval=interval, tz=tz)) > current:
        candidate = before
    return candidate
