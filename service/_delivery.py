"""The webhook delivery worker: the outbox in the store, POSTed at least once.

Deliveries are written to the store's outbox by the step that decides an alert
(``search.AlertStore.record_alert``); this worker only reads due ones and POSTs
them. So a delivery survives a crash or a restart at any point: it stays
``pending`` until an attempt that succeeded (2xx) or was the last allowed is
recorded. A crash after the receiver answered 2xx and before the store recorded
it sends the event again once the crashed sender's claim lapses (below): receivers
drop repeats by ``Clarion-Event-Id`` (at least once, exactly once after
de-duplication).

Each POST carries::

    Content-Type: application/json
    Clarion-Event-Id: <event id>       also sent as Idempotency-Key
    Clarion-Event-Type: alert.opened | alert.updated
    Clarion-Delivery-Id: <delivery id>
    Clarion-Timestamp: <unix seconds>  the t= of the signature
    Clarion-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}." + body)>

A 2xx answer is success; anything else is a failed attempt: another status
(redirects included: they are never followed, a webhook that moved must be
updated by its owner), a timeout (``CLARION_WEBHOOK_TIMEOUT``), a refused
connection or an address the SSRF guard blocks. A failed delivery is retried
after ``retry_delay`` and dead-lettered (state ``dead``) after
``CLARION_WEBHOOK_MAX_ATTEMPTS``; ``replay`` makes any delivery pending again
(but one being sent).

``wake()`` is called when the outbox gains a delivery, so a new event is sent
at once rather than at the next look.

Senders sharing one store (several ``clarion serve`` on one Elasticsearch, or two
processes on one SQLite file) never send a delivery at the same time: before a
send, the worker claims the delivery in the store (``AlertStore.claim_delivery``,
atomic: of two claims exactly one wins) for a lease of ``CLARION_WEBHOOK_TIMEOUT``
× 2 + ``LEASE_MARGIN``, the longest one attempt can hold it. A look at the outbox
only proposes deliveries; the ones it read stale (already sent, rescheduled, or
claimed elsewhere since) lose their claim and are skipped. The claimer records the
outcome, which ends the claim. A claim moves the delivery's next attempt to the
lease's end: if the process dies mid-send, the delivery is due again once the
lease runs out and another process (or this one, restarted) claims and sends it —
at least once, never twice at a time. The lease is compared with each process's
own clock, so processes on several hosts need clocks in step (NTP) to well within
``LEASE_MARGIN``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx2

from crawlers import CrawlError
from search import AlertStore, Delivery, DeliveryAttempt, StoreError
from service._signing import SIGNATURE_HEADER, sign

__all__ = ["LATENCY_BUCKETS", "DeliveryStats", "DeliveryWorker", "retry_delay"]

log = logging.getLogger("clarion.webhooks")

USER_AGENT = "Clarion-Webhooks/0.1"
# Deliveries in flight at once across all receivers: enough that one slow receiver
# (up to the timeout per attempt) does not hold up the others, few enough to stay
# a small fraction of the process's sockets.
CONCURRENCY = 16
# Deliveries read per look at the outbox. Two looks' worth are at most in flight.
BATCH = 2 * CONCURRENCY
# The worker looks at the outbox at least this often, even without a wake-up: a
# delivery enqueued by another process (``clarion crawl`` next to ``clarion serve``)
# is sent within this time.
IDLE_LOOK = 5.0
# After a store failure the worker waits this long before looking again: long
# enough not to hammer a store that is down, short enough to resume quickly.
STORE_RETRY = 2.0
# A POST ends by this many times CLARION_WEBHOOK_TIMEOUT at the latest: httpx2's
# timeout bounds each phase (connect, each read), so a receiver that drips its
# answer byte by byte could otherwise outlast any lease.
SEND_DEADLINE_FACTOR = 2.0
# Seconds a claim outlasts the longest POST: the store calls around it (reading
# the subscription, recording the outcome) take milliseconds, a busy store a few
# seconds; a minute also covers clocks of several hosts a little apart.
LEASE_MARGIN = 60.0
# Characters of an error message kept in the delivery's last_error.
ERROR_CHARS = 300
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds, upper bounds of the delivery latency histogram (``/metrics``): a receiver
on the same network answers in milliseconds, one across the internet in 50-500 ms;
10 s is ``CLARION_WEBHOOK_TIMEOUT``'s default, so timeouts land in the top buckets."""


