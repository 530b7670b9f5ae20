"""The ``story_growth`` rule on a real store: a new syndication cluster spreading.

Stories are stored through the real store (both backends), as the pipeline stores
them: the cluster's first document is its own cluster, each copy carries the
cluster id. The engine is called as the pipeline and the periodic check call it
(``on_stored``, ``check_counts``), with a clock the test moves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from crawlers import Document, document_id
from enrichment import Mention, Sentiment
from search import AlertRule, WebhookSubscription
from service._alerts import AlertEngine, StoredDocument
from service._app import create_app
from tests._servers import serve_app
from tests.service._alert_store import BACKENDS, AlertTestStore, open_alert_store
from tests.service.conftest import local_settings

NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AlertTestStore]:
    async for opened in open_alert_store(request, tmp_path, now=NOW):
        yield opened


async def publish(
    store: AlertTestStore,
    story: str,
    outlet: str,
    at: datetime,
    *,
    first: bool = False,
    tier: int = 3,
    brand: str = "acme",
) -> StoredDocument:
    """One copy of ``story`` in ``outlet`` (the story's first document when ``first``)."""
    host = outlet.lower().replace(" ", "-") + ".example"
    url = f"https://{host}/{story}" if not first else f"https://wire.example/{story}"
    doc = Document(
        id=story if first else document_id(url),
        url=url,
        source_id=host,
        outlet=outlet,
        domain=host,
        tier=tier,
        title=f"Acme {story} headline ({outlet})",
        text=f"Acme and the {story} story.",
        fetched_at=at,
        published_at=at,
    )
    mention = Mention(
        document_id=doc.id,
        brand_id=brand,
        sentiment=Sentiment("neutral", 0.9),
        cluster_id=None if first else story,
    )
    outcome = await store.save_document(doc, [mention])
    return doc, [mention], outcome


def rule(**options: object) -> AlertRule:
    return AlertRule(
        id="story",
        brand_id="acme",
        type="story_growth",
        max_tier=5,
        update_interval_seconds=0,
        **options,  # type: ignore[arg-type]
    )


async def test_a_new_story_opens_one_alert_then_updates_it(store: AlertTestStore) -> None:
    clock = Clock(NOW)
    engine = AlertEngine(store=store, alerts=store, clock=clock)
    await store.put_alert_rule(rule(min_outlets=5, window_minutes=120))
    batch = [await publish(store, "recall", "Wire", NOW - timedelta(minutes=50), first=True)]
    for n, outlet in enumerate(["Daily A", "Daily B", "Daily C"]):
        batch.append(await publish(store, "recall", outlet, NOW - timedelta(minutes=40 - n)))
    await engine.on_stored(batch)
    assert await store.list_alerts() == []  # four outlets: not yet

    fifth = await publish(store, "recall", "Daily D", NOW - timedelta(minutes=5))
    await engine.on_stored([fifth])  # the copy that makes five alerts at once
    (alert,) = await store.list_alerts()
    assert alert.type == "story_growth" and alert.updates == 0
    evidence = alert.evidence
    assert evidence["cluster_id"] == "recall"
    assert evidence["first_title"] == "Acme recall headline (Wire)"
    assert evidence["first_url"] == "https://wire.example/recall"
    assert evidence["first_published_at"] == "2026-03-04T13:10:00Z"
    assert evidence["outlets_in_window"] == 5
    assert evidence["outlets"] == ["Daily A", "Daily B", "Daily C", "Daily D", "Wire"]
    assert [c["outlet"] for c in evidence["copies"]] == [
        "Wire",
        "Daily A",
        "Daily B",
        "Daily C",
        "Daily D",
    ]
    assert evidence["copies"][-1]["published_at"] == "2026-03-04T13:55:00Z"
    assert evidence["mentions"][0]["outlet"] == "Daily D"  # newest first
    assert "5 outlets within 45 min" in alert.summary
    (opened,) = await store.due_deliveries(NOW, limit=10)
    assert opened.event_type == "alert.opened"
    assert json.loads(opened.payload)["alert"]["evidence"]["first_url"].endswith("/recall")

    assert await engine.check_counts() == []  # nothing new: nothing sent

    clock.now = NOW + timedelta(minutes=10)
    await publish(store, "recall", "Daily E", NOW + timedelta(minutes=2))
    await publish(store, "recall", "Daily F", NOW + timedelta(minutes=3))
    (updated,) = await engine.check_counts()
    assert updated.id == alert.id and updated.updates == 1
    assert updated.evidence["outlets_in_window"] == 7
    assert [a.id for a in await store.list_alerts()] == [alert.id]  # not a second alert
    events = sorted(d.event_type for d in await store.due_deliveries(clock.now, limit=10))
    assert events == ["alert.opened", "alert.updated"]


async def test_two_stories_are_two_alerts_each_updated_on_its_own(store: AlertTestStore) -> None:
    clock = Clock(NOW)
    engine = AlertEngine(store=store, alerts=store, clock=clock)
    await store.put_alert_rule(rule(min_outlets=3, window_minutes=60))
    for story in ("merger", "strike"):
        await publish(store, story, "Wire", NOW - timedelta(minutes=30), first=True)
        for outlet in ("Daily A", "Daily B"):
            await publish(store, story, outlet, NOW - timedelta(minutes=20))
    alerts = await engine.check_counts()
    assert sorted(a.evidence["cluster_id"] for a in alerts) == ["merger", "strike"]
    clock.now = NOW + timedelta(minutes=1)
    await publish(store, "strike", "Daily C", NOW)
    (updated,) = await engine.check_counts()
    assert updated.evidence["cluster_id"] == "strike" and updated.updates == 1
    assert len(await store.list_alerts()) == 2


async def test_an_old_story_gaining_copies_does_not_fire(store: AlertTestStore) -> None:
    engine = AlertEngine(store=store, alerts=store, clock=Clock(NOW))
    await store.put_alert_rule(rule(min_outlets=5, window_minutes=120))
    await publish(store, "lawsuit", "Wire", NOW - timedelta(days=3), first=True)
    # five outlets pick the old story up again within the window: not a new story
    batch = [
        await publish(store, "lawsuit", f"Daily {n}", NOW - timedelta(minutes=30 - n))
        for n in range(5)
    ]
    await engine.on_stored(batch)
    assert await engine.check_counts() == []
    assert await store.list_alerts() == []


async def test_scattered_unrelated_stories_do_not_fire(store: AlertTestStore) -> None:
    engine = AlertEngine(store=store, alerts=store, clock=Clock(NOW))
    await store.put_alert_rule(rule(min_outlets=5, window_minutes=120))
    batch = []
    for n in range(12):  # twelve outlets, twelve different stories, two with one reprint
        story = f"story-{n}"
        batch.append(
            await publish(store, story, f"Outlet {n}", NOW - timedelta(minutes=n), first=True)
        )
        if n < 2:
            batch.append(await publish(store, story, "Reprints", NOW - timedelta(minutes=n)))
    await engine.on_stored(batch)
    assert await engine.check_counts() == []
    assert await store.list_alerts() == []


async def test_only_outlets_within_the_tier_count(store: AlertTestStore) -> None:
    engine = AlertEngine(store=store, alerts=store, clock=Clock(NOW))
    await store.put_alert_rule(
        AlertRule(id="t1", brand_id="acme", type="story_growth", max_tier=1, min_outlets=3)
    )
    await publish(store, "probe", "Wire", NOW - timedelta(minutes=30), first=True, tier=1)
    for outlet in ("Blog A", "Blog B", "Blog C"):
        await publish(store, "probe", outlet, NOW - timedelta(minutes=20), tier=4)
    assert await engine.check_counts() == []  # one tier-1 outlet, three tier-4 ones
    await publish(store, "probe", "Times", NOW - timedelta(minutes=10), tier=1)
    await publish(store, "probe", "Post", NOW - timedelta(minutes=5), tier=1)
    (alert,) = await engine.check_counts()
    assert alert.evidence["outlets"] == ["Post", "Times", "Wire"]
    assert alert.evidence["max_tier"] == 1 and len(alert.evidence["copies"]) == 6


async def test_slack_subscribers_get_the_first_copy_and_the_outlets(
    store: AlertTestStore,
) -> None:
    await store.put_webhook(
        WebhookSubscription(
            id="slack",
            url="https://hooks.example/slack",
            secret="s" * 16,
            event_types=("alert.opened",),
            format="slack",
            created_at=NOW,
        )
    )
    engine = AlertEngine(store=store, alerts=store, clock=Clock(NOW))
    await store.put_alert_rule(rule(min_outlets=2, window_minutes=60))
    await publish(store, "fire", "Wire", NOW - timedelta(minutes=30), first=True)
    await publish(store, "fire", "Daily <A>", NOW - timedelta(minutes=10))
    (alert,) = await engine.check_counts()
    slack = await store.deliveries("slack")
    (delivery,) = slack
    body = json.loads(delivery.payload)
    text = "\n".join(b["text"]["text"] for b in body["blocks"] if "text" in b)
    assert "New alert for acme (story_growth)" in body["text"]
    assert "First: <https://wire.example/fire|Acme fire headline (Wire)> — Wire" in text
    assert "2 outlets in 60 min: Daily &lt;A&gt;, Wire" in text
    assert delivery.alert_id == alert.id


def test_story_rules_by_api_and_bad_input_as_problems(tmp_path: Path) -> None:
    config = {"brands": [{"id": "acme", "name": "Acme"}]}
    settings = local_settings(tmp_path, config, alert_check_interval=86_400.0)
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        created = client.post(
            "/v1/alert-rules",
            json={"brand_id": "acme", "type": "story_growth", "min_outlets": 4},
        )
        assert created.status_code == 201
        body = created.json()
        assert body["min_outlets"] == 4 and body["window_minutes"] is None
        assert body["max_tier"] == 5  # every outlet counts unless told otherwise
        tiered = client.post(
            "/v1/alert-rules",
            json={"brand_id": "acme", "type": "story_growth", "max_tier": 2, "window_minutes": 30},
        )
        assert tiered.status_code == 201 and tiered.json()["max_tier"] == 2
        for bad in (
            {"min_outlets": 1},
            {"min_outlets": "many"},
            {"window_minutes": 0},
            {"window_minutes": 100_000},
            {"max_tier": 9},
        ):
            answer = client.post(
                "/v1/alert-rules", json={"brand_id": "acme", "type": "story_growth", **bad}
            )
            assert answer.status_code == 422, bad
            assert answer.headers["content-type"].startswith("application/problem+json")
        misplaced = client.post(
            "/v1/alert-rules", json={"brand_id": "acme", "type": "volume_spike", "min_outlets": 3}
        )
        assert misplaced.status_code == 422
        assert "story_growth" in json.dumps(misplaced.json())
