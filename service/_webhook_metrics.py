"""Webhook delivery figures for ``/metrics``, read from ``DeliveryStats`` at scrape time.

- ``clarion_webhook_deliveries_total{outcome}``: ``delivered`` (an attempt answered
  2xx), ``failed_attempt`` (any other answer, a timeout, a refused connection; it is
  retried unless it was the last), ``dead_lettered`` (deliveries given up: attempts
  spent, or the subscription deleted). A dead-lettered delivery's last attempt is
  also a ``failed_attempt``.
- ``clarion_webhook_delivery_duration_seconds{outcome}``: the time of each POST,
  from connect to the answer's last byte or to the failure, ``delivered`` or
  ``failed``, in ``service._delivery.LATENCY_BUCKETS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import accumulate

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from service._delivery import LATENCY_BUCKETS, DeliveryStats

__all__ = ["webhook_metrics"]


def webhook_metrics(stats: DeliveryStats) -> Iterator[Metric]:
    """The delivery worker's counters and latency histogram (see the module docstring)."""
    outcomes = CounterMetricFamily(
        "clarion_webhook_deliveries",
        "Webhook delivery attempts by outcome, and deliveries dead-lettered.",
        labels=["outcome"],
    )
    outcomes.add_metric(["delivered"], stats.delivered)
    outcomes.add_metric(["failed_attempt"], stats.failed_attempts)
    outcomes.add_metric(["dead_lettered"], stats.dead)
    yield outcomes
    latency = HistogramMetricFamily(
        "clarion_webhook_delivery_duration_seconds",
        "Time of each webhook POST, by outcome (delivered or failed).",
        labels=["outcome"],
    )
    bounds = [f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"]
    for outcome in sorted(stats.latency_counts):
        cumulative = list(accumulate(stats.latency_counts[outcome]))
        latency.add_metric(
            [outcome],
            buckets=[(b, float(c)) for b, c in zip(bounds, cumulative, strict=True)],
            sum_value=stats.latency_sum.get(outcome, 0.0),
        )
    yield latency
