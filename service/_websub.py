"""WebSub push: subscribe to the hubs feeds advertise, answer their checks, take deliveries.

``WebSubManager`` is built by the runtime when ``CLARION_PUBLIC_URL`` is set:

- after each successful poll (``polled``, the pipeline's poll listener) it asks the
  feed's hub for a subscription when there is none, or a different one, and tells the
  pipeline to poll a source with an active subscription only every
  ``safety_poll_interval`` seconds (a hub can miss an update; the safety poll cannot);
- a background task renews leases before they end and retries failed or denied
  requests with backoff (``crawlers.subscription_action``), sleeping until the next
  one is due;
- the same task unsubscribes (``service._websub_requests``) the sources that were
  disabled or deleted (``sources_changed`` wakes it after an API change; a source
  disabled in the configuration is seen at start);
- ``verify`` answers a hub's intent verification (spec §5.3) and ``deliver`` checks
  a delivery's signature and hands its entries to the pipeline at once.

Requests to hubs, with the fallback to a feed's next hub, are in
``service/_websub_requests.py``. The subscription lives in the source's
``FeedState`` (``websub_*`` fields), so it survives restarts; each write goes
through ``update_feed_state`` and replaces only those fields. Secrets are generated
per subscription and never logged. A source deleted while no process ran is not
unsubscribed (its lease lapses at the hub).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

import httpx2

from crawlers import (
    FeedEntry,
    FeedParseError,
    FeedState,
    PollResult,
    Shard,
    Source,
    parse_feed,
    subscription_action,
    subscription_due_at,
    verify_signature,
)
from search import Store
from service._websub_requests import (
    MAX_ERROR_CHARS,
    Ask,
    HubRequests,
    WebSubStats,
    log,
    pushing,
)

# The maintenance loop sleeps until the next renewal or retry is due, but looks at the
# store at least this often, to see subscriptions written by another process (several
# crawlers share one store) and never sleeps less than MIN_TICK (no busy loop).
MAX_TICK = 300.0
MIN_TICK = 0.05
# Deliveries being ingested at once, beyond which a hub is told 503 and retries later:
# each holds a parsed feed and fetches its pages, so memory stays bounded.
MAX_PENDING_DELIVERIES = 64

DeliveryOutcome = Literal["accepted", "bad_signature", "unknown", "unparsable", "busy"]
Ingest = Callable[[Source, Sequence[FeedEntry]], Awaitable[int]]


class WebSubManager:
    """Subscriptions of every source to its feed's hub; see the module docstring.

    ``client`` sends subscription requests (``crawlers.hub_client``: the SSRF guard
    applies to hubs). ``public_url`` is the base of the callback URLs. The background
    task renews only the sources ``shard`` owns (those this process polls). Use ``start``
    and ``stop`` around its life; all methods run on one event loop.
    """

    def __init__(
        self,
        *,
        store: Store,
        client: httpx2.AsyncClient,
        public_url: str,
        lease_seconds: int,
        safety_poll_interval: float,
        shard: Shard | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._public_url = public_url.rstrip("/")
        self._lease_seconds = lease_seconds
        self._safety = safety_poll_interval
        self._shard = shard or Shard(0, 1)
        self._clock = clock
        self._wake = asyncio.Event()
        self._requesting: set[str] = set()  # source ids with a request in flight
        self._deliveries = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._known: set[str] = set()  # sources seen with a subscription (to see deletions)
        self.stats = WebSubStats()
        self._hub = HubRequests(
            store=store,
            client=client,
            lease_seconds=lease_seconds,
            callback_url=self.callback_url,
            stats=self.stats,
            clock=clock,
        )

    @property
    def deliveries_in_progress(self) -> int:
        """Accepted deliveries whose entries are still being ingested."""
        return self._deliveries

    def callback_url(self, source_id: str) -> str:
        return f"{self._public_url}/v1/websub/{quote(source_id, safe='')}"

    def sources_changed(self) -> None:
        """Look at the sources now: unsubscribe those deleted or disabled."""
        self._wake.set()

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._maintain_forever(), name="clarion-websub")

    async def stop(self) -> None:
        """Cancel the maintenance loop, requests and deliveries in flight (a delivery cut
        short is found again by the next poll: the feed changed, so it is fetched)."""
        tasks = [*self._tasks, *([self._loop_task] if self._loop_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop_task = None

    # -- the pipeline's poll listener ----------------------------------------------------

    async def polled(
        self, source: Source, result: PollResult, state: FeedState | None, interval: float
    ) -> float:
        """Subscribe or renew if the polled feed needs it; the seconds until the next poll.

        The state is written (pending) here, inside the poll, before the pipeline
        records the poll on the same state; the request itself is sent in the
        background. A failure here is logged and counted, never the poll's.
        """
        if result.not_modified:  # no body: the feed still names what it named
            hub = state.websub_hub if state else None
            topic = state.websub_topic if state else None
            hubs: tuple[str, ...] = ()
        else:
            hubs = result.hub_urls or ((result.hub_url,) if result.hub_url else ())
            # The hub already asked, while the feed still names it; else the first.
            hub = state.websub_hub if state and state.websub_hub in hubs else result.hub_url
            topic = result.topic_url
        now = self._clock()
        try:
            if hub is None and state is not None and state.websub_state is not None:
                await self._hub.forget(source.id)  # the feed dropped its hub
            elif hub is not None and topic is not None and source.id not in self._requesting:
                callback = self.callback_url(source.id)
                if subscription_action(state, hub=hub, topic=topic, callback=callback, now=now):
                    self._requesting.add(source.id)
                    ask = None
                    try:
                        ask = await self._hub.begin(source.id, hub=hub, topic=topic, fallbacks=hubs)
                    finally:
                        if ask is None:
                            self._requesting.discard(source.id)
                    if ask is not None:
                        self._spawn(self._send(ask), source.id, claimed=True)
        except Exception:  # a store blip: the poll goes on, maintenance retries
            self.stats.errors += 1
            log.exception("WebSub bookkeeping after the poll of %s failed", source.id)
        if pushing(state, now=now) and state is not None and state.websub_hub == hub:
            return max(interval, self._safety)
        return interval

    # -- hub → Clarion -------------------------------------------------------------------

    async def verify(
        self,
        source_id: str,
        *,
        mode: str,
        topic: str | None,
        challenge: str | None,
        lease_seconds: int | None,
        reason: str | None = None,
    ) -> str | None:
        """A hub's intent verification: the body to answer 200 with, or None for 404.

        ``subscribe`` for the topic of a pending or active subscription: the challenge,
        and the subscription becomes active for ``lease_seconds`` (the lease asked for,
        if the hub names none). ``denied`` for that topic: "" (200), and the request is
        retried with backoff. ``unsubscribe`` for the topic of an unsubscription Clarion
        asked for (the source may be deleted): the challenge, and the state is cleared.
        Anything else is refused.
        """
        source = await self._store.get_source(source_id)
        state = await self._store.get_feed_state(source_id)
        if (
            mode == "unsubscribe"
            and challenge
            and state is not None
            and state.websub_state == "unsubscribing"
            and topic is not None
            and state.websub_topic == topic
        ):
            await self._hub.clear(source_id, only_state="unsubscribing")
            self.stats.unsubscribed += 1
            log.info("WebSub unsubscription of %s verified", source_id)
            return challenge
        known = (
            source is not None
            and state is not None
            and topic is not None
            and state.websub_topic == topic
            and state.websub_state in ("pending", "active")
        )
        if not known or state is None:
            self.stats.verifications_refused += 1
            return None
        now = self._clock()
        if mode == "subscribe" and challenge:
            lease = lease_seconds if lease_seconds is not None else self._lease_seconds
            await self._hub.update(
                source_id,
                websub_state="active",
                websub_lease_seconds=lease,
                websub_lease_expires_at=now + timedelta(seconds=lease),
                websub_failures=0,
                websub_error=None,
            )
            self.stats.verified += 1
            log.info("WebSub subscription of %s active for %ss", source_id, lease)
            self._wake.set()
            return challenge
        if mode == "denied":
            why = f"denied by the hub: {reason or 'no reason given'}"
            await self._hub.update(
                source_id,
                websub_state="denied",
                websub_requested_at=now,
                websub_failures=state.websub_failures + 1,
                websub_error=why[:MAX_ERROR_CHARS],
                websub_lease_expires_at=None,
            )
            self.stats.denied += 1
            log.warning("WebSub subscription of %s %s", source_id, why)
            self._wake.set()
            return ""
        self.stats.verifications_refused += 1
        return None

    async def deliver(
        self,
        source_id: str,
        *,
        body: bytes,
        signature: str | None,
        content_type: str | None,
        ingest: Ingest,
    ) -> DeliveryOutcome:
        """Check a delivery and start ingesting its entries (``ingest``) at once.

        ``unknown``: no pending or active subscription for this source (answer 404).
        ``bad_signature``: missing or wrong ``X-Hub-Signature``; the body is dropped
        (spec §8 lets the subscriber answer 2xx, which tells a forger nothing).
        ``unparsable``: signed, but not a feed (400). ``busy``: too many deliveries in
        progress (503; the hub retries). ``accepted``: ingestion has started.
        """
        source = await self._store.get_source(source_id)
        state = await self._store.get_feed_state(source_id)
        if (
            source is None
            or not source.enabled
            or state is None
            or state.websub_state not in ("pending", "active")
            or not state.websub_secret
            or not state.websub_topic
        ):
            return "unknown"
        if not verify_signature(body, secret=state.websub_secret, header=signature):
            self.stats.bad_signatures += 1
            log.warning("WebSub delivery for %s dropped: bad or missing signature", source_id)
            return "bad_signature"
        try:
            feed = await asyncio.to_thread(
                parse_feed, body, url=state.websub_topic, content_type=content_type
            )
        except FeedParseError as exc:
            self.stats.unparsable += 1
            log.warning("WebSub delivery for %s is not a feed: %s", source_id, exc)
            return "unparsable"
        if self._deliveries >= MAX_PENDING_DELIVERIES:
            self.stats.busy += 1
            return "busy"
        self.stats.deliveries += 1
        self._deliveries += 1
        self._spawn(self._ingest(source, feed.entries, ingest), None)
        return "accepted"

    async def _ingest(self, source: Source, entries: list[FeedEntry], ingest: Ingest) -> None:
        try:
            self.stats.entries_new += await ingest(source, entries)
        finally:
            self._deliveries -= 1

    # -- Clarion → hub -------------------------------------------------------------------

    async def maintain(self) -> datetime | None:
        """Renew, retry and unsubscribe what is due now; returns when the next request is due.

        Sources deleted since the last look (known here with a subscription) and
        disabled sources with one are unsubscribed.
        """
        now = self._clock()
        upcoming: list[datetime] = []
        sources = await self._store.list_sources()
        present = {source.id for source in sources}
        for gone in sorted(self._known - present):
            self._spawn(self._hub.unsubscribe(gone), gone)
        self._known = {i for i in self._known - present if i in self._requesting}
        for source in sources:
            if not self._shard.owns(source.id) or source.id in self._requesting:
                continue
            state = await self._store.get_feed_state(source.id)
            if state is None or state.websub_state is None:
                continue
            if not source.enabled:
                if state.websub_state != "unsubscribing":
                    self._spawn(self._hub.unsubscribe(source.id), source.id)
                continue
            if state.websub_state != "unsubscribing":
                self._known.add(source.id)
            hub, topic = state.websub_hub, state.websub_topic
            callback = self.callback_url(source.id)
            action = subscription_action(state, hub=hub, topic=topic, callback=callback, now=now)
            if action is not None and hub is not None and topic is not None:
                self._spawn(self._request(source.id, hub=hub, topic=topic), source.id)
            elif (due := subscription_due_at(state)) is not None:
                upcoming.append(due)
        return min(upcoming, default=None)

    async def _maintain_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                due = await self.maintain()
            except Exception:  # a store blip: logged, counted, tried again next tick
                self.stats.errors += 1
                log.exception("WebSub maintenance failed")
                due = None
            wait = MAX_TICK if due is None else (due - self._clock()).total_seconds()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(max(wait, MIN_TICK), MAX_TICK)):
                    await self._wake.wait()

    async def _request(self, source_id: str, *, hub: str, topic: str) -> None:
        ask = await self._hub.begin(source_id, hub=hub, topic=topic)
        if ask is not None:
            await self._send(ask)

    async def _send(self, ask: Ask) -> None:
        await self._hub.send(ask)
        self._wake.set()

    # -- helpers -------------------------------------------------------------------------

    def _spawn(
        self, work: Coroutine[Any, Any, None], source_id: str | None, *, claimed: bool = False
    ) -> None:
        """Run ``work`` in the background, one request per source at a time (``claimed``:
        the caller already holds the source's turn)."""
        if source_id is not None and not claimed:
            if source_id in self._requesting:
                work.close()
                return
            self._requesting.add(source_id)
        task = asyncio.create_task(self._guarded(work, source_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], source_id: str | None) -> None:
        try:
            await work
        except Exception:  # background work has no caller to raise to: logged and counted
            self.stats.errors += 1
            log.exception("WebSub background work for %s failed", source_id or "a delivery")
        finally:
            if source_id is not None:
                self._requesting.discard(source_id)
