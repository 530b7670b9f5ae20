"""Read-modify-write of a source's ``FeedState``, one writer per source at a time.

Two parts of the service write the same state: the pipeline (poll fields: failures,
ETag, cursor…) and the WebSub manager (``websub_*`` fields), each from a read of
the latest state. Without a lock, one's write made from a read taken before the
other's write puts the other's fields back as they were (a failed poll used to undo
a subscription verified while it ran). ``update_feed_state`` holds a per-source lock
around ``Store.update_feed_state`` (the read and the write: one transaction on
SQLite, two requests on Elasticsearch), so each update applies to the latest state
and changes only what its function changes.

The lock is per process (the pipeline and the manager of one runtime share it).
Processes sharing one store each own their sources (``Shard``); the only write from
elsewhere is a hub's verification answered by an API-only process, which is rare and
retried (``PENDING_TIMEOUT``) if lost.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

from crawlers import FeedState
from search import Store

__all__ = ["update_feed_state"]

# One lock table per store object, dropped with it.
_LOCKS: weakref.WeakKeyDictionary[object, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


async def update_feed_state(
    store: Store, source_id: str, change: Callable[[FeedState | None], FeedState | None]
) -> FeedState | None:
    """Apply ``change`` to the latest stored state of ``source_id`` and store the result.

    ``change`` gets None when there is no state yet; returning None writes nothing.
    Returns what was written (or None). Updates of one source through this function
    never interleave within a process.
    """
    locks = _LOCKS.setdefault(store, {})
    lock = locks.setdefault(source_id, asyncio.Lock())
    async with lock:
        return await store.update_feed_state(source_id, change)
