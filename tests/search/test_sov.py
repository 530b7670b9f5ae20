"""Share-of-voice arithmetic, checked by hand."""

from datetime import UTC, datetime

import pytest

from search import BucketCount
from search._sov import share_series, shares, total_shares

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
