"""Share-of-voice arithmetic, checked by hand."""

from datetime import UTC, datetime

import pytest

from search import BucketCount, StatRow
from search._sov import (
    Tally,
    share_series,
    shares,
    total_shares,
    voice_groups,
    voice_series,
    voice_total,
    voices,
)

D1 = datetime(2026, 11, 1, tzinfo=UTC)
D2 = datetime(2026, 11, 2, tzinfo=UTC)
D3 = datetime(2026, 11, 3, tzinfo=UTC)


def test_shares_divide_by_the_set_total() -> None:
    result = shares({"acme": 3, "globex": 1}, ["acme", "globex", "initech"])
    assert [(s.brand_id, s.mentions, s.share) for s in result] == [
        ("acme", 3, 0.75),
        ("globex", 1, 0.25),
        ("initech", 0, 0.0),
    ]


def test_a_silent_set_has_no_voice_not_an_even_split() -> None:
    assert [s.share for s in shares({}, ["acme", "globex"])] == [0.0, 0.0]


def test_series_keeps_empty_buckets_and_totals_add_up() -> None:
    counts = [
        BucketCount(D1, "acme", 2),
        BucketCount(D1, "globex", 2),
        BucketCount(D3, "globex", 4),
    ]
    series = share_series(counts, brand_ids=["acme", "globex"], bucket_starts=[D1, D2, D3])
    assert [b.total for b in series] == [4, 0, 4]
    assert [[s.share for s in b.shares] for b in series] == [[0.5, 0.5], [0.0, 0.0], [0.0, 1.0]]
    totals = total_shares(series, ["acme", "globex"])
    assert [(s.mentions, s.share) for s in totals] == [(2, 0.25), (6, 0.75)]


def test_counts_outside_the_window_or_set_are_refused() -> None:
    with pytest.raises(ValueError, match="outside the window"):
        share_series([BucketCount(D2, "acme", 1)], brand_ids=["acme"], bucket_starts=[D1])
    with pytest.raises(ValueError, match="outside the set"):
        share_series([BucketCount(D1, "other", 1)], brand_ids=["acme"], bucket_starts=[D1])


def _row(start: datetime | None, key: tuple[str | int | None, ...], *figures: int) -> StatRow:
    mentions, positive, neutral, negative, reach = figures
    return StatRow(
        start=start,
        key=key,
        mentions=mentions,
        positive=positive,
        neutral=neutral,
        negative=negative,
        reach=reach,
    )


def test_voices_give_every_variant() -> None:
    found = voices(
        {"acme": Tally(3, 2, 0, 1, 900), "globex": Tally(1, 0, 0, 1, 100)},
        ["acme", "globex", "initech"],
    )
    assert [(v.brand_id, v.share, v.reach_share, v.positive_share) for v in found] == [
        ("acme", 0.75, 0.9, 1.0),
        ("globex", 0.25, 0.1, 0.0),
        ("initech", 0.0, 0.0, 0.0),
    ]
    # net sentiment is the brand's own (pos - neg) / mentions
    assert [v.net_sentiment for v in found] == [pytest.approx(1 / 3), -1.0, 0.0]


def test_voice_series_total_and_groups() -> None:
    rows = [
        _row(D1, ("acme",), 2, 1, 1, 0, 20),
        _row(D1, ("globex",), 2, 0, 0, 2, 60),
        _row(D3, ("acme",), 1, 1, 0, 0, 20),
    ]
    series = voice_series(rows, brand_ids=["acme", "globex"], bucket_starts=[D1, D2, D3])
    assert [(c.start, c.total.mentions, c.total.reach) for c in series] == [
        (D1, 4, 80),
        (D2, 0, 0),
        (D3, 1, 20),
    ]
    assert [v.reach_share for v in series[0].voices] == [0.25, 0.75]
    total = voice_total(series, ["acme", "globex"])
    assert [(v.tally.mentions, v.share, v.positive_share) for v in total.voices] == [
        (3, 0.6, 1.0),
        (2, 0.4, 0.0),
    ]
    groups = voice_groups(
        [
            _row(None, ("acme", None), 1, 0, 1, 0, 0),
            _row(None, ("acme", "news"), 1, 1, 0, 0, 10),
            _row(None, ("globex", "news"), 2, 0, 0, 2, 30),
            _row(None, ("globex", "blog"), 1, 0, 0, 1, 5),
        ],
        brand_ids=["acme", "globex"],
    )
    assert [(g.key, g.total.mentions) for g in groups] == [("news", 3), ("blog", 1), (None, 1)]
    with pytest.raises(ValueError, match="outside the set"):
        voice_groups([_row(None, ("initech", "news"), 1, 1, 0, 0, 1)], brand_ids=["acme"])
    with pytest.raises(ValueError, match="outside the window"):
        voice_series([_row(D2, ("acme",), 1, 1, 0, 0, 1)], brand_ids=["acme"], bucket_starts=[D1])
