"""``mention_stats`` from the rollups of ``search._sqlite_rollup`` (its tables,
kept exact at write time), when the filter is a brand set, a window with both
ends on whole UTC quarter hours (hours for the views of many values: outlet,
author, spokesperson) and at most one dimension among the filters and the
groups (``rollup_stats`` returns ``None`` otherwise: the caller reads the
mentions):

- the window is cut at its bucket boundaries (on the same quarter hours or
  hours: every zone of today's tzdata, or of whole-hour offsets) and each piece
  into the coarsest whole chunks that fit (``_pieces``: quarters, hours, days,
  weeks, then back down); one ``UNION ALL`` of primary-key range scans reads
  them, and SQL numbers each chunk's bucket (``WindowBuckets``);
- ``count="outlet"`` is then exact: a mention is in exactly one chunk;
- ``count="document"`` is exact for every cluster the window holds whole (its
  units are counted at their earliest copy, with every copy's outlet). A
  cluster that a window edge cuts (``mention_clusters``: first < edge <= last)
  is replaced by its units among the mentions inside the window, read from
  ``mentions`` (``mentions_cluster`` covers every column but the authors);
  copies come within days, so these are few.

``tests/store_contract`` holds the answers to the mentions' own
(``search._sqlite_stats``); ``tests/search/test_sqlite_rollup.py`` compares
these reads with those of the mentions on random data.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from enrichment import SentimentLabel
from search._buckets import bucket_starts
from search._sqlite_buckets import WindowBuckets
from search._sqlite_codec import to_us
from search._sqlite_rollup import _VALUE_SQL, VIEWS, grains_of
from search._stats import OutletPart, outlet_rows, part_dimensions, top_rows
from search._store import (
    CountBy,
    Dimension,
    GroupKey,
    Interval,
    MentionFilter,
    StatRow,
    StatTop,
)

__all__ = ["rollup_stats"]

_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
# The filters that are dimensions a view can serve, and the ones no view serves.
_FILTERS: dict[str, str] = {
    "channels": "channel",
    "countries": "country",
    "languages": "language",
    "outlets": "outlet",
    "tiers": "tier",
}


@dataclass(frozen=True, slots=True)
class _Plan:
    view: str
    values: tuple[object, ...]  # the view's filter ((): none)
    chunks: tuple[tuple[int, int, int], ...]  # (grain, start_us, end_us), disjoint
    window: WindowBuckets | None
    _starts: dict[int, datetime] = field(default_factory=dict, compare=False)

    def sql(self, column: str, params: list[object]) -> tuple[str, str]:
        """(the bucket number of ``column`` in SQL, ``NULL`` without interval; a
        ``WHERE`` on ``value`` for the view's filter, its parameter appended to
        ``params``, or ``""``)."""
        bucket = self.window.sql(column) if self.window is not None else "NULL"
        if not self.values:
            return bucket, ""
        params.append(json.dumps(list(self.values)))
        return bucket, "WHERE value IN (SELECT value FROM json_each(?)) "

    def cell(
        self, brand_id: str, value: object, number: int | None
    ) -> tuple[datetime | None, dict[Dimension, GroupKey]]:
        """The bucket start and the dimensions of a row SQL returned."""
        dims: dict[Dimension, GroupKey] = {"brand": brand_id}
        if self.view:
            dims[self.view] = _value(value)  # type: ignore[index]
        if self.window is None or number is None:
            return None, dims
        start = self._starts.get(number)
        if start is None:
            start = self._starts[number] = self.window.start_of(number)
        return start, dims


def _plan(
    where: MentionFilter,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
) -> _Plan | None:
    """How ``rollup_stats`` reads this query, or ``None`` when it cannot (see the
    module docstring)."""
    if (
        where.query is not None
        or where.sentiment is not None
        or where.clusters
        or where.message is not None
        or not where.brand_ids
        or where.start is None
        or where.end is None
    ):
        return None
    filtered = {dim: getattr(where, name) for name, dim in _FILTERS.items() if getattr(where, name)}
    grouped = set(part_dimensions(group_by)[1:])
    needed = grouped | filtered.keys()
    if len(needed) > 1 or not needed <= set(VIEWS):
        return None
    view = next(iter(needed), "")
    if count == "document" and view not in grouped and len(filtered.get(view, ())) > 1:
        return None  # a unit spans the values the filter names: the view splits it
    start, end = to_us(where.start), to_us(where.end)
    if start >= end:
        return None
    window = None
    bounds = [start, end]
    if interval is not None:
        window = WindowBuckets(where.start, where.end, interval=interval, tz=tz)
        if not window.exact:
            return None
        inner = [to_us(s) for s in bucket_starts(where.start, where.end, interval=interval, tz=tz)]
        bounds = [start, *(b for b in inner if start < b < end), end]
    grains = grains_of(view)
    if any(b % grains[0] for b in bounds):
        return None
    chunks: list[tuple[int, int, int]] = []
    for lo, hi in itertools.pairwise(bounds):
        for grain, a, b in _pieces(lo, hi, grains):
            if chunks and chunks[-1][0] == grain and chunks[-1][2] == a:
                chunks[-1] = (grain, chunks[-1][1], b)
            else:
                chunks.append((grain, a, b))
    values = tuple(filtered.get(view, ()))
    return _Plan(view, values, tuple(chunks), window)


def _pieces(
    lo: int, hi: int, grains: tuple[int, ...], level: int = 0
) -> Iterator[tuple[int, int, int]]:
    """``[lo, hi)`` (whole chunks of ``grains[0]``) as (grain, start, end)
    pieces, each a run of whole chunks of its grain, the coarsest that fit:
    e.g. hours up to the first whole day, days up to the first whole week,
    weeks, then back down."""
    grain = grains[level]
    if level + 1 < len(grains):
        coarser = grains[level + 1]
        a, b = -(-lo // coarser) * coarser, hi // coarser * coarser
        if a < b:
            yield from _pieces(lo, a, grains, level)
            yield from _pieces(a, b, grains, level + 1)
            yield from _pieces(b, hi, grains, level)
            return
    if lo < hi:
        yield grain, lo, hi


def _brands(where: MentionFilter) -> tuple[str, list[object]]:
    if len(where.brand_ids) == 1:
        return "brand_id = ?", [where.brand_ids[0]]
    return "brand_id IN (SELECT value FROM json_each(?))", [json.dumps(list(where.brand_ids))]


def _value(raw: object) -> GroupKey:
    return None if isinstance(raw, bytes) else raw  # type: ignore[return-value]


def _read(
    c: sqlite3.Connection, where: MentionFilter, plan: _Plan
) -> Iterator[
    tuple[datetime | None, dict[Dimension, GroupKey], SentimentLabel, tuple[int, int, int, int]]
]:
    """(bucket start, dims, sentiment, (mentions, reach, units, unit reach)) per
    group of the plan's chunks."""
    brand, brand_params = _brands(where)
    scans, params = [], []
    for grain, lo, hi in plan.chunks:
        scans.append(
            "SELECT brand_id, value, sentiment, start_us, mentions, reach, units, unit_reach "
            f"FROM mention_rollup WHERE grain = ? AND dim = ? AND {brand} "
            "AND start_us >= ? AND start_us < ?"
        )
        params.extend([grain, plan.view, *brand_params, lo, hi])
    bucket, condition = plan.sql("start_us", params)
    rows = c.execute(
        f"SELECT brand_id, value, sentiment, {bucket} AS bucket, SUM(mentions), SUM(reach), "
        f"SUM(units), SUM(unit_reach) FROM ({' UNION ALL '.join(scans)}) {condition}"
        "GROUP BY brand_id, value, sentiment, bucket",
        params,
    )
    for brand_id, value, label, number, *figures in rows:
        yield *plan.cell(brand_id, value, number), _LABELS[label], tuple(figures)


