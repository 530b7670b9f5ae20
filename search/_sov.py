"""Share of voice arithmetic (pure): counts per bucket and brand in, shares out.

SoV of brand b in set C over a window = mentions(b) / Σ mentions(c ∈ C). A bucket
or window in which the set has no mention gives every brand a share of 0 (not
NaN, and not an even split: nobody had any voice).

The variants (``voices``), from a brand's ``Tally`` (a ``StatRow``'s figures):

- volume share: mentions(b) / Σ mentions;
- reach-weighted share: reach(b) / Σ reach (reach as ``search.StatRow`` defines it);
- positive share: positive(b) / Σ positive;
- net sentiment: (positive(b) − negative(b)) / mentions(b), in [-1, 1]; 0 for a
  brand without mentions. It is the brand's own figure, not a share of the set.

Every ratio whose denominator is 0 is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from search._store import BucketCount, GroupKey, StatRow


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


@dataclass(frozen=True, slots=True)
class Tally:
    """Figures of one brand (or of the whole set) in one cell."""

    mentions: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    reach: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.mentions + other.mentions,
            self.positive + other.positive,
            self.neutral + other.neutral,
            self.negative + other.negative,
            self.reach + other.reach,
        )

    @classmethod
    def of(cls, row: StatRow) -> Tally:
        return cls(row.mentions, row.positive, row.neutral, row.negative, row.reach)


@dataclass(frozen=True, slots=True)
class Voice:
    """One brand's figures and shares of the set (see the module docstring)."""

    brand_id: str
    tally: Tally
    share: float
    reach_share: float
    positive_share: float
    net_sentiment: float


@dataclass(frozen=True, slots=True)
class VoiceCell:
    """The set's voices in one bucket (``start``) or one group (``key``)."""

    start: datetime | None
    key: GroupKey
    total: Tally
    voices: tuple[Voice, ...]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def voices(tallies: Mapping[str, Tally], brand_ids: Sequence[str]) -> tuple[Voice, ...]:
    """One ``Voice`` per brand, in ``brand_ids`` order; brands absent from
    ``tallies`` have zeros."""
    total = sum((tallies.get(b, Tally()) for b in brand_ids), Tally())
    out: list[Voice] = []
    for b in brand_ids:
        t = tallies.get(b, Tally())
        out.append(
            Voice(
                brand_id=b,
                tally=t,
                share=_ratio(t.mentions, total.mentions),
                reach_share=_ratio(t.reach, total.reach),
                positive_share=_ratio(t.positive, total.positive),
                net_sentiment=_ratio(t.positive - t.negative, t.mentions),
            )
        )
    return tuple(out)


def _table(rows: Iterable[StatRow], wanted: set[str]) -> Iterable[tuple[StatRow, str]]:
    for row in rows:
        brand = row.key[0] if row.key else None
        if not isinstance(brand, str) or brand not in wanted:
            raise ValueError(f"row for brand {brand!r} outside the set")
        yield row, brand


def voice_series(
    rows: Iterable[StatRow], *, brand_ids: Sequence[str], bucket_starts: Sequence[datetime]
) -> list[VoiceCell]:
    """A cell for every start in ``bucket_starts`` (empty ones included), in order,
    from rows grouped by brand (``key == (brand,)``) and bucket. A row whose
    bucket or brand is not asked for raises ``ValueError`` (see ``share_series``)."""
    table: dict[datetime, dict[str, Tally]] = {start: {} for start in bucket_starts}
    for row, brand in _table(rows, set(brand_ids)):
        cell = table.get(row.start) if row.start is not None else None
        if cell is None:
            start = row.start.isoformat() if row.start else None
            raise ValueError(f"row for bucket {start} outside the window")
        cell[brand] = cell.get(brand, Tally()) + Tally.of(row)
    return [_cell(start, None, cell, brand_ids) for start, cell in table.items()]


def voice_groups(rows: Iterable[StatRow], *, brand_ids: Sequence[str]) -> list[VoiceCell]:
    """A cell per group, from rows keyed ``(brand, group)``; groups by total
    mentions of the set, most first, then by key (``None`` last)."""
    table: dict[GroupKey, dict[str, Tally]] = {}
    for row, brand in _table(rows, set(brand_ids)):
        if len(row.key) != 2:
            raise ValueError(f"row key {row.key!r} is not (brand, group)")
        cell = table.setdefault(row.key[1], {})
        cell[brand] = cell.get(brand, Tally()) + Tally.of(row)
    cells = [_cell(None, key, cell, brand_ids) for key, cell in table.items()]
    return sorted(cells, key=lambda c: (-c.total.mentions, c.key is None, str(c.key)))


def voice_total(cells: Sequence[VoiceCell], brand_ids: Sequence[str]) -> VoiceCell:
    """The whole window: the sum of a series' cells (each unit counts in one bucket)."""
    tallies: dict[str, Tally] = {}
    for cell in cells:
        for v in cell.voices:
            tallies[v.brand_id] = tallies.get(v.brand_id, Tally()) + v.tally
    return _cell(None, None, tallies, brand_ids)


def _cell(
    start: datetime | None, key: GroupKey, tallies: Mapping[str, Tally], brand_ids: Sequence[str]
) -> VoiceCell:
    found = voices(tallies, brand_ids)
    return VoiceCell(start, key, sum((v.tally for v in found), Tally()), found)
