"""``Store.mention_stats`` on a small hand-checked dataset, on every backend.

The dataset (mentions of acme and globex; audience in brackets):

====  ================  ===========  ====  =====  =======  ====  ======  ======================
doc   counted at (UTC)  outlet       chan  tier   country  lang  cluster  mentions
====  ================  ===========  ====  =====  =======  ====  ======  ======================
d1    05-04 09:00       Daily [1000]  news  1     US       en    d1      acme +, globex -
d2    05-04 12:00       Wire  [200]   news  2     GB       en    d1      acme +
d3    05-05 08:00       Daily [1000]  news  1     US       en    d1      acme 0
d4    05-05 10:00       Blog  [50]    blog  3     -        fr    d4      acme -, globex +
d5    05-31 23:00       Social [10]   social 3    US       -     d5      globex 0
====  ================  ===========  ====  =====  =======  ====  ======  ======================

Authors: d1 Ann and Bo, d2 Ann, d3 Cy, d4 none, d5 Bo.
Spokespeople quoted: acme's mentions in d1 Ada and Ben, d2 Ada, d3 Ben, d4 none;
globex's in d1 and d4 Gil, d5 none.

d2 and d3 are syndicated copies of d1 (cluster d1); d3 is a second copy in the
same outlet as d1. With ``count="document"`` acme's cluster d1 is one unit, at
d1's time with d1's sentiment (+), whose reach is Daily once + Wire = 1200.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from enrichment import SentimentLabel
from enrichment._query import parse_query
from search import MentionFilter, StatRow, Store, StoreError
from tests.store_contract._data import doc, mention, utc

PARIS = ZoneInfo("Europe/Paris")
Z = ZoneInfo("UTC")
ALL = MentionFilter()

_DOCS: list[tuple[str, datetime, str, str, int, int, str | None, str | None, str]] = [
    ("d1", utc(2026, 5, 4, 9), "Daily", "news", 1, 1000, "US", "en", "d1"),
    ("d2", utc(2026, 5, 4, 12), "Wire", "news", 2, 200, "GB", "en", "d1"),
    ("d3", utc(2026, 5, 5, 8), "Daily", "news", 1, 1000, "US", "en", "d1"),
    ("d4", utc(2026, 5, 5, 10), "Blog", "blog", 3, 50, None, "fr", "d4"),
    ("d5", utc(2026, 5, 31, 23), "Social", "social", 3, 10, "US", None, "d5"),
]
_MENTIONS: dict[str, list[tuple[str, SentimentLabel]]] = {
    "d1": [("acme", "positive"), ("globex", "negative")],
    "d2": [("acme", "positive")],
    "d3": [("acme", "neutral")],
    "d4": [("acme", "negative"), ("globex", "positive")],
    "d5": [("globex", "neutral")],
}
_AUTHORS: dict[str, tuple[str, ...]] = {
    "d1": ("Ann", "Bo"),
    "d2": ("Ann",),
    "d3": ("Cy",),
    "d4": (),
    "d5": ("Bo",),
}
_SPOKESPEOPLE: dict[tuple[str, str], tuple[str, ...]] = {
    ("d1", "acme"): ("Ada", "Ben"),
    ("d2", "acme"): ("Ada",),
    ("d3", "acme"): ("Ben",),
    ("d1", "globex"): ("Gil",),
    ("d4", "globex"): ("Gil",),
}

Row = tuple[datetime | None, tuple[object, ...], int, int, int, int, int]


@pytest.fixture
async def seeded(store: Store) -> Store:
    for doc_id, at, outlet, channel, tier, audience, country, language, cluster in _DOCS:
        text = {"d1": "Text one.", "d4": "Text four."}.get(doc_id, "Other words.")
        document = doc(doc_id, published_at=at, text=text).replace(
            outlet=outlet,
            domain=f"{outlet.lower()}.example",
            channel=channel,
            tier=tier,
            audience=audience,
            country=country,
            language=language,
            authors=_AUTHORS[doc_id],
        )
        mentions = [
            dataclasses.replace(
                mention(doc_id, brand, label),
                cluster_id=cluster,
                spokespeople=_SPOKESPEOPLE.get((doc_id, brand), ()),
            )
            for brand, label in _MENTIONS[doc_id]
        ]
        await store.save_document(document, mentions)
    return store


def rows(found: list[StatRow]) -> list[Row]:
    """(start, key, mentions, positive, neutral, negative, reach) of each row."""
    for r in found:
        assert r.mentions == r.positive + r.neutral + r.negative
    return [(r.start, r.key, r.mentions, r.positive, r.neutral, r.negative, r.reach) for r in found]


async def test_by_brand_counting_every_copy(seeded: Store) -> None:
    found = await seeded.mention_stats(ALL, group_by=("brand",), tz=Z, count="outlet")
    assert rows(found) == [
        (None, ("acme",), 4, 2, 1, 1, 2250),
        (None, ("globex",), 3, 1, 1, 1, 1060),
    ]


async def test_by_brand_counting_clusters_once(seeded: Store) -> None:
    found = await seeded.mention_stats(ALL, group_by=("brand",), tz=Z, count="document")
    assert rows(found) == [
        (None, ("acme",), 2, 1, 0, 1, 1250),  # cluster d1 (+, 1000 + 200) and d4 (-, 50)
        (None, ("globex",), 3, 1, 1, 1, 1060),
    ]


async def test_by_brand_and_channel(seeded: Store) -> None:
    found = await seeded.mention_stats(ALL, group_by=("brand", "channel"), tz=Z, count="outlet")
    assert rows(found) == [
        (None, ("acme", "blog"), 1, 0, 0, 1, 50),
        (None, ("acme", "news"), 3, 2, 1, 0, 2200),
        (None, ("globex", "blog"), 1, 1, 0, 0, 50),
        (None, ("globex", "news"), 1, 0, 0, 1, 1000),
        (None, ("globex", "social"), 1, 0, 1, 0, 10),
    ]


async def test_clusters_count_once_per_group(seeded: Store) -> None:
    found = await seeded.mention_stats(ALL, group_by=("brand", "tier"), tz=Z, count="document")
    assert rows(found) == [
        (None, ("acme", 1), 1, 1, 0, 0, 1000),  # d1 and d3: one unit, Daily once
        (None, ("acme", 2), 1, 1, 0, 0, 200),
        (None, ("acme", 3), 1, 0, 0, 1, 50),
        (None, ("globex", 1), 1, 0, 0, 1, 1000),
        (None, ("globex", 3), 2, 1, 1, 0, 60),
    ]


async def test_missing_values_are_a_group_of_their_own_sorted_first(seeded: Store) -> None:
    by_country = await seeded.mention_stats(ALL, group_by=("country",), tz=Z, count="outlet")
    assert rows(by_country) == [
        (None, (None,), 2, 1, 0, 1, 100),
        (None, ("GB",), 1, 1, 0, 0, 200),
        (None, ("US",), 4, 1, 2, 1, 3010),
    ]
    by_language = await seeded.mention_stats(
        ALL, group_by=("language", "outlet"), tz=Z, count="outlet"
    )
    assert [(r[1], r[2], r[6]) for r in rows(by_language)] == [
        ((None, "Social"), 1, 10),
        (("en", "Daily"), 3, 3000),
        (("en", "Wire"), 1, 200),
        (("fr", "Blog"), 2, 100),
    ]


async def test_by_sentiment_uses_each_units_first_copy(seeded: Store) -> None:
    found = await seeded.mention_stats(ALL, group_by=("sentiment",), tz=Z, count="document")
    assert rows(found) == [
        (None, ("negative",), 2, 0, 0, 2, 1050),
        (None, ("neutral",), 1, 0, 1, 0, 10),
        (None, ("positive",), 2, 2, 0, 0, 1250),
    ]


async def test_daily_series_counts_a_cluster_at_its_first_copy(seeded: Store) -> None:
    found = await seeded.mention_stats(
        ALL, group_by=("brand",), interval="day", tz=Z, count="document"
    )
    assert rows(found) == [
        (utc(2026, 5, 4), ("acme",), 1, 1, 0, 0, 1200),
        (utc(2026, 5, 4), ("globex",), 1, 0, 0, 1, 1000),
        (utc(2026, 5, 5), ("acme",), 1, 0, 0, 1, 50),
        (utc(2026, 5, 5), ("globex",), 1, 1, 0, 0, 50),
        (utc(2026, 5, 31), ("globex",), 1, 0, 1, 0, 10),
    ]


async def test_months_follow_the_callers_zone(seeded: Store) -> None:
    utc_months = await seeded.mention_stats(
        ALL, group_by=("brand",), interval="month", tz=Z, count="outlet"
    )
    assert rows(utc_months) == [
        (utc(2026, 5, 1), ("acme",), 4, 2, 1, 1, 2250),
        (utc(2026, 5, 1), ("globex",), 3, 1, 1, 1, 1060),
    ]
    # d5 is June 1 01:00 in Paris.
    paris = await seeded.mention_stats(
        ALL, group_by=("brand",), interval="month", tz=PARIS, count="outlet"
    )
    assert rows(paris) == [
        (datetime(2026, 5, 1, tzinfo=PARIS), ("acme",), 4, 2, 1, 1, 2250),
        (datetime(2026, 5, 1, tzinfo=PARIS), ("globex",), 2, 1, 0, 1, 1050),
        (datetime(2026, 6, 1, tzinfo=PARIS), ("globex",), 1, 0, 1, 0, 10),
    ]
    assert [r.start.utcoffset() for r in paris if r.start] == [
        r.start.astimezone(PARIS).utcoffset() for r in paris if r.start
    ]


async def test_filters_by_channel_tier_language_outlet_and_country(seeded: Store) -> None:
    async def totals(where: MentionFilter, count: str = "outlet") -> list[Row]:
        found = await seeded.mention_stats(
            where,
            group_by=("brand",),
            tz=Z,
            count=count,  # type: ignore[arg-type]
        )
        return rows(found)

    assert await totals(MentionFilter(channels=("news",))) == [
        (None, ("acme",), 3, 2, 1, 0, 2200),
        (None, ("globex",), 1, 0, 0, 1, 1000),
    ]
    assert await totals(MentionFilter(tiers=(3,), languages=("fr",))) == [
        (None, ("acme",), 1, 0, 0, 1, 50),
        (None, ("globex",), 1, 1, 0, 0, 50),
    ]
    assert await totals(MentionFilter(outlets=("Daily",), brand_ids=("acme",))) == [
        (None, ("acme",), 2, 1, 1, 0, 2000),
    ]
    assert await totals(MentionFilter(countries=("GB", "US")), "document") == [
        (None, ("acme",), 1, 1, 0, 0, 1200),
        (None, ("globex",), 2, 0, 1, 1, 1010),
    ]
    window = MentionFilter(start=utc(2026, 5, 4, 12), end=utc(2026, 5, 31))
    # acme's cluster d1 now starts at d2 (Wire, +): Wire 200 + Daily (d3) 1000.
    assert await totals(window, "document") == [
        (None, ("acme",), 2, 1, 0, 1, 1250),
        (None, ("globex",), 1, 1, 0, 0, 50),
    ]


async def test_counts_agree_with_mention_counts(seeded: Store) -> None:
    for count in ("outlet", "document"):
        stats = await seeded.mention_stats(
            ALL,
            group_by=("brand",),
            interval="day",
            tz=PARIS,
            count=count,
        )
        counts = await seeded.mention_counts(ALL, interval="day", tz=PARIS, count=count)
        assert [(r.start, r.key[0], r.mentions) for r in stats] == [
            (c.start, c.brand_id, c.count) for c in counts
        ]


async def test_bad_arguments_are_refused(seeded: Store) -> None:
    with pytest.raises(StoreError):
        await seeded.mention_stats(ALL, group_by=("colour",), tz=Z)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        await seeded.mention_stats(ALL, group_by=("brand", "brand"), tz=Z)
    with pytest.raises(StoreError):
        await seeded.mention_stats(ALL, group_by=("brand",), interval="year", tz=Z)  # type: ignore[arg-type]


async def test_by_cluster(seeded: Store) -> None:
    copies = await seeded.mention_stats(
        MentionFilter(brand_ids=("acme",)), group_by=("cluster", "outlet"), tz=Z, count="outlet"
    )
    assert [(r.key, r.mentions, r.reach) for r in copies] == [
        (("d1", "Daily"), 2, 2000),
        (("d1", "Wire"), 1, 200),
        (("d4", "Blog"), 1, 50),
    ]
    stories = await seeded.mention_stats(
        MentionFilter(brand_ids=("acme",)), group_by=("cluster",), tz=Z, count="document"
    )
    assert rows(stories) == [
        (None, ("d1",), 1, 1, 0, 0, 1200),
        (None, ("d4",), 1, 0, 0, 1, 50),
    ]


async def test_by_author_counts_each_author_and_none(seeded: Store) -> None:
    found = await seeded.mention_stats(ALL, group_by=("brand", "author"), tz=Z, count="outlet")
    assert rows(found) == [
        (None, ("acme", None), 1, 0, 0, 1, 50),
        (None, ("acme", "Ann"), 2, 2, 0, 0, 1200),
        (None, ("acme", "Bo"), 1, 1, 0, 0, 1000),
        (None, ("acme", "Cy"), 1, 0, 1, 0, 1000),
        (None, ("globex", None), 1, 1, 0, 0, 50),
        (None, ("globex", "Ann"), 1, 0, 0, 1, 1000),
        (None, ("globex", "Bo"), 2, 0, 1, 1, 1010),
    ]
    units = await seeded.mention_stats(
        MentionFilter(brand_ids=("acme",)),
        group_by=("author",),
        interval="day",
        tz=Z,
        count="document",
    )
    assert rows(units) == [
        (utc(2026, 5, 4), ("Ann",), 1, 1, 0, 0, 1200),  # d1 (Daily) and d2 (Wire)
        (utc(2026, 5, 4), ("Bo",), 1, 1, 0, 0, 1000),
        (utc(2026, 5, 5), (None,), 1, 0, 0, 1, 50),
        (utc(2026, 5, 5), ("Cy",), 1, 0, 1, 0, 1000),
    ]


async def test_query_filters_exact_and_checked_per_document(seeded: Store) -> None:
    # d1 and d4 say "Text ..."; {Text} is case-sensitive, so checked document by document
    for q in ("text", "{Text}"):
        found = await seeded.mention_stats(
            MentionFilter(query=parse_query(q)), group_by=("brand",), tz=Z, count="document"
        )
        assert rows(found) == [
            (None, ("acme",), 2, 1, 0, 1, 1050),
            (None, ("globex",), 2, 1, 0, 1, 1050),
        ], q
    upper = MentionFilter(query=parse_query("{TEXT}"))
    assert await seeded.mention_stats(upper, group_by=("brand",), tz=Z) == []


async def test_by_spokesperson_counts_each_spokesperson_and_none(seeded: Store) -> None:
    found = await seeded.mention_stats(
        ALL, group_by=("brand", "spokesperson"), tz=Z, count="outlet"
    )
    assert rows(found) == [
        (None, ("acme", None), 1, 0, 0, 1, 50),  # d4
        (None, ("acme", "Ada"), 2, 2, 0, 0, 1200),  # d1 (+, 1000), d2 (+, 200)
        (None, ("acme", "Ben"), 2, 1, 1, 0, 2000),  # d1 (+, 1000), d3 (0, 1000)
        (None, ("globex", None), 1, 0, 1, 0, 10),  # d5
        (None, ("globex", "Gil"), 2, 1, 0, 1, 1050),  # d1 (-, 1000), d4 (+, 50)
    ]
    units = await seeded.mention_stats(
        ALL, group_by=("brand", "spokesperson"), tz=Z, count="document"
    )
    assert rows(units) == [
        (None, ("acme", None), 1, 0, 0, 1, 50),
        (None, ("acme", "Ada"), 1, 1, 0, 0, 1200),  # cluster d1 once: d1's +, Daily + Wire
        (None, ("acme", "Ben"), 1, 1, 0, 0, 1000),  # cluster d1 once: Daily once
        (None, ("globex", None), 1, 0, 1, 0, 10),
        (None, ("globex", "Gil"), 2, 1, 0, 1, 1050),  # clusters d1 and d4
    ]
    daily = await seeded.mention_stats(
        MentionFilter(brand_ids=("acme",)),
        group_by=("spokesperson",),
        interval="day",
        tz=Z,
        count="document",
    )
    assert rows(daily) == [
        (utc(2026, 5, 4), ("Ada",), 1, 1, 0, 0, 1200),
        (utc(2026, 5, 4), ("Ben",), 1, 1, 0, 0, 1000),
        (utc(2026, 5, 5), (None,), 1, 0, 0, 1, 50),
    ]
    both = await seeded.mention_stats(
        MentionFilter(brand_ids=("acme",), outlets=("Wire",)),
        group_by=("author", "spokesperson"),
        tz=Z,
        count="outlet",
    )
    assert rows(both) == [(None, ("Ann", "Ada"), 1, 1, 0, 0, 200)]  # d2 only
