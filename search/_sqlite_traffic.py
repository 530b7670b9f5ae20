"""``TrafficStore`` on SQLite: the table of ``migrations/0006_traffic.sql``.

A mixin of ``SQLiteStore``: writes go through the store's writer thread (a batch is
one transaction: all of it or none), reads through its reader pool; every sum is a
``GROUP BY`` on the ``(brand_id, ts_us)`` index. Contract: ``search._traffic_store``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from search._sqlite_codec import from_us, to_us
from search._sqlite_conn import transaction
from search._store import StoreError
from search._traffic_codec import decode_event, encode_event
from search._traffic_store import (
    MAX_BREAKDOWN_KEYS,
    SLOT_SECONDS,
    TrafficBreakdownBy,
    TrafficEvent,
    TrafficRow,
    TrafficSlot,
)

__all__ = ["SQLiteTraffic"]

T = TypeVar("T")
_SLOT_US = SLOT_SECONDS * 1_000_000
_INSERT = (
    "INSERT INTO traffic_events (id, brand_id, ts_us, channel, earned, sessions, conversions,"
    " document_id, outlet, campaign, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING"
)
_UPDATE = "DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}"
    for c in (
        "brand_id", "ts_us", "channel", "earned", "sessions", "conversions",
        "document_id", "outlet", "campaign", "json",
    )
)  # fmt: skip
_GROUP_COLUMN: dict[TrafficBreakdownBy, str] = {
    "document": "document_id",
    "outlet": "outlet",
    "campaign": "campaign",
}


def _row(e: TrafficEvent) -> tuple[object, ...]:
    return (
        e.id,
        e.brand_id,
        to_us(e.timestamp),
        e.channel,
        int(e.earned),
        e.sessions,
        e.conversions,
        e.document_id,
        e.outlet,
        e.campaign,
        encode_event(e),
    )


class SQLiteTraffic:
    """The ``TrafficStore`` half of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def put_traffic_events(self, events: list[TrafficEvent]) -> tuple[int, int]:
        rows = [_row(e) for e in events]

        def write(c: sqlite3.Connection) -> int:
            created = 0
            with transaction(c):
                for row in rows:
                    created += c.execute(_INSERT, row).rowcount
            return created

        created = await self._write(write) if rows else 0
        return created, len(rows) - created

    async def replace_traffic_events(self, events: list[TrafficEvent]) -> None:
        rows = [_row(e) for e in events]
        statement = _INSERT.replace("DO NOTHING", _UPDATE)

        def write(c: sqlite3.Connection) -> None:
            with transaction(c):
                c.executemany(statement, rows)

        if rows:
            await self._write(write)

    async def traffic_events_after(self, after: str | None, *, limit: int) -> list[TrafficEvent]:
        if not 1 <= limit <= 1000:
            raise StoreError(f"limit must be 1 to 1000, not {limit}")

        def read(c: sqlite3.Connection) -> list[TrafficEvent]:
            rows = c.execute(
                "SELECT json FROM traffic_events WHERE id > ? ORDER BY id LIMIT ?",
                (after or "", limit),
            ).fetchall()
            return [decode_event(str(r[0])) for r in rows]

        return await self._read(read)

    async def traffic_slots(
        self, brand_id: str, *, start: datetime, end: datetime
    ) -> list[TrafficSlot]:
        args = (_SLOT_US, _SLOT_US, brand_id, to_us(start), to_us(end))

        def read(c: sqlite3.Connection) -> list[TrafficSlot]:
            rows = c.execute(
                "SELECT (ts_us / ?) * ? AS slot, earned, SUM(sessions), SUM(conversions)"
                " FROM traffic_events WHERE brand_id = ? AND ts_us >= ? AND ts_us < ?"
                " GROUP BY slot, earned ORDER BY slot, earned",
                args,
            ).fetchall()
            return [TrafficSlot(from_us(int(s)), bool(e), int(n), int(k)) for s, e, n, k in rows]

        return await self._read(read)

    async def traffic_breakdown(
        self, brand_id: str, *, start: datetime, end: datetime, by: TrafficBreakdownBy
    ) -> list[TrafficRow]:
        column = _GROUP_COLUMN[by]
        args = (brand_id, to_us(start), to_us(end), MAX_BREAKDOWN_KEYS)

        def read(c: sqlite3.Connection) -> list[TrafficRow]:
            rows = c.execute(
                f"SELECT {column} AS k, SUM(sessions) AS n, SUM(conversions)"
                " FROM traffic_events WHERE brand_id = ? AND ts_us >= ? AND ts_us < ?"
                " AND earned = 1 GROUP BY k ORDER BY n DESC, k LIMIT ?",
                args,
            ).fetchall()
            return [TrafficRow(str(k), int(n), int(v)) for k, n, v in rows]

        return await self._read(read)

    async def document_mentioning(self, document_id: str, brand_id: str) -> tuple[str, str] | None:
        def read(c: sqlite3.Connection) -> tuple[str, str] | None:
            row = c.execute(
                "SELECT d.id, d.domain FROM documents d JOIN mentions m ON m.document_pk = d.pk"
                " WHERE d.id = ? AND m.brand_id = ?",
                (document_id, brand_id),
            ).fetchone()
            return None if row is None else (str(row[0]), str(row[1]))

        return await self._read(read)

    async def outlet_covering(
        self, domains: tuple[str, ...], brand_id: str, *, start: datetime, end: datetime
    ) -> str | None:
        if not domains:
            return None
        marks = ", ".join("?" for _ in domains)

        def read(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "SELECT d.domain FROM mentions m JOIN documents d ON d.pk = m.document_pk"
                " WHERE m.brand_id = ? AND m.counted_us >= ? AND m.counted_us <= ?"
                f" AND d.domain IN ({marks}) ORDER BY m.counted_us DESC, d.id LIMIT 1",
                (brand_id, to_us(start), to_us(end), *domains),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._read(read)
