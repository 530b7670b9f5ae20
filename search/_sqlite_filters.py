"""The SQL condition of a ``MentionFilter`` over ``mentions m`` (``filters``), and
the exact check of the documents it lets through (``_Matcher``), for the SQLite
store's queries.

Query filters: the FTS index narrows the candidates; when the compiled query
is not exact (see ``search._fts``), each candidate document is checked with
``enrichment.find_spans``.
"""

from __future__ import annotations

import json
import sqlite3

from enrichment import find_spans
from enrichment._query_ast import Node
from search._fts import FtsQuery
from search._sqlite_codec import to_us
from search._store import MentionFilter

__all__ = ["filters"]

# What the evaluator reads of a candidate document when the FTS query is not exact.
_MATCH_COLUMNS = "d.title, d.text, d.authors, d.domain, d.language, d.country AS doc_country"


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
