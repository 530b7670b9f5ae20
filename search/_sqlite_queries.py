"""The SQLite store's mention search (``search_mentions``), as a blocking
function of one connection (the store runs it in a worker thread): pages of
hits in keyset order, filtered by ``search._sqlite_filters``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from search._fts import FtsQuery
from search._sqlite_codec import Key, hit_from_row
from search._sqlite_conn import snapshot
from search._sqlite_filters import _MATCH_COLUMNS, _Matcher, filters
from search._store import MentionFilter, MentionHit, MentionSort

__all__ = ["MAX_PAGE_SIZE", "SCAN_BATCH", "search_mentions"]

# The largest page ``search_mentions`` serves: a page is built in memory with
# its snippets; the API asks for at most 200.
MAX_PAGE_SIZE = 1000
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
    with snapshot(conn):
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
