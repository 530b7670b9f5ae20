"""``clarion migrate`` / ``search.copy_store`` copies every kind of record, not just documents.

A store seeded with at least one record of every kind (brands, sources, feed states,
documents with mentions, URL aliases, traffic events, alert rules, webhook
subscriptions, alerts, deliveries with their attempt log, API keys, audit entries,
campaigns) is copied SQLite -> Elasticsearch (osmem) with two interruptions, one in
the middle of a keyset phase and one in the middle of the cursor-paged audit log,
then back into a new SQLite file; every kind is compared record for record. A re-run
adds nothing; an audit entry already in the target keeps its first version; an API
key still authenticates after the copy. The CLI's summary reports every kind's count.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawlers import Document, FeedState, Source
from enrichment import Brand, Mention, Sentiment, Syndication
from enrichment._syndication import band_keys, signature
from search import (
    Alert,
    AlertRule,
    AuditEntry,
    Campaign,
    Delivery,
    DeliveryAttempt,
    ElasticsearchConfig,
    ElasticsearchStore,
    SQLiteStore,
    Store,
    TrafficEvent,
    WebhookSubscription,
    alert_store,
    audit_store,
    campaign_store,
    copy_store,
    key_store,
    traffic_store,
)
from service._keys import create_key, parse_key, secret_matches
from tests._elasticsearch import drop_indices

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
BATCH = 2  # small, so that every phase spans several batches
WIRE = " ".join(f"Acme recalls model {n} of its toasters after reports of fires." for n in range(9))


def _document(n: int, *, entry_url: str | None = None) -> tuple[Document, list[Mention]]:
    doc_id = f"doc{n:02d}"
    document = Document(
        id=doc_id,
        url=f"https://news.example/{doc_id}",
        source_id="s1",
        outlet="News",
        domain="news.example",
        title=f"Acme story {n}",
        text=f"{WIRE} Reprinted by outlet {n}." if n < 2 else f"Acme did thing {n}. " * 3,
        fetched_at=T0 + timedelta(hours=n, minutes=5),
        published_at=T0 + timedelta(hours=n),
        extra={} if entry_url is None else {"entry_url": entry_url},
    )
    mention = Mention(
        document_id=doc_id,
        brand_id="acme",
        sentiment=Sentiment("positive" if n % 2 else "negative", 0.8),
        snippets=(f"Acme did thing {n}",),
        in_title=True,
        count=2,
    )
    return document, [mention]


async def _seed(store: Store) -> dict[str, str]:
    """Every kind of record (counts chosen so that each phase spans several batches of
    ``BATCH``); answers the texts of the API keys made."""
    await store.put_brand(Brand(id="acme", name="Acme", query="acme"))
    await store.put_brand(Brand(id="globex", name="Globex", query="globex"))
    await store.put_source(Source(id="s1", url="https://news.example/feed", outlet="News"))
    await store.put_feed_state(FeedState(source_id="s1", etag='"v1"'))
    for n in range(5):  # 5 documents: 3 batches
        entry = "https://news.example/feed/0?from=rss" if n == 0 else None
        document, mentions = _document(n, entry_url=entry)
        sig = signature(document.text)  # documents 0 and 1: a wire story and its reprint
        cluster = Syndication("doc00", sig, band_keys(sig)) if n < 2 else None
        await store.save_document(document, mentions, syndication=cluster)
    # an unchanged save through another URL records a second alias: 3 aliases, 2 batches
    again, mentions = _document(0, entry_url="https://news.example/amp/0")
    assert await store.save_document(again, mentions) == "unchanged"
    await store.save_document(*_document(9, entry_url="https://news.example/feed/9"))
    traffic = traffic_store(store)
    await traffic.put_traffic_events(
        [
            TrafficEvent(
                id=f"ev{n}",
                timestamp=T0 + timedelta(minutes=10 * n),
                landing_url="https://acme.example/",
                referrer="https://news.example/doc01" if n % 2 else "",
                sessions=n + 1,
                conversions=n % 2,
                campaign="spring" if n < 3 else "",
                tags=("launch",) if n == 1 else (),
                brand_id="acme",
                channel="document" if n % 2 else "other",
                document_id="doc01" if n % 2 else "",
                outlet="News" if n % 2 else "",
            )
            for n in range(5)  # 3 batches
        ]
    )
    alerts = alert_store(store)
    await alerts.put_webhook(
        WebhookSubscription(
            id="h1",
            url="https://hooks.example/a",
            secret="s3cret",
            brand_ids=("acme",),
            created_at=T0,
        )
    )
    await alerts.put_alert_rule(AlertRule(id="r1", brand_id="acme", type="volume_spike"))
    await alerts.put_alert_rule(
        AlertRule(id="r2", brand_id="acme", type="crisis_terms", query="recall")
    )
    for n in range(3):  # 3 alerts (2 batches) with 5 deliveries (3 batches)
        alert = Alert(
            id=f"al{n}",
            rule_id="r1",
            brand_id="acme",
            type="volume_spike",
            opened_at=T0,
            updated_at=T0 + timedelta(minutes=n),
            updates=n,
            summary=f"spike {n}",
            evidence={"count": 10 + n},
            document_ids=("doc01",),
        )
        deliveries = [
            Delivery(
                id=f"de{n}{k}",
                subscription_id="h1",
                event_id=f"e{n}{k}",
                event_type="alert.opened",
                alert_id=alert.id,
                payload=f'{{"n": {n}}}',
                created_at=T0,
                next_attempt_at=T0 + timedelta(minutes=1),
            )
            for k in range(2 if n < 2 else 1)
        ]
        await alerts.record_alert(alert, deliveries)
    first = await alerts.get_delivery("de00")
    assert first is not None
    for attempt, status in ((1, 500), (2, 200)):  # two attempts, then delivered
        state = "delivered" if status == 200 else "pending"
        await alerts.record_attempt(
            first.with_changes(state=state, attempts=attempt, last_status=status),
            DeliveryAttempt(
                id=f"de00-{attempt}",
                delivery_id="de00",
                subscription_id="h1",
                attempt=attempt,
                at=T0 + timedelta(minutes=attempt),
                status_code=status,
                error=None,
                latency_ms=12.5,
            ),
        )
    keys = key_store(store)
    texts: dict[str, str] = {}
    for name in ("reader", "revoked"):
        _, text = await create_key(keys, name=name, scopes=("read",), brands=("acme",))
        texts[name] = text
    revoked = parse_key(texts["revoked"])
    assert revoked is not None
    await keys.revoke_api_key(revoked[0], T0)
    log = audit_store(store)
    for n in range(5):  # 5 entries, newest first: 3 pages, the last short
        await log.append_audit(
            AuditEntry(
                id=f"au{n}",
                at=T0 + timedelta(seconds=n),
                actor="cli",
                action="brand.create",
                target_type="brand",
                target_id="acme",
                change={"name": f"Acme {n}"},
            )
        )
    campaigns = campaign_store(store)
    await campaigns.put_campaign(
        Campaign(
            id="c1",
            brand_id="acme",
            name="Spring",
            start=T0,
            end=T0 + timedelta(days=30),
            tags=("spring",),
            description="launch",
        )
    )
    return texts


async def _all_pages(read: Any, key: Any) -> list[Any]:
    out: list[Any] = []
    after = None
    while page := await read(after, limit=BATCH):
        out.extend(page)
        after = key(page[-1])
    return out


async def _snapshot(store: Store) -> dict[str, Any]:
    """Every kind of record the store holds, in a stable order."""
    alerts, log = alert_store(store), audit_store(store)
    deliveries = await _all_pages(alerts.deliveries_after, lambda d: d.id)
    documents = await _all_pages(store.documents_after, lambda r: r[0].id)
    entries: list[AuditEntry] = []
    cursor = None
    while True:
        page = await log.audit_entries(limit=BATCH, cursor=cursor)
        entries.extend(page.entries)
        if (cursor := page.next_cursor) is None:
            break
    return {
        "brands": await store.list_brands(),
        "sources": await store.list_sources(),
        "feed_states": [await store.get_feed_state(s.id) for s in await store.list_sources()],
        "documents": documents,
        "syndications": await store.syndications([d.id for d, _ in documents]),
        "url_aliases": await _all_pages(store.url_aliases_after, lambda r: r[0]),
        "traffic_events": await _all_pages(
            traffic_store(store).traffic_events_after, lambda e: e.id
        ),
        "webhooks": await alerts.list_webhooks(),
        "alert_rules": await alerts.list_alert_rules(),
        "alerts": await _all_pages(alerts.alerts_after, lambda a: a.id),
        "deliveries": deliveries,
        "delivery_attempts": [await alerts.attempts(d.id) for d in deliveries],
        "api_keys": await key_store(store).list_api_keys(),
        "audit_entries": entries,
        "campaigns": await campaign_store(store).list_campaigns(),
    }


def _sizes(snapshot: dict[str, Any]) -> dict[str, int]:
    sizes = {kind: len(records) for kind, records in snapshot.items()}
    sizes["delivery_attempts"] = sum(len(log) for log in snapshot["delivery_attempts"])
    return sizes


SEEDED = {
    "brands": 2, "sources": 1, "feed_states": 1, "documents": 6, "syndications": 2,
    "url_aliases": 3, "traffic_events": 5, "webhooks": 1, "alert_rules": 2, "alerts": 3,
    "deliveries": 5,
    "delivery_attempts": 2, "api_keys": 2, "audit_entries": 5, "campaigns": 1,
}  # fmt: skip


def _checkpoint(path: Path) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return raw


@pytest.mark.elasticsearch
async def test_every_kind_goes_to_elasticsearch_and_back(
    tmp_path: Path, es_config: ElasticsearchConfig
) -> None:
    first = SQLiteStore(tmp_path / "first.db")
    prefix = f"mig-{uuid.uuid4().hex[:12]}"
    cluster = ElasticsearchStore(es_config, index_prefix=prefix)
    back = SQLiteStore(tmp_path / "back.db")
    checkpoint = tmp_path / "copy.checkpoint.json"
    for store in (first, cluster, back):
        await store.open()
    try:
        texts = await _seed(first)
        expected = await _snapshot(first)
        assert _sizes(expected) == SEEDED  # at least one record of every kind
        assert len(expected["delivery_attempts"][0]) == 2

        # documents 3 batches, aliases 2, traffic 3, then 1 of the 2 alert batches
        stats = await copy_store(
            first, cluster, checkpoint=checkpoint, identity="a", batch=BATCH, stop_after_batches=9
        )
        assert not stats.complete
        assert _checkpoint(checkpoint)["phase"] == "alerts"
        assert _checkpoint(checkpoint)["after"] == "al1"
        assert _checkpoint(checkpoint)["documents_copied"] == 6
        assert (stats.url_aliases, stats.traffic_events, stats.alerts) == (3, 5, 2)
        halfway = await _snapshot(cluster)
        assert halfway["traffic_events"] == expected["traffic_events"]
        assert (len(halfway["alerts"]), halfway["deliveries"]) == (2, [])
        # configuration is whole from the first run on
        for kind in ("brands", "webhooks", "alert_rules", "api_keys", "campaigns"):
            assert halfway[kind] == expected[kind], kind

        # resumed: the last alert batch, the 3 delivery batches, 1 of 3 audit pages
        stats = await copy_store(
            first, cluster, checkpoint=checkpoint, identity="a", batch=BATCH, stop_after_batches=5
        )
        assert (stats.resumed_phase, stats.resumed_after) == ("alerts", "al1")
        assert stats.documents.total() == stats.traffic_events == 0  # phases done: skipped
        assert (stats.alerts, stats.deliveries, stats.delivery_attempts) == (1, 5, 2)
        assert stats.audit_entries == 2 and _checkpoint(checkpoint)["phase"] == "audit_entries"

        stats = await copy_store(first, cluster, checkpoint=checkpoint, identity="a", batch=BATCH)
        assert stats.complete and stats.audit_entries == 3 and not checkpoint.exists()
        assert await _snapshot(cluster) == expected

        # a re-run finds everything there: nothing new, nothing twice
        again = await copy_store(first, cluster, checkpoint=checkpoint, identity="a", batch=BATCH)
        assert again.complete and again.documents == {"unchanged": 6}
        assert again.summary()["audit_entries"] == 5
        assert await _snapshot(cluster) == expected

        # an API key authenticates against the copy: its hash was copied as it was
        key_id, secret = parse_key(texts["reader"]) or ("", "")
        copied_key = await key_store(cluster).get_api_key(key_id)
        assert copied_key is not None and secret_matches(copied_key, secret)

        # back into SQLite, where one audit id is already taken: the first entry stays
        taken = AuditEntry(
            id="au3", at=T0, actor="local", action="brand.delete", target_type="brand"
        )
        await audit_store(back).append_audit(taken)
        stats = await copy_store(cluster, back, checkpoint=checkpoint, identity="c", batch=BATCH)
        assert stats.complete and stats.documents == {"created": 6}
        returned = await _snapshot(back)
        assert [e for e in returned["audit_entries"] if e.id == "au3"] == [taken]
        returned["audit_entries"] = [e for e in returned["audit_entries"] if e.id != "au3"]
        expected["audit_entries"] = [e for e in expected["audit_entries"] if e.id != "au3"]
        assert returned == expected
    finally:
        for store in (first, cluster, back):
            await store.close()
        await drop_indices(es_config, prefix)


def test_cli_summary_reports_every_kind(tmp_path: Path) -> None:
    source, target = tmp_path / "source.db", tmp_path / "target.db"

    async def seed() -> None:
        store = SQLiteStore(source)
        await store.open()
        try:
            await _seed(store)
        finally:
            await store.close()

    asyncio.run(seed())
    process = subprocess.run(
        [
            sys.executable, "-m", "service", "migrate", "--from", f"sqlite:{source}",
            "--to", f"sqlite:{target}", "--batch", str(BATCH),
        ],
        cwd=tmp_path,
        env={**os.environ, "CLARION_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    report = json.loads(process.stdout)
    assert report["complete"] is True
    assert report["documents"] == {"created": 6} and report["mentions"] == 6
    counts = {kind: report[kind] for kind in SEEDED if kind != "documents"}
    assert counts == {kind: n for kind, n in SEEDED.items() if kind != "documents"}

    async def compare() -> None:
        stores = SQLiteStore(source), SQLiteStore(target)
        for store in stores:
            await store.open()
        try:
            assert await _snapshot(stores[1]) == await _snapshot(stores[0])
        finally:
            for store in stores:
                await store.close()

    asyncio.run(compare())
