"""Two delivery workers on one store (two ``clarion serve`` on one Elasticsearch, or two
processes on one SQLite file), sending to a real receiver on 127.0.0.1: every delivery
is received once, because a worker sends only what it claimed in the store.

Each worker has its own store object on the shared storage, as two processes would.
The receiver holds its answers until it has as many requests as there are deliveries,
so both workers' first looks at the outbox find every delivery still pending: without
the claim, each would send each of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from search import (
    Alert,
    AlertStore,
    ElasticsearchConfig,
    ElasticsearchStore,
    SQLiteStore,
    WebhookSubscription,
    alert_store,
)
from service._alerting import webhook_client
from service._delivery import DeliveryWorker
from service._settings import Settings
from service._webhooks import deliveries_for
from tests._elasticsearch import drop_indices
from tests._servers import serve_app
from tests.service._alert_store import BACKENDS

NOW = datetime.now(UTC)
DELIVERIES = 12  # fewer than the worker's CONCURRENCY: a first look sends them all


@pytest.fixture(params=BACKENDS)
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[list[AlertStore]]:
    """Two opened stores on one storage: one SQLite file, or one index prefix."""
    config: ElasticsearchConfig | None = None
    stores: list[SQLiteStore | ElasticsearchStore]
    if request.param == "sqlite":
        stores = [SQLiteStore(tmp_path / "clarion.db") for _ in range(2)]
    else:
        config = request.getfixturevalue("es_config")
        prefix = f"dw-{uuid.uuid4().hex[:12]}"
        stores = [ElasticsearchStore(config, index_prefix=prefix) for _ in range(2)]
    for store in stores:
        await store.open()
    try:
        yield [alert_store(store) for store in stores]
    finally:
        for store in stores:
            await store.close()
        if config is not None:
            await drop_indices(config, prefix)


@pytest.fixture
def receiver() -> Iterator[tuple[Counter[str], str]]:
    """POSTs received by ``Clarion-Delivery-Id``; answers once ``DELIVERIES`` came in."""
    received: Counter[str] = Counter()
    enough = asyncio.Event()  # bound to the server's loop on first use

    async def hook(request: Request) -> Response:
        received[request.headers["Clarion-Delivery-Id"]] += 1
        if received.total() >= DELIVERIES:
            enough.set()
        await enough.wait()
        return Response(status_code=204)

    with serve_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        yield received, f"{url}/hook"


async def enqueue(store: AlertStore, url: str) -> list[str]:
    hook = WebhookSubscription(id="h", url=url, secret="k" * 16, created_at=NOW)
    await store.put_webhook(hook)
    ids = []
    for n in range(DELIVERIES):
        alert = Alert(
            id=f"a{n}",
            rule_id="r1",
            brand_id="acme",
            type="tier1_coverage",
            opened_at=NOW,
            updated_at=NOW,
        )
        (delivery,) = deliveries_for(
            alert=alert, event_type="alert.opened", subscriptions=[hook], now=NOW
        )
        await store.record_alert(alert, [delivery])
        ids.append(delivery.id)
    return ids


async def test_two_workers_on_one_store_send_each_delivery_once(
    two_stores: list[AlertStore], receiver: tuple[Counter[str], str]
) -> None:
    received, url = receiver
    ids = await enqueue(two_stores[0], url)
    async with webhook_client(Settings(allow_networks=["127.0.0.1/32"])) as client:
        workers = [
            DeliveryWorker(
                store=store,
                client=client,
                max_attempts=3,
                timeout=30,
                backoff_base=0.01,
                backoff_max=0.01,
            )
            for store in two_stores
        ]
        running = [asyncio.create_task(worker.run_forever()) for worker in workers]

        async def settled() -> bool:
            """Every delivery delivered, and every POST received answered and counted."""
            states = [await two_stores[0].get_delivery(i) for i in ids]
            done = all(d is not None and d.state == "delivered" for d in states)
            return done and sum(w.stats.attempts for w in workers) == received.total()

        try:
            async with asyncio.timeout(60):  # a hang guard
                while not await settled():  # let the workers run; one that stopped raises
                    stopped, _ = await asyncio.wait(running, timeout=0.02)
                    for task in stopped:
                        task.result()
        finally:
            for task in running:
                task.cancel()
            for task in running:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    assert received == Counter(dict.fromkeys(ids, 1))
    assert sum(w.stats.delivered for w in workers) == DELIVERIES
    for delivery_id in ids:
        (attempt,) = await two_stores[1].attempts(delivery_id)
        assert attempt.status_code == 204
        stored = await two_stores[1].get_delivery(delivery_id)
        assert stored is not None and stored.claimed_by is None


async def test_a_replay_leaves_a_delivery_another_worker_is_sending(
    two_stores: list[AlertStore],
) -> None:
    first, *_ = await enqueue(two_stores[0], "http://127.0.0.1:9/hook")
    lease = timedelta(minutes=2)
    claimed = await two_stores[0].claim_delivery(first, claimant="other", now=NOW, lease=lease)
    assert claimed is not None
    async with webhook_client(Settings(allow_networks=["127.0.0.1/32"])) as client:
        for at, held in ((NOW + lease / 2, True), (NOW + lease, False)):
            worker = DeliveryWorker(
                store=two_stores[1],
                client=client,
                max_attempts=3,
                timeout=30,
                backoff_base=0.01,
                backoff_max=0.01,
                clock=lambda at=at: at,  # type: ignore[misc]
            )
            stored = await two_stores[1].get_delivery(first)
            assert stored is not None
            replayed = await worker.replay(stored)
            assert (replayed.claimed_by == "other") is held
            assert await two_stores[1].get_delivery(first) == replayed
