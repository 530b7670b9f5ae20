"""Time buckets in the caller's zone (pure), checked by hand and by property."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import Interval, bucket_start, bucket_starts

PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
HAVANA = ZoneInfo("America/Havana")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
Z = ZoneInfo("UTC")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def iso(starts: list[datetime]) -> list[str]:
    return [s.isoformat() for s in starts]


def test_utc_hour_day_and_monday_week() -> None:
    ts = utc(2026, 5, 7, 13, 45, 12)  # a Thursday
    assert bucket_start(ts, interval="hour", tz=Z) == utc(2026, 5, 7, 13)
    assert bucket_start(ts, interval="day", tz=Z) == utc(2026, 5, 7)
    assert bucket_start(ts, interval="week", tz=Z) == utc(2026, 5, 4)
    assert bucket_start(utc(2026, 5, 4), interval="week", tz=Z) == utc(2026, 5, 4)
    assert bucket_start(utc(2026, 5, 3, 23, 59), interval="week", tz=Z) == utc(2026, 4, 27)


def test_starts_are_local_time_with_the_zone_offset() -> None:
    start = bucket_start(utc(2026, 7, 1, 12), interval="day", tz=PARIS)
    assert start.isoformat() == "2026-07-01T00:00:00+02:00"
    assert start == utc(2026, 6, 30, 22)


def test_paris_spring_forward_day_is_23_hours() -> None:
    day = bucket_starts(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), interval="day", tz=PARIS)
    assert iso(day) == ["2026-03-29T00:00:00+01:00"]
    hours = bucket_starts(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), interval="hour", tz=PARIS)
    assert len(hours) == 23
    assert iso(hours[:4]) == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T04:00:00+02:00",
    ]
    days = bucket_starts(utc(2026, 3, 28), utc(2026, 3, 30, 22), interval="day", tz=PARIS)
    assert iso(days) == [
        "2026-03-28T00:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
    ]
    assert days[2] - days[1] == timedelta(hours=23)


def test_paris_fall_back_day_is_25_hours_with_two_2am_buckets() -> None:
    hours = bucket_starts(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), interval="hour", tz=PARIS)
    assert len(hours) == 25
    assert iso(hours[1:5]) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]
    assert len(set(hours)) == 25  # the two 02:00 are different keys
    assert bucket_start(utc(2026, 10, 25, 0, 59), interval="hour", tz=PARIS) == utc(2026, 10, 25)
    assert bucket_start(utc(2026, 10, 25, 1, 0), interval="hour", tz=PARIS) == utc(2026, 10, 25, 1)
    days = bucket_starts(utc(2026, 10, 24), utc(2026, 10, 27), interval="day", tz=PARIS)
    assert days[2] - days[1] == timedelta(hours=25)
    weeks = bucket_starts(utc(2026, 10, 20), utc(2026, 10, 27), interval="week", tz=PARIS)
    assert iso(weeks) == ["2026-10-19T00:00:00+02:00", "2026-10-26T00:00:00+01:00"]


def test_half_and_quarter_hour_offsets() -> None:
    assert bucket_start(utc(2026, 5, 4, 10, 29), interval="hour", tz=KOLKATA) == utc(
        2026, 5, 4, 9, 30
    )
    assert bucket_start(utc(2026, 5, 4, 10, 30), interval="hour", tz=KOLKATA) == utc(
        2026, 5, 4, 10, 30
    )
    assert bucket_start(utc(2026, 5, 4, 10, 14), interval="hour", tz=KATHMANDU) == utc(
        2026, 5, 4, 9, 15
    )
    day = bucket_start(utc(2026, 5, 4, 18, 15), interval="day", tz=KATHMANDU)
    assert day.isoformat() == "2026-05-05T00:00:00+05:45"
    hours = bucket_starts(utc(2026, 5, 4, 9), utc(2026, 5, 4, 11), interval="hour", tz=KOLKATA)
    assert iso(hours) == [
        "2026-05-04T14:00:00+05:30",
        "2026-05-04T15:00:00+05:30",
        "2026-05-04T16:00:00+05:30",
    ]


def test_a_day_whose_midnight_does_not_exist_starts_after_the_gap() -> None:
    # Havana, 2026-03-08: 00:00 CST jumps to 01:00 CDT.
    days = bucket_starts(utc(2026, 3, 7, 5), utc(2026, 3, 9, 4), interval="day", tz=HAVANA)
    assert iso(days) == ["2026-03-07T00:00:00-05:00", "2026-03-08T01:00:00-04:00"]
    assert bucket_start(utc(2026, 3, 8, 5, 30), interval="day", tz=HAVANA) == utc(2026, 3, 8, 5)


def test_half_hour_dst_shift() -> None:
    # Lord Howe, 2026-04-05: 02:00 (+11) goes back to 01:30 (+10:30); the
    # 01:00 hour lasts 90 minutes.
    hours = bucket_starts(utc(2026, 4, 4, 13), utc(2026, 4, 4, 17), interval="hour", tz=LORD_HOWE)
    assert iso(hours) == [
        "2026-04-05T00:00:00+11:00",
        "2026-04-05T01:00:00+11:00",
        "2026-04-05T02:00:00+10:30",
        "2026-04-05T03:00:00+10:30",
    ]


def test_empty_window_and_bad_input() -> None:
    assert bucket_starts(utc(2026, 1, 2), utc(2026, 1, 1), interval="day", tz=Z) == []
    assert bucket_starts(utc(2026, 1, 1), utc(2026, 1, 1), interval="day", tz=Z) == []
    with pytest.raises(ValueError, match="naive"):
        bucket_start(datetime(2026, 1, 1), interval="day", tz=Z)
    with pytest.raises(ValueError, match="interval"):
        bucket_start(utc(2026, 1, 1), interval="year", tz=Z)  # type: ignore[arg-type]


ZONES = [
    "UTC", "Europe/Paris", "America/New_York", "America/Havana", "America/Santiago",
    "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Australia/Eucla",
    "Pacific/Chatham", "Pacific/Apia", "Europe/Amsterdam", "Africa/Casablanca",
]  # fmt: skip
INTERVALS: list[Interval] = ["hour", "day", "week"]


@settings(max_examples=200, deadline=None)
@given(
    ts=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    interval=st.sampled_from(INTERVALS),
)
def test_buckets_tile_time(ts: datetime, zone: str, interval: Interval) -> None:
    """Every instant is in exactly one bucket, and consecutive buckets touch."""
    tz = ZoneInfo(zone)
    start = bucket_start(ts, interval=interval, tz=tz)
    assert start <= ts
    assert bucket_start(start, interval=interval, tz=tz) == start
    span = {"hour": timedelta(days=2), "day": timedelta(days=10), "week": timedelta(days=50)}[
        interval
    ]
    starts = bucket_starts(ts - span, ts + span, interval=interval, tz=tz)
    assert start in starts
    assert starts == sorted(set(starts))
    for before, after in itertools.pairwise(starts):
        assert bucket_start(after - timedelta(microseconds=1), interval=interval, tz=tz) == before
    local, begin = ts.astimezone(tz), start.astimezone(tz)
    if interval != "hour":
        # a day bucket holds one local date; a week starts on a Monday
        days_back = local.weekday() if interval == "week" else 0
        assert begin.date() == local.date() - timedelta(days=days_back)


def test_months_in_paris_follow_the_local_calendar() -> None:
    paris = ZoneInfo("Europe/Paris")
    # 2026-02-28 23:30Z is March 1 00:30 in Paris.
    assert bucket_start(utc(2026, 2, 28, 23, 30), interval="month", tz=paris) == datetime(
        2026, 3, 1, tzinfo=paris
    )
    starts = bucket_starts(utc(2026, 1, 15), utc(2026, 4, 2), interval="month", tz=paris)
    assert [s.isoformat() for s in starts] == [
        "2026-01-01T00:00:00+01:00",
        "2026-02-01T00:00:00+01:00",
        "2026-03-01T00:00:00+01:00",
        "2026-04-01T00:00:00+02:00",
    ]
