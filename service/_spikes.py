"""Spike statistics for alerts: pure functions over counts, no I/O.

Volume spike (``volume_spike``). Mentions per hour follow the week: busy working
hours, quiet nights and weekends. The expected count for an hour is therefore taken
from the same hour of the week in earlier weeks, and from the hours either side of
it (``NEIGHBOUR_HOURS``), so a four-week history gives 4 × 3 = 12 comparable hours:

    expected = max(median(comparable counts), median(same-hour counts))
    spread   = max(1.4826 × MAD(comparable counts), sqrt(expected), 1)
    score    = (observed − expected) / spread

The neighbours widen the sample, but at the edge of a busy period (the first
working hour, the first weekend hour) they pull the median toward the quieter
side; taking the larger of the two medians keeps the expectation from being
underestimated there, which is what would page someone for an ordinary morning.

The median and the median absolute deviation (scaled by 1.4826 to estimate a
standard deviation under normal noise) ignore a past spike in the history, where
a mean and a standard deviation would be dragged up by it and hide the next one.
``sqrt(expected)`` is the Poisson floor: a brand whose history is flat at 2 per
hour has MAD 0, and without the floor one mention more would be "infinitely"
unusual. An hour is a spike when all of these hold:

- ``observed >= min_count``: a quiet brand does not page anyone for 3 mentions;
- ``score >= threshold`` (default 4: under Poisson noise at the floor, an ordinary
  hour reaches it far less than once a year of hours);
- ``observed >= min_ratio × expected``: a busy brand's ordinary wobble of 10% is
  not news even when its spread is small;
- ``P(X >= observed) < max_p`` for X Poisson with mean ``expected``: at small
  means the score alone is too generous (14 mentions where 3 are expected scores
  6.4, yet an ordinary hour does that once in 300,000), and the exact tail is
  cheap to compute. With the default 1e-7, 40 seeded 8-week synthetic series of
  an ordinary weekly cycle (26,880 judged hours, ``tests/service/test_spikes.py``)
  raised no alert; with 1e-5 they raised 4.

Negative surge (``negative_surge``). Within a window, the count of negative
mentions against the brand's baseline negative share ``p0``: a one-sided
binomial z-score ``(neg − n·p0) / sqrt(n·p0·(1 − p0))``, with minimum counts of
negative mentions, and the share itself at least ``min_share``. ``p0`` is clamped
into [``MIN_BASELINE_SHARE``, 1) so that a brand never criticised before is not
"infinitely" surprised by its first negative mention.

Grouping (``same_story``): a trigger of the same rule for the same brand within the
cool-down of the last alert updates that alert instead of opening a new one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "HOURS_PER_WEEK",
    "Baseline",
    "SpikeVerdict",
    "SurgeVerdict",
    "hour_of_week",
    "negative_surge",
    "poisson_tail",
    "same_story",
    "seasonal_baseline",
    "volume_spike",
]

HOURS_PER_WEEK = 7 * 24

MAD_TO_SIGMA = 1.4826
"""Scales a median absolute deviation to a standard deviation for normal noise."""

NEIGHBOUR_HOURS = 1
"""Hours either side of the same hour of the week that count as comparable: news
cycles drift by an hour (a press release at 9:00 one week, 10:00 the next), and three
hours per past week triple the sample the median sees."""

MIN_HISTORY = 6
"""Fewer comparable hours than this and there is no baseline: the median of two or
three values is too easily one unusual hour. With NEIGHBOUR_HOURS = 1 this is two
weeks of history."""

MIN_BASELINE_SHARE = 0.02
"""The smallest baseline share of negative mentions a surge is measured against."""


def hour_of_week(instant: datetime) -> int:
    """0 for Monday 00:00-00:59 in ``instant``'s own zone, up to 167 for Sunday 23:00."""
    return instant.weekday() * 24 + instant.hour


@dataclass(frozen=True, slots=True)
class Baseline:
    """The counts an hour is judged against: the same hour of the week in earlier
    weeks, and those hours together with their neighbours."""

    same_hour: list[int]
    comparable: list[int]


def seasonal_baseline(history: Mapping[datetime, int], *, at: datetime, weeks: int = 4) -> Baseline:
    """The counts of the hours comparable to ``at``: the same hour of the week and
    its neighbours, in each of the ``weeks`` weeks before ``at``.

    ``history`` maps hour starts (aware, in the zone whose week matters, e.g. the
    brand's market) to counts; an hour missing from it had no mention (0). ``at`` is
    the start of the hour being judged; it and anything after it are ignored.
    """
    hour = at.replace(minute=0, second=0, microsecond=0)
    same_hour, comparable = [], []
    for week in range(1, weeks + 1):
        for offset in range(-NEIGHBOUR_HOURS, NEIGHBOUR_HOURS + 1):
            count = history.get(hour - timedelta(weeks=week, hours=-offset), 0)
            comparable.append(count)
            if offset == 0:
                same_hour.append(count)
    return Baseline(same_hour, comparable)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpikeVerdict:
    """What ``volume_spike`` decided, with the numbers an alert shows as evidence."""

    spike: bool
    observed: int
    expected: float
    spread: float
    score: float
    p_value: float
    reason: str