def _view_rows(view: str) -> tuple[str, str]:
    """(joins after ``mentions m``, the value expression) of ``view``'s rows in
    SQL: one row per value of the lists, as the migration's ``viewed``."""
    if view == "author":
        joins = " JOIN documents d ON d.pk = m.document_pk LEFT JOIN json_each(d.authors) j"
        return joins, "COALESCE(j.value, x'')"
    if view == "spokesperson":
        return " LEFT JOIN json_each(m.spokespeople) j", "COALESCE(j.value, x'')"
    return "", _VALUE_SQL[view]


def _cut_clusters(c: sqlite3.Connection, where: MentionFilter, plan: _Plan) -> Iterator[OutletPart]:
    """``count="document"`` parts that replace, for each cluster a window edge
    cuts (``mention_clusters``), the units the rollups counted (every copy, at
    the earliest) by its units among the mentions inside the window; in SQL,
    over those clusters' mentions only."""
    assert where.start is not None and where.end is not None
    start, end = to_us(where.start), to_us(where.end)
    (span,) = c.execute("SELECT MAX(span_us) FROM mention_clusters").fetchone()
    if span is None:
        return
    brand, brand_params = _brands(where)
    cut = " UNION ".join(
        [
            f"SELECT brand_id, cluster_id FROM mention_clusters WHERE {brand} "
            "AND first_us < ? AND first_us >= ? AND last_us >= ?"
        ]
        * 2
    )
    joins, value = _view_rows(plan.view)
    label = "CASE m.sentiment WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END"
    params: list[object] = [
        *(*brand_params, start, start - span, start),
        *(*brand_params, end, end - span, end),
        start,
        end,
        start,
        end,
    ]
    bucket, allowed = plan.sql("(first >> 2)", params)
    rows = c.execute(
        f"WITH cut AS ({cut}), "
        f"r AS (SELECT m.brand_id AS b, m.cluster_id AS cl, {value} AS value, m.outlet, "
        f"m.counted_us * 4 + {label} AS first, m.audience, "
        "m.counted_us >= ? AND m.counted_us < ? AS inside "
        "FROM cut k CROSS JOIN mentions m INDEXED BY mentions_cluster "
        f"ON m.cluster_id = k.cluster_id AND m.brand_id = k.brand_id{joins}), "
        "copies AS (SELECT b, cl, value, MIN(first) AS first, MAX(audience) AS reach, "
        "MIN(CASE WHEN inside THEN first END) AS first_in, "
        "MAX(CASE WHEN inside THEN audience END) AS reach_in "
        "FROM r GROUP BY b, cl, value, outlet), "
        "units AS (SELECT b, value, MIN(first) AS first, SUM(reach) AS reach, "
        "MIN(first_in) AS first_in, SUM(reach_in) AS reach_in FROM copies GROUP BY b, cl, value), "
        "signed AS (SELECT b, value, -1 AS sign, first, reach FROM units "
        "WHERE (first >> 2) >= ? AND (first >> 2) < ? "
        "UNION ALL SELECT b, value, 1, first_in, reach_in FROM units WHERE first_in IS NOT NULL) "
        f"SELECT b, value, first & 3 AS label, {bucket} AS bucket, SUM(sign), SUM(sign * reach) "
        f"FROM signed {allowed}GROUP BY b, value, label, bucket",
        params,
    )
    for brand_id, value, label, number, n, reach in rows:
        yield OutletPart(*plan.cell(brand_id, value, number), _LABELS[label], n, reach)


def rollup_stats(
    c: sqlite3.Connection,
    where: MentionFilter,
    *,
    group_by: tuple[Dimension, ...],
    interval: Interval | None,
    tz: ZoneInfo,
    count: CountBy,
    top: StatTop | None,
) -> list[StatRow] | None:
    """``Store.mention_stats`` from the rollups, or ``None`` when they cannot
    answer it (see the module docstring). Runs inside the caller's read
    transaction; ``check_top`` is the caller's."""
    plan = _plan(where, group_by, interval, tz, count)
    if plan is None:
        return None
    read = list(_read(c, where, plan))
    outlet = [OutletPart(s, d, label, f[0], f[1]) for s, d, label, f in read]
    if count == "outlet":
        rows = outlet_rows(outlet, group_by=group_by)
    else:
        units = [OutletPart(s, d, label, f[2], f[3]) for s, d, label, f in read]
        units.extend(_cut_clusters(c, where, plan))
        rows = outlet_rows(units, group_by=group_by)
    rows = [r for r in rows if r.mentions]
    if top is None:
        return rows
    copies = None
    if count == "document" and top.by == "copies":
        copies = {r.key: r.mentions for r in outlet_rows(outlet, group_by=group_by)}
    return top_rows(rows, top, copies=copies)
