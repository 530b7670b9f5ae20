"""What ``copy_store`` copies, kind by kind: configuration, and the paged phases.

Configuration (brands, sources, feed states, webhook subscriptions, alert rules,
API keys, campaigns) is small and copied whole on every run: put = create or
replace by id. Everything else is copied in *phases*, each a keyset-paged read
of the source and an idempotent write to the target:

========================  ==========================================  ===========================
phase                     read (source)                               write (target)
========================  ==========================================  ===========================
``documents``             ``documents_after`` (with mentions),        ``save_document``
                          ``syndications``
``url_aliases``           ``url_aliases_after``                       ``put_url_aliases``
``traffic_events``        ``traffic_events_after``                    ``replace_traffic_events``
``alerts``                ``alerts_after``                            ``record_alert(alert, [])``
``deliveries``            ``deliveries_after`` + ``attempts``         ``record_attempt``
``audit_entries``         ``audit_entries`` (newest first, cursor)    ``append_audit``
========================  ==========================================  ===========================

Every write is idempotent by id, so repeating a batch (a resumed run repeats
the one in flight when it stopped) duplicates nothing: a document equal to the
stored one is ``"unchanged"``, an event / alert / delivery / attempt / alias is
replaced by its equal, and an audit entry already stored keeps its first
version (the log is append-only). A document goes with its syndication record
(signature, band keys, cluster) when it has one; a document the target already
holds unchanged keeps the record it has there. API keys are copied as stored, with their
secret hashes: a key keeps working after a migration.

A companion protocol (alerts, traffic, keys, audit, campaigns) that the source
implements must be implemented by the target too (``CopyError`` otherwise);
one the source lacks has nothing to copy.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from search._alerts_store import AlertStore, Delivery
from search._audit_store import AuditStore
from search._campaigns_store import CampaignStore
from search._keys_store import KeyStore
from search._store import Store, StoreError
from search._traffic_store import TrafficStore

__all__ = ["PHASES", "CopyError", "CopyStats", "Phase", "copy_configuration", "phases"]

P = TypeVar("P")
# Writes to the target at once. SQLite serializes writes anyway; Elasticsearch
# answers several concurrent writes (each a few requests) much faster than one
# after another, and 8 stays far from its write queue limits.
_WRITES_IN_FLIGHT = 8

PHASES = (
    "documents",
    "url_aliases",
    "traffic_events",
    "alerts",
    "deliveries",
    "audit_entries",
)
"""The paged phases, in the order a copy runs them (the checkpoint names one)."""


class CopyError(StoreError):
    """The copy cannot start as asked (a checkpoint of another copy, a bad batch size,
    a target that cannot hold what the source has)."""


@dataclass(slots=True)
class CopyStats:
    """What a run did: records written to the target, per kind (idempotent writes, so a
    re-run counts again what it rewrote unchanged). ``documents`` counts save outcomes
    (created/updated/unchanged)."""

    brands: int = 0
    sources: int = 0
    feed_states: int = 0
    webhooks: int = 0
    alert_rules: int = 0
    api_keys: int = 0
    campaigns: int = 0
    documents: Counter[str] = field(default_factory=Counter)
    mentions: int = 0
    syndications: int = 0
    url_aliases: int = 0
    traffic_events: int = 0
    alerts: int = 0
    deliveries: int = 0
    delivery_attempts: int = 0
    audit_entries: int = 0
    batches: int = 0
    resumed_phase: str | None = None  # the checkpoint this run started from
    resumed_after: str | None = None
    copied_before: int = 0  # documents copied by the runs before this one
    complete: bool = False

    def summary(self) -> dict[str, Any]:
        """Every kind's count, for the CLI's report (``documents`` as a dict)."""
        return {
            "brands": self.brands,
            "sources": self.sources,
            "feed_states": self.feed_states,
            "webhooks": self.webhooks,
            "alert_rules": self.alert_rules,
            "api_keys": self.api_keys,
            "campaigns": self.campaigns,
            "documents": dict(self.documents),
            "mentions": self.mentions,
            "syndications": self.syndications,
            "url_aliases": self.url_aliases,
            "traffic_events": self.traffic_events,
            "alerts": self.alerts,
            "deliveries": self.deliveries,
            "delivery_attempts": self.delivery_attempts,
            "audit_entries": self.audit_entries,
        }


def _pair(source: Store, target: Store, protocol: type[P], what: str) -> tuple[P, P] | None:
    """Source and target as ``protocol``; ``None`` when the source has no ``what``."""
    if not isinstance(source, protocol):
        return None
    if not isinstance(target, protocol):
        raise CopyError(f"the target ({type(target).__name__}) cannot store {what}")
    return source, target


async def copy_configuration(source: Store, target: Store, stats: CopyStats) -> None:
    """Copy every configuration record (see the module docstring); checks the companion
    protocols of both stores first, so that a target lacking one fails before any write."""
    alerts = _pair(source, target, AlertStore, "alerts")  # type: ignore[type-abstract]
    _pair(source, target, TrafficStore, "traffic")  # type: ignore[type-abstract]
    keys = _pair(source, target, KeyStore, "API keys")  # type: ignore[type-abstract]
    _pair(source, target, AuditStore, "an audit log")  # type: ignore[type-abstract]
    campaigns = _pair(source, target, CampaignStore, "campaigns")  # type: ignore[type-abstract]
    for brand in await source.list_brands():
        await target.put_brand(brand)
        stats.brands += 1
    for src in await source.list_sources():
        await target.put_source(src)
        stats.sources += 1
        state = await source.get_feed_state(src.id)
        if state is not None:
            await target.put_feed_state(state)
            stats.feed_states += 1
    if alerts is not None:
        for webhook in await alerts[0].list_webhooks():
            await alerts[1].put_webhook(webhook)
            stats.webhooks += 1
        for rule in await alerts[0].list_alert_rules():
            await alerts[1].put_alert_rule(rule)
            stats.alert_rules += 1
    if keys is not None:
        for key in await keys[0].list_api_keys():
            await keys[1].put_api_key(key)  # the stored hash: the key keeps working
            stats.api_keys += 1
    if campaigns is not None:
        for campaign in await campaigns[0].list_campaigns():
            await campaigns[1].put_campaign(campaign)
            stats.campaigns += 1


Read = Callable[[str | None], Awaitable[tuple[Sequence[Any], str | None]]]
"""One page after a position: the records, and the position after them (``None``:
the phase is done once these are written)."""
Write = Callable[[Sequence[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    read: Read
    write: Write


async def _all(jobs: Sequence[Awaitable[Any]]) -> list[Any]:
    """Every job finishes (or fails) before the first failure is raised."""
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return list(outcomes)


def phases(source: Store, target: Store, stats: CopyStats, *, batch: int) -> list[Phase]:
    """The paged phases in ``PHASES`` order (those the source has), each reading
    ``batch`` records a page and counting what it writes in ``stats``."""
    gate = asyncio.Semaphore(_WRITES_IN_FLIGHT)

    async def gated(job: Awaitable[Any]) -> Any:
        async with gate:
            return await job

    def paged(fetch: Callable[..., Awaitable[Sequence[Any]]], key: Callable[[Any], str]) -> Read:
        """A ``Read`` over a keyset-paged ``fetch(after, limit=...)``; done on an empty page."""

        async def read(after: str | None) -> tuple[Sequence[Any], str | None]:
            page = await fetch(after, limit=batch)
            return page, (key(page[-1]) if page else None)

        return read

    async def documents(page: Sequence[Any]) -> None:
        found = await source.syndications([d.id for d, _ in page])
        outcomes = await _all(
            [gated(target.save_document(d, ms, syndication=found.get(d.id))) for d, ms in page]
        )
        stats.documents.update(str(o) for o in outcomes)
        stats.mentions += sum(len(ms) for _, ms in page)
        stats.syndications += len(found)

    async def aliases(page: Sequence[Any]) -> None:
        await target.put_url_aliases(page)
        stats.url_aliases += len(page)

    out = [
        Phase("documents", paged(source.documents_after, lambda r: r[0].id), documents),
        Phase("url_aliases", paged(source.url_aliases_after, lambda r: r[0]), aliases),
    ]
    traffic = _pair(source, target, TrafficStore, "traffic")  # type: ignore[type-abstract]
    if traffic is not None:
        t_src, t_dst = traffic

        async def events(page: Sequence[Any]) -> None:
            await t_dst.replace_traffic_events(list(page))
            stats.traffic_events += len(page)

        out.append(Phase("traffic_events", paged(t_src.traffic_events_after, _id), events))
    pair = _pair(source, target, AlertStore, "alerts")  # type: ignore[type-abstract]
    if pair is not None:
        a_src, a_dst = pair

        async def alerts(page: Sequence[Any]) -> None:
            await _all([gated(a_dst.record_alert(alert, [])) for alert in page])
            stats.alerts += len(page)

        async def delivery(item: Delivery) -> None:
            log = await a_src.attempts(item.id)
            for attempt in log:  # in the order they were made
                await a_dst.record_attempt(item, attempt)
            if not log:
                await a_dst.record_attempt(item, None)
            stats.delivery_attempts += len(log)

        async def deliveries(page: Sequence[Any]) -> None:
            await _all([gated(delivery(item)) for item in page])
            stats.deliveries += len(page)

        out.append(Phase("alerts", paged(a_src.alerts_after, _id), alerts))
        out.append(Phase("deliveries", paged(a_src.deliveries_after, _id), deliveries))
    audit = _pair(source, target, AuditStore, "an audit log")  # type: ignore[type-abstract]
    if audit is not None:
        l_src, l_dst = audit

        async def audit_page(cursor: str | None) -> tuple[Sequence[Any], str | None]:
            page = await l_src.audit_entries(limit=batch, cursor=cursor)
            return page.entries, page.next_cursor

        async def entries(page: Sequence[Any]) -> None:
            await _all([gated(l_dst.append_audit(entry)) for entry in page])
            stats.audit_entries += len(page)

        out.append(Phase("audit_entries", audit_page, entries))
    return out


def _id(record: Any) -> str:
    return str(record.id)
