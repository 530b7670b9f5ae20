"""The alert store contract: rules, webhook subscriptions, alerts and the outbox.

``AlertStore`` is implemented by both stores (``SQLiteStore``, ``ElasticsearchStore``)
next to ``search.Store``; the suite in ``tests/store_contract/test_alerts.py`` checks it.
Contract, in addition to ``search.Store``'s (open/close, aware times in and UTC out,
``StoreError`` / ``TemporaryStoreError``, read your writes):

- Rules and subscriptions are configuration: ``put_*`` creates or replaces by id,
  ``list_*`` returns them in id order, ``delete_*`` says whether one was there.
- ``record_alert(alert, deliveries)`` is **the outbox step**: the alert (created or
  replaced by id) and its deliveries are written together, so that an alert that
  was decided is never without its deliveries. A delivery whose id is already
  stored is left as it is (enqueueing is idempotent: the delivery id is derived
  from the event id and the subscription id). On SQLite this is one transaction;
  on Elasticsearch the deliveries are written first and the alert last, so a
  failure half-way leaves deliveries of an alert that the next trigger rewrites,
  never an alert whose deliveries are missing.
- ``due_deliveries(now, limit)`` lists pending deliveries whose ``next_attempt_at``
  is at or before ``now``, earliest first; ``next_due()`` the earliest
  ``next_attempt_at`` of any pending delivery (``None`` when none is pending).
- ``claim_delivery(delivery_id, claimant=, now=, lease=)`` is **the claim** (a lease)
  a sender takes before sending, so that senders sharing the store (several
  ``clarion serve``) never send one delivery at the same time. It succeeds only
  if the delivery is pending and due at ``now`` (``next_attempt_at <= now``) and
  returns it as claimed: ``claimed_by = claimant``, ``claimed_until`` and
  ``next_attempt_at`` both ``now + lease``; otherwise ``None`` (claimed by someone
  else, already sent, rescheduled, unknown). Moving ``next_attempt_at`` is what
  keeps a claimed delivery out of ``due_deliveries`` and what ends the lease: if
  the claimer dies mid-send, the delivery is due again when its lease runs out and
  the next claim takes it (at least once, never two sends at a time). The check
  and the write are atomic: of two claims of one due delivery exactly one wins.
  On SQLite it is one conditional ``UPDATE`` in a write transaction; on
  Elasticsearch a write conditioned on the ``_seq_no`` / ``_primary_term`` read
  with the delivery, a conflict meaning another claim won.
- ``record_attempt(delivery, attempt)`` replaces the delivery (its new state,
  attempt count and next attempt) and appends ``attempt`` to the delivery log;
  it ends any claim (the stored delivery has no ``claimed_by``/``claimed_until``,
  whatever ``delivery`` holds). Once it returns, both survive a restart: a
  delivery is pending until an attempt that succeeded or dead-lettered it was
  recorded (at least once).
- ``deliveries(subscription_id, limit)`` newest first (by ``created_at``, then id);
  ``attempts(delivery_id)`` in the order they were made.
- ``alerts_after(after, limit)`` / ``deliveries_after(after, limit)`` page through
  every alert / delivery in ascending id order (``limit`` 1 to 1000, else
  ``StoreError``), for copying a store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from search._sqlite_codec import from_us, to_us
from search._store import StoreError

__all__ = [
    "Alert",
    "AlertRule",
    "AlertRuleType",
    "AlertStore",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "WebhookFormat",
    "WebhookSubscription",
    "alert_store",
    "decode",
    "encode",
]

AlertRuleType = Literal[
    "volume_spike", "negative_surge", "crisis_terms", "tier1_coverage", "story_growth"
]
WebhookFormat = Literal["json", "slack"]
DeliveryState = Literal["pending", "delivered", "dead"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSubscription:
    """Where alert events go. Empty ``event_types`` / ``brand_ids`` mean "all"."""

    id: str
    url: str
    secret: str
    event_types: tuple[str, ...] = ()
    brand_ids: tuple[str, ...] = ()
    enabled: bool = True
    format: WebhookFormat = "json"
    created_at: datetime

    def wants(self, *, event_type: str, brand_id: str) -> bool:
        return (
            self.enabled
            and (not self.event_types or event_type in self.event_types)
            and (not self.brand_ids or brand_id in self.brand_ids)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    """What to watch for one brand. Which fields apply depends on ``type``:
    ``query`` (crisis_terms), ``max_tier`` (tier1_coverage), ``min_count`` and
    ``threshold`` (volume_spike, negative_surge), ``min_share`` and
    ``window_hours`` (negative_surge), ``min_outlets``, ``window_minutes`` and
    ``max_tier`` (story_growth). ``None`` means the detector's default.
    ``update_interval_seconds``: an alert's updates are sent at most this often (the
    alert itself is always current); 0 sends every update."""

    id: str
    brand_id: str
    type: AlertRuleType
    cooldown_seconds: int = 6 * 3600
    enabled: bool = True
    query: str | None = None
    max_tier: int = 1
    min_count: int | None = None
    threshold: float | None = None
    min_share: float | None = None
    window_hours: int = 6
    update_interval_seconds: int = 900
    min_outlets: int | None = None
    window_minutes: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One developing story for one rule: opened once, updated while it continues.

    ``evidence`` is JSON-compatible (counts, baseline, top mentions with links).
    """

    id: str
    rule_id: str
    brand_id: str
    type: AlertRuleType
    opened_at: datetime
    updated_at: datetime
    updates: int = 0
    notified_at: datetime | None = None  # when its last event was enqueued
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    document_ids: tuple[str, ...] = ()
    """The documents a per-document alert has counted (the latest ones, bounded by
    the detector): a document is never counted twice."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One event for one subscription, in the outbox. ``payload`` is the exact body
    sent (rendered once, so every attempt and replay sends the same bytes);
    ``event_id`` is the idempotency key receivers de-duplicate by."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    alert_id: str
    payload: str
    created_at: datetime
    next_attempt_at: datetime
    state: DeliveryState = "pending"
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    claimed_by: str | None = None  # the sender holding the claim (see claim_delivery)
    claimed_until: datetime | None = None  # when that claim lapses

    def with_changes(self, **changes: Any) -> Delivery:
        return replace(self, **changes)

    def claimed(self, claimant: str, until: datetime) -> Delivery:
        """This delivery as ``claim_delivery`` stores it: held by ``claimant``, due
        again (to whoever claims it next) only when the claim lapses."""
        return replace(self, claimed_by=claimant, claimed_until=until, next_attempt_at=until)

    def unclaimed(self) -> Delivery:
        """This delivery with no claim (as ``record_attempt`` stores it)."""
        return replace(self, claimed_by=None, claimed_until=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryAttempt:
    """One POST of a delivery: its HTTP status, or the class of the error that
    stopped it (``"TimeoutException"``, ``"redirect"``...), and its latency."""

    id: str
    delivery_id: str
    subscription_id: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    latency_ms: float


@runtime_checkable
class AlertStore(Protocol):
    """See the module docstring for the contract."""

    async def put_webhook(self, webhook: WebhookSubscription) -> None: ...
    async def get_webhook(self, webhook_id: str) -> WebhookSubscription | None: ...
    async def list_webhooks(self) -> list[WebhookSubscription]: ...
    async def delete_webhook(self, webhook_id: str) -> bool: ...

    async def put_alert_rule(self, rule: AlertRule) -> None: ...
    async def get_alert_rule(self, rule_id: str) -> AlertRule | None: ...
    async def list_alert_rules(self) -> list[AlertRule]: ...
    async def delete_alert_rule(self, rule_id: str) -> bool: ...

    async def record_alert(self, alert: Alert, deliveries: Sequence[Delivery]) -> None: ...
    async def get_alert(self, alert_id: str) -> Alert | None: ...
    async def latest_alert(self, rule_id: str) -> Alert | None:
        """The alert of ``rule_id`` updated last, if any."""
        ...

    async def list_alerts(self, *, brand_id: str | None = None, limit: int = 50) -> list[Alert]:
        """Alerts, most recently updated first (ties by id)."""
        ...

    async def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]: ...
    async def next_due(self) -> datetime | None: ...
    async def get_delivery(self, delivery_id: str) -> Delivery | None: ...
    async def claim_delivery(
        self, delivery_id: str, *, claimant: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        """Claim a pending delivery due at ``now`` until ``now + lease``; the delivery as
        claimed, or ``None`` when it is not claimable (see the module docstring)."""
        ...

    async def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt | None) -> None:
        """Replace ``delivery`` (unclaimed) and append ``attempt`` (if any) to the log,
        together."""
        ...

    async def deliveries(self, subscription_id: str, *, limit: int = 50) -> list[Delivery]: ...
    async def attempts(self, delivery_id: str) -> list[DeliveryAttempt]: ...

    async def alerts_after(self, after: str | None, *, limit: int) -> list[Alert]:
        """Up to ``limit`` (1 to 1000) alerts whose id sorts after ``after`` (``None``:
        from the first), in ascending id order: paging over every alert (copying)."""
        ...

    async def deliveries_after(self, after: str | None, *, limit: int) -> list[Delivery]:
        """Up to ``limit`` (1 to 1000) deliveries, of every subscription and state, whose
        id sorts after ``after``, in ascending id order (copying a store)."""
        ...


def alert_store(store: object) -> AlertStore:
    """``store`` as an ``AlertStore``; ``StoreError`` for a store without alerts."""
    if not isinstance(store, AlertStore):
        raise StoreError(f"{type(store).__name__} does not store alerts")
    return store


# --- JSON codec: every alert noun is stored as one JSON object --------------------

_Noun = WebhookSubscription | AlertRule | Alert | Delivery | DeliveryAttempt
_TIME_FIELDS = frozenset(
    {
        "created_at",
        "opened_at",
        "updated_at",
        "next_attempt_at",
        "delivered_at",
        "at",
        "notified_at",
        "claimed_until",
    }
)
_TUPLE_FIELDS = frozenset({"event_types", "brand_ids", "document_ids"})
T = TypeVar("T", WebhookSubscription, AlertRule, Alert, Delivery, DeliveryAttempt)


def encode(obj: _Noun) -> str:
    """``obj`` as JSON; times as microseconds since the epoch (UTC)."""
    out = asdict(obj)
    for key in _TIME_FIELDS & out.keys():
        if out[key] is not None:
            out[key] = to_us(out[key])
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def decode(kind: type[T], raw: str) -> T:
    """The ``kind`` object ``encode`` wrote as ``raw``; unknown keys are ignored."""
    data: dict[str, Any] = json.loads(raw)
    names = set(kind.__dataclass_fields__)
    values = {k: v for k, v in data.items() if k in names}
    for key in _TIME_FIELDS & values.keys():
        if values[key] is not None:
            values[key] = from_us(int(values[key]))
    for key in _TUPLE_FIELDS & values.keys():
        values[key] = tuple(values[key])
    return kind(**values)
