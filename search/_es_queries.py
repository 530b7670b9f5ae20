"""The Elasticsearch store's metric and coverage queries.

Counting per bucket: one ``composite`` aggregation over the mentions, whose
sources are a ``date_histogram`` on the counted time (``calendar_interval``
hour/day/week, the caller's ``time_zone``) and the brand; composite buckets
only exist for combinations with documents (the ``min_doc_count: 1`` of a
plain histogram), and page with ``after_key``, so any number of brands and
buckets is counted in the cluster. Each key (the bucket's first instant, in
epoch milliseconds) goes through ``search._buckets.bucket_start``, so buckets
carry the same fixed-offset starts as SQLite's, DST days included.

Query filters: the compiled query (``search._es_query``) runs in the cluster
against the words copied into each mention. When it is not exact, candidates
are checked with ``enrichment.find_spans`` on the document's title and text:
the coverage list pages through candidates in batches; the counts first find
the matching documents (paging through the candidate documents of the
window), then aggregate the mentions of those documents only.

Paging: sort on ``(counted_us, document_id, brand_id)`` descending with
``search_after``; the key of the last hit served is the cursor (encoded by
``search._sqlite_codec``, the same keyset as SQLite's). No point-in-time is
needed: the sort is total and stable, so a page never repeats or skips a hit
that existed when the previous page was served.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from enrichment import find_spans
from enrichment._query_ast import Node
from search import _es_codec as esc
from search._buckets import bucket_start
from search._es_client import EsCalls
from search._es_collapse import Clusters
from search._es_query import EsQuery, compile_query
from search._sqlite_codec import Key
from search._store import (
    BucketCount,
    CountBy,
    Interval,
    MentionFilter,
    MentionHit,
    MentionSort,
    StoreError,
)

__all__ = [
    "COMPOSITE_PAGE",
    "MAX_PAGE_SIZE",
    "SCAN_BATCH",
    "bool_query",
    "composite_buckets",
    "filters",
    "mention_counts",
    "search_mentions",
]

# The largest page ``search_mentions`` serves (the same as SQLite's): the API
# asks for at most 200.
MAX_PAGE_SIZE = 1000
# Candidates read per round trip while paging with a post-filter: large enough
# that a selective filter needs few rounds, small enough that a page of 50
# does not tokenize thousands of documents it will not show.
SCAN_BATCH = 256
# Composite buckets per request: a year of days for 25 brands is ~9 000, so a
# few requests; far below the 65 536 bucket limit of a response.
COMPOSITE_PAGE = 2000
# Document ids per terms filter when counting a post-filtered query: under
# Elasticsearch's default ``index.max_terms_count`` (65 536).
_TERMS_CHUNK = 10_000
_TIEBREAK = ("counted_us", "document_id", "brand_id")
_SORT_FIELDS: dict[MentionSort, tuple[str, ...]] = {
    "time": _TIEBREAK,
    "reach": ("audience", *_TIEBREAK),
    "prominence": ("in_title", "in_lead", "count", *_TIEBREAK),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _compiled(where: MentionFilter) -> EsQuery | None:
    return None if where.query is None else compile_query(where.query)


def filters(where: MentionFilter, compiled: EsQuery | None, *, mentions: bool) -> list[Any]:
    """Filter clauses over mentions (or, with ``mentions=False``, documents)."""
    clauses: list[Any] = []
    if mentions and where.brand_ids:
        clauses.append({"terms": {"brand_id": list(where.brand_ids)}})
    window: dict[str, int] = {}
    if (start := esc.checked_us(where.start)) is not None:
        window["gte"] = start
    if (end := esc.checked_us(where.end)) is not None:
        window["lt"] = end
    if window:
        clauses.append({"range": {"counted_us": window}})
    if mentions and where.sentiment is not None:
        clauses.append({"term": {"sentiment": where.sentiment}})
    if mentions:
        for name, values in (
            ("channel", where.channels),
            ("country", where.countries),
            ("language", where.languages),
            ("outlet", where.outlets),
            ("tier", where.tiers),
            ("cluster_id", where.clusters),
        ):
            if values:
                clauses.append({"terms": {name: list(values)}})
        if where.message is not None:
            field = f"messages_{where.message_stance}"
            clauses.append({"term": {field: where.message}})
    if compiled is not None and compiled.filter is not None:
        clauses.append(compiled.filter)
    return clauses


def bool_query(clauses: list[Any]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


# What the evaluator reads of a candidate document when the query is not exact.
_MATCH_SOURCE = ["title", "text", "authors", "domain", "language", "country"]


async def _texts(calls: EsCalls, prefix: str, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The ``_MATCH_SOURCE`` fields of each of ``doc_ids`` that is stored."""
    if not doc_ids:
        return {}
    page = await calls.call(
        "query: document texts",
        calls.client.search,
        index=esc.index_pattern(prefix, "documents"),
        query={"ids": {"values": doc_ids}},
        source=_MATCH_SOURCE,
        size=len(doc_ids),
    )
    return {str(h["_id"]): h["_source"] for h in page["hits"]["hits"]}


