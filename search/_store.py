"""The store contract: every backend (SQLite, Elasticsearch) implements ``Store``.

Contract, for every implementation (the suite in ``tests/store_contract`` checks it):

- All methods are coroutines and are safe to call concurrently from one event
  loop. A store is opened with ``open()`` (which creates or migrates its schema)
  and released with ``close()``; calling anything else before ``open()`` raises
  ``StoreError``.
- Times going in must be timezone-aware; times coming out are aware UTC.
- Writes are idempotent. ``save_document`` writes a document and its mentions
  in one atomic step, keyed by ``Document.id``: saving the same document again
  changes nothing (``"unchanged"``); saving it with a different title or text
  replaces it and its mentions (``"updated"``). Once ``save_document`` returns,
  the write survives a crash or restart.
- Queries see every write whose call has returned ("read your writes").
- A mention counts at its document's ``published_at``, or at ``fetched_at``
  when the publication time is unknown.
- Errors: ``StoreError`` for anything the backend rejects; its subclass
  ``TemporaryStoreError`` for failures worth retrying (busy database, cluster
  unavailable). A malformed cursor raises ``InvalidCursor`` (a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from crawlers import Document, FeedState, Source
from enrichment import Brand, Mention, SentimentLabel
from enrichment._query_ast import Node

Interval = Literal["hour", "day", "week"]
SaveOutcome = Literal["created", "updated", "unchanged"]


class StoreError(Exception):
    """The store rejected an operation; retrying the same call will fail again."""


class TemporaryStoreError(StoreError):
    """The store could not serve the call now; the same call may succeed later."""


class InvalidCursor(ValueError):
    """A paging cursor that this store did not issue, or that was altered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MentionFilter:
    """Which mentions a query covers. Empty tuples and ``None`` mean "no restriction".

    ``start`` is inclusive, ``end`` exclusive. ``query`` is a parsed Clarion
    query that the mention's document must match (title and text).
    """

    brand_ids: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    sentiment: SentimentLabel | None = None
    query: Node | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MentionHit:
    """A mention with the document fields a coverage list shows."""

    mention: Mention
    url: str
    title: str
    outlet: str
    domain: str
    channel: str
    tier: int
    audience: int
    language: str | None
    published_at: datetime  # the time the mention counts at (see the contract)


@dataclass(frozen=True, slots=True)
class MentionPage:
    hits: list[MentionHit]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class BucketCount:
    """Mentions of one brand in one time bucket; ``start`` is in the caller's zone."""

    start: datetime
    brand_id: str
    count: int


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # Configuration: brands and sources, keyed by id; put = create or replace.
    async def put_brand(self, brand: Brand) -> None: ...
    async def get_brand(self, brand_id: str) -> Brand | None: ...
    async def list_brands(self) -> list[Brand]: ...
    async def delete_brand(self, brand_id: str) -> bool: ...
    async def put_source(self, source: Source) -> None: ...
    async def get_source(self, source_id: str) -> Source | None: ...
    async def list_sources(self) -> list[Source]: ...
    async def delete_source(self, source_id: str) -> bool: ...

    # Crawl state, one row per source.
    async def get_feed_state(self, source_id: str) -> FeedState | None: ...
    async def put_feed_state(self, state: FeedState) -> None: ...

    # Documents and their mentions.
    async def save_document(
        self, document: Document, mentions: Sequence[Mention]
    ) -> SaveOutcome: ...
    async def existing_document_ids(self, ids: Sequence[str]) -> set[str]: ...
    async def get_document(self, document_id: str) -> Document | None: ...
    async def count_documents(self) -> int: ...

    # Queries.
    async def mention_counts(
        self, where: MentionFilter, *, interval: Interval, tz: ZoneInfo
    ) -> list[BucketCount]:
        """Counts per (bucket, brand), buckets aligned to ``interval`` in ``tz``
        (weeks start on Monday). Buckets with no mention are omitted."""
        ...

    async def search_mentions(
        self, where: MentionFilter, *, limit: int, cursor: str | None = None
    ) -> MentionPage:
        """Mentions newest first (ties by document id, then brand id), ``limit``
        per page; ``next_cursor`` is ``None`` on the last page."""
        ...
