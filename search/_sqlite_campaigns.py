"""``CampaignStore`` on SQLite: the ``campaigns`` table of ``migrations/0009_campaigns.sql``.

A mixin of ``SQLiteStore``: writes go through the store's writer (one thread, so
``put_campaign``'s "was it there?" and its write are one transaction), reads through
its reader pool. Contract: ``search._campaigns_store``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from search._campaigns_store import (
    Campaign,
    check_campaign,
    decode_campaign,
    encode_campaign,
)
from search._sqlite_codec import to_us
from search._sqlite_conn import transaction

__all__ = ["SQLiteCampaigns"]

T = TypeVar("T")


class SQLiteCampaigns:
    """The ``CampaignStore`` half of ``SQLiteStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

        async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
            raise NotImplementedError

    async def put_campaign(self, campaign: Campaign) -> bool:
        check_campaign(campaign)
        row = (campaign.id, campaign.brand_id, to_us(campaign.start), encode_campaign(campaign))

        def write(c: sqlite3.Connection) -> bool:
            with transaction(c):
                there = c.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign.id,))
                created = there.fetchone() is None
                c.execute(
                    "INSERT INTO campaigns (id, brand_id, start_us, json) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET brand_id = excluded.brand_id, "
                    "start_us = excluded.start_us, json = excluded.json",
                    row,
                )
                return created

        return await self._write(write)

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        def get(c: sqlite3.Connection) -> str | None:
            row = c.execute("SELECT json FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
            return None if row is None else str(row[0])

        raw = await self._read(get)
        return None if raw is None else decode_campaign(raw)

    async def list_campaigns(self, *, brand_id: str | None = None) -> list[Campaign]:
        where, params = ("WHERE brand_id = ?", (brand_id,)) if brand_id is not None else ("", ())

        def rows(c: sqlite3.Connection) -> list[str]:
            found = c.execute(
                f"SELECT json FROM campaigns {where} ORDER BY start_us DESC, id", params
            )
            return [str(r[0]) for r in found]

        return [decode_campaign(raw) for raw in await self._read(rows)]

    async def delete_campaign(self, campaign_id: str) -> bool:
        cursor = await self._write(
            lambda c: c.execute("DELETE FROM campaigns WHERE id = ?", (campaign_id,))
        )
        return cursor.rowcount > 0
