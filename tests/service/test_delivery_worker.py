"""The delivery worker on a real store and a real receiver: the SSRF guard at connect
time, subscriptions deleted or disabled, and replaying a dead delivery."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from search import Alert, Delivery, DeliveryAttempt, SQLiteStore, WebhookSubscription
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


def worker(store: SQLiteStore, client: httpx2.AsyncClient) -> DeliveryWorker:
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


class StalledLookStore(SQLiteStore):
    """A real store whose look at the outbox is slow at the worst moment: the look that
    starts once the first delivery (``first``) is recorded takes its rows, then lets the
    other delivery's receiver answer and returns only after that outcome is recorded.
    A slow reader thread (a busy machine, the GIL) or an index not yet refreshed does
    the same by chance; here it happens every time."""

    def __init__(self, path: Path, *, first: str, release: threading.Event) -> None:
        super().__init__(path)
        self._first = first
        self._release = release
        self._recorded: dict[str, asyncio.Event] = {}
        self.looks = 0
        self.stalled_look: int | None = None
        self.sends_started = 0
        self.sends_recorded = 0
        self.progress = asyncio.Condition()  # notified after each look and record

    async def _progressed(self) -> None:
        async with self.progress:
            self.progress.notify_all()

    def recorded(self, subscription_id: str) -> asyncio.Event:
        return self._recorded.setdefault(subscription_id, asyncio.Event())

    async def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]:
        due = await super().due_deliveries(now, limit=limit)
        if self.recorded(self._first).is_set() and not self._release.is_set():
            self._release.set()
            await self.recorded("slow").wait()
            self.stalled_look = self.looks + 1
        self.looks += 1
        await self._progressed()
        return due

    async def get_webhook(self, webhook_id: str) -> WebhookSubscription | None:
        self.sends_started += 1  # the worker's attempt reads its subscription first
        return await super().get_webhook(webhook_id)

    async def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt | None) -> None:
        await super().record_attempt(delivery, attempt)
        self.sends_recorded += 1
        self.recorded(delivery.subscription_id).set()
        await self._progressed()


async def test_a_delivery_recorded_during_a_slow_look_is_not_sent_again(tmp_path: Path) -> None:
    release = threading.Event()
    posts: list[str] = []

    async def hook(request: Request) -> Response:
        posts.append(request.url.path)
        if request.url.path == "/slow":  # answers once the worker looks at the outbox again
            await asyncio.to_thread(release.wait)
        return Response(status_code=204)

    store = StalledLookStore(tmp_path / "clarion.db", first="fast", release=release)
    await store.open()
    try:
        with serve_app(Starlette(routes=[Route("/{kind}", hook, methods=["POST"])])) as url:
            hooks = [
                WebhookSubscription(id=kind, url=f"{url}/{kind}", secret="k" * 16, created_at=NOW)
                for kind in ("fast", "slow")
            ]
            for subscription in hooks:
                await store.put_webhook(subscription)
            enqueued = deliveries_for(
                alert=ALERT, event_type="alert.opened", subscriptions=hooks, now=NOW
            )
            await store.record_alert(ALERT, enqueued)
            async with webhook_client(Settings(allow_networks=["127.0.0.1/32"])) as client:
                sender = asyncio.create_task(worker(store, client).run_forever())
                try:
                    async with asyncio.timeout(60), store.progress:  # a hang guard
                        # The look after the slow one returns once the worker has begun
                        # every send the slow look decided on; then wait for their outcome.
                        await store.progress.wait_for(
                            lambda: (
                                store.stalled_look is not None
                                and store.looks > store.stalled_look
                                and store.sends_started == store.sends_recorded
                            )
                        )
                finally:
                    release.set()
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sender
        logs = [await store.attempts(delivery.id) for delivery in enqueued]
    finally:
        await store.close()
    assert sorted(posts) == ["/fast", "/slow"]
    assert [[a.status_code for a in log] for log in logs] == [[204], [204]]
