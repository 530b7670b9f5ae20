"""The SQLite store's metric and coverage queries, as blocking functions of one
connection (the store runs them in a worker thread).

Counting per bucket: SQLite has no time zones, so ``mention_counts`` groups in
SQL by brand and by a fine UTC slot (``SLOT_US``, 15 minutes), then folds the
slots into the caller's local buckets in Python with ``search._buckets``. Every
UTC offset and DST change of today's tzdata is a multiple of 15 minutes
(Asia/Kathmandu +5:45, Australia/Eucla +8:45, Lord Howe's 30-minute DST), so a
slot almost never straddles a bucket boundary and the SQL result stays small
(≤ 96 rows per brand and day); when one does (historical local mean times,
pre-1970 instants), the slot's rows are re-read per instant, so counts are
always exact.

Query filters: the FTS index narrows the candidates; when the compiled query
is not exact (see ``search._fts``), each candidate document is checked with
``enrichment.find_spans``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from enrichment import find_spans
from enrichment._query_ast import Node
from search._buckets import bucket_start
from search._fts import FtsQuery
from search._sqlite_codec import Key, from_us, hit_from_row, to_us
from search._sqlite_rollup import rollup_stats
from search._store import (
    BucketCount,
    CountBy,
    Interval,
    MentionFilter,
    MentionHit,
    MentionSort,
)

__all__ = ["SCAN_BATCH", "SLOT_US", "filters", "mention_counts", "search_mentions"]

# 15 minutes, in microseconds: the coarsest slot that every current zone's
# bucket boundaries fall on (see the module docstring).
SLOT_US = 15 * 60 * 1_000_000
# Rows read per round trip while paging with a post-filter: large enough that a
# selective filter needs few rounds, small enough that a page of 50 does not
# tokenize thousands of documents it will not show.
SCAN_BATCH = 256

_HIT_COLUMNS = (
    "m.document_pk, m.document_id, m.brand_id, m.sentiment, m.score, m.snippets, "
    "m.in_title, m.in_lead, m.count, m.spokespeople, m.counted_us, m.cluster_id, m.messages, "
    "d.url, d.title, d.outlet, d.domain, d.channel, d.tier, d.audience, d.language"
)
_TIEBREAK = ("counted_us", "document_id", "brand_id")
_SORT_COLUMNS: dict[MentionSort, tuple[str, ...]] = {
    "time": _TIEBREAK,
    "reach": ("audience", *_TIEBREAK),
    "prominence": ("in_title", "in_lead", "count", *_TIEBREAK),
}
# What the evaluator reads of a candidate document when the FTS query is not exact.
_MATCH_COLUMNS = "d.title, d.text, d.authors, d.domain, d.language, d.country AS doc_country"


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every statement inside sees the same committed state."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def filters(
    where: MentionFilter,
    fts: FtsQuery | None,
    *,
    newest_first: bool = False,
    brand_order: bool = False,
    matched: list[int] | None = None,
) -> tuple[str, list[object]]:
    """The SQL condition (over ``mentions m``) and its parameters.

    ``newest_first``: the caller reads a page newest first. With several brands the
    planner would then read every mention of each brand through the per-brand index
    and sort them all for one page (measured: 195 ms for a first page of 20k
    mentions); the unary ``+`` keeps it off that index, so it walks ``mentions_time``
    newest first and stops after the page (0.24 ms).

    ``brand_order``: the caller reads one brand's page in the order of a per-brand
    sort index (``mentions_brand_reach``, ``mentions_brand_prominence``). The
    planner would otherwise take the window's range on ``mentions_stats`` and
    sort every mention of the window for one page (1M mentions: 2.4 s for the
    first page of 70k); the unary ``+`` on the window keeps it a filter, so the
    page is read in index order and the walk stops after it.

    ``matched``: the documents ``fts``'s full-text match names, when few
    (``small_match``). They replace the match, and the unary ``+`` keeps the
    brand and the window off their indexes, so the page is read document by
    document (``mentions_document``) instead of walking the whole window for a
    rare word (1M mentions, a word in no document: 950 ms -> under 1 ms)."""
    by_document = matched is not None
    clauses: list[str] = []
    params: list[object] = []
    if len(where.brand_ids) == 1:
        # "=" rather than IN: the planner then pages one brand in index order.
        plus = "+" if by_document else ""
        clauses.append(f"{plus}m.brand_id = ?")
        params.append(where.brand_ids[0])
    elif where.brand_ids:
        plus = "+" if newest_first or by_document else ""
        clauses.append(f"{plus}m.brand_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(where.brand_ids)))
    plus = "+" if by_document or (brand_order and len(where.brand_ids) == 1) else ""
    if where.start is not None:
        clauses.append(f"{plus}m.counted_us >= ?")
        params.append(to_us(where.start))
    if where.end is not None:
        clauses.append(f"{plus}m.counted_us < ?")
        params.append(to_us(where.end))
    if where.sentiment is not None:
        clauses.append("m.sentiment = ?")
        params.append(where.sentiment)
    for column, values in (
        ("channel", where.channels),
        ("country", where.countries),
        ("language", where.languages),
        ("outlet", where.outlets),
        ("tier", where.tiers),
        ("cluster_id", where.clusters),
    ):
        if values:
            clauses.append(f"m.{column} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(values)))
    if where.message is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(m.messages) j "
            "WHERE json_extract(j.value, '$.message') = ? "
            "AND json_extract(j.value, '$.stance') = ?)"
        )
        params.extend([where.message, where.message_stance])
    if matched is not None:
        clauses.append("m.document_pk IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(matched))
    elif fts is not None and fts.match is not None:
        clauses.append(
            "m.document_pk IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)"
        )
        params.append(fts.match)
    if fts is not None and fts.sql is not None:
        clauses.append(f"m.document_pk IN (SELECT pk FROM documents WHERE {fts.sql})")
        params.extend(fts.params)
    return " AND ".join(clauses) or "1", params


class _Matcher:
    """The exact check of a non-exact FTS query, once per document."""

    def __init__(self, query: Node | None, fts: FtsQuery | None) -> None:
        self._query = query if fts is not None and not fts.exact else None
        self._seen: dict[int, bool] = {}

    @property
    def needed(self) -> bool:
        return self._query is not None

    def __call__(self, doc_pk: int, row: sqlite3.Row) -> bool:
        """Whether the document matches; ``row`` has its ``_MATCH_COLUMNS``."""
        if self._query is None:
            return True
        found = self._seen.get(doc_pk)
        if found is None:
            found = find_spans(
                self._query,
                title=row["title"],
                text=row["text"],
                authors=tuple(json.loads(row["authors"])),
                domain=row["domain"],
                language=row["language"],
                country=row["doc_country"],
            ).matched
            self._seen[doc_pk] = found
        return found


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
    ``rollups``: from ``search._sqlite_rollup`` when it can answer."""
    if fts is not None and fts.never:
        return []
    if rollups:
        with _snapshot(conn):
            rolled = rollup_stats(
                conn, where, group_by=("brand",), interval=interval, tz=tz, count=count, top=None
            )
        if rolled is not None:
            return [BucketCount(r.start, str(r.key[0]), r.mentions) for r in rolled if r.start]
    condition, params = filters(where, fts)
    buckets = _SlotBuckets(interval, tz)
    matcher = _Matcher(where.query, fts)
    totals: Counter[tuple[datetime, str]] = Counter()
    with _snapshot(conn):
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


