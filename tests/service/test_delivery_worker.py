"""The delivery worker on a real store and a real receiver: the SSRF guard at connect
time, subscriptions deleted or disabled, and replaying a dead delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from search import Alert, SQLiteStore, WebhookSubscription
from service._alerting import webhook_client
from service._delivery import DeliveryWorker
from service._settings import Settings
from service._webhooks import deliveries_for
from tests._servers import serve_app

NOW = datetime.now(UTC)
ALERT = Alert(
    id="a1",
    rule_id="r1",
    brand_id="acme",
    type="tier1_coverage",
    opened_at=NOW,
    updated_at=NOW,
)


@pytest.fixture
def receiver() -> Iterator[tuple[list[bytes], str]]:
    got: list[bytes] = []

    async def hook(request: Request) -> Response:
        got.append(await request.body())
        return Response(status_code=200)

    with serve_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        yield got, url


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "clarion.db")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def worker(store: SQLiteStore, client: httpx.AsyncClient) -> DeliveryWorker:
    return DeliveryWorker(
        store=store, client=client, max_attempts=2, timeout=5, backoff_base=0.01, backoff_max=0.01
    )


async def enqueue(store: SQLiteStore, hook: WebhookSubscription) -> str:
    await store.put_webhook(hook)
    (delivery,) = deliveries_for(
        alert=ALERT, event_type="alert.opened", subscriptions=[hook], now=NOW
    )
    await store.record_alert(ALERT, [delivery])
    return delivery.id


def hook_to(url: str, **kw: object) -> WebhookSubscription:
    return WebhookSubscription(id="h", url=url, secret="k" * 16, created_at=NOW, **kw)  # type: ignore[arg-type]


async def test_a_host_name_resolving_to_a_private_address_is_refused_when_connecting(
    store: SQLiteStore, receiver: tuple[list[bytes], str]
) -> None:
    got, url = receiver
    port = url.rsplit(":", 1)[1]
    delivery_id = await enqueue(store, hook_to(f"http://localhost:{port}/hook"))
    async with webhook_client(Settings(allow_networks=[])) as client:
        sender = worker(store, client)
        for _ in range(2):
            pending = await store.get_delivery(delivery_id)
            assert pending is not None and pending.state == "pending"
            await sender.attempt(pending)
    stored = await store.get_delivery(delivery_id)
    assert stored is not None and stored.state == "dead" and stored.attempts == 2
    assert [a.error for a in await store.attempts(delivery_id)] == ["BlockedAddressError"] * 2
    assert got == []

    # Allowed by the operator's allow-list: the replay goes through.
    async with webhook_client(Settings(allow_networks=["127.0.0.0/8", "::1/128"])) as client:
        sender = worker(store, client)
        again = await sender.replay(stored)
        assert again.state == "pending" and again.attempts == 0
        done = await sender.attempt(again)
    assert done.state == "delivered" and done.last_status == 200
    assert len(got) == 1 and got[0] == stored.payload.encode()
    assert len(await store.attempts(delivery_id)) == 3


async def test_deleted_subscriptions_dead_letter_and_disabled_ones_hold(
    store: SQLiteStore, receiver: tuple[list[bytes], str]
) -> None:
    got, url = receiver
    delivery_id = await enqueue(store, hook_to(f"{url}/hook"))
    await store.put_webhook(hook_to(f"{url}/hook", enabled=False))  # disabled after the event
    async with webhook_client(Settings(allow_networks=["127.0.0.1/32"])) as client:
        sender = worker(store, client)
        delivery = await store.get_delivery(delivery_id)
        assert delivery is not None
        held = await sender.attempt(delivery)
        assert held.state == "pending" and held.attempts == 0 and held.next_attempt_at > NOW
        await store.delete_webhook("h")
        dead = await sender.attempt(held)
    assert dead.state == "dead" and dead.last_error == "subscription deleted"
    assert got == []
