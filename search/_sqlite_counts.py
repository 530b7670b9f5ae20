"""The SQLite store's counts per bucket (``mention_counts``), as a blocking
function of one connection (the store runs it in a worker thread).

SQLite has no time zones, so ``mention_counts`` groups in SQL by brand and by a
fine UTC slot (``SLOT_US``, 15 minutes), then folds the slots into the caller's
local buckets in Python with ``search._buckets``. Every UTC offset and DST
change of today's tzdata is a multiple of 15 minutes (Asia/Kathmandu +5:45,
Australia/Eucla +8:45, Lord Howe's 30-minute DST), so a slot almost never
straddles a bucket boundary and the SQL result stays small (≤ 96 rows per brand
and day); when one does (historical local mean times, pre-1970 instants), the
slot's rows are re-read per instant, so counts are always exact.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from search._buckets import bucket_start
from search._fts import FtsQuery
from search._sqlite_codec import from_us
from search._sqlite_conn import snapshot
from search._sqlite_filters import _MATCH_COLUMNS, _Matcher, filters
from search._sqlite_rollup_stats import rollup_stats
from search._store import BucketCount, CountBy, Interval, MentionFilter

__all__ = ["SLOT_US", "mention_counts"]

# 15 minutes, in microseconds: the coarsest slot that every current zone's
# bucket boundaries fall on (see the module docstring).
SLOT_US = 15 * 60 * 1_000_000


class _SlotBuckets:
    """Local bucket starts of UTC slots, each computed once."""

    def __init__(self, interval: Interval, tz: ZoneInfo) -> None:
        self._interval = interval
        self._tz = tz
        self._slots: dict[int, datetime | None] = {}

    def of(self, us: int) -> datetime:
        return bucket_start(from_us(us), interval=self._interval, tz=self._tz)

    def of_slot(self, slot: int) -> datetime | None:
        """The bucket of the whole slot, or ``None`` when a boundary falls inside it."""
        if slot not in self._slots:
            first, last = self.of(slot * SLOT_US), self.of((slot + 1) * SLOT_US - 1)
            self._slots[slot] = first if first == last else None
        return self._slots[slot]


def mention_counts(
    conn: sqlite3.Connection,
    where: MentionFilter,
    fts: FtsQuery | None,
    *,
    interval: Interval,
    tz: ZoneInfo,
    count: CountBy = "outlet",
    rollups: bool = True,
) -> list[BucketCount]:
    """Counts per (local bucket, brand), sorted by bucket then brand; see the module docstring.

    ``count="document"``: the mentions of one (brand, cluster) count once, at the
    earliest of them (a subquery grouped on the ``mentions_stats`` index).
    ``rollups``: from ``search._sqlite_rollup_stats`` when it can answer."""
    if fts is not None and fts.never:
        return []
    if rollups:
        with snapshot(conn):
            rolled = rollup_stats(
                conn, where, group_by=("brand",), interval=interval, tz=tz, count=count, top=None
            )
        if rolled is not None:
            return [BucketCount(r.start, str(r.key[0]), r.mentions) for r in rolled if r.start]
    condition, params = filters(where, fts)
    buckets = _SlotBuckets(interval, tz)
    matcher = _Matcher(where.query, fts)
    totals: Counter[tuple[datetime, str]] = Counter()
    with snapshot(conn):
        if matcher.needed:
            rows = conn.execute(
                f"SELECT m.document_pk, m.counted_us AS us, m.brand_id, m.cluster_id, "
                f"{_MATCH_COLUMNS} "
                "FROM mentions m JOIN documents d ON d.pk = m.document_pk "
                f"WHERE {condition}",
                params,
            )
            first: dict[tuple[str, str], int] = {}
            for row in rows:
                doc_pk, us, brand_id = row["document_pk"], row["us"], row["brand_id"]
                if matcher(doc_pk, row):
                    key = (brand_id, row["cluster_id"] if count == "document" else str(doc_pk))
                    first[key] = min(us, first.get(key, us))
            for (brand_id, _), us in first.items():
                start = buckets.of_slot(us // SLOT_US) or buckets.of(us)
                totals[start, brand_id] += 1
        elif count == "document":
            source = (
                "(SELECT m.brand_id AS brand_id, MIN(m.counted_us) AS counted_us "
                f"FROM mentions m WHERE {condition} GROUP BY m.brand_id, m.cluster_id) m"
            )
            _count_by_slot(conn, "1", [], buckets, totals, source=source, source_params=params)
        else:
            _count_by_slot(conn, condition, params, buckets, totals)
    return [BucketCount(start, brand, n) for (start, brand), n in sorted(totals.items())]


def _count_by_slot(
    conn: sqlite3.Connection,
    condition: str,
    params: list[object],
    buckets: _SlotBuckets,
    totals: Counter[tuple[datetime, str]],
    *,
    source: str = "mentions m",
    source_params: list[object] | None = None,
) -> None:
    """Fold slot counts of the rows of ``source`` (aliased ``m``, with ``brand_id``
    and ``counted_us``) that meet ``condition`` into ``totals``."""
    params = [*(source_params or []), *params]
    # Floor division (SQLite's / truncates toward zero, which matters before 1970).
    slot_sql = f"(m.counted_us - ((m.counted_us % {SLOT_US}) + {SLOT_US}) % {SLOT_US}) / {SLOT_US}"
    rows = conn.execute(
        f"SELECT {slot_sql} AS slot, m.brand_id, COUNT(*), MIN(m.counted_us), MAX(m.counted_us) "
        f"FROM {source} WHERE {condition} GROUP BY slot, m.brand_id",
        params,
    ).fetchall()
    for slot, brand_id, n, lo, hi in rows:
        start = buckets.of_slot(slot)
        if start is None and (first := buckets.of(lo)) == buckets.of(hi):
            start = first  # a boundary inside the slot, but none between these rows
        if start is not None:
            totals[start, brand_id] += n
            continue
        per_instant = conn.execute(
            f"SELECT m.counted_us, COUNT(*) FROM {source} WHERE {condition} "
            "AND m.brand_id = ? AND m.counted_us BETWEEN ? AND ? GROUP BY m.counted_us",
            [*params, brand_id, lo, hi],
        )
        for us, count in per_instant:
            totals[buckets.of(us), brand_id] += count
