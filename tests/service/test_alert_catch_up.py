"""Per-document alerts missed by a crash (documents stored, their batch's rules never
run) are raised by ``AlertEngine.catch_up`` from the store, and never twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers import Document, document_id
from enrichment import Mention, Sentiment
from search import AlertRule
from service._alerts import AlertEngine
from tests.service._alert_store import BACKENDS, AlertTestStore, open_alert_store

NOW = datetime(2026, 3, 4, 14, 20, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AlertTestStore]:
    async for opened in open_alert_store(request, tmp_path, now=NOW):
        await opened.put_alert_rule(
            AlertRule(
                id="crisis",
                brand_id="acme",
                type="crisis_terms",
                query="recall",
                cooldown_seconds=3600,
                update_interval_seconds=0,
            )
        )
        yield opened


def article(slug: str, title: str, at: datetime) -> tuple[Document, list[Mention]]:
    url = f"https://news.example/{slug}"
    doc = Document(
        id=document_id(url),
        url=url,
        source_id="news",
        outlet="News",
        domain="news.example",
        title=title,
        text=f"{title}. More text.",
        fetched_at=at,
        published_at=at,
    )
    return doc, [Mention(document_id=doc.id, brand_id="acme", sentiment=Sentiment("negative", 0.8))]


async def test_documents_stored_before_a_crash_are_alerted_once(store: AlertTestStore) -> None:
    clock = Clock(NOW)
    engine = AlertEngine(store=store, alerts=store, clock=clock)
    missed = [
        article("a", "Acme recall begins", NOW - timedelta(minutes=5)),
        article("b", "Acme opens a shop", NOW - timedelta(minutes=4)),
    ]
    for doc, mentions in missed:  # stored; the process died before its rules ran
        await store.save_document(doc, mentions)

    assert await engine.catch_up() == 1
    (alert,) = await store.list_alerts()
    assert [m["url"] for m in alert.evidence["mentions"]] == ["https://news.example/a"]
    assert alert.document_ids == (missed[0][0].id,)
    assert await engine.catch_up() == 0  # counted already

    # The pipeline's callback for a batch the catch-up already counted: nothing new.
    await engine.on_stored([(missed[0][0], missed[0][1], "created")])
    assert len(await store.due_deliveries(NOW, limit=10)) == 1

    clock.now = NOW + timedelta(minutes=1)
    fresh = article("c", "Acme recall widens", NOW)
    await store.save_document(*fresh)
    await engine.on_stored([(fresh[0], fresh[1], "created")])
    (updated,) = await store.list_alerts()
    assert updated.id == alert.id and updated.evidence["new_mentions"] == 1
    assert set(updated.document_ids) == {missed[0][0].id, fresh[0].id}

    # Hours later the story has cooled down: its documents are not alerted again.
    clock.now = NOW + timedelta(hours=5)
    assert await engine.catch_up() == 0
    assert len(await store.due_deliveries(clock.now, limit=10)) == 2
