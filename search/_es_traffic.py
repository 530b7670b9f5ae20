"""``TrafficStore`` on Elasticsearch: one plain index ``{prefix}-traffic``.

A mixin of ``ElasticsearchStore``; mapping in ``mappings/traffic.json``. The index
is created on the first traffic call after ``open()`` (idempotently), like the alert
indices. Writes are one bulk of ``create`` actions with the client's id as ``_id``:
a 409 conflict is a duplicate (the idempotency the contract asks for), not an error.
A bulk is not a transaction: when some items fail, the others may be stored, and the
request fails; sending the same events again stores the rest and nothing twice.
Sums are ``composite`` aggregations with ``sum`` sub-aggregations, paged with
``after_key``; the attribution look-ups are one-hit searches of the mentions
indices (which carry the document's domain). Contract: ``search._traffic_store``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from search import _es_codec as esc
from search._es_client import EsCalls, bulk_error
from search._es_schema import create_index, mapping
from search._sqlite_codec import to_us
from search._store import StoreError
from search._traffic_codec import decode_event, encode_event
from search._traffic_store import (
    SLOT_SECONDS,
    TrafficBreakdownBy,
    TrafficEvent,
    TrafficRow,
    TrafficSlot,
    sort_rows,
)

__all__ = ["ElasticsearchTraffic"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SLOT_US = SLOT_SECONDS * 1_000_000
# Composite buckets per request: ES's default page, well under search.max_buckets.
_COMPOSITE_PAGE = 1000
_GROUP_FIELD: dict[TrafficBreakdownBy, str] = {
    "document": "document_id",
    "outlet": "outlet",
    "campaign": "campaign",
}


def _source(e: TrafficEvent) -> dict[str, Any]:
    ts = to_us(e.timestamp)
    return {
        "id": e.id,
        "brand_id": e.brand_id,
        "ts_us": ts,
        "slot_us": ts // _SLOT_US * _SLOT_US,
        "channel": e.channel,
        "earned": e.earned,
        "sessions": e.sessions,
        "conversions": e.conversions,
        "document_id": e.document_id,
        "outlet": e.outlet,
        "campaign": e.campaign,
        "body": encode_event(e),
    }


def _truthy(key: Any) -> bool:
    return key in (True, 1, "true")


class ElasticsearchTraffic:
    """The ``TrafficStore`` half of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any
    _traffic_installed_for: EsCalls | None = None

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    def _traffic_index(self) -> str:
        return f"{self.prefix}-traffic"

    async def _traffic_calls(self) -> EsCalls:
        calls = self._opened()
        if self._traffic_installed_for is calls:
            return calls
        await create_index(calls, self._traffic_index(), mapping("traffic"), what="traffic")
        self._traffic_installed_for = calls
        return calls

    def _range(self, brand_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return [
            {"term": {"brand_id": brand_id}},
            {"range": {"ts_us": {"gte": to_us(start), "lt": to_us(end)}}},
        ]

    async def put_traffic_events(self, events: list[TrafficEvent]) -> tuple[int, int]:
        if not events:
            return 0, 0
        calls = await self._traffic_calls()
        operations: list[dict[str, Any]] = []
        for event in events:
            operations.append({"create": {"_index": self._traffic_index(), "_id": event.id}})
            operations.append(_source(event))
        body = await calls.call(
            "put_traffic_events", calls.client.bulk, operations=operations, refresh=self.refresh
        )
        items = body.get("items", [])
        statuses = [int(next(iter(item.values())).get("status", 500)) for item in items]
        failed = [i for i, s in zip(items, statuses, strict=True) if s not in (200, 201, 409)]
        if failed:
            raise bulk_error("put_traffic_events", failed)
        duplicates = sum(1 for s in statuses if s == 409)
        return len(events) - duplicates, duplicates

    async def replace_traffic_events(self, events: list[TrafficEvent]) -> None:
        if not events:
            return
        calls = await self._traffic_calls()
        operations: list[dict[str, Any]] = []
        for event in events:
            operations.append({"index": {"_index": self._traffic_index(), "_id": event.id}})
            operations.append(_source(event))
        await calls.bulk("replace_traffic_events", operations, refresh=self.refresh)

    async def traffic_events_after(self, after: str | None, *, limit: int) -> list[TrafficEvent]:
        if not 1 <= limit <= 1000:
            raise StoreError(f"limit must be 1 to 1000, not {limit}")
        calls = await self._traffic_calls()
        paging: dict[str, Any] = {"search_after": [after]} if after is not None else {}
        body = await calls.call(
            "traffic_events_after",
            calls.client.search,
            index=self._traffic_index(),
            size=limit,
            query={"match_all": {}},
            sort=[{"id": "asc"}],
            **paging,
        )
        return [decode_event(str(h["_source"]["body"])) for h in body["hits"]["hits"]]

    async def _composite(
        self, action: str, filters: list[dict[str, Any]], sources: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Every bucket of a composite aggregation with session and conversion sums."""
        calls = await self._traffic_calls()
        out: list[dict[str, Any]] = []
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": _COMPOSITE_PAGE, "sources": sources}
            if after is not None:
                composite["after"] = after
            body = await calls.call(
                action,
                calls.client.search,
                index=self._traffic_index(),
                size=0,
                query={"bool": {"filter": filters}},
                aggs={
                    "groups": {
                        "composite": composite,
                        "aggs": {
                            "sessions": {"sum": {"field": "sessions"}},
                            "conversions": {"sum": {"field": "conversions"}},
                        },
                    }
                },
            )
            agg = (body.get("aggregations") or {}).get("groups") or {}
            buckets = agg.get("buckets") or []
            out.extend(buckets)
            after = agg.get("after_key")
            if len(buckets) < _COMPOSITE_PAGE or after is None:
                return out

    async def traffic_slots(
        self, brand_id: str, *, start: datetime, end: datetime
    ) -> list[TrafficSlot]:
        buckets = await self._composite(
            "traffic_slots",
            self._range(brand_id, start, end),
            [
                {"slot": {"terms": {"field": "slot_us"}}},
                {"earned": {"terms": {"field": "earned"}}},
            ],
        )
        slots = [
            TrafficSlot(
                _EPOCH + timedelta(microseconds=int(b["key"]["slot"])),
                _truthy(b["key"]["earned"]),
                round(b["sessions"]["value"] or 0),
                round(b["conversions"]["value"] or 0),
            )
            for b in buckets
        ]
        return sorted(slots, key=lambda s: (s.start, s.earned))

    async def traffic_breakdown(
        self, brand_id: str, *, start: datetime, end: datetime, by: TrafficBreakdownBy
    ) -> list[TrafficRow]:
        buckets = await self._composite(
            "traffic_breakdown",
            [*self._range(brand_id, start, end), {"term": {"earned": True}}],
            [{"key": {"terms": {"field": _GROUP_FIELD[by]}}}],
        )
        return sort_rows(
            [
                TrafficRow(
                    str(b["key"]["key"]),
                    round(b["sessions"]["value"] or 0),
                    round(b["conversions"]["value"] or 0),
                )
                for b in buckets
            ]
        )

    async def _first_mention(self, action: str, filters: list[dict[str, Any]]) -> Any:
        calls = self._opened()
        body = await calls.call(
            action,
            calls.client.search,
            index=esc.index_pattern(self.prefix, "mentions"),
            size=1,
            query={"bool": {"filter": filters}},
            sort=[{"counted_us": "desc"}, {"document_id": "asc"}],
            source=["document_id", "domain"],
        )
        hits = body["hits"]["hits"]
        return hits[0]["_source"] if hits else None

    async def document_mentioning(self, document_id: str, brand_id: str) -> tuple[str, str] | None:
        found = await self._first_mention(
            "document_mentioning",
            [{"term": {"document_id": document_id}}, {"term": {"brand_id": brand_id}}],
        )
        return None if found is None else (str(found["document_id"]), str(found["domain"]))

    async def outlet_covering(
        self, domains: tuple[str, ...], brand_id: str, *, start: datetime, end: datetime
    ) -> str | None:
        if not domains:
            return None
        found = await self._first_mention(
            "outlet_covering",
            [
                {"term": {"brand_id": brand_id}},
                {"terms": {"domain": list(domains)}},
                {"range": {"counted_us": {"gte": to_us(start), "lte": to_us(end)}}},
            ],
        )
        return None if found is None else str(found["domain"])
