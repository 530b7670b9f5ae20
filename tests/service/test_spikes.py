"""Spike statistics on synthetic series with known answers: ordinary weekly cycles
(never an alert), injected spikes (always one), quiet brands, poisoned history."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from service._spikes import (
    Baseline,
    hour_of_week,
    negative_surge,
    poisson_tail,
    same_story,
    seasonal_baseline,
    volume_spike,
)

START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday, 00:00


def weekly_rate(hour: datetime) -> float:
    """An ordinary brand: 20 an hour in weekday working hours, 6 on weekend days,
    2 at night."""
    if hour.hour < 7 or hour.hour >= 20:
        return 2.0
    return 6.0 if hour.weekday() >= 5 else 20.0


def ordinary_history(weeks: int, seed: int) -> dict[datetime, int]:
    rng = np.random.default_rng(seed)
    hours = [START + timedelta(hours=h) for h in range(weeks * 7 * 24)]
    return {h: int(rng.poisson(weekly_rate(h))) for h in hours}


@pytest.mark.parametrize("seed", range(1, 41))
def test_an_ordinary_weekly_cycle_never_alerts(seed: int) -> None:
    history = ordinary_history(8, seed)
    judged = [h for h in history if h >= START + timedelta(weeks=4)]
    alerts = [h for h in judged if volume_spike(history[h], seasonal_baseline(history, at=h)).spike]
    assert len(judged) == 4 * 168
    assert alerts == []


@pytest.mark.parametrize(
    ("when", "observed"),
    [
        (timedelta(weeks=5, hours=27), 30),  # Tuesday 03:00, 2 expected
        (timedelta(weeks=5, days=2, hours=11), 80),  # Wednesday 11:00, 20 expected
        (timedelta(weeks=5, days=6, hours=14), 30),  # Sunday 14:00, 6 expected
    ],
)
def test_an_injected_spike_is_detected(when: timedelta, observed: int) -> None:
    history = ordinary_history(6, seed=7)
    at = START + when
    verdict = volume_spike(observed, seasonal_baseline(history, at=at))
    assert verdict.spike, verdict.reason
    assert verdict.expected == pytest.approx(weekly_rate(at), abs=3)
    assert verdict.score >= 4


def test_a_busy_hour_that_is_only_a_little_busier_is_not_a_spike() -> None:
    history = ordinary_history(6, seed=7)
    at = START + timedelta(weeks=5, days=2, hours=11)  # 20 expected
    verdict = volume_spike(34, seasonal_baseline(history, at=at))
    assert not verdict.spike
    assert "less than 2" in verdict.reason or "below the threshold" in verdict.reason


def test_a_quiet_brand_does_not_page_anyone_for_three_mentions() -> None:
    history = {START + timedelta(hours=h): h % 2 for h in range(6 * 168)}  # 0 or 1
    at = START + timedelta(weeks=5, hours=3)
    quiet = volume_spike(3, seasonal_baseline(history, at=at))
    assert not quiet.spike
    assert "fewer than the minimum of 10" in quiet.reason
    assert volume_spike(12, seasonal_baseline(history, at=at)).spike


def test_a_past_spike_in_the_history_does_not_hide_the_next_one() -> None:
    history = ordinary_history(6, seed=11)
    at = START + timedelta(weeks=5, days=2, hours=11)
    history[at - timedelta(weeks=1)] = 400  # last week's crisis, same hour
    verdict = volume_spike(70, seasonal_baseline(history, at=at))
    assert verdict.spike, verdict.reason
    assert verdict.expected < 30


def test_too_little_history_is_no_baseline() -> None:
    verdict = volume_spike(500, Baseline(same_hour=[3], comparable=[3, 4, 5]))
    assert not verdict.spike
    assert math.isnan(verdict.score)
    assert "only 3 comparable hours" in verdict.reason


def test_seasonal_baseline_takes_the_same_hour_of_earlier_weeks_and_its_neighbours() -> None:
    at = START + timedelta(weeks=2, hours=10)
    history = {at - timedelta(weeks=1): 7, at - timedelta(weeks=2, hours=1): 5, at: 99}
    found = seasonal_baseline(history, at=at, weeks=2)
    assert sorted(found.comparable) == [0, 0, 0, 0, 5, 7]  # `at` itself is never part of it
    assert found.same_hour == [7, 0]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        volume_spike(-1, Baseline(same_hour=[1] * 4, comparable=[1] * 12))


def test_hour_of_week_is_in_the_instants_own_zone() -> None:
    berlin = datetime(2026, 9, 7, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # Monday
    assert hour_of_week(berlin) == 0
    assert hour_of_week(berlin.astimezone(UTC)) == 6 * 24 + 22  # Sunday 22:30 UTC


def test_a_negative_surge_needs_counts_share_and_surprise() -> None:
    surge = negative_surge(12, 20, baseline_share=0.1)
    assert surge.surge, surge.reason
    assert surge.share == pytest.approx(0.6)
    few = negative_surge(3, 4, baseline_share=0.1)
    assert not few.surge and "fewer than the minimum of 5" in few.reason
    diluted = negative_surge(8, 60, baseline_share=0.1)
    assert not diluted.surge and "below 30%" in diluted.reason
    usual = negative_surge(20, 50, baseline_share=0.38)
    assert not usual.surge and "below the threshold" in usual.reason


def test_a_brand_never_criticised_before_is_not_infinitely_surprised() -> None:
    verdict = negative_surge(5, 10, baseline_share=0.0)
    assert math.isfinite(verdict.score)
    assert verdict.surge


def test_negative_surge_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        negative_surge(5, 4, baseline_share=0.1)
    with pytest.raises(ValueError):
        negative_surge(1, 4, baseline_share=1.5)


def test_a_trigger_within_the_cooldown_belongs_to_the_same_story() -> None:
    last = START
    hour = timedelta(hours=1)
    assert same_story(last_alert_at=last, now=last + 30 * timedelta(minutes=1), cooldown=hour)
    assert not same_story(last_alert_at=last, now=last + 2 * hour, cooldown=hour)
    assert not same_story(last_alert_at=None, now=last, cooldown=hour)


def test_poisson_tail_matches_known_values() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 0.5))
    assert poisson_tail(14, 3.0) == pytest.approx(3.4019e-6, rel=1e-3)
    assert poisson_tail(80, 20.0) < 1e-20
    assert poisson_tail(5, 0.0) < 1e-30


def test_fourteen_where_three_are_expected_is_not_enough() -> None:
    baseline = Baseline(same_hour=[3, 3, 2, 4], comparable=[3, 3, 2, 4, 2, 3, 4, 3, 2, 3, 4, 3])
    verdict = volume_spike(14, baseline)
    assert not verdict.spike
    assert "probability" in verdict.reason
