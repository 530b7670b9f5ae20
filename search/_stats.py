"""Folding the parts both stores read into ``StatRow``s (pure), so that SQLite
and Elasticsearch give the same numbers by construction.

Each store aggregates what it can where the data is, and hands over *parts*:

- ``count="outlet"``: ``OutletPart``s, mentions and summed audience per
  (bucket, brand, the other dimensions asked for, sentiment) - a plain
  ``GROUP BY`` / composite aggregation; folding only drops the dimensions that
  were not asked for.
- ``count="document"``: ``CopyPart``s, one per (brand, cluster, dimensions,
  outlet, sentiment) with the earliest counted time and the largest audience;
  folding builds the units of ``Store.mention_stats`` (a brand's cluster within
  one group): the earliest copy gives the time and sentiment, each distinct
  outlet adds its audience once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from enrichment import SentimentLabel
from search._store import (
    DIMENSIONS,
    Dimension,
    GroupKey,
    Interval,
    StatRow,
    StatTop,
    StoreError,
)

__all__ = [
    "CopyPart",
    "OutletPart",
    "check_top",
    "document_rows",
    "outlet_rows",
    "part_dimensions",
    "top_rows",
]

_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")


def part_dimensions(group_by: tuple[Dimension, ...]) -> tuple[Dimension, ...]:
    """The dimensions a store groups its parts by: ``brand`` first, then the
    others of ``group_by`` but ``sentiment`` (always read apart). Raises
    ``StoreError`` for an unknown or repeated dimension."""
    unknown = [d for d in group_by if d not in DIMENSIONS]
    if unknown:
        raise StoreError(f"unknown dimension(s) {unknown!r}: expected some of {DIMENSIONS}")
    if len(set(group_by)) != len(group_by):
        raise StoreError(f"repeated dimension in {group_by!r}")
    return ("brand", *(d for d in group_by if d not in ("brand", "sentiment")))


@dataclass(frozen=True, slots=True)
class OutletPart:
    start: datetime | None
    dims: Mapping[Dimension, GroupKey]
    sentiment: SentimentLabel
    mentions: int
    reach: int


@dataclass(frozen=True, slots=True)
class CopyPart:
    dims: Mapping[Dimension, GroupKey]
    cluster: str
    outlet: str
    sentiment: SentimentLabel
    first_us: int
    audience: int


_Cell = tuple[datetime | None, tuple[GroupKey, ...]]
_Unit = tuple[object, ...]


@dataclass(slots=True)
class _Acc:
    counts: dict[SentimentLabel, int] = field(default_factory=dict)
    reach: int = 0

    def add(self, sentiment: SentimentLabel, n: int, reach: int) -> None:
        self.counts[sentiment] = self.counts.get(sentiment, 0) + n
        self.reach += reach


def _key(
    group_by: tuple[Dimension, ...], dims: Mapping[Dimension, GroupKey], sentiment: str
) -> tuple[GroupKey, ...]:
    return tuple(sentiment if d == "sentiment" else dims[d] for d in group_by)


def _rows(table: dict[_Cell, _Acc]) -> list[StatRow]:
    def order(item: tuple[_Cell, _Acc]) -> tuple[object, ...]:
        (start, key), _ = item
        return (start is not None, start, tuple((v is not None, v) for v in key))

    rows: list[StatRow] = []
    for (start, key), acc in sorted(table.items(), key=order):
        pos, neu, neg = (acc.counts.get(label, 0) for label in ("positive", "neutral", "negative"))
        rows.append(
            StatRow(
                start=start,
                key=key,
                mentions=pos + neu + neg,
                positive=pos,
                neutral=neu,
                negative=neg,
                reach=acc.reach,
            )
        )
    return rows


def outlet_rows(parts: Iterable[OutletPart], *, group_by: tuple[Dimension, ...]) -> list[StatRow]:
    """``StatRow``s of ``count="outlet"`` parts (see the module docstring)."""
    table: dict[_Cell, _Acc] = {}
    for p in parts:
        acc = table.setdefault((p.start, _key(group_by, p.dims, p.sentiment)), _Acc())
        acc.add(p.sentiment, p.mentions, p.reach)
    return _rows(table)


def document_rows(
    parts: Iterable[CopyPart],
    *,
    group_by: tuple[Dimension, ...],
    bucket: Callable[[int], datetime] | None,
) -> list[StatRow]:
    """``StatRow``s of ``count="document"`` parts; ``bucket`` maps a counted time
    (epoch microseconds) to its bucket start (``None``: no interval)."""
    firsts: dict[_Unit, tuple[int, int]] = {}
    outlets: dict[_Unit, dict[str, int]] = {}
    dims_of: dict[_Unit, Mapping[Dimension, GroupKey]] = {}
    for p in parts:
        unit: _Unit = (tuple(sorted(p.dims.items())), p.cluster)
        first = (p.first_us, _LABELS.index(p.sentiment))
        if unit not in firsts or first < firsts[unit]:
            firsts[unit] = first
        reach = outlets.setdefault(unit, {})
        reach[p.outlet] = max(p.audience, reach.get(p.outlet, 0))
        dims_of[unit] = p.dims
    table: dict[_Cell, _Acc] = {}
    for unit, (us, label_index) in firsts.items():
        sentiment = _LABELS[label_index]
        start = bucket(us) if bucket is not None else None
        acc = table.setdefault((start, _key(group_by, dims_of[unit], sentiment)), _Acc())
        acc.add(sentiment, 1, sum(outlets[unit].values()))
    return _rows(table)


def check_top(
    top: StatTop | None, *, group_by: tuple[Dimension, ...], interval: Interval | None
) -> None:
    """``StoreError`` for a ``top`` that ``Store.mention_stats`` does not take."""
    if top is None:
        return
    if top.limit < 1:
        raise StoreError(f"top.limit must be at least 1, not {top.limit}")
    if top.by not in ("mentions", "reach", "copies"):
        raise StoreError(f"unknown top.by {top.by!r}")
    if interval is not None or "sentiment" in group_by:
        raise StoreError("top ranks whole groups: no interval and no sentiment dimension")


def top_rows(
    rows: Iterable[StatRow],
    top: StatTop,
    *,
    copies: Mapping[tuple[GroupKey, ...], int] | None = None,
) -> list[StatRow]:
    """``rows`` (no interval) ranked and cut as ``StatTop`` says: the reference
    of that order, for the stores that rank after folding. ``copies`` maps each
    key to its mentions counted per outlet (``by="copies"``; the rows' own
    ``mentions`` when ``None``)."""

    def rank(r: StatRow) -> tuple[object, ...]:
        if top.by == "reach":
            first, second = r.reach, r.mentions
        else:
            first = r.mentions if top.by == "mentions" or copies is None else copies[r.key]
            second = r.reach
        return (-first, -second, tuple((v is not None, v) for v in r.key))

    return sorted(rows, key=rank)[: top.limit]
