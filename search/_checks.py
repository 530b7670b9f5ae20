"""Argument checks every store backend runs before a counting query."""

from __future__ import annotations

from search._store import CountBy, Interval, StoreError

__all__ = ["check_counting"]

_INTERVALS = frozenset({"hour", "day", "week", "month"})


def check_counting(interval: Interval | None, count: CountBy) -> None:
    """Raise ``StoreError`` for an unknown ``interval`` (``None``: no bucketing,
    allowed) or an unknown ``count``, as ``mention_counts`` and ``mention_stats``
    promise."""
    if interval is not None and interval not in _INTERVALS:
        raise StoreError(f"unknown interval {interval!r}: expected hour, day, week or month")
    if count not in ("document", "outlet"):
        raise StoreError(f"unknown count {count!r}: expected document or outlet")