class _Matcher:
    """The exact check of a non-exact compiled query, once per document."""

    def __init__(self, query: Node | None, compiled: EsQuery | None) -> None:
        self._query = query if compiled is not None and not compiled.exact else None
        self._seen: dict[str, bool] = {}

    @property
    def needed(self) -> bool:
        return self._query is not None

    async def check(self, calls: EsCalls, prefix: str, doc_ids: list[str]) -> set[str]:
        """The ones of ``doc_ids`` that match."""
        if self._query is None:
            return set(doc_ids)
        unseen = [d for d in dict.fromkeys(doc_ids) if d not in self._seen]
        texts = await _texts(calls, prefix, unseen)
        for doc_id in unseen:
            src = texts.get(doc_id, {})
            self._seen[doc_id] = find_spans(
                self._query,
                title=src.get("title") or "",
                text=src.get("text") or "",
                authors=tuple(src.get("authors") or ()),
                domain=src.get("domain") or "",
                language=src.get("language"),
                country=src.get("country"),
            ).matched
        return {d for d in doc_ids if self._seen[d]}


async def mention_counts(
    calls: EsCalls,
    prefix: str,
    where: MentionFilter,
    *,
    interval: Interval,
    tz: ZoneInfo,
    count: CountBy = "outlet",
) -> list[BucketCount]:
    """Counts per (local bucket, brand), sorted by bucket then brand; see the module docstring.

    ``count="document"``: a composite aggregation over (brand, cluster) with the
    earliest counted time of each, folded into buckets here; one composite
    bucket per cluster, so it reads more than the per-mention count does."""
    compiled = _compiled(where)
    if compiled is not None and compiled.never:
        return []
    clauses = filters(where, compiled, mentions=True)
    totals: Counter[tuple[datetime, str]] = Counter()
    matcher = _Matcher(where.query, compiled)
    chunks: list[list[Any]] = [clauses]
    if matcher.needed:
        matching = await _matching_documents(calls, prefix, where, compiled, matcher)
        chunks = [
            [*clauses, {"terms": {"document_id": matching[i : i + _TERMS_CHUNK]}}]
            for i in range(0, len(matching), _TERMS_CHUNK)
        ]
    if count == "outlet":
        for chunk in chunks:
            await _aggregate(calls, prefix, chunk, interval, tz, totals)
    else:
        first: dict[tuple[str, str], int] = {}
        for chunk in chunks:
            await _first_per_cluster(calls, prefix, chunk, first)
        for (brand, _), us in first.items():
            start = bucket_start(_EPOCH + timedelta(microseconds=us), interval=interval, tz=tz)
            totals[start, brand] += 1
    return [BucketCount(start, brand, n) for (start, brand), n in sorted(totals.items())]


async def _aggregate(
    calls: EsCalls,
    prefix: str,
    clauses: list[Any],
    interval: Interval,
    tz: ZoneInfo,
    totals: Counter[tuple[datetime, str]],
) -> None:
    if tz.key is None:  # a ZoneInfo read from a file has no IANA name to send
        raise StoreError("mention_counts needs a time zone with an IANA key, e.g. ZoneInfo('UTC')")
    histogram = {
        "field": "counted_at",
        "calendar_interval": interval,
        "time_zone": tz.key,
    }
    sources = [
        {"bucket": {"date_histogram": histogram}},
        {"brand": {"terms": {"field": "brand_id"}}},
    ]
    async for b in composite_buckets(calls, prefix, clauses, sources, what="mention_counts"):
        instant = _EPOCH + timedelta(milliseconds=int(b["key"]["bucket"]))
        start = bucket_start(instant, interval=interval, tz=tz)
        totals[start, str(b["key"]["brand"])] += int(b["doc_count"])


async def _first_per_cluster(
    calls: EsCalls, prefix: str, clauses: list[Any], first: dict[tuple[str, str], int]
) -> None:
    """The earliest counted time of each (brand, cluster), merged into ``first``."""
    sources = [
        {"brand": {"terms": {"field": "brand_id"}}},
        {"cluster": {"terms": {"field": "cluster_id"}}},
    ]
    async for b in composite_buckets(
        calls,
        prefix,
        clauses,
        sources,
        {"first": {"min": {"field": "counted_us"}}},
        what="mention_counts: clusters",
    ):
        key = (str(b["key"]["brand"]), str(b["key"]["cluster"]))
        us = int(b["first"]["value"])
        first[key] = min(us, first.get(key, us))


