"""The Elasticsearch store's ``mention_stats``: composite aggregations, folded by
``search._stats``.

One ``composite`` aggregation pages (``after_key``) through the parts: with
``count="outlet"`` its sources are the dimensions, the sentiment and, with an
interval, a ``date_histogram`` on the counted time (``calendar_interval`` in
the caller's ``time_zone``), with the summed audience per bucket; with
``count="document"`` they are the dimensions, the cluster, the outlet and the
sentiment, with the earliest counted time and the largest audience. Missing
fields (no language, no country) are a bucket of their own (``missing_bucket``),
as SQLite's ``GROUP BY`` makes them. Bucket keys go through
``search._buckets.bucket_start``, so starts are the same fixed-offset
datetimes as SQLite's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from search._buckets import bucket_start
from search._es_client import EsCalls
from search._es_queries import (
    _TERMS_CHUNK,
    _compiled,
    _Matcher,
    _matching_documents,
    composite_buckets,
    filters,
)
from search._stats import (
    CopyPart,
    OutletPart,
    check_top,
    document_rows,
    outlet_rows,
    part_dimensions,
    top_rows,
)
from search._store import (
    CountBy,
    Dimension,
    GroupKey,
    Interval,
    MentionFilter,
    StatRow,
    StatTop,
    StoreError,
)

__all__ = ["mention_stats"]

_FIELD: dict[Dimension, str] = {
    "brand": "brand_id",
    "channel": "channel",
    "country": "country",
    "language": "language",
    "tier": "tier",
    "outlet": "outlet",
    "cluster": "cluster_id",
    "author": "authors",
    "spokesperson": "spokespeople",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def mention_stats(
    calls: EsCalls,
    prefix: str,
    where: MentionFilter,
    *,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
    top: StatTop | None = None,
) -> list[StatRow]:
    """See ``Store.mention_stats`` and the module docstring. ``top`` ranks the
    folded rows (``search._stats.top_rows``); by ``copies`` with
    ``count="document"`` it reads the ``count="outlet"`` rows too."""
    check_top(top, group_by=group_by, interval=interval)
    rows = await _stats(
        calls, prefix, where, group_by=group_by, interval=interval, tz=tz, count=count
    )
    if top is None:
        return rows
    copies = None
    if top.by == "copies" and count == "document":
        per_copy = await _stats(
            calls, prefix, where, group_by=group_by, interval=None, tz=tz, count="outlet"
        )
        copies = {r.key: r.mentions for r in per_copy}
    return top_rows(rows, top, copies=copies)


async def _stats(
    calls: EsCalls,
    prefix: str,
    where: MentionFilter,
    *,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
) -> list[StatRow]:
    dims = part_dimensions(group_by)
    if interval is not None and tz.key is None:
        raise StoreError("mention_stats needs a time zone with an IANA key, e.g. ZoneInfo('UTC')")
    compiled = _compiled(where)
    if compiled is not None and compiled.never:
        return []
    clauses = filters(where, compiled, mentions=True)
    chunks: list[list[Any]] = [clauses]
    matcher = _Matcher(where.query, compiled)
    if matcher.needed:
        matching = await _matching_documents(calls, prefix, where, compiled, matcher)
        chunks = [
            [*clauses, {"terms": {"document_id": matching[i : i + _TERMS_CHUNK]}}]
            for i in range(0, len(matching), _TERMS_CHUNK)
        ]
    sources: list[dict[str, Any]] = [
        {f"d{i}": {"terms": {"field": _FIELD[d], "missing_bucket": True}}}
        for i, d in enumerate(dims)
    ]
    sentiment = {"sentiment": {"terms": {"field": "sentiment"}}}

    def dims_of(key: dict[str, Any]) -> dict[Dimension, GroupKey]:
        return {d: key[f"d{i}"] for i, d in enumerate(dims)}

    if count == "document":
        copies: list[CopyPart] = []
        for chunk in chunks:
            async for b in composite_buckets(
                calls,
                prefix,
                chunk,
                [
                    *sources,
                    {"cluster": {"terms": {"field": "cluster_id"}}},
                    {"copy_outlet": {"terms": {"field": "outlet"}}},
                    sentiment,
                ],
                {
                    "first": {"min": {"field": "counted_us"}},
                    "audience": {"max": {"field": "audience"}},
                },
                what="mention_stats",
            ):
                key = b["key"]
                copies.append(
                    CopyPart(
                        dims=dims_of(key),
                        cluster=str(key["cluster"]),
                        outlet=str(key["copy_outlet"]),
                        sentiment=key["sentiment"],
                        first_us=int(b["first"]["value"]),
                        audience=int(b["audience"]["value"]),
                    )
                )
        return document_rows(
            copies,
            group_by=group_by,
            bucket=None
            if interval is None
            else (
                lambda us: bucket_start(
                    _EPOCH + timedelta(microseconds=us), interval=interval, tz=tz
                )
            ),
        )
    histogram: list[dict[str, Any]] = []
    if interval is not None:
        histogram = [
            {
                "bucket": {
                    "date_histogram": {
                        "field": "counted_at",
                        "calendar_interval": interval,
                        "time_zone": tz.key,
                    }
                }
            }
        ]
    parts: list[OutletPart] = []
    for chunk in chunks:
        async for b in composite_buckets(
            calls,
            prefix,
            chunk,
            [*sources, sentiment, *histogram],
            {"reach": {"sum": {"field": "audience"}}},
            what="mention_stats",
        ):
            key = b["key"]
            start = None
            if interval is not None:
                instant = _EPOCH + timedelta(milliseconds=int(key["bucket"]))
                start = bucket_start(instant, interval=interval, tz=tz)
            parts.append(
                OutletPart(
                    start,
                    dims_of(key),
                    key["sentiment"],
                    int(b["doc_count"]),
                    int(b["reach"]["value"]),
                )
            )
    return outlet_rows(parts, group_by=group_by)