def retry_delay(
    attempts: int, *, base: float, maximum: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1 for the first).

    Exponential: ``base × 2^(attempts−1)``, capped at ``maximum``, so a receiver
    down for a minute is retried within seconds and one down for a day is not
    hammered. Jitter: the delay is drawn uniformly from [half, all] of that
    ("equal jitter"), so that deliveries that failed together (a receiver outage)
    do not all retry in the same instant, while the wait never drops below half
    the schedule.
    """
    if attempts < 1:
        raise ValueError("attempts starts at 1")
    capped = min(maximum, base * 2.0 ** min(attempts - 1, 62))
    return capped * (0.5 + 0.5 * rand())


async def _woken_or_after(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` have passed. ``asyncio.timeout``, not
    ``asyncio.wait_for``: on Python 3.11 the latter swallows a cancellation that arrives
    as the event is set (cpython#86296), and the worker would then never stop."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


@dataclass(kw_only=True)
class DeliveryStats:
    """What the worker did since it started."""

    attempts: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    dead: int = 0
    errors_by_class: dict[str, int] = field(default_factory=dict)
    # Latency of the POSTs, by outcome ("delivered", "failed"): counts per bucket of
    # LATENCY_BUCKETS (not cumulative; the last is above the top bound), and the sum.
    latency_counts: dict[str, list[int]] = field(default_factory=dict)
    latency_sum: dict[str, float] = field(default_factory=dict)

    def count_error(self, name: str) -> None:
        """Count one failure of the class (or HTTP status) ``name``."""
        self.errors_by_class[name] = self.errors_by_class.get(name, 0) + 1

    def observe_latency(self, outcome: str, seconds: float) -> None:
        """Count one POST's time (connect to last byte, or to the failure)."""
        counts = self.latency_counts.setdefault(outcome, [0] * (len(LATENCY_BUCKETS) + 1))
        counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum[outcome] = self.latency_sum.get(outcome, 0.0) + seconds