async def composite_buckets(
    calls: EsCalls,
    prefix: str,
    clauses: list[Any],
    sources: list[dict[str, Any]],
    aggs: dict[str, Any] | None = None,
    *,
    what: str,
) -> AsyncIterator[dict[str, Any]]:
    """Every bucket of a composite aggregation on ``sources`` (with the sub-``aggs``)
    over the mentions of ``clauses``, paged ``COMPOSITE_PAGE`` at a time by
    ``after_key``; ``what`` names the calls in errors."""
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"size": COMPOSITE_PAGE, "sources": sources}
        if after is not None:
            composite["after"] = after
        agg_body: dict[str, Any] = {"composite": composite}
        if aggs is not None:
            agg_body["aggs"] = aggs
        body = await calls.call(
            what,
            calls.client.search,
            index=esc.index_pattern(prefix, "mentions"),
            size=0,
            query=bool_query(clauses),
            aggs={"parts": agg_body},
        )
        agg = (body.get("aggregations") or {}).get("parts") or {}
        buckets: list[dict[str, Any]] = agg.get("buckets") or []
        for b in buckets:
            yield b
        after = agg.get("after_key")
        if len(buckets) < COMPOSITE_PAGE or after is None:
            return


async def _matching_documents(
    calls: EsCalls,
    prefix: str,
    where: MentionFilter,
    compiled: EsQuery | None,
    matcher: _Matcher,
) -> list[str]:
    """Ids of the documents in the window that match ``where.query`` exactly."""
    clauses = filters(where, compiled, mentions=False)
    if where.brand_ids:
        clauses.append({"terms": {"brand_ids": list(where.brand_ids)}})
    matching: list[str] = []
    after: list[Any] | None = None
    while True:
        page = await calls.call(
            "mention_counts: candidates",
            calls.client.search,
            index=esc.index_pattern(prefix, "documents"),
            query=bool_query(clauses),
            source=False,
            sort=[{"id": "asc"}],
            size=SCAN_BATCH,
            **({"search_after": after} if after is not None else {}),
        )
        hits = page["hits"]["hits"]
        ids = [str(h["_id"]) for h in hits]
        found = await matcher.check(calls, prefix, ids)
        matching.extend(d for d in ids if d in found)
        if len(hits) < SCAN_BATCH:
            return matching
        after = hits[-1]["sort"]


async def search_mentions(
    calls: EsCalls,
    prefix: str,
    where: MentionFilter,
    *,
    limit: int,
    after: Key | None,
    sort: MentionSort = "time",
    collapse: bool = False,
) -> tuple[list[MentionHit], Key | None]:
    """One page of hits in ``sort`` order, after the key ``after``; and the key to
    continue from, or ``None`` on the last page. Keys are built from the stored
    fields (booleans as 1 / 0), the same values as SQLite's. ``collapse``: only
    the first mention of each (brand, cluster), with its copies (``search._es_collapse``)."""
    compiled = _compiled(where)
    if compiled is not None and compiled.never:
        return [], None
    clauses = filters(where, compiled, mentions=True)
    query = bool_query(clauses)
    matcher = _Matcher(where.query, compiled)
    batch = max(limit + 1, SCAN_BATCH) if matcher.needed or collapse else limit + 1
    fields = _SORT_FIELDS[sort]
    clusters = (
        Clusters(
            calls,
            prefix,
            clauses,
            fields=fields,
            key=lambda src: _key(src, fields),
            check=matcher.check,
        )
        if collapse
        else None
    )
    order = [{f: "desc"} for f in fields]
    found: list[dict[str, Any]] = []
    while len(found) <= limit:
        paging: dict[str, Any] = {} if after is None else {"search_after": list(after)}
        page = await calls.call(
            "search_mentions",
            calls.client.search,
            index=esc.index_pattern(prefix, "mentions"),
            query=query,
            sort=order,
            size=batch,
            **paging,
        )
        hits: list[dict[str, Any]] = page["hits"]["hits"]
        ok = await matcher.check(calls, prefix, [h["_source"]["document_id"] for h in hits])
        for hit in hits:
            if hit["_source"]["document_id"] not in ok:
                continue
            if clusters is not None and not await clusters.leads(hit["_source"]):
                continue
            found.append(hit["_source"])
            if len(found) > limit:
                break
        if len(hits) < batch:
            break
        after = _key(hits[-1]["_source"], fields)
    served = found[:limit]
    hits_out = [esc.hit_from_source(src) for src in served]
    if clusters is not None:
        hits_out = [
            replace(h, copies=await clusters.copies(src))
            for h, src in zip(hits_out, served, strict=True)
        ]
    if len(found) <= limit:
        return hits_out, None
    return hits_out, _key(served[-1], fields)


def _key(src: dict[str, Any], fields: tuple[str, ...]) -> Key:
    lead = tuple(int(src[f]) for f in fields[:-3])  # booleans as 1 / 0
    return (*lead, int(src["counted_us"]), str(src["document_id"]), str(src["brand_id"]))
