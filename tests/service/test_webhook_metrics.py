"""Webhook outcomes on ``/metrics``: the real app ingests a crisis article and POSTs it
to a real receiver on 127.0.0.1 that accepts (``/ok``) and one that fails (``/fail``,
dead-lettered after three attempts); the scrape counts each outcome and times each POST."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service._app import create_app
from service._delivery import LATENCY_BUCKETS
from tests._servers import serve_app
from tests._websub_hub import wait_for
from tests.service.test_alert_webhooks import (
    Publisher,
    Receiver,
    clarion_settings,
    crisis_rule,
    deliveries,
    subscribe,
)


@pytest.fixture
def feed() -> Iterator[Publisher]:
    publisher = Publisher()
    with serve_app(publisher.app) as url:
        publisher.base = url
        yield publisher


@pytest.fixture
def hooks() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve_app(receiver.app) as url:
        yield receiver, url


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_delivery_outcomes_and_latency_are_scraped(
    tmp_path: Path, feed: Publisher, hooks: tuple[Receiver, str]
) -> None:
    got, url = hooks
    with (
        serve_app(create_app(clarion_settings(tmp_path, feed))) as base,
        httpx.Client(base_url=base) as client,
    ):
        ok, fail = (subscribe(client, f"{url}/{kind}")["id"] for kind in ("ok", "fail"))
        crisis_rule(client)
        feed.publish("bad", "Acme recall", "Acme recall of toasters.")

        def settled() -> bool:
            done = deliveries(client, ok), deliveries(client, fail)
            return [d["state"] for d in done[0]] == ["delivered"] and [
                d["state"] for d in done[1]
            ] == ["dead"]

        wait_for(settled, what="one delivered and one dead-lettered delivery")
        scraped = client.get("/metrics")
    assert scraped.status_code == 200
    samples = _samples(scraped.text)
    outcome = "clarion_webhook_deliveries_total"
    assert samples[(outcome, (("outcome", "delivered"),))] == 1
    assert samples[(outcome, (("outcome", "failed_attempt"),))] == 3
    assert samples[(outcome, (("outcome", "dead_lettered"),))] == 1
    assert len(got.on("/ok")) == 1 and len(got.on("/fail")) == 3  # what the receiver saw

    duration = "clarion_webhook_delivery_duration_seconds"
    for label, posts in (("delivered", 1), ("failed", 3)):
        assert samples[(f"{duration}_count", (("outcome", label),))] == posts
        assert samples[(f"{duration}_sum", (("outcome", label),))] > 0
        bounds = [f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"]
        buckets = [samples[(f"{duration}_bucket", (("le", b), ("outcome", label)))] for b in bounds]
        assert buckets == sorted(buckets) and buckets[-1] == posts  # cumulative
