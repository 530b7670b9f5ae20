"""``AlertStore`` on SQLite: the tables of ``migrations/0005_alerts.sql``.

A mixin of ``SQLiteStore``: it runs its statements through the store's writer
(one thread, so ``record_alert`` and ``record_attempt`` are single transactions)
and reader pool. Contract: ``search._alerts_store``.

A claim (``claim_delivery``) reads the delivery and writes it claimed in one
``BEGIN IMMEDIATE`` transaction, so it holds the database's write lock from the
read on: another process's claim waits for it (up to the busy timeout) and then
reads the claimed row. The write is still one ``UPDATE`` conditioned on the row
being pending and due, its row count telling whether the claim won. The claim
lives in the row's JSON and in ``next_attempt_us`` (the lease's end), so it needs
no column of its own and the ``deliveries_due`` index keeps serving the worker.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from search._alerts_store import (
    Alert,
    AlertRule,
    Delivery,
    DeliveryAttempt,
    WebhookSubscription,
    decode,
    encode,
)
from search._sqlite_codec import from_us, to_us
from search._sqlite_conn import transaction
from search._store import StoreError

__all__ = ["SQLiteAlerts"]

T = TypeVar("T")

_INSERT_DELIVERY = (
    "INSERT INTO deliveries (id, subscription_id, state, next_attempt_us, created_us, json)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def _delivery_row(d: Delivery) -> tuple[str, str, str, int, int, str]:
    return (
        d.id,
        d.subscription_id,
        d.state,
        to_us(d.next_attempt_at),
        to_us(d.created_at),
        encode(d),
    )


class SQLiteAlerts:
    """The ``AlertStore`` half of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    # --- configuration rows -----------------------------------------------------------

    async def _put_row(self, table: str, key: str, body: str) -> None:
        await self._write(
            lambda c: c.execute(
                f"INSERT INTO {table} (id, json) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                (key, body),
            )
        )

    async def _get_row(self, table: str, key: str) -> str | None:
        def get(c: sqlite3.Connection) -> str | None:
            row = c.execute(f"SELECT json FROM {table} WHERE id = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        return await self._read(get)

    async def _list_rows(self, table: str) -> list[str]:
        return await self._read(
            lambda c: [str(r[0]) for r in c.execute(f"SELECT json FROM {table} ORDER BY id")]
        )

    async def _delete_row(self, table: str, key: str) -> bool:
        cursor = await self._write(lambda c: c.execute(f"DELETE FROM {table} WHERE id = ?", (key,)))
        return cursor.rowcount > 0

    async def put_webhook(self, webhook: WebhookSubscription) -> None:
        await self._put_row("webhooks", webhook.id, encode(webhook))

    async def get_webhook(self, webhook_id: str) -> WebhookSubscription | None:
        raw = await self._get_row("webhooks", webhook_id)
        return None if raw is None else decode(WebhookSubscription, raw)

    async def list_webhooks(self) -> list[WebhookSubscription]:
        return [decode(WebhookSubscription, raw) for raw in await self._list_rows("webhooks")]

    async def delete_webhook(self, webhook_id: str) -> bool:
        """Forget the subscription; its deliveries and their log stay."""
        return await self._delete_row("webhooks", webhook_id)

    async def put_alert_rule(self, rule: AlertRule) -> None:
        await self._put_row("alert_rules", rule.id, encode(rule))

    async def get_alert_rule(self, rule_id: str) -> AlertRule | None:
        raw = await self._get_row("alert_rules", rule_id)
        return None if raw is None else decode(AlertRule, raw)

    async def list_alert_rules(self) -> list[AlertRule]:
        return [decode(AlertRule, raw) for raw in await self._list_rows("alert_rules")]

    async def delete_alert_rule(self, rule_id: str) -> bool:
        """Forget the rule; the alerts it raised stay."""
        return await self._delete_row("alert_rules", rule_id)

    # --- alerts and the outbox ------------------------------------------------------

    async def record_alert(self, alert: Alert, deliveries: Sequence[Delivery]) -> None:
        """The alert and its deliveries in one transaction (the outbox step)."""
        alert_row = (
            alert.id,
            alert.rule_id,
            alert.brand_id,
            to_us(alert.updated_at),
            encode(alert),
        )
        rows = [_delivery_row(d) for d in deliveries]

        def write(c: sqlite3.Connection) -> None:
            with transaction(c):
                c.execute(
                    "INSERT OR REPLACE INTO alerts (id, rule_id, brand_id, updated_us, json)"
                    " VALUES (?, ?, ?, ?, ?)",
                    alert_row,
                )
                c.executemany(_INSERT_DELIVERY + " ON CONFLICT (id) DO NOTHING", rows)

        await self._write(write)

    async def get_alert(self, alert_id: str) -> Alert | None:
        raw = await self._get_row("alerts", alert_id)
        return None if raw is None else decode(Alert, raw)

    async def latest_alert(self, rule_id: str) -> Alert | None:
        def get(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "SELECT json FROM alerts WHERE rule_id = ? ORDER BY updated_us DESC, id DESC"
                " LIMIT 1",
                (rule_id,),
            ).fetchone()
            return None if row is None else str(row[0])

        raw = await self._read(get)
        return None if raw is None else decode(Alert, raw)

    async def list_alerts(self, *, brand_id: str | None = None, limit: int = 50) -> list[Alert]:
        def get(c: sqlite3.Connection) -> list[str]:
            where = "" if brand_id is None else "WHERE brand_id = ?"
            params: tuple[object, ...] = () if brand_id is None else (brand_id,)
            return [
                str(r[0])
                for r in c.execute(
                    f"SELECT json FROM alerts {where} ORDER BY updated_us DESC, id DESC LIMIT ?",
                    (*params, limit),
                )
            ]

        return [decode(Alert, raw) for raw in await self._read(get)]

    async def due_deliveries(self, now: datetime, *, limit: int) -> list[Delivery]:
        now_us = to_us(now)

        def get(c: sqlite3.Connection) -> list[str]:
            return [
                str(r[0])
                for r in c.execute(
                    "SELECT json FROM deliveries WHERE state = 'pending' AND next_attempt_us <= ?"
                    " ORDER BY next_attempt_us, id LIMIT ?",
                    (now_us, limit),
                )
            ]

        return [decode(Delivery, raw) for raw in await self._read(get)]

    async def next_due(self) -> datetime | None:
        def get(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "SELECT json FROM deliveries WHERE state = 'pending'"
                " ORDER BY next_attempt_us LIMIT 1"
            ).fetchone()
            return None if row is None else str(row[0])

        raw = await self._read(get)
        return None if raw is None else decode(Delivery, raw).next_attempt_at

    async def get_delivery(self, delivery_id: str) -> Delivery | None:
        raw = await self._get_row("deliveries", delivery_id)
        return None if raw is None else decode(Delivery, raw)

    async def claim_delivery(
        self, delivery_id: str, *, claimant: str, now: datetime, lease: timedelta
    ) -> Delivery | None:
        now_us = to_us(now)
        until = from_us(to_us(now + lease))  # in UTC, as read back

        def claim(c: sqlite3.Connection) -> Delivery | None:
            with transaction(c):
                row = c.execute(
                    "SELECT json FROM deliveries WHERE id = ? AND state = 'pending'"
                    " AND next_attempt_us <= ?",
                    (delivery_id, now_us),
                ).fetchone()
                if row is None:
                    return None
                claimed = decode(Delivery, str(row[0])).claimed(claimant, until)
                won = c.execute(
                    "UPDATE deliveries SET next_attempt_us = ?, json = ?"
                    " WHERE id = ? AND state = 'pending' AND next_attempt_us <= ?",
                    (to_us(claimed.next_attempt_at), encode(claimed), delivery_id, now_us),
                ).rowcount
                return claimed if won == 1 else None

        return await self._write(claim)

    async def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt | None) -> None:
        row = _delivery_row(delivery.unclaimed())
        log = (
            None
            if attempt is None
            else (
                attempt.id,
                attempt.delivery_id,
                to_us(attempt.at),
                attempt.attempt,
                encode(attempt),
            )
        )

        def write(c: sqlite3.Connection) -> None:
            with transaction(c):
                c.execute(
                    _INSERT_DELIVERY + " ON CONFLICT (id) DO UPDATE SET state = excluded.state,"
                    " next_attempt_us = excluded.next_attempt_us, json = excluded.json",
                    row,
                )
                if log is not None:
                    c.execute(
                        "INSERT OR REPLACE INTO delivery_attempts (id, delivery_id, at_us,"
                        " attempt, json) VALUES (?, ?, ?, ?, ?)",
                        log,
                    )

        await self._write(write)

    async def deliveries(self, subscription_id: str, *, limit: int = 50) -> list[Delivery]:
        def get(c: sqlite3.Connection) -> list[str]:
            return [
                str(r[0])
                for r in c.execute(
                    "SELECT json FROM deliveries WHERE subscription_id = ?"
                    " ORDER BY created_us DESC, id DESC LIMIT ?",
                    (subscription_id, limit),
                )
            ]

        return [decode(Delivery, raw) for raw in await self._read(get)]

    async def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        def get(c: sqlite3.Connection) -> list[str]:
            return [
                str(r[0])
                for r in c.execute(
                    "SELECT json FROM delivery_attempts WHERE delivery_id = ?"
                    " ORDER BY at_us, attempt, id",
                    (delivery_id,),
                )
            ]

        return [decode(DeliveryAttempt, raw) for raw in await self._read(get)]

    # --- paging over everything (copying a store) ------------------------------------

    async def _rows_after(self, table: str, after: str | None, limit: int) -> list[str]:
        if not 1 <= limit <= 1000:
            raise StoreError(f"limit {limit} outside 1..1000")
        return await self._read(
            lambda c: [
                str(r[0])
                for r in c.execute(
                    f"SELECT json FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
                    ("" if after is None else after, limit),
                )
            ]
        )

    async def alerts_after(self, after: str | None, *, limit: int) -> list[Alert]:
        return [decode(Alert, raw) for raw in await self._rows_after("alerts", after, limit)]

    async def deliveries_after(self, after: str | None, *, limit: int) -> list[Delivery]:
        rows = await self._rows_after("deliveries", after, limit)
        return [decode(Delivery, raw) for raw in rows]
