"""``AlertStore`` on Elasticsearch: five small plain indices.

A mixin of ``ElasticsearchStore``. Indices (``{prefix}-...``): ``webhooks`` and
``alert-rules`` (the configuration mapping, ``mappings/config.json``), ``alerts``,
``deliveries`` (the outbox) and ``delivery-attempts`` (the log), with mappings in
``mappings/{alerts,deliveries,delivery_attempts}.json``. They are created on the
first alert call after ``open()`` (idempotently), so that ``open()`` itself is
untouched. Every write passes the store's ``refresh`` (read your writes).

The outbox step (``record_alert``): one bulk request that *creates* the deliveries
(a 409 conflict means the delivery is already stored, which is the idempotency the
contract asks for, and is not an error) and then the alert is indexed; the alert
is written last, so that no stored alert ever lacks its deliveries.

The claim (``claim_delivery``) is optimistic concurrency control on the outbox
document: a real-time GET reads the delivery with its ``_seq_no`` and
``_primary_term``; if it is pending and due, it is written back claimed with
``if_seq_no`` / ``if_primary_term``, which the cluster refuses with 409 when
anything wrote the document since the read: another claim won (or an outcome was
recorded), and this claim is lost. The claim is in ``body`` and in
``next_attempt_us`` (the lease's end), so the mapping has no field for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from search._alerts_store import (
    Alert,
    AlertRule,
    Delivery,
    DeliveryAttempt,
    WebhookSubscription,
    decode,
    encode,
)
from search._es_client import EsCalls, bulk_error
from search._es_schema import create_index, mapping
from search._sqlite_codec import from_us, to_us
from search._store import StoreError

__all__ = ["ALERT_INDICES", "ElasticsearchAlerts", "list_bodies"]

# Index suffix -> mapping file.
ALERT_INDICES = {
    "webhooks": "config",
    "alert-rules": "config",
    "alerts": "alerts",
    "deliveries": "deliveries",
    "delivery-attempts": "delivery_attempts",
}
# Configuration rows listed per request (search_after by id): far more
# subscriptions, rules, brands or sources than one deployment has.
_LIST_PAGE = 1000


async def list_bodies(calls: EsCalls, kind: str, index: str) -> list[str]:
    """Every ``body`` of the configuration ``index`` (documents ``{"id", "body"}``),
    by id, paged ``_LIST_PAGE`` at a time with ``search_after``; ``kind`` names the
    calls in errors. Shared with ``ElasticsearchStore``'s brands and sources."""
    bodies: list[str] = []
    after: list[Any] | None = None
    while True:
        page = await calls.call(
            f"list {kind}",
            calls.client.search,
            index=index,
            size=_LIST_PAGE,
            sort=[{"id": "asc"}],
            query={"match_all": {}},
            **({"search_after": after} if after is not None else {}),
        )
        hits = page["hits"]["hits"]
        bodies.extend(str(h["_source"]["body"]) for h in hits)
        if len(hits) < _LIST_PAGE:
            return bodies
        after = hits[-1]["sort"]


