"""Rankings (``top``, ``search.StatTop``) of the SQLite store's ``mention_stats``,
cut in SQL (``_ranked``: ``ORDER BY ... LIMIT``), with ``count="outlet"`` and
with ``by="copies"``; one brand's most copied stories (``_top_syndicated``) are
read from its clusters of two or more mentions only.
"""

from __future__ import annotations

import sqlite3

from search._sqlite_codec import to_us
from search._sqlite_stat_rows import _FIRST, _rows, _source
from search._stats import part_dimensions
from search._store import CountBy, Dimension, MentionFilter, StatRow, StatTop

# The ranking's ORDER BY after the keys: most first, ties by the second figure.
_ORDER: dict[str, str] = {
    "mentions": "mentions DESC, reach DESC",
    "reach": "reach DESC, mentions DESC",
    "copies": "copies DESC, reach DESC",
}


def _stat_row(
    row: sqlite3.Row, group_by: tuple[Dimension, ...], dims: tuple[Dimension, ...]
) -> StatRow:
    return StatRow(
        start=None,
        key=tuple(row[f"d{dims.index(d)}"] for d in group_by),
        mentions=row["mentions"],
        positive=row["positive"],
        neutral=row["neutral"],
        negative=row["negative"],
        reach=row["reach"],
    )


def _ranked(
    conn: sqlite3.Connection,
    condition: str,
    params: list[object],
    dims: tuple[Dimension, ...],
    group_by: tuple[Dimension, ...],
    count: CountBy,
    top: StatTop,
    source: str | None,
) -> list[sqlite3.Row]:
    """``top``'s groups (``search.StatTop``) ranked and cut in SQL (``ORDER BY
    ... LIMIT``), as SQL returns them (with their ``copies``; ``_stat_row`` makes
    them ``StatRow``s): one statement, no parts folded in Python.
    ``count="outlet"``: one ``GROUP BY`` of the mentions. ``count="document"``:
    the units of ``_units`` (with each unit's copies) grouped once more by
    ``group_by``. Keys ascend with ``NULL`` first, as ``StatTop`` orders them.
    ``source``: where the mentions ``m`` are read from (``_source(dims)`` when
    ``None``)."""
    mentions = source or _source(dims)
    keys = [f"d{dims.index(d)}" for d in group_by]
    group = f"GROUP BY {', '.join(keys)} " if keys else ""
    order = ", ".join([_ORDER[top.by], *keys])
    picked = "".join(f"{k}, " for k in keys)
    if count == "outlet":
        source = f"({_rows(mentions, condition, dims)}) m"
        labels = "CASE m.sentiment WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END"
        figures = "COUNT(*) AS copies, SUM(m.audience) AS reach"
    else:
        cols = ", ".join(f"d{i}" for i in range(len(dims)))
        rows = _rows(mentions, condition, dims)
        per_outlet = (
            f"SELECT {cols}, cluster, MIN({_FIRST}) AS first, MAX(r.audience) AS audience, "
            f"COUNT(*) AS n FROM ({rows}) r GROUP BY {cols}, cluster, r.outlet"
        )
        source = (
            f"(SELECT {cols}, MIN(first) AS first, SUM(audience) AS audience, SUM(n) AS n "
            f"FROM ({per_outlet}) GROUP BY {cols}, cluster) m"
        )
        labels = "(m.first & 3)"
        figures = "SUM(m.n) AS copies, SUM(m.audience) AS reach"
    found = conn.execute(
        f"SELECT {picked}SUM({labels} = 0) AS negative, SUM({labels} = 1) AS neutral, "
        f"SUM({labels} = 2) AS positive, COUNT(*) AS mentions, {figures} "
        f"FROM {source} {group}ORDER BY {order} LIMIT ?",
        [*params, top.limit],
    ).fetchall()
    # No GROUP BY: one row, of zeros when nothing matched.
    return [row for row in found if row["mentions"]]


def _top_syndicated(
    conn: sqlite3.Connection,
    where: MentionFilter,
    condition: str,
    params: list[object],
    count: CountBy,
    top: StatTop,
) -> list[StatRow] | None:
    """The most copied stories (``group_by=("cluster",)``, ``by="copies"``) read
    from the clusters of two or more mentions that overlap the window
    (``mention_clusters``, ``search._sqlite_rollup``) instead of every cluster:
    one with two copies in the window outranks every cluster of one. ``None``
    when fewer than ``top.limit`` have two (the ranking then needs them all), and
    for several brands (a cluster's copies are then summed over its brands)."""
    if where.start is None or where.end is None or len(where.brand_ids) != 1:
        return None
    (span,) = conn.execute("SELECT MAX(span_us) FROM mention_clusters").fetchone()
    if span is None:
        return None
    start, end = to_us(where.start), to_us(where.end)
    source = (
        "mention_clusters k CROSS JOIN mentions m INDEXED BY mentions_cluster "
        "ON m.cluster_id = k.cluster_id AND m.brand_id = k.brand_id"
    )
    overlapping = (
        f"k.brand_id = ? AND k.first_us < ? AND k.first_us >= ? AND k.last_us >= ? AND {condition}"
    )
    dims = part_dimensions(("cluster",))
    found = _ranked(
        conn,
        overlapping,
        [where.brand_ids[0], end, start - span, start, *params],
        dims,
        ("cluster",),
        count,
        top,
        source,
    )
    if len(found) < top.limit or found[-1]["copies"] < 2:
        return None
    return [_stat_row(row, ("cluster",), dims) for row in found]
