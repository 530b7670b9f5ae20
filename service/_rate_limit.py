"""Per-key request rate limits: one token bucket per API key, in this process.

A key allowed ``n`` requests per minute has a bucket of ``n`` tokens, refilled at
``n / 60`` tokens per second; each request takes one. A full bucket lets a client
send a burst of up to a minute's allowance at once (a dashboard loading many
panels), then settles at the rate. A request that finds less than one token is
refused, and told how many whole seconds (at least 1) until one is there.

Limits are **per process**: with several API processes behind a load balancer a
key may make ``n`` requests per minute to each of them. Pure: the clock is passed
in, so tests need no sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TokenBuckets"]

MAX_BUCKETS = 100_000
"""Buckets kept at most: far more keys than one deployment makes; past it the
oldest buckets are dropped (a dropped key starts again with a full bucket)."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    per_minute: int


class TokenBuckets:
    """Token buckets by key id. Not thread-safe: used from the event loop only."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key_id: str, *, per_minute: int, now: float) -> int | None:
        """Take one token from ``key_id``'s bucket at time ``now`` (seconds, monotonic).

        ``None`` when the request may go; otherwise the whole seconds (≥ 1) after
        which one token will be there. A changed ``per_minute`` applies at once
        (the bucket keeps its tokens, capped at the new size).
        """
        bucket = self._buckets.get(key_id)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                del self._buckets[next(iter(self._buckets))]
            bucket = self._buckets[key_id] = _Bucket(float(per_minute), now, per_minute)
        rate = per_minute / 60.0
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(float(per_minute), bucket.tokens + elapsed * rate)
        bucket.at, bucket.per_minute = now, per_minute
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def forget(self, key_id: str) -> None:
        self._buckets.pop(key_id, None)