class DeliveryWorker:
    """Sends the outbox's due deliveries; runs until cancelled (see the module doc)."""

    def __init__(
        self,
        *,
        store: AlertStore,
        client: httpx2.AsyncClient,
        max_attempts: int,
        timeout: float,
        backoff_base: float,
        backoff_max: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._client = client
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._clock = clock
        self._rand = rand
        self._wake = asyncio.Event()
        self._in_flight: set[str] = set()
        self._lease = timedelta(seconds=timeout * SEND_DEADLINE_FACTOR + LEASE_MARGIN)
        self.claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """Who this worker's claims name (``Delivery.claimed_by``): host, process, worker."""
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self.stats = DeliveryStats()

    def wake(self) -> None:
        """Look at the outbox now (a delivery was just enqueued or replayed)."""
        self._wake.set()

    async def run_forever(self) -> None:
        async with asyncio.TaskGroup() as group:
            while True:
                self._wake.clear()
                try:
                    due = await self._store.due_deliveries(self._clock(), limit=BATCH)
                    fresh = [d for d in due if d.id not in self._in_flight]
                    for delivery in fresh:
                        await self._slots.acquire()  # backpressure: CONCURRENCY at once
                        self._in_flight.add(delivery.id)
                        group.create_task(self._send(delivery))
                    wait = await self._next_wait() if not fresh else 0.0
                except StoreError as exc:
                    log.warning("webhook outbox unavailable: %s", exc)
                    wait = STORE_RETRY
                if wait > 0:
                    await _woken_or_after(self._wake, wait)
                elif self._in_flight and not self._wake.is_set():
                    # All due ones are in flight: wait for one to finish or a new one.
                    await _woken_or_after(self._wake, IDLE_LOOK)

    async def _next_wait(self) -> float:
        due = await self._store.next_due()
        if due is None:
            return IDLE_LOOK
        return min(max((due - self._clock()).total_seconds(), 0.0), IDLE_LOOK)

    async def _send(self, delivery: Delivery) -> None:
        """Claim ``delivery`` and, if the claim is won, send it (see the module doc)."""
        try:
            claimed = await self._store.claim_delivery(
                delivery.id, claimant=self.claimant, now=self._clock(), lease=self._lease
            )
            if claimed is not None:
                await self.attempt(claimed)
        except Exception as exc:  # stays pending; tried again (when a claim taken lapses)
            self.stats.count_error(type(exc).__name__)
            if isinstance(exc, StoreError):  # claiming or recording the attempt failed
                log.warning("claiming or recording delivery %s failed: %s", delivery.id, exc)
            else:
                log.exception("delivery %s failed unexpectedly", delivery.id)
            await asyncio.sleep(STORE_RETRY)  # no hot loop on a persistent failure
        finally:
            self._in_flight.discard(delivery.id)
            self._slots.release()
            self._wake.set()

    async def attempt(self, delivery: Delivery) -> Delivery:
        """POST ``delivery`` once and record the outcome (which ends a claim); returns the
        delivery as recorded. The caller holds the claim (``_send``) or is the only sender."""
        delivery = delivery.unclaimed()  # as every outcome is recorded: the claim ends
        subscription = await self._store.get_webhook(delivery.subscription_id)
        now = self._clock()
        if subscription is None:
            dead = delivery.with_changes(state="dead", last_error="subscription deleted")
            await self._store.record_attempt(dead, None)
            self.stats.dead += 1
            return dead
        if not subscription.enabled:  # held, not failed: sent when re-enabled
            held = delivery.with_changes(next_attempt_at=now + timedelta(seconds=IDLE_LOOK * 12))
            await self._store.record_attempt(held, None)
            return held
        body = delivery.payload.encode()
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Clarion-Event-Id": delivery.event_id,
            "Idempotency-Key": delivery.event_id,
            "Clarion-Event-Type": delivery.event_type,
            "Clarion-Delivery-Id": delivery.id,
            "Clarion-Timestamp": str(timestamp),
            SIGNATURE_HEADER: sign(subscription.secret, timestamp=timestamp, body=body),
        }
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()
        deadline = asyncio.timeout(self._timeout * SEND_DEADLINE_FACTOR)
        try:
            async with deadline:
                response = await self._client.post(
                    subscription.url,
                    content=body,
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
            status = response.status_code
            if response.is_redirect:
                error = f"redirect to {response.headers.get('location', '?')[:200]}"
        except httpx2.HTTPError as exc:
            error = type(exc).__name__
            log.info("webhook %s to %s: %s: %s", delivery.id, subscription.url, error, exc)
        except (CrawlError, OSError) as exc:  # the SSRF guard's refusal, an OS-level failure
            # ... or the deadline (TimeoutError, an OSError), apart from httpx2's timeouts
            error = "SendDeadlineExceeded" if deadline.expired() else type(exc).__name__
            log.info("webhook %s to %s: %s: %s", delivery.id, subscription.url, error, exc)
        latency_ms = (time.perf_counter() - started) * 1000
        attempts = delivery.attempts + 1
        ok = status is not None and 200 <= status < 300
        self.stats.attempts += 1
        self.stats.observe_latency("delivered" if ok else "failed", latency_ms / 1000)
        if ok:
            recorded = delivery.with_changes(
                state="delivered",
                attempts=attempts,
                last_status=status,
                last_error=None,
                delivered_at=self._clock(),
            )
            self.stats.delivered += 1
        else:
            self.stats.failed_attempts += 1
            kind = error or f"HTTP {status}"
            self.stats.count_error(kind.split(" to ")[0])
            give_up = attempts >= self._max_attempts
            delay = retry_delay(
                attempts, base=self._backoff_base, maximum=self._backoff_max, rand=self._rand
            )
            recorded = delivery.with_changes(
                state="dead" if give_up else "pending",
                attempts=attempts,
                last_status=status,
                last_error=(error or f"HTTP {status}")[:ERROR_CHARS],
                next_attempt_at=self._clock() + timedelta(seconds=delay),
            )
            if give_up:
                self.stats.dead += 1
                log.warning(
                    "webhook delivery %s dead-lettered after %d attempts: %s",
                    delivery.id,
                    attempts,
                    recorded.last_error,
                )
        log_entry = DeliveryAttempt(
            id=uuid.uuid4().hex,
            delivery_id=delivery.id,
            subscription_id=delivery.subscription_id,
            attempt=attempts,
            at=now,
            status_code=status,
            error=error,
            latency_ms=round(latency_ms, 3),
        )
        await self._store.record_attempt(recorded, log_entry)
        return recorded

    async def replay(self, delivery: Delivery) -> Delivery:
        """Make ``delivery`` pending again, due now, with a fresh attempt budget (its log
        stays); it is sent with the same event id and bytes. A delivery under a live claim
        is being sent right now and is returned as it is: replaying it would end the claim
        and let a second sender start beside the first."""
        if delivery.claimed_until is not None and delivery.claimed_until > self._clock():
            return delivery
        again = delivery.unclaimed().with_changes(
            state="pending", attempts=0, next_attempt_at=self._clock(), last_error=None
        )
        await self._store.record_attempt(again, None)
        self.wake()
        return again
