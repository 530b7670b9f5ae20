"""Contract: the paged reads (and the alias write) that copying a store needs.

``url_aliases_after`` / ``put_url_aliases`` and ``syndications`` (``search.Store``),
``alerts_after`` and ``deliveries_after`` (``search.AlertStore``): every record, in
ascending id order, keyset-paged; limits outside 1..1000 refused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawlers import document_id
from enrichment import Syndication
from enrichment._syndication import band_keys, signature
from search import Alert, Delivery, Store, StoreError, alert_store
from tests.store_contract._data import doc, utc

NOON = utc(2026, 5, 4, 12, 0)


async def test_url_aliases_page_in_id_order_and_round_trip(store: Store) -> None:
    canonical = document_id("https://news.example/story")
    entries = [f"https://news.example/feed/{n}?from=rss" for n in range(5)]
    first = doc(canonical, published_at=NOON, extra={"entry_url": entries[0]})
    await store.save_document(first, [])
    for entry in entries[1:]:  # unchanged saves through other URLs: one alias each
        await store.save_document(first.replace(extra={"entry_url": entry}), [])
    expected = sorted((document_id(e), canonical) for e in entries)
    seen: list[tuple[str, str]] = []
    after: str | None = None
    while page := await store.url_aliases_after(after, limit=2):
        assert len(page) <= 2
        seen.extend(page)
        after = page[-1][0]
    assert seen == expected
    assert await store.url_aliases_after(expected[2][0], limit=1000) == expected[3:]

    # written in bulk: created or replaced by alias id, idempotent
    moved = [(expected[0][0], "other-doc"), ("zz-alias", canonical)]
    await store.put_url_aliases(moved)
    await store.put_url_aliases(moved)
    await store.put_url_aliases([])
    everything = await store.url_aliases_after(None, limit=1000)
    assert everything == [moved[0], *expected[1:], moved[1]]
    found = await store.stored_versions(["zz-alias"])
    assert found["zz-alias"].document_id == canonical  # a written alias is looked up
    for bad in (0, 1001):
        with pytest.raises(StoreError):
            await store.url_aliases_after(None, limit=bad)


def _alert(alert_id: str, minutes: int) -> Alert:
    at = NOON + timedelta(minutes=minutes)
    return Alert(
        id=alert_id,
        rule_id="r1",
        brand_id="acme",
        type="crisis_terms",
        opened_at=at,
        updated_at=at,
        summary=f"alert {alert_id}",
        evidence={"count": minutes},
        document_ids=("d1",),
    )


def _delivery(delivery_id: str, sub: str, *, state: str = "pending") -> Delivery:
    return Delivery(
        id=delivery_id,
        subscription_id=sub,
        event_id=f"ev-{delivery_id}",
        event_type="alert.opened",
        alert_id="a1",
        payload='{"event": "alert.opened"}',
        created_at=NOON,
        next_attempt_at=NOON,
        state=state,  # type: ignore[arg-type]
    )


async def test_alerts_and_deliveries_page_over_everything_in_id_order(store: Store) -> None:
    alerts = alert_store(store)
    # ids out of update order, deliveries of two subscriptions and every state
    made = [_alert("a3", 1), _alert("a1", 3), _alert("a2", 2)]
    deliveries = [_delivery("d2", "h2"), _delivery("d1", "h1"), _delivery("d4", "h1")]
    await alerts.record_alert(made[0], deliveries)
    await alerts.record_alert(made[1], [])
    await alerts.record_alert(made[2], [])
    dead = _delivery("d3", "gone", state="dead").with_changes(attempts=3)
    await alerts.record_attempt(dead, None)
    done = deliveries[0].with_changes(state="delivered", attempts=1, delivered_at=NOON)
    await alerts.record_attempt(done, None)

    seen_alerts: list[Alert] = []
    after: str | None = None
    while page := await alerts.alerts_after(after, limit=2):
        seen_alerts.extend(page)
        after = page[-1].id
    assert seen_alerts == sorted(made, key=lambda a: a.id)  # every field round-trips

    seen: list[Delivery] = []
    after = None
    while chunk := await alerts.deliveries_after(after, limit=3):
        seen.extend(chunk)
        after = chunk[-1].id
    assert seen == [deliveries[1], done, dead, deliveries[2]]
    assert await alerts.deliveries_after("d3", limit=1) == [deliveries[2]]
    assert await alerts.alerts_after("a3", limit=5) == []
    for bad in (0, 1001):
        with pytest.raises(StoreError):
            await alerts.alerts_after(None, limit=bad)
        with pytest.raises(StoreError):
            await alerts.deliveries_after(None, limit=bad)


async def test_syndications_answer_what_documents_were_saved_with(store: Store) -> None:
    text = " ".join(f"word{n} of a wire story that outlets reprint" for n in range(40))
    sig = signature(text)
    assert sig  # long enough for a signature
    with_record = Syndication("cluster-x", sig, band_keys(sig))
    await store.save_document(doc("a", published_at=NOON, text=text), [], syndication=with_record)
    await store.save_document(doc("b", published_at=NOON, text=text), [])
    await store.save_document(
        doc("c", published_at=NOON, text="Too short."), [], syndication=Syndication("c", (), ())
    )
    found = await store.syndications(["a", "b", "c", "zz", "a"])
    assert found == {"a": with_record}
    assert await store.syndications([]) == {}
    # what it answers is what save_document takes: a copy is found as a candidate
    await store.save_document(doc("a2", published_at=NOON, text=text), [], syndication=found["a"])
    candidates = await store.syndication_candidates(list(with_record.band_keys))
    assert {(c.document_id, c.cluster_id) for c in candidates} == {
        ("a", "cluster-x"),
        ("a2", "cluster-x"),
    }
