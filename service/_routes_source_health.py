"""``GET /v1/sources/health``: the health of every source in one call, in pages by id.

The setup page shows every source's last success, failures and last error; asking
``/v1/sources/{id}/health`` once per source would cost it one request per source.
This answers the same ``SourceHealth`` for a page of sources at once.

Paging: sources in id order; ``next_cursor`` (opaque) holds the page's last id, and
the next page starts after it, so a source added or deleted between pages neither
shifts nor repeats the others. A cursor this API did not issue is a 400 problem.

Included before the sources CRUD router (as ``/v1/sources/opml`` is), whose
``/v1/sources/{item_id}`` would otherwise take ``health`` for a source id.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Annotated

from fastapi import APIRouter, Query

from crawlers import Source
from search import InvalidCursor, Store
from service._auth import GlobalReader
from service._deps import StoreDep
from service._schemas_config import SourceHealth, SourcesHealthPublic

__all__ = [
    "DEFAULT_HEALTH_PAGE",
    "MAX_HEALTH_PAGE",
    "decode_cursor",
    "encode_cursor",
    "page_of",
    "router",
]

router = APIRouter(prefix="/v1", tags=["configuration"])

DEFAULT_HEALTH_PAGE = 100
MAX_HEALTH_PAGE = 500
"""Sources per page at most: one feed-state read each, so a page stays well under a
second on Elasticsearch; the dashboard asks for the largest page."""
STATE_READS_AT_ONCE = 8
"""Feed-state reads in flight per request: enough to hide an Elasticsearch round
trip, few enough not to crowd out the crawler's own reads and writes."""


def encode_cursor(last_id: str) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a page starts after; ``InvalidCursor`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidCursor("not a cursor of /v1/sources/health") from None
    if not isinstance(after, str):
        raise InvalidCursor("not a cursor of /v1/sources/health")
    return after


def page_of(sources: list[Source], *, after: str | None, limit: int) -> tuple[list[Source], bool]:
    """The ``limit`` sources after id ``after`` in id order, and whether more follow."""
    ordered = sorted((s for s in sources if after is None or s.id > after), key=lambda s: s.id)
    return ordered[:limit], len(ordered) > limit


async def _health(store: Store, sources: list[Source]) -> list[SourceHealth]:
    slots = asyncio.Semaphore(STATE_READS_AT_ONCE)

    async def one(source: Source) -> SourceHealth:
        async with slots:
            return SourceHealth.of(source, await store.get_feed_state(source.id))

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(source)) for source in sources]
    return [task.result() for task in tasks]


@router.get("/sources/health", response_model=SourcesHealthPublic, name="list_source_health")
async def list_source_health(
    store: StoreDep,
    principal: GlobalReader,
    limit: Annotated[int, Query(ge=1, le=MAX_HEALTH_PAGE)] = DEFAULT_HEALTH_PAGE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> SourcesHealthPublic:
    """Every source's health, by id: last poll, last success, consecutive failures,
    last error and its class, why it is disabled; ``next_cursor`` pages on."""
    after = None if cursor is None else decode_cursor(cursor)
    sources, more = page_of(await store.list_sources(), after=after, limit=limit)
    next_cursor = encode_cursor(sources[-1].id) if more else None
    return SourcesHealthPublic(items=await _health(store, sources), next_cursor=next_cursor)
