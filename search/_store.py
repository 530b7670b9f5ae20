"""The store contract: every backend (SQLite, Elasticsearch) implements ``Store``.

Contract, for every implementation (the suite in ``tests/store_contract`` checks it):

- All methods are coroutines and are safe to call concurrently from one event
  loop. A store is opened with ``open()`` (which creates or migrates its schema)
  and released with ``close()``; calling anything else before ``open()`` raises
  ``StoreError``.
- Times going in must be timezone-aware; times coming out are aware UTC.
- Writes are idempotent. ``save_document`` writes a document and its mentions
  in one atomic step, keyed by ``Document.id``: saving the same document again
  changes nothing (``"unchanged"``); saving it with a different title, text or
  ``extra["updated_at"]`` replaces it and its mentions (``"updated"``). Once
  ``save_document`` returns, the write survives a crash or restart.
- A document reached through another URL than its own (``extra["entry_url"]``, the
  feed's link to a page whose canonical URL gave the id) is recorded under that URL's
  id too, by every ``save_document`` call (``"unchanged"`` ones included), so that
  ``stored_versions`` finds it by either id.
- Queries see every write whose call has returned ("read your writes").
- A mention counts at its document's ``published_at``, or at ``fetched_at``
  when the publication time is unknown.
- Errors: ``StoreError`` for anything the backend rejects; its subclass
  ``TemporaryStoreError`` for failures worth retrying (busy database, cluster
  unavailable). A malformed cursor raises ``InvalidCursor`` (a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo

from crawlers import Document, FeedState, Source
from enrichment import (
    Brand,
    Mention,
    SentimentLabel,
    Stance,
    Syndication,
    SyndicationCandidate,
)
from enrichment._query_ast import Node

Interval = Literal["hour", "day", "week", "month"]
SaveOutcome = Literal["created", "updated", "unchanged"]
MentionSort = Literal["time", "reach", "prominence"]
"""The orders of ``search_mentions``, each descending and total: ``time``
(counted time), ``reach`` (the outlet's audience, then time), ``prominence``
(in the title, then in the lead, then times mentioned, then time); ties by
document id, then brand id."""
Collapse = Literal["cluster"]
"""``search_mentions(collapse="cluster")``: one hit per (brand, syndication cluster),
the cluster's first mention in the sort's order among those the filter covers, with
``MentionHit.copies``. Which one is kept depends only on the filter and the sort, so
keyset paging neither repeats nor skips a cluster."""
SORT_PREFIX: dict[MentionSort, int] = {"time": 0, "reach": 1, "prominence": 3}
"""How many sort values come before (counted_us, document_id, brand_id) in a key."""
CountBy = Literal["document", "outlet"]
"""How ``mention_counts`` and ``mention_stats`` count syndicated copies: ``"document"`` once per
syndication cluster (at the first copy in the filter's window), ``"outlet"``
once per document (every outlet's copy)."""

Dimension = Literal[
    "brand",
    "channel",
    "country",
    "language",
    "tier",
    "outlet",
    "cluster",
    "author",
    "sentiment",
    "spokesperson",
]
"""What ``mention_stats`` can group by (``country`` is the market, ``cluster``
the syndication cluster's id). ``author`` is many-valued: a mention counts once
for each of its document's authors, and in the ``None`` group when it has none.
``spokesperson`` likewise, over the spokespeople the mention quotes (its own
``Mention.spokespeople``, not the document's)."""
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
GroupKey = str | int | None

MAX_SYNDICATION_CANDIDATES = 50
"""Most candidates ``syndication_candidates`` returns (those sharing most band
keys first): a wire story reprinted by hundreds of outlets is one cluster, and
any of its copies is as good a match as all of them."""


@dataclass(frozen=True, slots=True)
class SketchedDocument:
    """A document to save with its mentions and MinHash sketch (``Store.save_sketched``):
    ``signature`` and ``keys`` as ``enrichment._syndication.sketch`` gives them.

    ``text_words``: ``index_text(document.text)`` (``enrichment._tokens``), when the
    caller has it already (the ingest pipeline has it from the extraction worker, which
    cut the text's words for the sketch); ``None``: the store cuts them itself.
    """

    document: Document
    mentions: Sequence[Mention]
    signature: tuple[int, ...]
    keys: tuple[int, ...]
    text_words: str | None = None


class StoreError(Exception):
    """The store rejected an operation; retrying the same call will fail again."""


class TemporaryStoreError(StoreError):
    """The store could not serve the call now; the same call may succeed later."""


class InvalidCursor(ValueError):
    """A paging cursor that this store did not issue, or that was altered."""


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What the crawler needs to know of a stored document before fetching it again.

    ``document_id`` is the id it is stored under (another id than the one asked for
    when that one is an entry URL's alias); ``updated_at`` is its
    ``extra["updated_at"]`` (when its source last said it changed), if any.
    """

    document_id: str
    updated_at: datetime | None


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
    channels: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    tiers: tuple[int, ...] = ()
    clusters: tuple[str, ...] = ()
    """Syndication cluster ids (``Mention.cluster_id``): e.g. the details of a
    few clusters a ranking (``StatTop``) picked."""
    message: str | None = None
    """A key message as written in the brand's configuration (``MessageMatch.message``,
    compared exactly): only mentions that match it with ``message_stance``."""
    message_stance: Stance = "carried"
    """The stance ``message`` must be matched with; ignored without ``message``."""


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
    copies: int | None = None
    """With ``collapse="cluster"``: how many mentions of this brand in this
    syndication cluster the filter covers (this one included); else ``None``."""


@dataclass(frozen=True, slots=True)
class MentionPage:
    hits: list[MentionHit]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PullThrough:
    """Key-message pull-through over some mentions (``Store.pull_through``).

    ``mentions`` is how many mentions the filter covers; ``carried[m]`` /
    ``contradicted[m]`` how many of them carry / contradict key message ``m``
    (messages absent from the dict have 0); ``any_carried`` /
    ``any_contradicted`` how many carry / contradict at least one.
    """

    mentions: int
    carried: dict[str, int]
    contradicted: dict[str, int]
    any_carried: int
    any_contradicted: int


@dataclass(frozen=True, slots=True)
class BucketCount:
    """Mentions of one brand in one time bucket; ``start`` is in the caller's zone."""

    start: datetime
    brand_id: str
    count: int


StatRank = Literal["mentions", "reach", "copies"]
"""What ``StatTop`` ranks groups by: ``mentions`` or ``reach`` (as ``StatRow``
has them) or ``copies``, the group's mentions counted per outlet (every copy, as
``count="outlet"`` counts them) whatever ``count``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StatTop:
    """A ranking of ``mention_stats`` groups, done in the store: only the first
    ``limit`` (>= 1) groups, most first by ``by``; ties by reach (by mentions
    when ``by="reach"``), then by key ascending (``None`` first), so the order
    is total and the same on every store."""

    by: StatRank
    limit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StatRow:
    """Aggregates of one group of ``mention_stats``.

    ``start`` is the bucket's start in the caller's zone (``None`` without an
    interval); ``key`` holds the group's values in ``group_by`` order (``None``
    for a document without that field, e.g. no language). ``mentions`` =
    ``positive + neutral + negative``. ``reach`` is the summed audience: with
    ``count="outlet"`` each mention's document audience (a mention is one
    document, one outlet); with ``count="document"`` each unit (see
    ``Store.mention_stats``) adds the audience of every distinct outlet among its
    copies once (the largest audience recorded for that outlet).
    """

    start: datetime | None
    key: tuple[GroupKey, ...]
    mentions: int
    positive: int
    neutral: int
    negative: int
    reach: int


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
    async def update_feed_state(
        self, source_id: str, change: Callable[[FeedState | None], FeedState | None]
    ) -> FeedState | None:
        """Store ``change`` applied to the stored state of ``source_id`` (None when
        there is none; returning None writes nothing) and return what was written.
        ``change`` is pure and may run in another thread; on SQLite the read and the
        write are one transaction, on Elasticsearch two requests. An exception from
        ``change`` propagates, and nothing is written."""
        ...

    # Documents and their mentions.
    async def save_document(
        self,
        document: Document,
        mentions: Sequence[Mention],
        *,
        syndication: Syndication | None = None,
        replace: bool = False,
    ) -> SaveOutcome:
        """Write the document and its mentions (see the contract). With
        ``syndication``, also its signature and band keys, and its cluster:
        each mention's ``cluster_id`` is the mention's own when set, else
        ``syndication.cluster_id``, else the document id. ``replace``: write
        even when the stored copy is the same version (re-enrichment, which
        changes the mentions only): ``"updated"`` when the document was stored."""
        ...

    async def save_sketched(self, batch: Sequence[SketchedDocument]) -> list[SaveOutcome]:
        """Save each document of ``batch`` in order, as ``save_document`` with its
        syndication, and return the outcomes in order. Its cluster is
        ``enrichment._syndication.assign_cluster`` over ``syndication_candidates(keys)``
        as they stand when it is saved, so a copy joins an earlier copy in the same
        batch. SQLite saves the batch in one transaction (all or nothing);
        Elasticsearch one document at a time."""
        ...

    async def syndication_candidates(self, band_keys: Sequence[int]) -> list[SyndicationCandidate]:
        """Stored documents sharing at least one of ``band_keys``, with their
        cluster id and signature; those sharing most keys first (ties by
        document id), at most ``MAX_SYNDICATION_CANDIDATES``."""
        ...

    async def pull_through(self, where: MentionFilter) -> PullThrough:
        """Key-message counts over the mentions of ``where``, aggregated in the
        store. ``where.query`` is not supported (``StoreError``)."""
        ...

    async def existing_document_ids(self, ids: Sequence[str]) -> set[str]: ...
    async def stored_versions(self, ids: Sequence[str]) -> dict[str, StoredVersion]:
        """For each of ``ids`` naming a stored document, as its id or as an alias (see
        the contract), its ``StoredVersion``; ids stored under neither are absent.
        One round trip per backend batch, however many ids."""
        ...

    async def get_document(self, document_id: str) -> Document | None: ...
    async def get_documents(self, ids: Sequence[str]) -> dict[str, Document]:
        """The stored documents among ``ids`` (document ids, not aliases), by id; ids
        not stored are absent. One round trip per backend batch, however many ids."""
        ...

    async def update_engagement(self, counts: Mapping[str, Mapping[str, int]]) -> int:
        """Replace the engagement counts of stored documents in place: for each document
        id in ``counts``, its ``extra`` entries ``engagement.<name>`` become exactly
        ``counts[id]`` (names missing there are removed); nothing else changes (not
        the other ``extra`` entries, the mentions or their rollups, the version
        ``save_document`` compares). Ids not stored are ignored; idempotent; the
        number of documents whose counts changed. A negative count raises
        ``StoreError`` before anything is written."""
        ...

    async def count_documents(self) -> int: ...
    async def documents_after(
        self, after: str | None, *, limit: int
    ) -> list[tuple[Document, list[Mention]]]:
        """Up to ``limit`` documents whose id sorts after ``after`` (``None``: from the
        first), in ascending id order, each with its mentions in ascending brand id
        order: keyset paging over every document, for copying a store. ``limit`` is
        1 to 1000 (else ``StoreError``)."""
        ...

    async def url_aliases_after(self, after: str | None, *, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` recorded ``(alias_id, document_id)`` pairs (see the contract's
        entry URLs) whose alias id sorts after ``after`` (``None``: from the first), in
        ascending alias id order: keyset paging over every alias, for copying a store.
        Aliases of deleted documents may be listed. ``limit`` is 1 to 1000 (else
        ``StoreError``)."""
        ...

    async def syndications(self, ids: Sequence[str]) -> dict[str, Syndication]:
        """For each of ``ids`` naming a stored document saved with a non-empty
        signature, the ``Syndication`` it was saved with (cluster, signature, band
        keys); others are absent. For copying a store (``save_document`` takes it)."""
        ...

    async def put_url_aliases(self, aliases: Sequence[tuple[str, str]]) -> None:
        """Record each ``(alias_id, document_id)``, created or replaced by alias id, as
        ``save_document`` records an entry URL's (for copying a store; idempotent)."""
        ...

    async def delete_before(self, cutoff: datetime) -> int:
        """Retention: delete every document counted before ``cutoff`` and its mentions;
        the number of documents deleted. Safe to repeat and to interrupt (a later
        call finishes the job)."""
        ...

    # Queries.
    async def mention_counts(
        self,
        where: MentionFilter,
        *,
        interval: Interval,
        tz: ZoneInfo,
        count: CountBy = "outlet",
    ) -> list[BucketCount]:
        """Counts per (bucket, brand), buckets aligned to ``interval`` in ``tz``
        (weeks start on Monday). Buckets with no mention are omitted. With
        ``count="document"`` a brand's mentions in one syndication cluster count
        once, in the bucket of the earliest of them that the filter covers."""
        ...

    async def mention_stats(
        self,
        where: MentionFilter,
        *,
        group_by: tuple[Dimension, ...],
        interval: Interval | None = None,
        tz: ZoneInfo,
        count: CountBy = "outlet",
        top: StatTop | None = None,
    ) -> list[StatRow]:
        """Mentions, sentiment counts and reach per group (and per ``interval``
        bucket in ``tz`` when given), aggregated in the store; groups with no
        mention are omitted; rows sorted by (start, key) with ``None`` first.
        With ``top`` (no ``interval``, no ``sentiment`` dimension, else
        ``StoreError``): only its first groups, in its order.

        ``count="outlet"``: every mention counts. ``count="document"``: the unit
        is a brand's syndication cluster within one group (the same cluster in
        two channels counts once in each): it counts once, at the earliest of
        its copies the filter covers, with that copy's sentiment (at equal
        times, the first label of negative < neutral < positive); a ``brand``
        dimension is always part of the unit. ``where.query`` must compile
        exactly on every store or is checked per document, as elsewhere.
        Unknown dimensions or intervals raise ``StoreError``."""
        ...

    async def search_mentions(
        self,
        where: MentionFilter,
        *,
        limit: int,
        cursor: str | None = None,
        sort: MentionSort = "time",
        collapse: Collapse | None = None,
    ) -> MentionPage:
        """Mentions in ``sort`` order (see ``MentionSort``; default newest first),
        ``limit`` per page; ``next_cursor`` is ``None`` on the last page. With
        ``collapse="cluster"``, one hit per cluster (see ``Collapse``). A cursor
        issued for another filter, sort or collapse raises ``InvalidCursor``."""
        ...
