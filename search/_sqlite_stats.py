"""The SQLite store's ``mention_stats``: ``GROUP BY`` in SQL, folded by ``search._stats``.

Time buckets: over a window with both ends, SQL numbers each row's local
bucket (``search._sqlite_buckets``) and returns one row per (group, bucket),
sentiments side by side. Otherwise (an open window, or buckets one number each
cannot express) they use the 15-minute UTC slots of ``search._sqlite_counts``
(SQLite has no time zones): parts are grouped by slot, each slot mapped to its
local bucket once; a slot a bucket boundary cuts (historical offsets only) is
re-read per instant, so the numbers are exact either way.

``count="document"`` is computed in SQL too (the units of
``search._sqlite_stat_rows``). Over a bounded window only the syndicated
mentions are grouped by cluster (``_document_parts``); the others are units by
themselves.

A ranking (``top``, ``search.StatTop``) is cut in SQL (``search._sqlite_ranking``)
with ``count="outlet"`` and with ``by="copies"``; with ``count="document"`` by
mentions or reach, ``_document_parts`` (cheaper than grouping every mention by
cluster) are folded and ranked in Python.

A query that does not compile exactly to FTS is first resolved to the matching
documents (checked one by one), then aggregated over those.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from search._fts import FtsQuery
from search._sqlite_buckets import WindowBuckets, bucket_parts
from search._sqlite_conn import snapshot
from search._sqlite_counts import SLOT_US, _SlotBuckets
from search._sqlite_filters import _MATCH_COLUMNS, _Matcher, filters
from search._sqlite_ranking import _ranked, _stat_row, _top_syndicated
from search._sqlite_rollup_stats import rollup_stats
from search._sqlite_stat_rows import (
    _COLUMN,
    _LABEL,
    _dims_of,
    _rows,
    _select,
    _source,
    _units,
)
from search._stats import OutletPart, check_top, outlet_rows, part_dimensions, top_rows
from search._store import (
    CountBy,
    Dimension,
    Interval,
    MentionFilter,
    StatRow,
    StatTop,
)

__all__ = ["mention_stats"]

# Floor division (SQLite's / truncates toward zero, which matters before 1970).
_SLOT = f"(m.counted_us - ((m.counted_us % {SLOT_US}) + {SLOT_US}) % {SLOT_US}) / {SLOT_US}"
_SENTIMENT_IS = ("m.sentiment = 'negative'", "m.sentiment = 'neutral'", "m.sentiment = 'positive'")


def mention_stats(
    conn: sqlite3.Connection,
    where: MentionFilter,
    fts: FtsQuery | None,
    *,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
    top: StatTop | None = None,
    rollups: bool = True,
) -> list[StatRow]:
    """See ``Store.mention_stats`` and the module docstring. ``rollups``: answer
    from ``search._sqlite_rollup_stats`` when it can (``False``: always from the mentions)."""
    dims = part_dimensions(group_by)
    check_top(top, group_by=group_by, interval=interval)
    if fts is not None and fts.never:
        return []
    condition, params = filters(where, fts)
    buckets = _SlotBuckets(interval, tz) if interval is not None else None
    with snapshot(conn):
        if rollups:
            rolled = rollup_stats(
                conn, where, group_by=group_by, interval=interval, tz=tz, count=count, top=top
            )
            if rolled is not None:
                return rolled
        matcher = _Matcher(where.query, fts)
        if matcher.needed:
            pks = _matching(conn, condition, params, matcher)
            condition += " AND m.document_pk IN (SELECT value FROM json_each(?))"
            params = [*params, json.dumps(pks)]
        if top is not None and (count == "outlet" or top.by == "copies"):
            if rollups and group_by == ("cluster",) and top.by == "copies" and not matcher.needed:
                found = _top_syndicated(conn, where, condition, params, count, top)
                if found is not None:
                    return found
            ranked = _ranked(conn, condition, params, dims, group_by, count, top, None)
            return [_stat_row(row, group_by, dims) for row in ranked]
        window = _window(where, interval, tz)
        if top is not None:  # count="document" by mentions / reach: _document_parts is faster
            found = outlet_rows(
                _document_parts(conn, condition, params, dims, None), group_by=group_by
            )
            return top_rows((r for r in found if r.mentions), top)
        if count == "document":
            if window is None and buckets is not None:
                rows = _rows(_source(dims), condition, dims)
                source = _units(rows, dims)
                parts = _unit_parts(conn, source, params, dims, buckets)
                return outlet_rows(parts, group_by=group_by)
            found = outlet_rows(
                _document_parts(conn, condition, params, dims, window), group_by=group_by
            )
            return [r for r in found if r.mentions]
        if window is None and buckets is not None:
            parts = _outlet_parts(conn, condition, params, dims, buckets)
        else:
            parts = _mention_parts(conn, _source(dims), condition, params, dims, window)
        return outlet_rows(parts, group_by=group_by)


def _mention_parts(
    conn: sqlite3.Connection,
    source: str,
    condition: str,
    params: list[object],
    dims: tuple[Dimension, ...],
    window: WindowBuckets | None,
) -> Iterator[OutletPart]:
    """``bucket_parts`` over mention rows ``m`` of ``source`` (their own columns)."""
    return bucket_parts(
        conn,
        source=source,
        condition=condition,
        params=params,
        dims=dims,
        columns=tuple(_COLUMN[d] for d in dims),
        labels=_SENTIMENT_IS,
        audience="m.audience",
        counted="m.counted_us",
        window=window,
    )


def _window(where: MentionFilter, interval: Interval | None, tz: ZoneInfo) -> WindowBuckets | None:
    """The window's buckets in SQL (``search._sqlite_buckets``), when it has both
    ends; ``None`` without interval or when the slot fold must serve (an open
    window, or buckets that one number each cannot express)."""
    if interval is None or where.start is None or where.end is None:
        return None
    window = WindowBuckets(where.start, where.end, interval=interval, tz=tz)
    return window if window.exact else None


def _matching(
    conn: sqlite3.Connection, condition: str, params: list[object], matcher: _Matcher
) -> list[int]:
    rows = conn.execute(
        f"SELECT DISTINCT m.document_pk, {_MATCH_COLUMNS} "
        f"FROM mentions m JOIN documents d ON d.pk = m.document_pk WHERE {condition}",
        params,
    )
    return [row["document_pk"] for row in rows if matcher(row["document_pk"], row)]


def _document_parts(
    conn: sqlite3.Connection,
    condition: str,
    params: list[object],
    dims: tuple[Dimension, ...],
    window: WindowBuckets | None,
) -> Iterator[OutletPart]:
    """``count="document"`` without grouping every mention by cluster.

    A (brand, cluster) with two or more mentions in the filter always has one
    whose ``cluster_id`` is not its ``document_id`` (a copy: only one document
    has the cluster's id). So the filter's mentions split into ``S``, the copies
    (``mentions_copies``, a partial index of the ~10% syndicated mentions) and
    the originals of their clusters (looked up by primary key), and the rest,
    each of which is a unit by itself. The parts are every mention counted as
    its own unit, minus ``S``'s mentions counted so, plus ``S``'s units: each
    (group, bucket, sentiment) sums to the units' count exactly (cells that end
    at zero are dropped by the caller)."""
    source = _source(dims)
    copies_source = source.replace("mentions m", "mentions m INDEXED BY mentions_copies", 1)
    copy = "m.cluster_id != m.document_id"
    keys = (
        "SELECT DISTINCT m.brand_id AS kb, m.cluster_id AS kc "
        f"FROM mentions m INDEXED BY mentions_copies WHERE {condition} AND {copy}"
    )
    syndicated = f"{_rows(copies_source, f'{condition} AND {copy}', dims)} UNION ALL " + _rows(
        f"({keys}) k JOIN {source}",
        f"m.document_id = k.kc AND m.brand_id = k.kb AND m.cluster_id = k.kc AND {condition}",
        dims,
    )
    every = _mention_parts(conn, source, condition, params, dims, window)
    yield from every
    # S is read once (MATERIALIZED): its mentions alone count -1, its units +1.
    cols = ", ".join(f"d{i}" for i in range(len(dims)))
    label = "CASE sentiment WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END"
    signed = (
        f"(SELECT -1 AS sign, {cols}, counted_us, audience, {label} AS label FROM s "
        f"UNION ALL SELECT 1, {cols}, counted_us, audience, label "
        f"FROM {_units('SELECT * FROM s', dims)}) m"
    )
    yield from bucket_parts(
        conn,
        source=signed,
        condition="1",
        params=[*params, *params, *params],
        dims=dims,
        columns=tuple(f"m.d{i}" for i in range(len(dims))),
        labels=("m.label = 0", "m.label = 1", "m.label = 2"),
        audience="m.audience",
        counted="m.counted_us",
        window=window,
        prefix=f"WITH s AS MATERIALIZED ({syndicated}) ",
        weight="m.sign",
    )


def _unit_parts(
    conn: sqlite3.Connection,
    source: str,
    params: list[object],
    dims: tuple[Dimension, ...],
    buckets: _SlotBuckets | None,
) -> Iterator[OutletPart]:
    """The units of ``source`` (``_units``) counted per (dimensions, sentiment,
    bucket), as ``OutletPart``s of one mention per unit. Slots are folded into
    buckets as in ``_outlet_parts``."""
    cols = ", ".join(f"m.d{i} AS d{i}" for i in range(len(dims)))
    group = ", ".join(f"d{i}" for i in range(len(dims)))
    slot = f", {_SLOT} AS slot" if buckets is not None else ""
    rows = conn.execute(
        f"SELECT {cols}, m.label AS label{slot}, COUNT(*) AS n, SUM(m.audience) AS reach, "
        f"MIN(m.counted_us) AS lo, MAX(m.counted_us) AS hi FROM {source} "
        f"GROUP BY {group}, label{', slot' if buckets is not None else ''}",
        params,
    ).fetchall()
    for row in rows:
        part_dims = _dims_of(row, dims)
        sentiment = _LABEL[row["label"]]
        if buckets is None:
            yield OutletPart(None, part_dims, sentiment, row["n"], row["reach"])
            continue
        start = buckets.of_slot(row["slot"])
        if start is None and (first := buckets.of(row["lo"])) == buckets.of(row["hi"]):
            start = first  # a boundary inside the slot, but none between these units
        if start is not None:
            yield OutletPart(start, part_dims, sentiment, row["n"], row["reach"])
            continue
        same = " AND ".join(f"m.d{i} IS ?" for i in range(len(dims)))
        per_instant = conn.execute(
            "SELECT m.counted_us AS us, COUNT(*) AS n, SUM(m.audience) AS reach "
            f"FROM {source} WHERE {same} AND m.label = ? "
            "AND m.counted_us BETWEEN ? AND ? GROUP BY m.counted_us",
            [*params, *part_dims.values(), row["label"], row["lo"], row["hi"]],
        )
        for r in per_instant:
            yield OutletPart(buckets.of(r["us"]), part_dims, sentiment, r["n"], r["reach"])


def _outlet_parts(
    conn: sqlite3.Connection,
    condition: str,
    params: list[object],
    dims: tuple[Dimension, ...],
    buckets: _SlotBuckets | None,
) -> Iterator[OutletPart]:
    group = ", ".join(f"d{i}" for i in range(len(dims)))
    slot = f", {_SLOT} AS slot" if buckets is not None else ""
    rows = conn.execute(
        f"SELECT {_select(dims)}, m.sentiment AS sentiment{slot}, COUNT(*) AS n, "
        "SUM(m.audience) AS reach, MIN(m.counted_us) AS lo, MAX(m.counted_us) AS hi "
        f"FROM {_source(dims)} WHERE {condition} "
        f"GROUP BY {group}, sentiment{', slot' if buckets is not None else ''}",
        params,
    ).fetchall()
    for row in rows:
        part_dims = _dims_of(row, dims)
        if buckets is None:
            yield OutletPart(None, part_dims, row["sentiment"], row["n"], row["reach"])
            continue
        start = buckets.of_slot(row["slot"])
        if start is None and (first := buckets.of(row["lo"])) == buckets.of(row["hi"]):
            start = first  # a boundary inside the slot, but none between these rows
        if start is not None:
            yield OutletPart(start, part_dims, row["sentiment"], row["n"], row["reach"])
            continue
        same = " AND ".join(f"{_COLUMN[d]} IS ?" for d in dims)
        per_instant = conn.execute(
            "SELECT m.counted_us AS us, COUNT(*) AS n, SUM(m.audience) AS reach "
            f"FROM {_source(dims)} WHERE {condition} AND {same} AND m.sentiment = ? "
            "AND m.counted_us BETWEEN ? AND ? GROUP BY m.counted_us",
            [*params, *part_dims.values(), row["sentiment"], row["lo"], row["hi"]],
        )
        for r in per_instant:
            yield OutletPart(buckets.of(r["us"]), part_dims, row["sentiment"], r["n"], r["reach"])
