"""``Store.mention_stats(top=StatTop(...))``: rankings cut in the store, on every backend.

The dataset (acme's mentions unless said; audience in brackets):

====  ===========  =======  =====  ==================  ==========
doc   outlet       cluster  label  authors             also
====  ===========  =======  =====  ==================  ==========
e1    A [100]      e1       +      Ann                 globex -
e2    B [100]      e1       0      Bo
e3    C [100]      e3       -      (none)
e4    A [100]      e4       0      Bo
e5    B [100]      e5       +      Ann
e6    D [100]      e6       +      Cy
e7    D [100]      e6       0      (none)
e8    E [500]      e8       -      Dee
====  ===========  =======  =====  ==================  ==========

Many groups tie on both figures, so the key decides (``None`` first).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from enrichment import SentimentLabel
from search import (
    CountBy,
    Dimension,
    MentionFilter,
    StatRank,
    StatRow,
    StatTop,
    Store,
    StoreError,
)
from tests.store_contract._data import doc, mention, utc

Z = ZoneInfo("UTC")
ACME = MentionFilter(brand_ids=("acme",))

_DOCS: list[tuple[str, str, int, str, tuple[str, ...]]] = [
    ("e1", "A", 100, "e1", ("Ann",)),
    ("e2", "B", 100, "e1", ("Bo",)),
    ("e3", "C", 100, "e3", ()),
    ("e4", "A", 100, "e4", ("Bo",)),
    ("e5", "B", 100, "e5", ("Ann",)),
    ("e6", "D", 100, "e6", ("Cy",)),
    ("e7", "D", 100, "e6", ()),
    ("e8", "E", 500, "e8", ("Dee",)),
]
_MENTIONS: dict[str, list[tuple[str, SentimentLabel]]] = {
    "e1": [("acme", "positive"), ("globex", "negative")],
    "e2": [("acme", "neutral")],
    "e3": [("acme", "negative")],
    "e4": [("acme", "neutral")],
    "e5": [("acme", "positive")],
    "e6": [("acme", "positive")],
    "e7": [("acme", "neutral")],
    "e8": [("acme", "negative")],
}


@pytest.fixture
async def seeded(store: Store) -> Store:
    for i, (doc_id, outlet, audience, cluster, authors) in enumerate(_DOCS):
        document = doc(doc_id, published_at=utc(2026, 6, 1) + timedelta(hours=i)).replace(
            outlet=outlet, domain=f"{outlet.lower()}.example", audience=audience, authors=authors
        )
        mentions = [
            dataclasses.replace(mention(doc_id, brand, label), cluster_id=cluster)
            for brand, label in _MENTIONS[doc_id]
        ]
        await store.save_document(document, mentions)
    return store


def ranked(found: list[StatRow]) -> list[tuple[object, ...]]:
    """(key, mentions, positive, neutral, negative, reach) of each row."""
    return [(r.key, r.mentions, r.positive, r.neutral, r.negative, r.reach) for r in found]


async def test_outlets_by_mentions_ties_by_reach_then_name(seeded: Store) -> None:
    top = StatTop(by="mentions", limit=3)
    found = await seeded.mention_stats(ACME, group_by=("outlet",), tz=Z, count="outlet", top=top)
    # A, B and D: 2 mentions and 200 each, so by name; E (1, 500) and C next.
    assert ranked(found) == [
        (("A",), 2, 1, 1, 0, 200),
        (("B",), 2, 1, 1, 0, 200),
        (("D",), 2, 1, 1, 0, 200),
    ]
    units = await seeded.mention_stats(
        ACME, group_by=("outlet",), tz=Z, count="document", top=StatTop(by="mentions", limit=4)
    )
    # D's two copies of e6 are one unit: D falls behind E (1 unit, 500).
    assert ranked(units) == [
        (("A",), 2, 1, 1, 0, 200),
        (("B",), 2, 1, 1, 0, 200),
        (("E",), 1, 0, 0, 1, 500),
        (("C",), 1, 0, 0, 1, 100),
    ]


async def test_outlets_by_reach_ties_by_mentions(seeded: Store) -> None:
    for count in ("outlet", "document"):
        found = await seeded.mention_stats(
            ACME, group_by=("outlet",), tz=Z, count=count, top=StatTop(by="reach", limit=2)
        )
        assert [(r.key, r.reach) for r in found] == [(("E",), 500), (("A",), 200)], count


async def test_stories_by_copies_then_reach_then_cluster(seeded: Store) -> None:
    found = await seeded.mention_stats(
        ACME, group_by=("cluster",), tz=Z, count="document", top=StatTop(by="copies", limit=5)
    )
    # e1 and e6 have two copies (e1 in two outlets: reach 200; e6 twice in D: 100).
    assert ranked(found) == [
        (("e1",), 1, 1, 0, 0, 200),
        (("e6",), 1, 1, 0, 0, 100),
        (("e8",), 1, 0, 0, 1, 500),
        (("e3",), 1, 0, 0, 1, 100),
        (("e4",), 1, 0, 1, 0, 100),
    ]


async def test_a_missing_value_ties_first(seeded: Store) -> None:
    found = await seeded.mention_stats(
        ACME, group_by=("author",), tz=Z, count="outlet", top=StatTop(by="mentions", limit=10)
    )
    assert [(r.key, r.mentions, r.reach) for r in found] == [
        ((None,), 2, 200),  # e3 and e7
        (("Ann",), 2, 200),
        (("Bo",), 2, 200),
        (("Dee",), 1, 500),
        (("Cy",), 1, 100),
    ]


async def test_clusters_filter(seeded: Store) -> None:
    found = await seeded.mention_stats(
        MentionFilter(clusters=("e1", "e6")), group_by=("brand", "outlet"), tz=Z, count="outlet"
    )
    assert [(r.key, r.mentions) for r in found] == [
        (("acme", "A"), 1),
        (("acme", "B"), 1),
        (("acme", "D"), 2),
        (("globex", "A"), 1),
    ]


def _reference(
    rows: list[StatRow], copies: dict[tuple[object, ...], int], by: StatRank, limit: int
) -> list[StatRow]:
    def rank(r: StatRow) -> tuple[object, ...]:
        first = {"mentions": r.mentions, "reach": r.reach, "copies": copies[r.key]}[by]
        second = r.mentions if by == "reach" else r.reach
        return (-first, -second, tuple((v is not None, v) for v in r.key))

    return sorted(rows, key=rank)[:limit]


@pytest.mark.parametrize(
    "group_by",
    [(), ("outlet",), ("brand", "outlet"), ("cluster",), ("author",), ("brand", "author")],
)
@pytest.mark.parametrize("count", ["outlet", "document"])
async def test_top_is_the_full_rows_ranked_and_cut(
    seeded: Store, group_by: tuple[Dimension, ...], count: CountBy
) -> None:
    every = await seeded.mention_stats(MentionFilter(), group_by=group_by, tz=Z, count=count)
    per_copy = await seeded.mention_stats(MentionFilter(), group_by=group_by, tz=Z, count="outlet")
    copies: dict[tuple[object, ...], int] = {r.key: r.mentions for r in per_copy}
    by: StatRank
    for by in ("mentions", "reach", "copies"):
        for limit in (1, 3, 100):
            found = await seeded.mention_stats(
                MentionFilter(),
                group_by=group_by,
                tz=Z,
                count=count,
                top=StatTop(by=by, limit=limit),
            )
            assert found == _reference(every, copies, by, limit), (by, limit)


async def test_bad_tops_are_refused(seeded: Store) -> None:
    with pytest.raises(StoreError):
        await seeded.mention_stats(
            ACME, group_by=("outlet",), interval="day", tz=Z, top=StatTop(by="mentions", limit=3)
        )
    with pytest.raises(StoreError):
        await seeded.mention_stats(
            ACME, group_by=("sentiment",), tz=Z, top=StatTop(by="mentions", limit=3)
        )
    with pytest.raises(StoreError):
        await seeded.mention_stats(
            ACME, group_by=("outlet",), tz=Z, top=StatTop(by="reach", limit=0)
        )
