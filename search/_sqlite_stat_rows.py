"""The rows the SQLite store's statistics group, in SQL: each dimension's column
and the joins it needs (``_COLUMN``, ``_source``), the columns the units read
(``_rows``) and the units of ``count="document"`` (``_units``). Shared by the
series (``search._sqlite_stats``) and the rankings (``search._sqlite_ranking``).

``count="document"`` is computed in SQL (``_units``: the earliest copy of each
unit and the sum of its outlets' audiences, two ``GROUP BY`` levels), with the
rule of ``search._stats.document_rows``, which Elasticsearch's parts still go
through; ``tests/store_contract/test_stats_reference.py`` holds both to it.
"""

from __future__ import annotations

import sqlite3

from enrichment import SentimentLabel
from search._store import Dimension, GroupKey

_COLUMN: dict[Dimension, str] = {
    "brand": "m.brand_id",
    "channel": "m.channel",
    "country": "m.country",
    "language": "m.language",
    "tier": "m.tier",
    "outlet": "m.outlet",
    "cluster": "m.cluster_id",
    "author": "a.value",
    "spokesperson": "sp.value",
}
# The authors are only on the document: joined when grouping by them (a document
# without authors gives one row with a NULL author, as Elasticsearch's missing bucket).
_WITH_AUTHORS = (
    "mentions m JOIN documents d ON d.pk = m.document_pk LEFT JOIN json_each(d.authors) a"
)
# The spokespeople a mention quotes (a JSON array on the mention), joined likewise.
_WITH_SPOKESPEOPLE = " LEFT JOIN json_each(m.spokespeople) sp"


def _source(dims: tuple[Dimension, ...]) -> str:
    source = _WITH_AUTHORS if "author" in dims else "mentions m"
    return source + _WITH_SPOKESPEOPLE if "spokesperson" in dims else source


def _dims_of(row: sqlite3.Row, dims: tuple[Dimension, ...]) -> dict[Dimension, GroupKey]:
    return {d: row[f"d{i}"] for i, d in enumerate(dims)}


def _select(dims: tuple[Dimension, ...]) -> str:
    return ", ".join(f"{_COLUMN[d]} AS d{i}" for i, d in enumerate(dims))


# A copy's counted time and sentiment in one ordered integer: time * 4 + label,
# labels in the contract's tie order (negative < neutral < positive), so that
# MIN() picks the earliest copy and, at equal times, the first label. Counted
# times (microseconds, |t| < 2**61) times 4 stay inside SQLite's 64-bit integers.
_FIRST = (
    "r.counted_us * 4 + CASE r.sentiment WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END"
)
_LABEL: dict[int, SentimentLabel] = {0: "negative", 1: "neutral", 2: "positive"}


def _rows(source: str, condition: str, dims: tuple[Dimension, ...]) -> str:
    """The rows of ``source`` meeting ``condition`` with the columns the units
    read: ``d0``, ``d1``... (the dimensions), ``cluster``, ``outlet``,
    ``sentiment``, ``counted_us``, ``audience``."""
    return (
        f"SELECT {_select(dims)}, m.cluster_id AS cluster, m.outlet AS outlet, "
        "m.sentiment AS sentiment, m.counted_us AS counted_us, m.audience AS audience "
        f"FROM {source} WHERE {condition}"
    )


def _units(rows: str, dims: tuple[Dimension, ...]) -> str:
    """The units of ``count="document"`` among ``rows`` (``_rows``) as a subquery
    aliased ``m``: one row per (dimensions, cluster) with ``counted_us`` and
    ``label`` (0 negative, 1 neutral, 2 positive) of its earliest copy
    (``search._stats.document_rows``' rule, in SQL) and ``audience``, the sum over
    its distinct outlets of each outlet's largest audience; the dimensions as
    ``d0``, ``d1``... Two ``GROUP BY`` levels: per outlet's copies, then per unit."""
    cols = ", ".join(f"d{i}" for i in range(len(dims)))
    copies = (
        f"SELECT {cols}, cluster, MIN({_FIRST}) AS first, MAX(r.audience) AS audience "
        f"FROM ({rows}) r GROUP BY {cols}, cluster, r.outlet"
    )
    units = (
        f"SELECT {cols}, MIN(first) AS first, SUM(audience) AS audience "
        f"FROM ({copies}) GROUP BY {cols}, cluster"
    )
    # (first - (first & 3)) / 4 is exact, so it is the floor division for negative times too.
    return (
        f"(SELECT {cols}, (first - (first & 3)) / 4 AS counted_us, first & 3 AS label, "
        f"audience FROM ({units})) m"
    )
