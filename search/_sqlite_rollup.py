"""Rollups of the mentions in SQLite, kept at write time: share of voice, its
breakdowns and rankings read work proportional to the buckets, not to the mentions.

**Tables** (``migrations/0012_mention_rollup.sql``, which also fills them from the
mentions present): ``mention_rollup`` holds, per (grain, view, brand, chunk,
value, sentiment), the mentions and their reach (``count="outlet"``) and the
units of ``count="document"`` whose earliest copy is in the chunk, with their
reach. A chunk is a UTC quarter hour, hour, day or 7-day block; a *view* is
one dimension (``channel``, ``country``, ``language``, ``tier``, ``outlet``,
``author``, ``spokesperson``) or ``""``, the brand alone. ``mention_clusters``
lists each brand's clusters of two or more mentions with the span of their
counted times.

**Kept exact at write time** (``Tracked``): a write names the (brand, cluster)
pairs it touches; their contribution to both tables is computed from the
mentions before the write and after it, and the difference is applied in the
same transaction. A syndicated copy changes its cluster's units (the earliest
copy, the outlets' reach), so whole pairs are recomputed, not single mentions;
pairs are small.

**Read** (``rollup_stats``), when the filter is a brand set, a window with both
ends on whole UTC quarter hours (hours for the views of many values: outlet,
author, spokesperson) and at most one dimension among the filters and the
groups (``None`` otherwise: the caller reads the mentions):

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

Cost (``bench/api.py``, 1M mentions; figures in BENCHMARKS.md): the tables hold
about three rows per mention; a write recomputes its pairs in every view and
grain; the migration fills them in one pass of ``GROUP BY``s.

``tests/store_contract`` holds the answers to the mentions' own
(``search._sqlite_stats``); ``tests/search/test_sqlite_rollup.py`` compares the
tables kept at write time with a rebuild and the two read paths on random data.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from enrichment import SentimentLabel
from search._buckets import bucket_starts
from search._sqlite_buckets import WindowBuckets
from search._sqlite_codec import to_us
from search._sqlite_migrate import migrations
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

__all__ = ["Tracked", "pairs_of_documents", "rebuild", "rollup_stats"]

QUARTER_US = 900_000_000
HOUR_US = 4 * QUARTER_US
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
# Each a multiple of the one before, all aligned on the epoch (a UTC midnight):
# weeks here are 7-day blocks from a Thursday, not calendar weeks. Quarter hours
# (every offset of today's time zones is a multiple of 15 minutes: Asia/Kolkata's
# days start at 18:30 UTC) only for the views of few values, where they cost little.
GRAINS = (QUARTER_US, HOUR_US, DAY_US, WEEK_US)
_FINE = ("", "channel", "country", "language", "tier")
VIEWS: tuple[str, ...] = (
    "",
    "channel",
    "country",
    "language",
    "tier",
    "outlet",
    "author",
    "spokesperson",
)
# NULL in ``value`` (a primary-key column): an empty blob, never equal to a text.
_NULL = b""
_LABEL = {"negative": 0, "neutral": 1, "positive": 2}
_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
_MIGRATION = "0012_mention_rollup.sql"


def grains_of(view: str) -> tuple[int, ...]:
    """The grains ``mention_rollup`` keeps for ``view``."""
    return GRAINS if view in _FINE else GRAINS[1:]


_POPULATE = "-- populate"

Pair = tuple[str, str]
_Key = tuple[int, str, str, int, object, int]  # grain, dim, brand, start, value, sentiment


def _floor(us: int, grain: int) -> int:
    return us - us % grain  # Python's % is the floor's, for negative times too


# --- kept at write time -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """A mention as the rollups see it: one per (brand, cluster) pair's mention."""

    counted_us: int
    label: int
    audience: int
    outlet: str
    values: dict[str, tuple[object, ...]]  # view -> its values (``_NULL`` for none)


# Each view's value(s) of a mention ``m`` (document ``d``) in SQL; the lists (a
# JSON array) are the views with several values per mention.
_VALUE_SQL = {
    "": "''",
    "channel": "m.channel",
    "country": "COALESCE(m.country, x'')",
    "language": "COALESCE(m.language, x'')",
    "tier": "m.tier",
    "outlet": "m.outlet",
    "author": "d.authors",
    "spokesperson": "m.spokespeople",
}
_LISTS = ("author", "spokesperson")


def _listed(raw: str) -> tuple[object, ...]:
    """A JSON array's values as ``json_each`` gives them (``_NULL`` when empty)."""
    values = tuple(_NULL if v is None else v for v in json.loads(raw))
    return values or (_NULL,)


def _read_pairs(
    c: sqlite3.Connection, pairs: Iterable[Pair], views: tuple[str, ...] = VIEWS
) -> dict[Pair, list[_Row]]:
    """The mentions of ``pairs`` with their values in ``views`` (only those are
    read: a document row is read only for ``author``)."""
    found: dict[Pair, list[_Row]] = {pair: [] for pair in pairs}
    if not found:
        return found
    values = ", ".join(f"{_VALUE_SQL[v]} AS v{i}" for i, v in enumerate(views))
    documents = " JOIN documents d ON d.pk = m.document_pk" if "author" in views else ""
    rows = c.execute(
        "SELECT m.brand_id, m.cluster_id, m.counted_us, m.sentiment, m.audience, m.outlet, "
        f"{values} FROM json_each(?) p CROSS JOIN mentions m INDEXED BY mentions_cluster "
        "ON m.cluster_id = json_extract(p.value, '$[1]') "
        f"AND m.brand_id = json_extract(p.value, '$[0]'){documents}",
        (json.dumps([list(p) for p in found]),),
    )
    for brand, cluster, counted_us, sentiment, audience, outlet, *raw in rows:
        by_view = {
            view: _listed(value) if view in _LISTS else (value,)
            for view, value in zip(views, raw, strict=True)
        }
        found[(brand, cluster)].append(
            _Row(counted_us, _LABEL[sentiment], audience, outlet, by_view)
        )
    return found


