"""When to poll a source next, and when to give up on it: pure functions, no I/O.

Adaptive interval (``next_poll_interval``), the method:

1. Take the publication times of the feed's recent entries that are not in the
   future (a feed stamping items ahead of time must not make Clarion poll
   faster), the ``RECENT_ENTRIES`` newest, distinct.
2. The feed's typical gap is the **median** gap between consecutive ones (the
   median, unlike the mean, ignores a one-off burst or a holiday). If the feed
   has been silent for longer than that gap (a weekend, a dormant blog), the
   silence is the gap: the rate is lower than the history says.
3. Poll twice per typical gap (``gap / 2``), so a new item waits a quarter of a
   gap on average, clamped to ``[minimum, maximum]`` (2 min to 24 h by default).
4. A 304 Not Modified (or a poll with nothing new) lengthens the previous
   interval by ``NOT_MODIFIED_FACTOR``; with fewer than two dated entries there is
   no rate to read, so the previous interval is lengthened the same way, or
   ``DEFAULT_INTERVAL`` is used for a source never polled.

Failures (``backoff_after_failure``, ``should_disable``, ``disable_reason``):
exponential backoff from ``base`` doubling per consecutive failure up to ``cap``,
never sooner than the server's ``Retry-After``; a source is disabled after
``max_failures`` consecutive failures, with a reason naming the last error.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime

from crawlers._types import FeedState

# Entries whose gaps are considered: a feed page holds 10-50 items; the newest 20
# span days for a daily blog and hours for a wire, and drop stale history.
RECENT_ENTRIES = 20
# Poll interval bounds: 2 minutes is as often as any publisher can be expected to
# welcome a robot (and finer than any feed's caching); 24 hours means even a
# dormant source is looked at daily.
MIN_INTERVAL = 120.0
MAX_INTERVAL = 86_400.0
# Interval of a source with no history: 15 minutes, the common feed-reader default,
# close enough for news and cheap for a blog until its own rate is known.
DEFAULT_INTERVAL = 900.0
# Growth of the interval after a poll with nothing new: slower than doubling, so
# a quiet spell of a busy feed is not overshot (2 min reaches 24 h in ~16 polls).
NOT_MODIFIED_FACTOR = 1.5
# Failure backoff: 5 minutes after the first failure (a restart, a deploy), then
# doubling, up to a day. Twelve consecutive failures then span about four days
# (300 s x (2^0 + ... + 2^8) + 3 x 86,400 s), outlasting a long weekend's outage
# before a source is disabled.
FAILURE_BACKOFF_BASE = 300.0
FAILURE_BACKOFF_CAP = 86_400.0
DEFAULT_MAX_FAILURES = 12


def next_poll_interval(
    *,
    recent_entry_times: Sequence[datetime],
    now: datetime,
    previous: float | None,
    not_modified: bool,
    minimum: float = MIN_INTERVAL,
    maximum: float = MAX_INTERVAL,
) -> float:
    """Seconds until the next poll of a feed (see the module docstring for the method).

    ``recent_entry_times`` are the entries' publication times (any order, aware);
    ``previous`` is the last interval used, None for a first poll; ``not_modified``
    says the poll found nothing new (304, or no new entry).
    """
    if minimum <= 0 or maximum < minimum:
        raise ValueError(f"need 0 < minimum <= maximum, got {minimum}, {maximum}")
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    if not_modified and previous is not None:
        return _clamp(previous * NOT_MODIFIED_FACTOR, minimum, maximum)
    times = sorted({t for t in recent_entry_times if t <= now}, reverse=True)[:RECENT_ENTRIES]
    if len(times) < 2:
        if previous is None:
            return _clamp(DEFAULT_INTERVAL, minimum, maximum)
        return _clamp(previous * NOT_MODIFIED_FACTOR, minimum, maximum)
    gaps = [(newer - older).total_seconds() for newer, older in itertools.pairwise(times)]
    gap = statistics.median(gaps)
    silence = (now - times[0]).total_seconds()
    return _clamp(max(gap, silence) / 2, minimum, maximum)


def backoff_after_failure(
    consecutive_failures: int,
    *,
    base: float = FAILURE_BACKOFF_BASE,
    cap: float = FAILURE_BACKOFF_CAP,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before polling a source after its ``consecutive_failures``-th failure.

    ``base * 2 ** (consecutive_failures - 1)``, at most ``cap``, and never less
    than the server's ``retry_after`` (also capped). 0 when there is no failure.
    Deterministic: a scheduler spreading many sources adds its own jitter.
    """
    if consecutive_failures <= 0:
        return 0.0
    # min() before the power would overflow a float for absurd counts.
    exponent = min(consecutive_failures - 1, 64)
    delay = min(cap, base * 2.0**exponent)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def should_disable(state: FeedState, *, max_failures: int = DEFAULT_MAX_FAILURES) -> bool:
    """True once ``state`` records ``max_failures`` consecutive failures."""
    if max_failures < 1:
        raise ValueError(f"max_failures must be at least 1, got {max_failures}")
    return state.consecutive_failures >= max_failures


def disable_reason(state: FeedState, *, max_failures: int = DEFAULT_MAX_FAILURES) -> str | None:
    """Why the source is to be disabled (naming the last error), or None if it is not."""
    if not should_disable(state, max_failures=max_failures):
        return None
    last = state.last_error_class or "unknown error"
    if state.last_error:
        last = f"{last}: {state.last_error}"
    return f"disabled after {state.consecutive_failures} consecutive failures; last: {last}"


def _clamp(value: float, minimum: float, maximum: float) -> float:
    return max(minimum, min(maximum, value))
