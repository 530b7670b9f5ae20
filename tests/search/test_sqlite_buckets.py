"""``search._sqlite_buckets.WindowBuckets``: SQLite's bucket numbers give the same
bucket as ``search._buckets.bucket_start`` for every instant of a window, in zones
with DST changes of an hour and of 30 minutes, offsets of 45 minutes and local
mean time (offsets in seconds)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from search._buckets import bucket_start
from search._sqlite_buckets import WindowBuckets
from search._sqlite_codec import to_us
from search._store import Interval

CASES = [
    # (zone, window start (UTC), days): each window holds at least one offset change.
    ("Europe/Paris", datetime(2026, 3, 27, tzinfo=UTC), 5),  # spring forward, 23-hour day
    ("Europe/Paris", datetime(2026, 10, 22, 7, 13, tzinfo=UTC), 6),  # fall back, 25-hour day
    ("Australia/Lord_Howe", datetime(2026, 4, 2, tzinfo=UTC), 5),  # 30-minute DST change
    ("Asia/Kathmandu", datetime(2026, 5, 30, tzinfo=UTC), 40),  # +5:45, month boundary
    ("Pacific/Chatham", datetime(2026, 4, 3, tzinfo=UTC), 4),  # +13:45 -> +12:45
    ("Europe/Paris", datetime(1911, 3, 8, tzinfo=UTC), 6),  # LMT +0:09:21 -> WET
    ("America/New_York", datetime(2026, 10, 28, tzinfo=UTC), 12),  # fall back, then November
]
INTERVALS: tuple[Interval, ...] = ("hour", "day", "week", "month")
STEP = timedelta(minutes=7, seconds=13)  # not a divisor of any offset: hits odd instants


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize(("zone", "start", "days"), CASES)
def test_bucket_numbers_match_bucket_start(
    interval: Interval, zone: str, start: datetime, days: int
) -> None:
    tz = ZoneInfo(zone)
    end = start + timedelta(days=days)
    window = WindowBuckets(start, end, interval=interval, tz=tz)
    if not window.exact:
        # Only the hour cut by Chatham's change at 03:45 (see WindowBuckets._check).
        assert (zone, interval) == ("Pacific/Chatham", "hour")
        return
    instants = []
    at = start
    while at < end:
        instants.append(at)
        at += STEP
    instants.append(end - timedelta(microseconds=1))
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE t (us INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(to_us(i),) for i in instants])
        numbers = [n for (n,) in conn.execute(f"SELECT {window.sql('us')} FROM t ORDER BY rowid")]
    finally:
        conn.close()
    found = [window.start_of(n) for n in numbers]
    expected = [bucket_start(i, interval=interval, tz=tz) for i in instants]
    assert found == expected
    # Equal instants, and the same local wall time (the offset is part of a bucket's start).
    assert [f.utcoffset() for f in found] == [e.utcoffset() for e in expected]
    assert len(found) == len(instants) > 100
