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

**Read**: ``search._sqlite_rollup_stats`` answers ``mention_stats`` from both
tables when the filter allows it.

Cost (``bench/api.py``, 1M mentions; figures in BENCHMARKS.md): the tables hold
about three rows per mention; a write recomputes its pairs in every view and
grain; the migration fills them in one pass of ``GROUP BY``s.

``tests/search/test_sqlite_rollup.py`` compares the tables kept at write time
with a rebuild.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from search._sqlite_migrate import migrations

__all__ = ["VIEWS", "Tracked", "grains_of", "pairs_of_documents", "rebuild"]

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
_MIGRATION = "0012_mention_rollup.sql"


def grains_of(view: str) -> tuple[int, ...]:
    """The grains ``mention_rollup`` keeps for ``view``."""
    return GRAINS if view in _FINE else GRAINS[1:]


_POPULATE = "-- populate"

Pair = tuple[str, str]
_Key = tuple[int, str, str, int, object, int]  # grain, dim, brand, start, value, sentiment


def _floor(us: int, grain: int) -> int:
    return us - us % grain  # Python's % is the floor's, for negative times too


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
