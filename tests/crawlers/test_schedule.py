"""Adaptive poll intervals and the failure policy: pure functions, no fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers import (
    FeedState,
    backoff_after_failure,
    disable_reason,
    next_poll_interval,
    should_disable,
)

NOW = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)


def every(minutes: float, count: int, *, last: timedelta = timedelta(0)) -> list[datetime]:
    """``count`` entry times ``minutes`` apart, the newest ``last`` before NOW."""
    return [NOW - last - timedelta(minutes=minutes * n) for n in range(count)]


def interval(times: list[datetime], previous: float | None = None, **kw: object) -> float:
    return next_poll_interval(
        recent_entry_times=times,
        now=NOW,
        previous=previous,
        not_modified=False,
        **kw,  # type: ignore[arg-type]
    )


def test_busy_wire_is_polled_at_half_its_gap_but_not_below_two_minutes() -> None:
    assert interval(every(20, 15)) == 600.0  # an item every 20 min: poll every 10
    assert interval(every(1, 30)) == 120.0  # a live blog: the 2-minute floor


def test_daily_blog_and_dormant_source() -> None:
    assert interval(every(24 * 60, 10)) == 43_200.0
    assert interval(every(60 * 24 * 30, 5)) == 86_400.0  # monthly: the 24-hour ceiling


def test_median_ignores_a_burst() -> None:
    hourly = every(60, 10)
    burst = [NOW - timedelta(seconds=s) for s in (10, 20, 30)]
    assert interval(hourly + burst) == interval(hourly) == 1800.0


def test_a_silence_longer_than_usual_slows_polling() -> None:
    hourly_until_yesterday = every(60, 10, last=timedelta(hours=20))
    assert interval(hourly_until_yesterday) == 36_000.0  # 20 h silent: poll every 10 h


def test_future_dates_do_not_speed_polling_up() -> None:
    future = [NOW + timedelta(minutes=n) for n in range(1, 30)]
    assert interval(every(24 * 60, 5) + future) == 43_200.0


def test_not_modified_backs_off_by_half_again_within_bounds() -> None:
    times = every(20, 15)
    assert next_poll_interval(
        recent_entry_times=times, now=NOW, previous=600.0, not_modified=True
    ) == 900.0  # fmt: skip
    assert next_poll_interval(
        recent_entry_times=[], now=NOW, previous=80_000.0, not_modified=True
    ) == 86_400.0  # fmt: skip


def test_without_a_rate_first_poll_gets_the_default_and_later_ones_back_off() -> None:
    assert interval([]) == 900.0
    assert interval([NOW - timedelta(hours=1)]) == 900.0
    assert interval([], previous=1000.0) == 1500.0


def test_custom_bounds_and_nonsense() -> None:
    assert interval(every(1, 30), minimum=30.0) == 30.0
    assert interval(every(24 * 60, 10), maximum=3600.0) == 3600.0
    with pytest.raises(ValueError):
        interval([], minimum=0.0)
    with pytest.raises(ValueError):
        next_poll_interval(
            recent_entry_times=[], now=datetime(2024, 1, 1), previous=None, not_modified=False
        )


def test_backoff_doubles_up_to_the_cap_and_respects_retry_after() -> None:
    delays = [backoff_after_failure(n, base=300.0, cap=86_400.0) for n in range(0, 12)]
    assert delays[:5] == [0.0, 300.0, 600.0, 1200.0, 2400.0]
    assert delays[-1] == 86_400.0
    assert delays == sorted(delays)
    assert backoff_after_failure(1, base=300.0, cap=86_400.0, retry_after=3600.0) == 3600.0
    assert backoff_after_failure(1, base=300.0, cap=600.0, retry_after=10**9) == 600.0
    assert backoff_after_failure(10**6, base=300.0, cap=86_400.0) == 86_400.0


def test_disable_after_a_run_of_failures_with_the_reason() -> None:
    failing = FeedState(
        source_id="s", consecutive_failures=12, last_error="HTTP 410",
        last_error_class="PermanentFetchError",
    )  # fmt: skip
    assert should_disable(failing, max_failures=12)
    assert not should_disable(failing, max_failures=13)
    assert disable_reason(failing, max_failures=12) == (
        "disabled after 12 consecutive failures; last: PermanentFetchError: HTTP 410"
    )
    assert disable_reason(FeedState(source_id="s"), max_failures=1) is None
    with pytest.raises(ValueError):
        should_disable(failing, max_failures=0)
