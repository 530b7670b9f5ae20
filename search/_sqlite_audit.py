"""``AuditStore`` on SQLite: the ``audit_log`` table of ``migrations/0008_audit.sql``.

A mixin of ``SQLiteStore``. Appends go through the store's writer; the table's
triggers refuse any UPDATE or DELETE, so the log stays append-only even against a
stray statement. Pages are keyset pages on ``(at_us, id)`` descending.
Contract: ``search._audit_store``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from search._audit_store import (
    AuditEntry,
    AuditPage,
    check_limit,
    decode_audit,
    decode_audit_cursor,
    encode_audit,
    encode_audit_cursor,
)
from search._sqlite_codec import to_us

__all__ = ["SQLiteAudit"]

T = TypeVar("T")


class SQLiteAudit:
    """The ``AuditStore`` half of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def append_audit(self, entry: AuditEntry) -> None:
        row = (
            entry.id,
            to_us(entry.at),
            entry.actor,
            entry.action,
            entry.target_type,
            entry.target_id or "",
            encode_audit(entry),
        )
        await self._write(
            lambda c: c.execute(
                "INSERT INTO audit_log (id, at_us, actor, action, target_type, target_id, json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                row,
            )
        )

    async def audit_entries(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> AuditPage:
        check_limit(limit)
        where: list[str] = []
        params: list[object] = []
        if since is not None:
            where.append("at_us >= ?")
            params.append(to_us(since))
        if until is not None:
            where.append("at_us < ?")
            params.append(to_us(until))
        for column, value in (
            ("actor", actor),
            ("action", action),
            ("target_type", target_type),
            ("target_id", target_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if cursor is not None:
            at_us, key = decode_audit_cursor(cursor)
            where.append("(at_us < ? OR (at_us = ? AND id < ?))")
            params.extend((at_us, at_us, key))
        sql = (
            "SELECT json FROM audit_log"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY at_us DESC, id DESC LIMIT ?"
        )
        params.append(limit + 1)  # one more, to know whether another page follows

        def get(c: sqlite3.Connection) -> list[str]:
            return [str(r[0]) for r in c.execute(sql, params)]

        rows = await self._read(get)
        entries = [decode_audit(raw) for raw in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(entries, encode_audit_cursor(entries[-1]) if more else None)
