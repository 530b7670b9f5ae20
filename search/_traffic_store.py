"""The traffic store contract: web-analytics visits to owned domains, attributed.

``TrafficStore`` is implemented by both stores (``SQLiteStore``, ``ElasticsearchStore``)
next to ``search.Store``; ``tests/store_contract/test_traffic.py`` checks it. Contract,
in addition to ``search.Store``'s (aware times in, UTC out, ``StoreError``, read your
writes):

- ``put_traffic_events(events)`` stores each event under its client-supplied ``id``
  unless that id is already stored (the stored one is kept, whatever the new one
  says): posting the same batch twice stores it once. It returns ``(created,
  duplicates)``; an id repeated inside one batch counts as a duplicate after its
  first occurrence.
- ``replace_traffic_events(events)`` writes each event under its id whether or not
  one is stored (re-attribution); ``traffic_events_after(after, limit)`` pages
  through every stored event in ascending id order (``limit`` 1 to 1000).
- Attribution is decided before the store is called (``service._attribution``) and
  stored with the event (``brand_id``, ``channel``, ``document_id``, ``outlet``);
  the store only aggregates. ``brand_id`` is ``""`` for a visit to no brand's owned
  domain (stored, never counted).
- ``traffic_slots(brand_id, start, end)`` sums the brand's events with
  ``start <= timestamp < end`` per ``SLOT_SECONDS`` slot (UTC-aligned) and per
  earned-or-not, in the store: the caller folds slots into the buckets of any time
  zone (every zone offset in use is a multiple of 15 minutes).
- ``traffic_breakdown(brand_id, start, end, by)`` sums the brand's *earned* events
  per ``document_id`` / ``outlet`` / ``campaign`` (``""`` when the event has none),
  most sessions first, ties by key, at most ``MAX_BREAKDOWN_KEYS`` keys.
- ``document_mentioning(document_id, brand_id)`` / ``outlet_covering(domains,
  brand_id, start, end)`` are the two look-ups attribution needs: the stored
  document with that id (not an alias: resolve with ``stored_versions`` first) if
  it mentions the brand, as ``(document_id, domain)``;
  and the domain, among ``domains``, of a stored mention of the brand counted in
  ``[start, end]`` (the latest such mention's domain; ``None`` when none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from search._store import StoreError

__all__ = [
    "EARNED_CHANNELS",
    "MAX_BREAKDOWN_KEYS",
    "SLOT_SECONDS",
    "TrafficBreakdownBy",
    "TrafficChannel",
    "TrafficEvent",
    "TrafficRow",
    "TrafficSlot",
    "TrafficStore",
    "sort_rows",
    "traffic_store",
]

TrafficChannel = Literal["document", "outlet", "owned", "paid", "other"]
"""How a visit came: ``document`` / ``outlet`` are earned (attributed to a stored
document, or to an outlet that covered the brand); ``owned`` (from the brand's own
sites), ``paid`` (ads) and ``other`` (direct, search, unknown sites) are not."""
EARNED_CHANNELS: tuple[TrafficChannel, ...] = ("document", "outlet")
TrafficBreakdownBy = Literal["document", "outlet", "campaign"]

SLOT_SECONDS = 900
"""Aggregation slot of ``traffic_slots``: 15 minutes, the largest unit every UTC
offset in the tz database is a multiple of, so slots fold exactly into local hours,
days and weeks; 90 days are 8,640 slots at most per earned flag."""
MAX_BREAKDOWN_KEYS = 1000
"""Most keys ``traffic_breakdown`` returns: more outlets or documents than a
breakdown table is read for, and a bound on the store's aggregation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficEvent:
    """One analytics row: ``sessions`` visits landing on ``landing_url`` at ``timestamp``
    from ``referrer`` (``""``: none), with the attribution decided at ingest."""

    id: str
    timestamp: datetime
    landing_url: str
    referrer: str = ""
    sessions: int = 1
    conversions: int = 0
    campaign: str = ""
    utm_medium: str = ""
    tags: tuple[str, ...] = ()
    brand_id: str = ""
    channel: TrafficChannel = "other"
    document_id: str = ""
    outlet: str = ""

    @property
    def earned(self) -> bool:
        return self.channel in EARNED_CHANNELS


@dataclass(frozen=True, slots=True)
class TrafficSlot:
    """Sums over one ``SLOT_SECONDS`` slot starting at ``start`` (UTC)."""

    start: datetime
    earned: bool
    sessions: int
    conversions: int


@dataclass(frozen=True, slots=True)
class TrafficRow:
    key: str
    sessions: int
    conversions: int


@runtime_checkable
class TrafficStore(Protocol):
    """See the module docstring for the contract."""

    async def put_traffic_events(self, events: list[TrafficEvent]) -> tuple[int, int]: ...
    async def replace_traffic_events(self, events: list[TrafficEvent]) -> None: ...
    async def traffic_events_after(
        self, after: str | None, *, limit: int
    ) -> list[TrafficEvent]: ...
    async def traffic_slots(
        self, brand_id: str, *, start: datetime, end: datetime
    ) -> list[TrafficSlot]: ...
    async def traffic_breakdown(
        self, brand_id: str, *, start: datetime, end: datetime, by: TrafficBreakdownBy
    ) -> list[TrafficRow]: ...
    async def document_mentioning(
        self, document_id: str, brand_id: str
    ) -> tuple[str, str] | None: ...
    async def outlet_covering(
        self, domains: tuple[str, ...], brand_id: str, *, start: datetime, end: datetime
    ) -> str | None: ...


def traffic_store(store: object) -> TrafficStore:
    """``store`` as a ``TrafficStore``; ``StoreError`` for a store without traffic."""
    if not isinstance(store, TrafficStore):
        raise StoreError(f"{type(store).__name__} does not store traffic")
    return store


def sort_rows(rows: list[TrafficRow]) -> list[TrafficRow]:
    """Most sessions first, ties by key, at most ``MAX_BREAKDOWN_KEYS``."""
    return sorted(rows, key=lambda r: (-r.sessions, r.key))[:MAX_BREAKDOWN_KEYS]
