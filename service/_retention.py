"""Retention: forget documents and mentions older than ``CLARION_RETENTION_DAYS``.

The service runs ``retention_forever`` in the background (started by the
API's lifespan when the setting is set); ``clarion retention`` runs
``apply_retention`` once. Both call ``Store.delete_before``, which is safe to
repeat and to interrupt.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from search import Store, StoreError

__all__ = ["RETENTION_INTERVAL", "apply_retention", "retention_cutoff", "retention_forever"]

log = logging.getLogger("clarion.retention")

# Seconds between two background runs. Retention is by whole days, so hourly
# keeps the store within an hour of the promise; a run that finds nothing to
# delete costs one indexed query.
RETENTION_INTERVAL = 3600.0


def retention_cutoff(days: int, *, now: datetime | None = None) -> datetime:
    """The instant before which everything is deleted: ``days`` days before ``now``."""
    return (now or datetime.now(UTC)) - timedelta(days=days)


async def apply_retention(store: Store, days: int, *, now: datetime | None = None) -> int:
    """Delete what is counted more than ``days`` days before ``now``; documents deleted."""
    cutoff = retention_cutoff(days, now=now)
    deleted = await store.delete_before(cutoff)
    log.info("retention: %d document(s) counted before %s deleted", deleted, cutoff.isoformat())
    return deleted


async def retention_forever(
    store: Store, days: int, *, interval: float = RETENTION_INTERVAL
) -> None:
    """``apply_retention`` now and every ``interval`` seconds until cancelled.

    A failed run is logged and retried at the next interval; it never stops the loop.
    """
    while True:
        try:
            await apply_retention(store, days)
        except StoreError as exc:
            log.warning("retention failed (retried in %.0f s): %s", interval, exc)
        await asyncio.sleep(interval)
