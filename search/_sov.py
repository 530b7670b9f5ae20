"""Share of voice arithmetic (pure): counts per bucket and brand in, shares out.

SoV of brand b in set C over a window = mentions(b) / Σ mentions(c ∈ C). A bucket
or window in which the set has no mention gives every brand a share of 0 (not
NaN, and not an even split: nobody had any voice).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from search._store import BucketCount


@dataclass(frozen=True, slots=True)
class Share:
    brand_id: str
    mentions: int
    share: float


@dataclass(frozen=True, slots=True)
class ShareBucket:
    start: datetime
    total: int
    shares: tuple[Share, ...]


def shares(counts: dict[str, int], brand_ids: Sequence[str]) -> tuple[Share, ...]:
    """One ``Share`` per brand, in ``brand_ids`` order; brands absent from counts have 0."""
    total = sum(counts.get(b, 0) for b in brand_ids)
    return tuple(
        Share(b, counts.get(b, 0), counts.get(b, 0) / total if total else 0.0) for b in brand_ids
    )


def share_series(
    counts: Iterable[BucketCount], *, brand_ids: Sequence[str], bucket_starts: Sequence[datetime]
) -> list[ShareBucket]:
    """A bucket for every start in ``bucket_starts`` (empty ones included), in order.

    Counts whose bucket is not in ``bucket_starts`` or whose brand is not in
    ``brand_ids`` raise ``ValueError``: they would mean the store and the caller
    disagree on the buckets, and a silently dropped count is a wrong share.
    """
    wanted = set(brand_ids)
    table: dict[datetime, dict[str, int]] = {start: {} for start in bucket_starts}
    for c in counts:
        if c.brand_id not in wanted:
            raise ValueError(f"count for brand {c.brand_id!r} outside the set")
        row = table.get(c.start)
        if row is None:
            raise ValueError(f"count for bucket {c.start.isoformat()} outside the window")
        row[c.brand_id] = row.get(c.brand_id, 0) + c.count
    return [
        ShareBucket(start, sum(row.values()), shares(row, brand_ids))
        for start, row in table.items()
    ]


def total_shares(series: Sequence[ShareBucket], brand_ids: Sequence[str]) -> tuple[Share, ...]:
    totals: dict[str, int] = {}
    for bucket in series:
        for s in bucket.shares:
            totals[s.brand_id] = totals.get(s.brand_id, 0) + s.mentions
    return shares(totals, brand_ids)