def search_mentions(
    conn: sqlite3.Connection,
    where: MentionFilter,
    fts: FtsQuery | None,
    *,
    limit: int,
    after: Key | None,
    sort: MentionSort = "time",
    collapse: bool = False,
) -> tuple[list[MentionHit], Key | None]:
    """One page of hits in ``sort`` order, after the key ``after``; and the key
    to continue from, or ``None`` on the last page. ``collapse``: keep a mention
    only when it is the first of its (brand, cluster) in that order among the
    filter's mentions (``search.Collapse``), with its count of copies.

    Keyset paging on the sort's columns then ``(counted_us, document_id,
    brand_id)``, all descending. Newest first is served in order by the
    ``mentions_time`` index (page n costs the same as page 1); the other sorts
    sort the filter's mentions for each page.
    """
    if fts is not None and fts.never:
        return [], None
    matcher = _Matcher(where.query, fts)
    batch = max(limit + 1, SCAN_BATCH) if matcher.needed or collapse else limit + 1
    # The text is only read when each candidate has to be checked.
    columns = _HIT_COLUMNS + (f", {_MATCH_COLUMNS}" if matcher.needed else "")
    clusters = _Clusters(conn, where, fts, matcher, sort) if collapse else None
    sort_columns = [f"m.{c}" for c in _SORT_COLUMNS[sort]]
    order = ", ".join(f"{c} DESC" for c in sort_columns)
    keyset_sql = f" AND ({', '.join(sort_columns)}) < ({', '.join('?' * len(sort_columns))})"

    def key(row: sqlite3.Row) -> Key:
        return tuple(row[c] for c in _SORT_COLUMNS[sort])

    found: list[sqlite3.Row] = []
    with _snapshot(conn):
        condition, params = filters(
            where,
            fts,
            newest_first=sort == "time",
            brand_order=sort != "time",
            matched=small_match(conn, fts),
        )
        while len(found) <= limit:
            keyset, key_params = "", []
            if after is not None:
                keyset, key_params = keyset_sql, list(after)
            rows = conn.execute(
                f"SELECT {columns} FROM mentions m JOIN documents d ON d.pk = m.document_pk "
                f"WHERE {condition}{keyset} ORDER BY {order} LIMIT ?",
                [*params, *key_params, batch],
            ).fetchall()
            for row in rows:
                if not matcher(row["document_pk"], row):
                    continue
                if clusters is not None and not clusters.leads(row, key(row)):
                    continue
                found.append(row)
                if len(found) > limit:
                    break
            if len(rows) < batch:
                break
            after = key(rows[-1])
    hits = [hit_from_row(row) for row in found[:limit]]
    if clusters is not None:
        hits = [replace(hit_from_row(row), copies=clusters.copies(row)) for row in found[:limit]]
    if len(found) <= limit:
        return hits, None
    return hits, key(found[limit - 1])


