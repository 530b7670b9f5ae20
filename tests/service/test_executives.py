"""The pure arithmetic of executive visibility (``service._executives``)."""

from __future__ import annotations

from enrichment import Brand
from search import StatRow
from service._executives import roster_of, visibility_series, visibility_totals
from tests.store_contract._data import utc


def row(brand: str, person: str | None, mentions: int, reach: int, start: object = None) -> StatRow:
    return StatRow(
        start=start,  # type: ignore[arg-type]
        key=(brand, person),
        mentions=mentions,
        positive=mentions,
        neutral=0,
        negative=0,
        reach=reach,
    )


def test_roster_lists_configured_then_found_and_ignores_unnamed() -> None:
    brands = [Brand(id="a", name="A", spokespeople=("Zed", "Amy", "Zed"))]
    rows = [row("a", "Bea", 1, 5), row("a", None, 9, 90), row("a", "Amy", 1, 1)]
    assert roster_of(brands, rows) == [("a", "Zed"), ("a", "Amy"), ("a", "Bea")]


def test_totals_share_within_the_set_and_zero_without_mentions() -> None:
    roster = [("a", "Amy"), ("a", "Bea"), ("b", "Cat")]
    rows = [row("a", "Amy", 3, 30), row("b", "Cat", 1, 70), row("a", None, 6, 0)]
    items, total, reach = visibility_totals(rows, roster=roster, brand_mentions={"a": 9})
    assert (total, reach) == (4, 100)
    assert [(v.spokesperson, v.share, v.reach_share, v.brand_share) for v in items] == [
        ("Amy", 0.75, 0.3, 0.333333),
        ("Cat", 0.25, 0.7, 0.0),  # brand b's mentions unknown: 0, never a division by zero
        ("Bea", 0.0, 0.0, 0.0),
    ]
    empty, total, reach = visibility_totals([], roster=roster, brand_mentions={})
    assert (total, reach) == (0, 0) and all(v.share == 0.0 for v in empty)


def test_series_fills_empty_buckets_in_the_given_order() -> None:
    day1, day2 = utc(2026, 5, 1), utc(2026, 5, 2)
    rows = [row("a", "Amy", 2, 20, day2), row("b", "Cat", 2, 10, day2)]
    series = visibility_series(rows, order=[("b", "Cat"), ("a", "Amy")], bucket_starts=[day1, day2])
    assert [
        (b.start, b.mentions, [(p.spokesperson, p.share) for p in b.items]) for b in series
    ] == [
        (day1, 0, [("Cat", 0.0), ("Amy", 0.0)]),
        (day2, 4, [("Cat", 0.5), ("Amy", 0.5)]),
    ]
