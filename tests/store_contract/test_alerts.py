"""Contract: alert rules, webhook subscriptions, alerts and the outbox (``AlertStore``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from search import (
    Alert,
    AlertRule,
    AlertStore,
    Delivery,
    DeliveryAttempt,
    StoreError,
    WebhookSubscription,
    alert_store,
)
from tests.store_contract.conftest import StoreFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOOK = WebhookSubscription(
    id="h1",
    url="https://receiver.example/hook",
    secret="s3cret",
    event_types=("alert.opened",),
    brand_ids=("acme",),
    format="slack",
    created_at=T0,
)
RULE = AlertRule(id="r1", brand_id="acme", type="crisis_terms", query='recall OR "data breach"')


def _alert(alert_id: str = "a1", *, rule_id: str = "r1", at: datetime = T0, **kw: object) -> Alert:
    return Alert(
        id=alert_id,
        rule_id=rule_id,
        brand_id=str(kw.pop("brand_id", "acme")),
        type="crisis_terms",
        opened_at=at,
        updated_at=at,
        evidence={"mentions": [{"url": "https://news.example/1", "title": "Recall"}]},
        **kw,  # type: ignore[arg-type]
    )


def _delivery(
    delivery_id: str, *, due: datetime = T0, sub: str = "h1", created: datetime = T0
) -> Delivery:
    return Delivery(
        id=delivery_id,
        subscription_id=sub,
        event_id=f"ev-{delivery_id}",
        event_type="alert.opened",
        alert_id="a1",
        payload='{"event": "alert.opened"}',
        created_at=created,
        next_attempt_at=due,
    )


def _attempt(
    attempt_id: str,
    number: int,
    *,
    at: datetime = T0,
    status_code: int | None = None,
    error: str | None = None,
    latency_ms: float,
) -> DeliveryAttempt:
    """An attempt at delivery ``d1`` of subscription ``h1``."""
    return DeliveryAttempt(
        id=attempt_id,
        delivery_id="d1",
        subscription_id="h1",
        attempt=number,
        at=at,
        status_code=status_code,
        error=error,
        latency_ms=latency_ms,
    )


@pytest.fixture
async def alerts(make_store: StoreFactory) -> AsyncIterator[AlertStore]:
    store = make_store()
    await store.open()
    try:
        yield alert_store(store)
    finally:
        await store.close()


def test_a_store_without_alerts_is_refused() -> None:
    with pytest.raises(StoreError, match="does not store alerts"):
        alert_store(object())


async def test_webhooks_round_trip_list_and_delete(alerts: AlertStore) -> None:
    assert await alerts.list_webhooks() == []
    other = WebhookSubscription(id="h0", url="https://x.example/", secret="k", created_at=T0)
    await alerts.put_webhook(HOOK)
    await alerts.put_webhook(other)
    assert await alerts.get_webhook("h1") == HOOK
    assert [h.id for h in await alerts.list_webhooks()] == ["h0", "h1"]
    disabled = WebhookSubscription(**{**_fields(HOOK), "enabled": False})
    await alerts.put_webhook(disabled)
    assert await alerts.get_webhook("h1") == disabled
    assert await alerts.delete_webhook("h1") is True
    assert await alerts.delete_webhook("h1") is False
    assert await alerts.get_webhook("h1") is None


async def test_rules_round_trip_list_and_delete(alerts: AlertStore) -> None:
    spike = AlertRule(id="r0", brand_id="acme", type="volume_spike", min_count=20, threshold=5.0)
    await alerts.put_alert_rule(RULE)
    await alerts.put_alert_rule(spike)
    assert await alerts.get_alert_rule("r1") == RULE
    assert await alerts.list_alert_rules() == [spike, RULE]
    assert await alerts.delete_alert_rule("r0") is True
    assert await alerts.list_alert_rules() == [RULE]
    assert await alerts.get_alert_rule("r0") is None


async def test_an_alert_and_its_deliveries_are_recorded_together(alerts: AlertStore) -> None:
    alert = _alert(notified_at=T0)
    await alerts.record_alert(alert, [_delivery("d1"), _delivery("d2", due=T0 + timedelta(1))])
    assert await alerts.get_alert("a1") == alert
    assert [d.id for d in await alerts.due_deliveries(T0, limit=10)] == ["d1"]
    assert await alerts.next_due() == T0
    assert await alerts.get_delivery("d1") == _delivery("d1")


async def test_enqueueing_a_delivery_again_leaves_it_as_it_is(alerts: AlertStore) -> None:
    await alerts.record_alert(_alert(), [_delivery("d1")])
    done = _delivery("d1").with_changes(state="delivered", attempts=1, delivered_at=T0)
    await alerts.record_attempt(done, None)
    updated = _alert(updates=1, at=T0 + timedelta(minutes=5))
    await alerts.record_alert(updated, [_delivery("d1"), _delivery("d3")])
    assert await alerts.get_delivery("d1") == done
    assert [d.id for d in await alerts.due_deliveries(T0, limit=10)] == ["d3"]
    assert await alerts.get_alert("a1") == updated


async def test_due_deliveries_are_pending_ones_whose_time_came_earliest_first(
    alerts: AlertStore,
) -> None:
    later, soon = T0 + timedelta(minutes=2), T0 + timedelta(minutes=1)
    await alerts.record_alert(
        _alert(), [_delivery("d1", due=later), _delivery("d2", due=soon), _delivery("d3")]
    )
    await alerts.record_attempt(_delivery("d3").with_changes(state="dead", attempts=5), None)
    assert await alerts.due_deliveries(T0, limit=10) == []
    assert [d.id for d in await alerts.due_deliveries(later, limit=10)] == ["d2", "d1"]
    assert [d.id for d in await alerts.due_deliveries(later, limit=1)] == ["d2"]
    assert await alerts.next_due() == soon
    # aware times in any zone; out as UTC
    paris = timezone(timedelta(hours=1))
    assert len(await alerts.due_deliveries(soon.astimezone(paris), limit=10)) == 1


async def test_no_pending_delivery_means_nothing_is_due(alerts: AlertStore) -> None:
    assert await alerts.next_due() is None
    await alerts.record_alert(_alert(), [])
    assert await alerts.next_due() is None


async def test_attempts_are_logged_in_order_with_the_delivery_state(alerts: AlertStore) -> None:
    await alerts.record_alert(_alert(), [_delivery("d1")])
    first = _attempt("x1", 1, status_code=500, latency_ms=12.5)
    second = _attempt("x2", 2, at=T0 + timedelta(seconds=2), error="ConnectError", latency_ms=3.0)
    retry = _delivery("d1").with_changes(attempts=1, next_attempt_at=T0 + timedelta(seconds=2))
    await alerts.record_attempt(retry, first)
    dead = retry.with_changes(attempts=2, state="dead", last_error="ConnectError")
    await alerts.record_attempt(dead, second)
    assert await alerts.attempts("d1") == [first, second]
    assert await alerts.get_delivery("d1") == dead
    assert await alerts.due_deliveries(T0 + timedelta(days=1), limit=10) == []
    assert await alerts.attempts("nope") == []


async def test_deliveries_of_a_subscription_newest_first(alerts: AlertStore) -> None:
    await alerts.record_alert(
        _alert(),
        [
            _delivery("d1", created=T0),
            _delivery("d2", created=T0 + timedelta(minutes=1)),
            _delivery("d9", sub="other"),
        ],
    )
    assert [d.id for d in await alerts.deliveries("h1")] == ["d2", "d1"]
    assert [d.id for d in await alerts.deliveries("h1", limit=1)] == ["d2"]
    assert await alerts.deliveries("none") == []


async def test_alerts_newest_first_by_brand_and_latest_of_a_rule(alerts: AlertStore) -> None:
    await alerts.record_alert(_alert("a1", at=T0), [])
    await alerts.record_alert(_alert("a2", at=T0 + timedelta(hours=1)), [])
    await alerts.record_alert(
        _alert("a3", rule_id="r2", at=T0 + timedelta(hours=2), brand_id="globex"), []
    )
    assert [a.id for a in await alerts.list_alerts()] == ["a3", "a2", "a1"]
    assert [a.id for a in await alerts.list_alerts(brand_id="acme", limit=1)] == ["a2"]
    latest = await alerts.latest_alert("r1")
    assert latest is not None and latest.id == "a2"
    assert await alerts.latest_alert("r9") is None


async def test_the_outbox_survives_reopening(make_store: StoreFactory) -> None:
    first = alert_store(make_store())
    await first.open()  # type: ignore[attr-defined]
    await first.record_alert(_alert(), [_delivery("d1")])
    await first.close()  # type: ignore[attr-defined]
    second = alert_store(make_store())
    await second.open()  # type: ignore[attr-defined]
    try:
        assert [d.id for d in await second.due_deliveries(T0, limit=5)] == ["d1"]
    finally:
        await second.close()  # type: ignore[attr-defined]


def _fields(hook: WebhookSubscription) -> dict[str, object]:
    return {name: getattr(hook, name) for name in hook.__dataclass_fields__}


# --- claims: one sender at a time per delivery -----------------------------------------

LEASE = timedelta(seconds=30)


async def test_of_two_claims_of_one_due_delivery_exactly_one_wins(
    make_store: StoreFactory,
) -> None:
    """Two stores on one storage (two processes), claiming every delivery at once."""
    stores = [alert_store(make_store()) for _ in range(2)]
    for opened in stores:
        await opened.open()  # type: ignore[attr-defined]
    try:
        ids = [f"d{i}" for i in range(8)]
        await stores[0].record_alert(_alert(), [_delivery(i) for i in ids])
        for delivery_id in ids:
            won = await asyncio.gather(
                *(
                    s.claim_delivery(delivery_id, claimant=f"p{n}", now=T0, lease=LEASE)
                    for n, s in enumerate(stores)
                )
            )
            (winner,) = [claim for claim in won if claim is not None]
            assert winner.claimed_by in {"p0", "p1"} and winner.claimed_until == T0 + LEASE
            assert await stores[1].get_delivery(delivery_id) == winner
        assert await stores[0].claim_delivery("d0", claimant="p2", now=T0, lease=LEASE) is None
        assert await stores[0].due_deliveries(T0 + timedelta(seconds=29), limit=10) == []
        assert await stores[0].next_due() == T0 + LEASE
    finally:
        for opened in stores:
            await opened.close()  # type: ignore[attr-defined]


async def test_an_expired_claim_can_be_claimed_again(alerts: AlertStore) -> None:
    await alerts.record_alert(_alert(), [_delivery("d1")])
    first = await alerts.claim_delivery("d1", claimant="dead", now=T0, lease=LEASE)
    assert first is not None and first.next_attempt_at == T0 + LEASE
    assert await alerts.claim_delivery("d1", claimant="b", now=T0 + LEASE / 2, lease=LEASE) is None
    later = T0 + LEASE  # the claimer died: its lease ran out, the delivery is due again
    assert [d.id for d in await alerts.due_deliveries(later, limit=10)] == ["d1"]
    again = await alerts.claim_delivery("d1", claimant="b", now=later, lease=LEASE)
    assert again == _delivery("d1").with_changes(
        claimed_by="b", claimed_until=later + LEASE, next_attempt_at=later + LEASE
    )


async def test_only_a_pending_due_delivery_can_be_claimed(alerts: AlertStore) -> None:
    await alerts.record_alert(
        _alert(), [_delivery("soon", due=T0 + timedelta(minutes=1)), _delivery("sent")]
    )
    await alerts.record_attempt(_delivery("sent").with_changes(state="delivered"), None)
    paris = timezone(timedelta(hours=1))
    for delivery_id in ("soon", "sent", "unknown"):
        claim = await alerts.claim_delivery(
            delivery_id, claimant="a", now=T0.astimezone(paris), lease=LEASE
        )
        assert claim is None
    assert await alerts.get_delivery("soon") == _delivery("soon", due=T0 + timedelta(minutes=1))


async def test_recording_the_attempt_ends_the_claim(alerts: AlertStore) -> None:
    await alerts.record_alert(_alert(), [_delivery("d1")])
    claimed = await alerts.claim_delivery("d1", claimant="a", now=T0, lease=LEASE)
    assert claimed is not None
    retry_at = T0 + timedelta(seconds=5)  # before the lease would have run out
    attempt = _attempt("x1", 1, status_code=503, latency_ms=1.0)
    await alerts.record_attempt(claimed.with_changes(attempts=1, next_attempt_at=retry_at), attempt)
    recorded = await alerts.get_delivery("d1")
    assert recorded == _delivery("d1").with_changes(attempts=1, next_attempt_at=retry_at)
    assert await alerts.claim_delivery("d1", claimant="b", now=retry_at, lease=LEASE) is not None