SMALL_MATCH = 2_000
"""Documents a full-text match may name for a page to read them one by one."""


def small_match(conn: sqlite3.Connection, fts: FtsQuery | None) -> list[int] | None:
    """The documents (``pk``) that ``fts``'s full-text match names, when at most
    ``SMALL_MATCH`` (see ``filters``); ``None`` otherwise or without a match."""
    if fts is None or fts.match is None:
        return None
    pks = [
        row[0]
        for row in conn.execute(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? LIMIT ?",
            (fts.match, SMALL_MATCH + 1),
        )
    ]
    return pks if len(pks) <= SMALL_MATCH else None


class _Clusters:
    """Per (brand, cluster) of the filter: the sort key of its first mention and
    how many mentions it has, each read once per page (all its mentions the
    filter covers, checked by the matcher when the query is not exact)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        where: MentionFilter,
        fts: FtsQuery | None,
        matcher: _Matcher,
        sort: MentionSort,
    ) -> None:
        self._conn = conn
        self._condition, self._params = filters(where, fts)
        self._matcher = matcher
        self._names = _SORT_COLUMNS[sort]
        self._seen: dict[tuple[str, str], tuple[Key, int]] = {}

    def _of(self, row: sqlite3.Row) -> tuple[Key, int]:
        cluster = (row["brand_id"], row["cluster_id"])
        if cluster not in self._seen:
            extra = f", {_MATCH_COLUMNS}" if self._matcher.needed else ""
            members = [
                member
                for member in self._conn.execute(
                    f"SELECT m.document_pk, {', '.join(f'm.{c}' for c in self._names)}{extra} "
                    "FROM mentions m JOIN documents d ON d.pk = m.document_pk "
                    f"WHERE {self._condition} AND m.brand_id = ? AND m.cluster_id = ?",
                    [*self._params, *cluster],
                )
                if self._matcher(member["document_pk"], member)
            ]
            own = tuple(row[c] for c in self._names)  # always among them, but never fail
            best = max((tuple(member[c] for c in self._names) for member in members), default=own)
            self._seen[cluster] = (best, len(members))
        return self._seen[cluster]

    def leads(self, row: sqlite3.Row, key: Key) -> bool:
        """Whether ``row`` (a mention the filter covers) is its cluster's first."""
        return self._of(row)[0] == key

    def copies(self, row: sqlite3.Row) -> int:
        return self._of(row)[1]
