"""Count-based alert rules on a real store: volume spike and negative surge.

``AlertEngine.check_counts`` reads the store's hourly counts; the documents here are
synthetic (a known baseline and a known spike), stored through the real store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers import Document, document_id
from enrichment import Mention, Sentiment, SentimentLabel
from search import AlertRule
from service._alerts import AlertEngine
from tests.service._alert_store import BACKENDS, AlertTestStore, open_alert_store

# A Wednesday, 14:20 UTC: the hour judged is 14:00-15:00.
NOW = datetime(2026, 3, 4, 14, 20, tzinfo=UTC)
HOUR = NOW.replace(minute=0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AlertTestStore]:
    async for opened in open_alert_store(request, tmp_path, now=NOW):
        yield opened


async def add(
    store: AlertTestStore, at: datetime, count: int, *, label: SentimentLabel = "neutral"
) -> None:
    for n in range(count):
        url = f"https://news.example/{at.isoformat()}/{label}/{n}"
        doc = Document(
            id=document_id(url),
            url=url,
            source_id="news",
            outlet="News",
            domain="news.example",
            title=f"Acme story {n}",
            text="Acme did something.",
            fetched_at=at,
            published_at=at,
        )
        mention = Mention(document_id=doc.id, brand_id="acme", sentiment=Sentiment(label, 0.9))
        await store.save_document(doc, [mention])


async def baseline(store: AlertTestStore, per_hour: int) -> None:
    """``per_hour`` mentions in the judged hour of the week and its neighbours, 4 weeks back."""
    for week in range(1, 5):
        for offset in (-1, 0, 1):
            await add(
                store, HOUR - timedelta(weeks=week, hours=offset) + timedelta(minutes=5), per_hour
            )


async def test_a_volume_spike_opens_one_alert_then_updates_it(store: AlertTestStore) -> None:
    clock = Clock(NOW)
    woken: list[int] = []
    engine = AlertEngine(
        store=store, alerts=store, clock=clock, wake_delivery=lambda: woken.append(1)
    )
    await store.put_alert_rule(
        AlertRule(id="spike", brand_id="acme", type="volume_spike", update_interval_seconds=0)
    )
    await baseline(store, 2)
    await add(store, HOUR + timedelta(minutes=3), 25)

    (alert,) = await engine.check_counts()
    assert alert.type == "volume_spike" and alert.updates == 0
    assert alert.evidence["observed"] == 25 and alert.evidence["expected"] == 2
    assert alert.evidence["hour"] == "2026-03-04T14:00:00Z"
    assert len(alert.evidence["mentions"]) == 10
    assert alert.evidence["mentions"][0]["url"].startswith("https://news.example/")
    (delivery,) = await store.due_deliveries(NOW, limit=10)
    assert delivery.event_type == "alert.opened" and woken == [1]

    assert await engine.check_counts() == []  # nothing changed: nothing sent

    await add(store, HOUR + timedelta(minutes=10), 5)
    clock.now = NOW + timedelta(minutes=5)
    (updated,) = await engine.check_counts()
    assert updated.id == alert.id and updated.updates == 1
    assert updated.evidence["observed"] == 30
    assert [a.id for a in await store.list_alerts()] == [alert.id]
    events = {d.event_type for d in await store.due_deliveries(clock.now, limit=10)}
    assert events == {"alert.opened", "alert.updated"}


async def test_an_ordinary_hour_and_a_quiet_brand_raise_nothing(store: AlertTestStore) -> None:
    engine = AlertEngine(store=store, alerts=store, clock=Clock(NOW))
    await store.put_alert_rule(AlertRule(id="spike", brand_id="acme", type="volume_spike"))
    await baseline(store, 6)
    await add(store, HOUR + timedelta(minutes=3), 8)  # a busy but ordinary hour
    assert await engine.check_counts() == []
    await store.put_alert_rule(
        AlertRule(id="quiet", brand_id="acme", type="volume_spike", min_count=50)
    )
    await add(store, HOUR + timedelta(minutes=4), 30)  # a spike, below the rule's minimum
    (alert,) = await engine.check_counts()
    assert alert.rule_id == "spike"


async def test_a_negative_surge_against_a_positive_baseline(store: AlertTestStore) -> None:
    engine = AlertEngine(store=store, alerts=store, clock=Clock(NOW))
    await store.put_alert_rule(
        AlertRule(id="surge", brand_id="acme", type="negative_surge", window_hours=6)
    )
    for day in range(1, 20):
        await add(store, NOW - timedelta(days=day), 4, label="positive")
        await add(store, NOW - timedelta(days=day, hours=1), 1, label="negative")
    await add(store, NOW - timedelta(hours=2), 3, label="positive")
    await add(store, NOW - timedelta(hours=1), 4, label="negative")
    assert await engine.check_counts() == []  # 4 negative: under the minimum of 5
    await add(store, NOW - timedelta(minutes=30), 8, label="negative")
    (alert,) = await engine.check_counts()
    assert alert.evidence["negative"] == 12 and alert.evidence["total"] == 15
    assert alert.evidence["baseline_share"] == pytest.approx(0.2)
    assert all(m["sentiment"] in ("negative", "positive") for m in alert.evidence["mentions"])


async def test_updates_within_the_update_interval_are_held_then_sent(store: AlertTestStore) -> None:
    clock = Clock(NOW)
    engine = AlertEngine(store=store, alerts=store, clock=clock)
    await store.put_alert_rule(
        AlertRule(id="spike", brand_id="acme", type="volume_spike", update_interval_seconds=600)
    )
    await baseline(store, 2)
    await add(store, HOUR + timedelta(minutes=3), 25)
    (opened,) = await engine.check_counts()
    for minutes in (2, 4):  # the story grows twice within the interval: recorded, not sent
        await add(store, HOUR + timedelta(minutes=5 + minutes), 5)
        clock.now = NOW + timedelta(minutes=minutes)
        (held,) = await engine.check_counts()
        assert held.id == opened.id
    assert (held.updates, held.evidence["observed"]) == (2, 35)
    assert await engine.flush_updates() == 0
    assert [d.event_type for d in await store.due_deliveries(clock.now, limit=10)] == [
        "alert.opened"
    ]
    clock.now = NOW + timedelta(minutes=10)
    assert await engine.flush_updates() == 1
    assert await engine.flush_updates() == 0  # sent once
    due = await store.due_deliveries(clock.now, limit=10)
    assert [d.event_type for d in due] == ["alert.opened", "alert.updated"]
    sent = json.loads(due[1].payload)["alert"]
    assert (sent["id"], sent["updates"], sent["evidence"]["observed"]) == (opened.id, 2, 35)
