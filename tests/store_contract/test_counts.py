"""Contract: mention counts per bucket in the caller's time zone.

Every expected number is written out by hand from the mentions seeded in each
test; the comments give the local time of each mention.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from enrichment import SentimentLabel, parse_query
from search import BucketCount, Interval, MentionFilter, Store, StoreError
from tests.store_contract._data import doc, mention, utc

UTC = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
ALL = MentionFilter()

Seed = tuple[str, datetime | None, str, SentimentLabel]


async def seed(store: Store, rows: list[Seed]) -> None:
    """One document per distinct id; its mentions are the rows with that id."""
    by_doc: dict[str, list[Seed]] = {}
    for row in rows:
        by_doc.setdefault(row[0], []).append(row)
    for doc_id, group in by_doc.items():
        d = doc(doc_id, published_at=group[0][1], title=f"Title {doc_id}", text=f"Text {doc_id}")
        assert await store.save_document(d, [mention(doc_id, r[2], r[3]) for r in group]) == (
            "created"
        )


async def counts(
    store: Store, interval: Interval, tz: ZoneInfo, where: MentionFilter = ALL
) -> list[tuple[datetime, str, int]]:
    found = await store.mention_counts(where, interval=interval, tz=tz)
    for c in found:  # local time in the caller's zone
        assert isinstance(c, BucketCount)
        assert c.start.utcoffset() == c.start.astimezone(tz).utcoffset()
    return sorted((c.start, c.brand_id, c.count) for c in found)


async def test_no_mentions_no_buckets(store: Store) -> None:
    assert await counts(store, "day", UTC) == []


async def test_utc_hours_days_and_weeks(store: Store) -> None:
    await seed(
        store,
        [
            ("a", utc(2026, 5, 3, 23, 59, 59), "acme", "neutral"),  # Sunday
            ("b", utc(2026, 5, 4, 10, 0), "acme", "neutral"),  # Monday
            ("b", utc(2026, 5, 4, 10, 0), "globex", "neutral"),
            ("c", utc(2026, 5, 4, 10, 59, 59), "acme", "neutral"),
            ("d", utc(2026, 5, 4, 11, 0), "acme", "neutral"),
            ("e", utc(2026, 5, 10, 23, 59), "globex", "neutral"),  # Sunday
            ("f", utc(2026, 5, 11, 0, 0), "globex", "neutral"),  # Monday
        ],
    )
    assert await counts(store, "hour", UTC) == [
        (datetime(2026, 5, 3, 23, tzinfo=UTC), "acme", 1),
        (datetime(2026, 5, 4, 10, tzinfo=UTC), "acme", 2),
        (datetime(2026, 5, 4, 10, tzinfo=UTC), "globex", 1),
        (datetime(2026, 5, 4, 11, tzinfo=UTC), "acme", 1),
        (datetime(2026, 5, 10, 23, tzinfo=UTC), "globex", 1),
        (datetime(2026, 5, 11, 0, tzinfo=UTC), "globex", 1),
    ]
    assert await counts(store, "day", UTC) == [
        (datetime(2026, 5, 3, tzinfo=UTC), "acme", 1),
        (datetime(2026, 5, 4, tzinfo=UTC), "acme", 3),
        (datetime(2026, 5, 4, tzinfo=UTC), "globex", 1),
        (datetime(2026, 5, 10, tzinfo=UTC), "globex", 1),
        (datetime(2026, 5, 11, tzinfo=UTC), "globex", 1),
    ]
    assert await counts(store, "week", UTC) == [
        (datetime(2026, 4, 27, tzinfo=UTC), "acme", 1),
        (datetime(2026, 5, 4, tzinfo=UTC), "acme", 3),
        (datetime(2026, 5, 4, tzinfo=UTC), "globex", 2),
        (datetime(2026, 5, 11, tzinfo=UTC), "globex", 1),
    ]


async def test_paris_spring_forward_day_has_23_hours(store: Store) -> None:
    # Sunday 2026-03-29: 02:00 CET (01:00Z) jumps to 03:00 CEST.
    await seed(
        store,
        [
            ("a", utc(2026, 3, 28, 22, 59), "acme", "neutral"),  # Sat 23:59 CET
            ("b", utc(2026, 3, 28, 23, 0), "acme", "neutral"),  # Sun 00:00 CET
            ("c", utc(2026, 3, 29, 0, 59), "acme", "neutral"),  # Sun 01:59 CET
            ("d", utc(2026, 3, 29, 1, 0), "acme", "neutral"),  # Sun 03:00 CEST
            ("e", utc(2026, 3, 29, 21, 59), "acme", "neutral"),  # Sun 23:59 CEST
            ("f", utc(2026, 3, 29, 22, 0), "acme", "neutral"),  # Mon 00:00 CEST
        ],
    )
    days = await counts(store, "day", PARIS)
    assert days == [
        (datetime(2026, 3, 28, tzinfo=PARIS), "acme", 1),
        (datetime(2026, 3, 29, tzinfo=PARIS), "acme", 4),
        (datetime(2026, 3, 30, tzinfo=PARIS), "acme", 1),
    ]
    assert days[1][0] == utc(2026, 3, 28, 23, 0)
    assert days[2][0].astimezone(UTC) - days[1][0].astimezone(UTC) == timedelta(hours=23)
    sunday = MentionFilter(start=utc(2026, 3, 28, 23), end=utc(2026, 3, 29, 22))
    assert await counts(store, "hour", PARIS, sunday) == [
        (datetime(2026, 3, 29, 0, tzinfo=PARIS), "acme", 1),
        (datetime(2026, 3, 29, 1, tzinfo=PARIS), "acme", 1),
        (datetime(2026, 3, 29, 3, tzinfo=PARIS), "acme", 1),  # there is no 02:00
        (datetime(2026, 3, 29, 23, tzinfo=PARIS), "acme", 1),
    ]
    assert await counts(store, "week", PARIS) == [
        (datetime(2026, 3, 23, tzinfo=PARIS), "acme", 5),
        (datetime(2026, 3, 30, tzinfo=PARIS), "acme", 1),
    ]


async def test_paris_fall_back_day_has_25_hours_and_two_2am_hours(store: Store) -> None:
    # Sunday 2026-10-25: 03:00 CEST (01:00Z) goes back to 02:00 CET.
    await seed(
        store,
        [
            ("j", utc(2026, 10, 24, 21, 59), "acme", "neutral"),  # Sat 23:59 CEST
            ("g", utc(2026, 10, 25, 0, 30), "acme", "neutral"),  # Sun 02:30 CEST
            ("h", utc(2026, 10, 25, 1, 30), "acme", "neutral"),  # Sun 02:30 CET
            ("h2", utc(2026, 10, 25, 1, 45), "acme", "neutral"),  # Sun 02:45 CET
            ("i", utc(2026, 10, 25, 22, 59), "acme", "neutral"),  # Sun 23:59 CET
            ("k", utc(2026, 10, 25, 23, 0), "acme", "neutral"),  # Mon 00:00 CET
        ],
    )
    days = await counts(store, "day", PARIS)
    assert days == [
        (datetime(2026, 10, 24, tzinfo=PARIS), "acme", 1),
        (datetime(2026, 10, 25, tzinfo=PARIS), "acme", 4),
        (datetime(2026, 10, 26, tzinfo=PARIS), "acme", 1),
    ]
    assert days[2][0].astimezone(UTC) - days[1][0].astimezone(UTC) == timedelta(hours=25)
    hours = await counts(store, "hour", PARIS)
    assert [(start.astimezone(UTC), n) for start, _, n in hours] == [
        (utc(2026, 10, 24, 21), 1),
        (utc(2026, 10, 25, 0), 1),  # 02:00 CEST
        (utc(2026, 10, 25, 1), 2),  # 02:00 CET, the second 02:00
        (utc(2026, 10, 25, 22), 1),
        (utc(2026, 10, 25, 23), 1),
    ]
    assert [start.hour for start, _, _ in hours[1:3]] == [2, 2]
    assert await counts(store, "week", PARIS) == [
        (datetime(2026, 10, 19, tzinfo=PARIS), "acme", 5),
        (datetime(2026, 10, 26, tzinfo=PARIS), "acme", 1),
    ]


async def test_half_and_quarter_hour_zones(store: Store) -> None:
    await seed(
        store,
        [
            ("a", utc(2026, 5, 4, 9, 14), "acme", "neutral"),  # Kolkata 14:44, Kathmandu 14:59
            ("b", utc(2026, 5, 4, 10, 14), "acme", "neutral"),  # Kolkata 15:44, Kathmandu 15:59
            ("c", utc(2026, 5, 4, 10, 29), "acme", "neutral"),  # Kolkata 15:59, Kathmandu 16:14
            ("d", utc(2026, 5, 4, 10, 30), "acme", "neutral"),  # Kolkata 16:00, Kathmandu 16:15
            ("e", utc(2026, 5, 4, 18, 29), "acme", "neutral"),  # Kolkata 23:59
            ("f", utc(2026, 5, 4, 18, 30), "acme", "neutral"),  # Kolkata 00:00 (May 5)
        ],
    )
    assert await counts(store, "hour", KOLKATA) == [
        (datetime(2026, 5, 4, 14, tzinfo=KOLKATA), "acme", 1),
        (datetime(2026, 5, 4, 15, tzinfo=KOLKATA), "acme", 2),
        (datetime(2026, 5, 4, 16, tzinfo=KOLKATA), "acme", 1),
        (datetime(2026, 5, 4, 23, tzinfo=KOLKATA), "acme", 1),
        (datetime(2026, 5, 5, 0, tzinfo=KOLKATA), "acme", 1),
    ]
    assert await counts(store, "day", KOLKATA) == [
        (datetime(2026, 5, 4, tzinfo=KOLKATA), "acme", 5),
        (datetime(2026, 5, 5, tzinfo=KOLKATA), "acme", 1),
    ]
    early = MentionFilter(end=utc(2026, 5, 4, 12))
    assert await counts(store, "hour", KATHMANDU, early) == [
        (datetime(2026, 5, 4, 14, tzinfo=KATHMANDU), "acme", 1),
        (datetime(2026, 5, 4, 15, tzinfo=KATHMANDU), "acme", 1),
        (datetime(2026, 5, 4, 16, tzinfo=KATHMANDU), "acme", 2),
    ]


async def test_filters_brands_window_sentiment_and_query(store: Store) -> None:
    await seed(
        store,
        [
            ("a", utc(2026, 5, 4, 8), "acme", "positive"),
            ("a", utc(2026, 5, 4, 8), "globex", "negative"),
            ("b", utc(2026, 5, 4, 9), "acme", "negative"),
            ("c", utc(2026, 5, 4, 10), "initech", "positive"),
            ("d", utc(2026, 5, 5, 10), "acme", "positive"),
        ],
    )

    async def day(where: MentionFilter) -> list[tuple[int, str, int]]:
        return [(s.day, b, n) for s, b, n in await counts(store, "day", UTC, where)]

    assert await day(MentionFilter(brand_ids=("acme", "initech"))) == [
        (4, "acme", 2),
        (4, "initech", 1),
        (5, "acme", 1),
    ]
    # start inclusive, end exclusive
    window = MentionFilter(start=utc(2026, 5, 4, 9), end=utc(2026, 5, 5, 10))
    assert await day(window) == [(4, "acme", 1), (4, "initech", 1)]
    assert await day(MentionFilter(sentiment="positive")) == [
        (4, "acme", 1),
        (4, "initech", 1),
        (5, "acme", 1),
    ]
    # the documents' texts are "Text a", "Text b", ...
    assert await day(MentionFilter(query=parse_query("text AND (a OR d)"))) == [
        (4, "acme", 1),
        (4, "globex", 1),
        (5, "acme", 1),
    ]
    assert await day(MentionFilter(query=parse_query("title:b"), brand_ids=("acme",))) == [
        (4, "acme", 1)
    ]
    assert await day(MentionFilter(query=parse_query("nowhere"))) == []
    # case-sensitive: "Text a", "Text b", ... match {Text}, nothing matches {TEXT}
    assert await day(MentionFilter(query=parse_query("{Text} AND (b OR c)"))) == [
        (4, "acme", 1),
        (4, "initech", 1),
    ]
    assert await day(MentionFilter(query=parse_query("{TEXT}"))) == []


async def test_counts_at_fetch_time_when_publication_time_is_unknown(store: Store) -> None:
    fetched = utc(2026, 5, 4, 23, 30)  # 01:30 in Paris, on May 5
    await store.save_document(
        doc("x", published_at=None, fetched_at=fetched), [mention("x", "acme")]
    )
    assert await counts(store, "day", PARIS) == [(datetime(2026, 5, 5, tzinfo=PARIS), "acme", 1)]
    inside = MentionFilter(start=fetched, end=fetched + timedelta(seconds=1))
    assert await counts(store, "hour", UTC, inside) == [
        (datetime(2026, 5, 4, 23, tzinfo=UTC), "acme", 1)
    ]


async def test_unknown_interval_is_rejected(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.mention_counts(ALL, interval="year", tz=UTC)  # type: ignore[arg-type]
