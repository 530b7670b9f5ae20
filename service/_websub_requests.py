"""WebSub, Clarion → hub: the (un)subscription requests and the state they write.

``HubRequests`` is the outgoing half of ``service._websub.WebSubManager``:

- ``begin`` records the request ``crawlers.subscription_action`` calls for (pending,
  or still active for a renewal) and ``send`` sends it. A feed may name several
  hubs: a new subscription (or a retry) goes to the hub already in the state, or the
  first one named, and on a refusal or an error falls back to the next in the
  feed's order, stopping at the first that accepts (one subscription per feed: a
  second hub would push the same entries again). When every hub fails, the state
  says failed with the last error and names the first hub, where the retry starts.
  A renewal goes to the hub that granted the lease only.
- ``unsubscribe`` asks the hub to end the subscription of a source deleted or
  disabled: the state says ``unsubscribing`` (deliveries are refused from then on)
  until the hub verifies, when it is cleared. Best effort: a hub that is down or
  refuses is logged and counted, and the state is cleared at once (the lease
  lapses at the hub, and its deliveries get 404 meanwhile).

Every state write goes through ``update_feed_state``: it applies to the latest state
and changes only ``websub_*`` fields.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx2

from crawlers import (
    FeedState,
    FetchError,
    new_secret,
    request_subscription,
    subscription_action,
)
from search import Store
from service._feed_state import update_feed_state

log = logging.getLogger("clarion.websub")

# Longest error text kept in the state (as ``crawlers.record_failure`` does).
MAX_ERROR_CHARS = 500

# Every ``websub_*`` field at its default: no subscription.
CLEARED: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(FeedState) if f.name.startswith("websub_")
}


@dataclass(kw_only=True)
class WebSubStats:
    """Counters since start: requests, verifications, deliveries and why some were dropped."""

    requests: int = 0
    request_failures: int = 0
    fallbacks: int = 0  # requests sent to a feed's next hub after one failed
    unsubscribes: int = 0
    unsubscribe_failures: int = 0
    verified: int = 0
    unsubscribed: int = 0  # unsubscriptions the hub verified
    verifications_refused: int = 0
    denied: int = 0
    deliveries: int = 0
    bad_signatures: int = 0
    unparsable: int = 0
    busy: int = 0
    entries_new: int = 0
    errors: int = 0  # unexpected failures of background work (logged)


@dataclass(frozen=True, slots=True)
class Ask:
    """A subscription request recorded in the state, to send to the hub (then to
    ``fallbacks`` in turn if it fails)."""

    source_id: str
    action: str
    hub: str
    topic: str
    callback: str
    secret: str
    fallbacks: tuple[str, ...] = ()


def pushing(state: FeedState | None, *, now: datetime) -> bool:
    """Whether ``state`` holds an active subscription whose lease has not ended."""
    return (
        state is not None
        and state.websub_state == "active"
        and state.websub_lease_expires_at is not None
        and state.websub_lease_expires_at > now
    )


class HubRequests:
    """Requests to hubs for the sources of one manager; see the module docstring."""

    def __init__(
        self,
        *,
        store: Store,
        client: httpx2.AsyncClient,
        lease_seconds: int,
        callback_url: Callable[[str], str],
        stats: WebSubStats,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._client = client
        self._lease_seconds = lease_seconds
        self._callback_url = callback_url
        self._stats = stats
        self._clock = clock

    async def update(self, source_id: str, **changes: Any) -> FeedState | None:
        """Replace some ``websub_*`` fields of the latest stored state of ``source_id``."""
        return await update_feed_state(
            self._store,
            source_id,
            lambda state: dataclasses.replace(state or FeedState(source_id=source_id), **changes),
        )

    async def begin(
        self, source_id: str, *, hub: str, topic: str, fallbacks: tuple[str, ...] = ()
    ) -> Ask | None:
        """Record the request ``subscription_action`` calls for now (decided on the
        latest state): the state says pending (or stays active, for a renewal) until
        the hub verifies. None when nothing is to be asked."""
        callback = self._callback_url(source_id)
        now = self._clock()
        asks: list[Ask] = []

        def record(state: FeedState | None) -> FeedState | None:
            action = subscription_action(state, hub=hub, topic=topic, callback=callback, now=now)
            if action is None:
                return None
            renewing = action == "renew" and state is not None
            secret = state.websub_secret if state is not None and action != "subscribe" else None
            secret = secret or new_secret()
            changes: dict[str, Any] = {
                "websub_hub": hub,
                "websub_topic": topic,
                "websub_callback": callback,
                "websub_secret": secret,
                "websub_requested_at": now,
            }
            if action == "subscribe":
                changes |= {"websub_failures": 0, "websub_error": None}
            if not renewing:
                changes |= {"websub_state": "pending", "websub_lease_expires_at": None}
            others = () if renewing else tuple(h for h in fallbacks if h != hub)
            asks.append(Ask(source_id, action, hub, topic, callback, secret, others))
            return dataclasses.replace(state or FeedState(source_id=source_id), **changes)

        await update_feed_state(self._store, source_id, record)
        return asks[0] if asks else None

    async def send(self, ask: Ask) -> None:
        """Send a recorded request, to each hub in turn until one accepts; when none
        does, the state says failed (or stays active, for a renewal) with the error."""
        source_id, action = ask.source_id, ask.action
        error = ""
        for turn, hub in enumerate((ask.hub, *ask.fallbacks)):
            if turn:
                self._stats.fallbacks += 1
                await self.update(source_id, websub_hub=hub, websub_requested_at=self._clock())
            self._stats.requests += 1
            try:
                await request_subscription(
                    self._client,
                    hub=hub,
                    topic=ask.topic,
                    callback=ask.callback,
                    secret=ask.secret,
                    lease_seconds=self._lease_seconds,
                )
            except FetchError as exc:
                self._stats.request_failures += 1
                error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
                log.warning("WebSub %s of %s at %s failed: %s", action, source_id, hub, error)
                continue
            return
        renewing = action == "renew"
        now = self._clock()

        def failed(state: FeedState | None) -> FeedState:
            state = state or FeedState(source_id=source_id)
            return dataclasses.replace(
                state,
                websub_hub=ask.hub,
                websub_state="active" if renewing and pushing(state, now=now) else "failed",
                websub_failures=state.websub_failures + 1,
                websub_error=error,
            )

        await update_feed_state(self._store, source_id, failed)

    async def unsubscribe(self, source_id: str) -> None:
        """End the subscription of ``source_id`` at its hub (see the module docstring)."""
        asked: list[tuple[str, str, str]] = []  # hub, topic, callback
        now = self._clock()

        def mark(state: FeedState | None) -> FeedState | None:
            if state is None or state.websub_state in (None, "unsubscribing"):
                return None
            hub, topic, callback = state.websub_hub, state.websub_topic, state.websub_callback
            if state.websub_state in ("pending", "active") and hub and topic and callback:
                asked.append((hub, topic, callback))
                return dataclasses.replace(
                    state,
                    websub_state="unsubscribing",
                    websub_requested_at=now,
                    websub_lease_expires_at=None,
                    websub_error=None,
                )
            return dataclasses.replace(state, **CLEARED)  # failed or denied: nothing to end

        await update_feed_state(self._store, source_id, mark)
        if not asked:
            return
        ((hub, topic, callback),) = asked
        self._stats.unsubscribes += 1
        try:
            await request_subscription(
                self._client,
                hub=hub,
                topic=topic,
                callback=callback,
                secret=None,
                lease_seconds=None,
                mode="unsubscribe",
            )
        except FetchError as exc:
            self._stats.unsubscribe_failures += 1
            log.warning(
                "WebSub unsubscription of %s at %s failed (its lease will lapse): %s: %s",
                source_id,
                hub,
                type(exc).__name__,
                exc,
            )
            await self.clear(source_id, only_state="unsubscribing")
            return
        log.info("WebSub unsubscription of %s asked of %s", source_id, hub)

    async def forget(self, source_id: str) -> None:
        """The feed no longer names a hub: drop the subscription and let its lease lapse."""
        log.info("feed of %s names no WebSub hub any more: subscription dropped", source_id)
        await self.update(source_id, **CLEARED)

    async def clear(self, source_id: str, *, only_state: str | None = None) -> None:
        """Drop the subscription from the state (if it is in ``only_state``, when given)."""

        def cleared(state: FeedState | None) -> FeedState | None:
            if state is None or state.websub_state is None:
                return None
            if only_state is not None and state.websub_state != only_state:
                return None
            return dataclasses.replace(state, **CLEARED)

        await update_feed_state(self._store, source_id, cleared)