class ElasticsearchAlerts:
    """The ``AlertStore`` half of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any
    _alerts_installed_for: EsCalls | None = None

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    def _index(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    async def _alert_calls(self) -> EsCalls:
        """The open store's calls, with the alert indices created (once per open)."""
        calls = self._opened()
        if self._alerts_installed_for is calls:
            return calls
        for kind, name in ALERT_INDICES.items():
            await create_index(calls, self._index(kind), mapping(name), what="alerts")
        self._alerts_installed_for = calls
        return calls

    async def _index_doc(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        calls = await self._alert_calls()
        await calls.call(
            f"put {kind}",
            calls.client.index,
            index=self._index(kind),
            id=key,
            document=doc,
            refresh=self.refresh,
        )

    async def _get_body(self, kind: str, key: str) -> str | None:
        calls = await self._alert_calls()
        found = await calls.call(
            f"get {kind}", calls.client.get, index=self._index(kind), id=key, allow=(404,)
        )
        return str(found["_source"]["body"]) if found.get("found") else None

    async def _search_bodies(
        self, kind: str, query: dict[str, Any], sort: list[dict[str, str]], size: int
    ) -> list[str]:
        calls = await self._alert_calls()
        page = await calls.call(
            f"search {kind}",
            calls.client.search,
            index=self._index(kind),
            query=query,
            sort=sort,
            size=size,
        )
        return [str(h["_source"]["body"]) for h in page["hits"]["hits"]]

    async def _list_config(self, kind: str) -> list[str]:
        return await list_bodies(await self._alert_calls(), kind, self._index(kind))

    async def _delete_doc(self, kind: str, key: str) -> bool:
        calls = await self._alert_calls()
        result = await calls.call(
            f"delete {kind}",
            calls.client.delete,
            index=self._index(kind),
            id=key,
            refresh=self.refresh,
            allow=(404,),
        )
        return result.get("result") == "deleted"

    # --- configuration ---------------------------------------------------------------

    async def put_webhook(self, webhook: WebhookSubscription) -> None:
        await self._index_doc("webhooks", webhook.id, {"id": webhook.id, "body": encode(webhook)})

    async def get_webhook(self, webhook_id: str) -> WebhookSubscription | None:
        raw = await self._get_body("webhooks", webhook_id)
        return None if raw is None else decode(WebhookSubscription, raw)

    async def list_webhooks(self) -> list[WebhookSubscription]:
        return [decode(WebhookSubscription, r) for r in await self._list_config("webhooks")]

    async def delete_webhook(self, webhook_id: str) -> bool:
        """Forget the subscription; its deliveries and their log stay."""
        return await self._delete_doc("webhooks", webhook_id)

    async def put_alert_rule(self, rule: AlertRule) -> None:
        await self._index_doc("alert-rules", rule.id, {"id": rule.id, "body": encode(rule)})

    async def get_alert_rule(self, rule_id: str) -> AlertRule | None:
        raw = await self._get_body("alert-rules", rule_id)
        return None if raw is None else decode(AlertRule, raw)

    async def list_alert_rules(self) -> list[AlertRule]:
        return [decode(AlertRule, r) for r in await self._list_config("alert-rules")]

    async def delete_alert_rule(self, rule_id: str) -> bool:
        """Forget the rule; the alerts it raised stay."""
        return await self._delete_doc("alert-rules", rule_id)

    # --- alerts and the outbox --------------------------------------------------------

    @staticmethod
    def _alert_doc(alert: Alert) -> dict[str, Any]:
        return {
            "id": alert.id,
            "rule_id": alert.rule_id,
            "brand_id": alert.brand_id,
            "updated_us": to_us(alert.updated_at),
            "body": encode(alert),
        }

    @staticmethod
    def _delivery_doc(delivery: Delivery) -> dict[str, Any]:
        return {
            "id": delivery.id,
            "subscription_id": delivery.subscription_id,
            "state": delivery.state,
            "next_attempt_us": to_us(delivery.next_attempt_at),
            "created_us": to_us(delivery.created_at),
            "body": encode(delivery),
        }

    async def record_alert(self, alert: Alert, deliveries: Sequence[Delivery]) -> None:
        """Deliveries created (existing ones left alone), then the alert; see the module doc."""
        calls = await self._alert_calls()
        if deliveries:
            operations: list[dict[str, Any]] = []
            for delivery in deliveries:
                operations.append(
                    {"create": {"_index": self._index("deliveries"), "_id": delivery.id}}
                )
                operations.append(self._delivery_doc(delivery))
            body = await calls.call(
                "record_alert: deliveries",
                calls.client.bulk,
                operations=operations,
                refresh=self.refresh,
            )
            if body.get("errors"):
                failed = [
                    item
                    for item in body.get("items", [])
                    if int(next(iter(item.values())).get("status", 500)) not in (200, 201, 409)
                ]
                if failed:
                    raise bulk_error("record_alert: deliveries", failed)
        await self._index_doc("alerts", alert.id, self._alert_doc(alert))

    async def get_alert(self, alert_id: str) -> Alert | None:
        raw = await self._get_body("alerts", alert_id)
        return None if raw is None else decode(Alert, raw)

    async def latest_alert(self, rule_id: str) -> Alert | None:
        found = await self._search_bodies(
            "alerts",
            {"term": {"rule_id": rule_id}},
            [{"updated_us": "desc"}, {"id": "desc"}],
            1,
        )
        return decode(Alert, found[0]) if found else None

    async def list_alerts(self, *, brand_id: str | None = None, limit: int = 50) -> list[Alert]:
        query = {"match_all": {}} if brand_id is None else {"term": {"brand_id": brand_id}}
        found = await self._search_bodies(
            "alerts", query, [{"updated_us": "desc"}, {"id": "desc"}], limit
        )
        return [decode(Alert, raw) for raw in found]

    async def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]:
        query = {
            "bool": {
                "filter": [
                    {"term": {"state": "pending"}},
                    {"range": {"next_attempt_us": {"lte": to_us(now)}}},
                ]
            }
        }
        found = await self._search_bodies(
            "deliveries", query, [{"next_attempt_us": "asc"}, {"id": "asc"}], limit
        )
        return [decode(Delivery, raw) for raw in found]

    async def next_due(self) -> datetime | None:
        found = await self._search_bodies(
            "deliveries",
            {"term": {"state": "pending"}},
            [{"next_attempt_us": "asc"}, {"id": "asc"}],
            1,
        )
        return decode(Delivery, found[0]).next_attempt_at if found else None

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        raw = await self._get_body("deliveries", delivery_id)
        return None if raw is None else decode(Delivery, raw)

    async def claim_delivery(
        self, delivery_id: str, *, claimant: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        """Read, check, write back conditioned on the read (see the module docstring)."""
        calls = await self._alert_calls()
        index = self._index("deliveries")
        found = await calls.call(
            "claim delivery: get", calls.client.get, index=index, id=delivery_id, allow=(404,)
        )
        if not found.get("found"):
            return None
        delivery = decode(Delivery, str(found["_source"]["body"]))
        if delivery.state != "pending" or delivery.next_attempt_at > now:
            return None
        claimed = delivery.claimed(claimant, from_us(to_us(now + lease)))
        written = await calls.call(
            "claim delivery: write",
            calls.client.index,
            index=index,
            id=delivery_id,
            document=self._delivery_doc(claimed),
            if_seq_no=found["_seq_no"],
            if_primary_term=found["_primary_term"],
            refresh=self.refresh,
            allow=(409,),
        )
        return claimed if written.get("result") == "updated" else None  # else 409: lost

    async def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt | None) -> None:
        """The log entry first, then the delivery (unclaimed): a crash in between leaves
        the delivery pending with one attempt logged, so it is tried again (at least once)."""
        delivery = delivery.unclaimed()
        if attempt is not None:
            await self._index_doc(
                "delivery-attempts",
                attempt.id,
                {
                    "id": attempt.id,
                    "delivery_id": attempt.delivery_id,
                    "at_us": to_us(attempt.at),
                    "attempt": attempt.attempt,
                    "body": encode(attempt),
                },
            )
        await self._index_doc("deliveries", delivery.id, self._delivery_doc(delivery))

    async def deliveries(self, subscription_id: str, *, limit: int = 50) -> list[Delivery]:
        found = await self._search_bodies(
            "deliveries",
            {"term": {"subscription_id": subscription_id}},
            [{"created_us": "desc"}, {"id": "desc"}],
            limit,
        )
        return [decode(Delivery, raw) for raw in found]

    async def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        found = await self._search_bodies(
            "delivery-attempts",
            {"term": {"delivery_id": delivery_id}},
            [{"at_us": "asc"}, {"attempt": "asc"}, {"id": "asc"}],
            1000,
        )
        return [decode(DeliveryAttempt, raw) for raw in found]

    # --- paging over everything (copying a store) -------------------------------------

    async def _bodies_after(self, kind: str, after: str | None, limit: int) -> list[str]:
        """``search_after`` on the id (a total order, so no point in time is needed)."""
        if not 1 <= limit <= 1000:
            raise StoreError(f"limit {limit} outside 1..1000")
        calls = await self._alert_calls()
        paging: dict[str, Any] = {"search_after": [after]} if after is not None else {}
        page = await calls.call(
            f"{kind} after",
            calls.client.search,
            index=self._index(kind),
            query={"match_all": {}},
            sort=[{"id": "asc"}],
            size=limit,
            **paging,
        )
        return [str(h["_source"]["body"]) for h in page["hits"]["hits"]]

    async def alerts_after(self, after: str | None, *, limit: int) -> list[Alert]:
        return [decode(Alert, raw) for raw in await self._bodies_after("alerts", after, limit)]

    async def deliveries_after(self, after: str | None, *, limit: int) -> list[Delivery]:
        rows = await self._bodies_after("deliveries", after, limit)
        return [decode(Delivery, raw) for raw in rows]