def poisson_tail(observed: int, mean: float) -> float:
    """P(X >= observed) for X Poisson-distributed with ``mean``."""
    if observed <= 0:
        return 1.0
    mean = max(mean, 1e-9)
    log_mean = math.log(mean)
    log_term = observed * log_mean - mean - math.lgamma(observed + 1)
    total, k = 0.0, observed
    # Terms fall once k passes the mean; stop when they no longer change the sum.
    while log_term > -745 and (k <= mean or math.exp(log_term) > total * 1e-16):
        total += math.exp(log_term)
        k += 1
        log_term += log_mean - math.log(k)
    return min(total, 1.0)


def volume_spike(
    observed: int,
    baseline: Baseline,
    *,
    min_count: int = 10,
    threshold: float = 4.0,
    min_ratio: float = 2.0,
    max_p: float = 1e-7,
) -> SpikeVerdict:
    """Is ``observed`` (mentions in the hour being judged) a spike against
    ``baseline`` (the comparable hours, ``seasonal_baseline``)? See the module doc."""
    comparable = baseline.comparable
    if observed < 0 or any(count < 0 for count in comparable):
        raise ValueError("counts cannot be negative")
    if len(comparable) < MIN_HISTORY or not baseline.same_hour:
        return SpikeVerdict(
            spike=False,
            observed=observed,
            expected=math.nan,
            spread=math.nan,
            score=math.nan,
            p_value=math.nan,
            reason=f"only {len(comparable)} comparable hours of history (need {MIN_HISTORY})",
        )
    expected = max(statistics.median(comparable), statistics.median(baseline.same_hour))
    mad = statistics.median(abs(count - expected) for count in comparable)
    spread = max(MAD_TO_SIGMA * mad, math.sqrt(expected), 1.0)
    score = (observed - expected) / spread
    p_value = poisson_tail(observed, expected)
    if observed < min_count:
        reason = f"{observed} mentions, fewer than the minimum of {min_count}"
    elif score < threshold:
        reason = f"score {score:.1f} below the threshold {threshold:g}"
    elif observed < min_ratio * expected:
        reason = f"{observed} is less than {min_ratio:g} × the expected {expected:g}"
    elif p_value >= max_p:
        reason = f"an ordinary hour reaches {observed} with probability {p_value:.1g}"
    else:
        reason = ""
    return SpikeVerdict(
        spike=not reason,
        observed=observed,
        expected=expected,
        spread=spread,
        score=score,
        p_value=p_value,
        reason=reason or f"{observed} mentions against {expected:g} expected (score {score:.1f})",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SurgeVerdict:
    """What ``negative_surge`` decided, with its evidence."""

    surge: bool
    negative: int
    total: int
    share: float
    baseline_share: float
    score: float
    reason: str


def negative_surge(
    negative: int,
    total: int,
    *,
    baseline_share: float,
    min_negative: int = 5,
    min_share: float = 0.3,
    threshold: float = 3.0,
) -> SurgeVerdict:
    """Is ``negative`` of ``total`` mentions in a window a surge against the
    brand's ``baseline_share`` of negative mentions? See the module doc."""
    if not 0 <= negative <= total:
        raise ValueError("need 0 <= negative <= total")
    if not 0 <= baseline_share <= 1:
        raise ValueError("baseline_share is a share, between 0 and 1")
    p0 = min(max(baseline_share, MIN_BASELINE_SHARE), 1 - 1e-9)
    share = negative / total if total else 0.0
    score = (negative - total * p0) / math.sqrt(total * p0 * (1 - p0)) if total else 0.0
    if negative < min_negative:
        reason = f"{negative} negative mentions, fewer than the minimum of {min_negative}"
    elif share < min_share:
        reason = f"negative share {share:.0%} below {min_share:.0%}"
    elif score < threshold:
        reason = f"score {score:.1f} below the threshold {threshold:g}"
    else:
        reason = ""
    return SurgeVerdict(
        surge=not reason,
        negative=negative,
        total=total,
        share=share,
        baseline_share=baseline_share,
        score=score,
        reason=reason
        or (
            f"{negative} of {total} mentions negative ({share:.0%}) against "
            f"{baseline_share:.0%} usually (score {score:.1f})"
        ),
    )


def same_story(*, last_alert_at: datetime | None, now: datetime, cooldown: timedelta) -> bool:
    """Whether a new trigger of a rule belongs to the story of its last alert (so the
    alert is updated, not repeated): it does while the cool-down since that alert's
    latest update runs."""
    return last_alert_at is not None and now - last_alert_at < cooldown