@dataclass(slots=True)
class _Unit:
    first: int  # counted_us * 4 + label of its earliest copy (ties: the first label)
    outlets: dict[str, int]  # outlet -> its largest audience among the copies

    @property
    def reach(self) -> int:
        return sum(self.outlets.values())


def _units(rows: Iterable[_Row], view: str) -> dict[object, _Unit]:
    """The units of ``count="document"`` among one pair's ``rows``, per value of ``view``."""
    units: dict[object, _Unit] = {}
    for r in rows:
        first = r.counted_us * 4 + r.label
        for value in r.values[view]:
            unit = units.get(value)
            if unit is None:
                units[value] = _Unit(first, {r.outlet: r.audience})
                continue
            unit.first = min(unit.first, first)
            unit.outlets[r.outlet] = max(unit.outlets.get(r.outlet, 0), r.audience)
    return units


def _contribution(
    found: dict[Pair, list[_Row]],
) -> tuple[dict[_Key, list[int]], dict[Pair, tuple[int, int]]]:
    """What ``found``'s pairs add to ``mention_rollup`` (key -> mentions, reach,
    units, unit reach) and to ``mention_clusters`` (pair -> first, last)."""
    table: dict[_Key, list[int]] = {}

    def add(key: _Key, at: int, n: int, reach: int) -> None:
        cell = table.setdefault(key, [0, 0, 0, 0])
        cell[at] += n
        cell[at + 1] += reach

    clusters: dict[Pair, tuple[int, int]] = {}
    for (brand, cluster), rows in found.items():
        if len(rows) > 1:
            times = [r.counted_us for r in rows]
            clusters[(brand, cluster)] = (min(times), max(times))
        for view in VIEWS:
            for r in rows:
                for value in r.values[view]:
                    for grain in grains_of(view):
                        key = (grain, view, brand, _floor(r.counted_us, grain), value, r.label)
                        add(key, 0, 1, r.audience)
            for value, unit in _units(rows, view).items():
                at, label = unit.first >> 2, unit.first & 3
                for grain in grains_of(view):
                    add((grain, view, brand, _floor(at, grain), value, label), 2, 1, unit.reach)
    return table, clusters


def pairs_of_documents(c: sqlite3.Connection, pks: Iterable[int]) -> set[Pair]:
    """The (brand, cluster) pairs of the stored mentions of documents ``pks``."""
    return {
        (r[0], r[1])
        for r in c.execute(
            "SELECT brand_id, cluster_id FROM mentions "
            "WHERE document_pk IN (SELECT value FROM json_each(?))",
            (json.dumps(list(pks)),),
        )
    }


_UPSERT = (
    "INSERT INTO mention_rollup (grain, dim, brand_id, start_us, value, sentiment, mentions, "
    "reach, units, unit_reach) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (grain, dim, brand_id, start_us, value, sentiment) DO UPDATE SET "
    "mentions = mentions + excluded.mentions, reach = reach + excluded.reach, "
    "units = units + excluded.units, unit_reach = unit_reach + excluded.unit_reach"
)
_EMPTIED = (
    "DELETE FROM mention_rollup WHERE grain = ? AND dim = ? AND brand_id = ? AND start_us = ? "
    "AND value = ? AND sentiment = ? AND mentions = 0 AND units = 0"
)


class Tracked:
    """The rollups of ``pairs`` kept exact across one write: construct it before
    the write (inside its transaction), call ``apply()`` after it."""

    def __init__(self, c: sqlite3.Connection, pairs: Iterable[Pair]) -> None:
        self._c = c
        self._pairs = set(pairs)
        self._before = _contribution(_read_pairs(c, self._pairs))

    def apply(self) -> None:
        (old, old_clusters), (new, new_clusters) = (
            self._before,
            _contribution(_read_pairs(self._c, self._pairs)),
        )
        changes, lost = [], []
        for key in old.keys() | new.keys():
            a, b = old.get(key, [0, 0, 0, 0]), new.get(key, [0, 0, 0, 0])
            delta = [y - x for x, y in zip(a, b, strict=True)]
            if any(delta):
                changes.append((*key, *delta))
            if min(delta) < 0:  # only a row that lost something can have been emptied
                lost.append(key)
        self._c.executemany(_UPSERT, changes)
        self._c.executemany(_EMPTIED, lost)
        gone = [p for p in old_clusters if p not in new_clusters]
        self._c.executemany(
            "DELETE FROM mention_clusters WHERE brand_id = ? AND cluster_id = ?", gone
        )
        self._c.executemany(
            "INSERT OR REPLACE INTO mention_clusters "
            "(brand_id, cluster_id, first_us, last_us, span_us) VALUES (?, ?, ?, ?, ?)",
            [
                (*pair, first, last, last - first)
                for pair, (first, last) in new_clusters.items()
                if old_clusters.get(pair) != (first, last)
            ],
        )


def rebuild(c: sqlite3.Connection) -> None:
    """Fill both tables again from the mentions (the migration's own statements),
    in one transaction: for data written around the store (``bench._dataset``)."""
    sql = next(m.sql for m in migrations() if m.name == _MIGRATION)
    populate = sql[sql.index(_POPULATE) :]
    c.executescript(
        "BEGIN IMMEDIATE; DELETE FROM mention_rollup; DELETE FROM mention_clusters;\n"
        f"{populate}\nCOMMIT;"
    )


# --- read ---------------------------------------------------------------------------

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
