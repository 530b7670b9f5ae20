"""The SQLite store's ``mention_stats``: ``GROUP BY`` in SQL, folded by ``search._stats``.

Time buckets use the 15-minute UTC slots of ``search._sqlite_queries`` (SQLite
has no time zones): parts are grouped by slot, each slot mapped to its local
bucket once; a slot a bucket boundary cuts (historical offsets only) is re-read
per instant, so the numbers are exact. A query that does not compile exactly
to FTS is first resolved to the matching documents (checked one by one), then
aggregated over those.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from search._fts import FtsQuery
from search._sqlite_queries import (
    _MATCH_COLUMNS,
    SLOT_US,
    _Matcher,
    _SlotBuckets,
    _snapshot,
    filters,
)
from search._stats import CopyPart, OutletPart, document_rows, outlet_rows, part_dimensions
from search._store import CountBy, Dimension, GroupKey, Interval, MentionFilter, StatRow

__all__ = ["mention_stats"]

_COLUMN: dict[Dimension, str] = {
    "brand": "m.brand_id",
    "channel": "m.channel",
    "country": "m.country",
    "language": "m.language",
    "tier": "m.tier",
    "outlet": "m.outlet",
    "cluster": "m.cluster_id",
    "author": "a.value",
}
# The authors are only on the document: joined when grouping by them (a document
# without authors gives one row with a NULL author, as Elasticsearch's missing bucket).
_WITH_AUTHORS = (
    "mentions m JOIN documents d ON d.pk = m.document_pk LEFT JOIN json_each(d.authors) a"
)
# Floor division (SQLite's / truncates toward zero, which matters before 1970).
_SLOT = f"(m.counted_us - ((m.counted_us % {SLOT_US}) + {SLOT_US}) % {SLOT_US}) / {SLOT_US}"


def mention_stats(
    conn: sqlite3.Connection,
    where: MentionFilter,
    fts: FtsQuery | None,
    *,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
) -> list[StatRow]:
    """See ``Store.mention_stats`` and the module docstring."""
    dims = part_dimensions(group_by)
    if fts is not None and fts.never:
        return []
    condition, params = filters(where, fts)
    buckets = _SlotBuckets(interval, tz) if interval is not None else None
    with _snapshot(conn):
        matcher = _Matcher(where.query, fts)
        if matcher.needed:
            pks = _matching(conn, condition, params, matcher)
            condition += " AND m.document_pk IN (SELECT value FROM json_each(?))"
            params = [*params, json.dumps(pks)]
        if count == "document":
            slots = buckets
            return document_rows(
                _copies(conn, condition, params, dims),
                group_by=group_by,
                bucket=None
                if slots is None
                else (lambda us: slots.of_slot(us // SLOT_US) or slots.of(us)),
            )
        return outlet_rows(_outlet_parts(conn, condition, params, dims, buckets), group_by=group_by)


def _matching(
    conn: sqlite3.Connection, condition: str, params: list[object], matcher: _Matcher
) -> list[int]:
    rows = conn.execute(
        f"SELECT DISTINCT m.document_pk, {_MATCH_COLUMNS} "
        f"FROM mentions m JOIN documents d ON d.pk = m.document_pk WHERE {condition}",
        params,
    )
    return [row["document_pk"] for row in rows if matcher(row["document_pk"], row)]


def _source(dims: tuple[Dimension, ...]) -> str:
    return _WITH_AUTHORS if "author" in dims else "mentions m"


def _dims_of(row: sqlite3.Row, dims: tuple[Dimension, ...]) -> dict[Dimension, GroupKey]:
    return {d: row[f"d{i}"] for i, d in enumerate(dims)}


def _select(dims: tuple[Dimension, ...]) -> str:
    return ", ".join(f"{_COLUMN[d]} AS d{i}" for i, d in enumerate(dims))


def _copies(
    conn: sqlite3.Connection, condition: str, params: list[object], dims: tuple[Dimension, ...]
) -> Iterator[CopyPart]:
    group = ", ".join(f"d{i}" for i in range(len(dims)))
    rows = conn.execute(
        f"SELECT {_select(dims)}, m.cluster_id AS cluster, m.outlet AS copy_outlet, "
        "m.sentiment AS sentiment, MIN(m.counted_us) AS us, MAX(m.audience) AS audience "
        f"FROM {_source(dims)} WHERE {condition} "
        f"GROUP BY {group}, cluster, copy_outlet, sentiment",
        params,
    )
    for row in rows:
        yield CopyPart(
            dims=_dims_of(row, dims),
            cluster=row["cluster"],
            outlet=row["copy_outlet"],
            sentiment=row["sentiment"],
            first_us=row["us"],
            audience=row["audience"],
        )


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
