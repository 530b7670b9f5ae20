"""Bulk reads and deletes of the Elasticsearch store: copying out, retention, strays.

- ``documents_after``: documents in ascending id order (``search_after`` on
  ``id``), with their mentions, for ``clarion migrate``.
- ``delete_before``: retention. Whole months before the cutoff are dropped as
  indices (cheap: no per-document work), the partial month by
  ``delete_by_query`` (with ``refresh``: retention is rare and its result
  must be visible at once). Mentions go before documents, so a run that stops
  half-way never leaves mentions counted whose document is gone; the next
  run finishes it.
- ``stray_mentions``: mention documents of one document that a save is about
  to make obsolete but that the stored document does not list (left by a save
  that stopped between writing mentions and writing the document).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crawlers import Document
from enrichment import Mention
from search import _es_codec as esc
from search._es_client import EsCalls
from search._sqlite_codec import to_us

__all__ = ["delete_before", "documents_after", "stray_mentions"]

# Hits per search of mentions (below the default max_result_window of 10 000).
_MENTION_PAGE = 1000
# Stray mentions a save looks for in one request: a document is mentioned by a
# handful of brands; more than this many strays means something else is wrong,
# and the next save removes the rest.
_STRAYS = 500


async def documents_after(
    calls: EsCalls, prefix: str, after: str | None, *, limit: int
) -> list[tuple[Document, list[Mention]]]:
    """Up to ``limit`` documents with ``id > after`` in ascending id order, with their
    mentions (ascending brand id)."""
    first: dict[str, Any] = {"search_after": [after]} if after is not None else {}
    page = await calls.call(
        "documents_after: documents",
        calls.client.search,
        index=esc.index_pattern(prefix, "documents"),
        size=limit,
        sort=[{"id": "asc"}],
        query={"match_all": {}},
        allow_no_indices=True,
        **first,
    )
    docs: dict[str, Document] = {}
    for hit in page["hits"]["hits"]:
        doc = esc.document_from_source(hit["_source"])
        docs.setdefault(doc.id, doc)  # a document caught mid-move between months: once
    mentions: dict[str, list[Mention]] = {doc_id: [] for doc_id in docs}
    seen: set[tuple[str, str]] = set()
    search_after: list[Any] | None = None
    while docs:
        found = await calls.call(
            "documents_after: mentions",
            calls.client.search,
            index=esc.index_pattern(prefix, "mentions"),
            size=_MENTION_PAGE,
            sort=[{"document_id": "asc"}, {"brand_id": "asc"}],
            query={"terms": {"document_id": list(docs)}},
            allow_no_indices=True,
            **({"search_after": search_after} if search_after is not None else {}),
        )
        hits = found["hits"]["hits"]
        for hit in hits:
            mention = esc.hit_from_source(hit["_source"]).mention
            key = (mention.document_id, mention.brand_id)
            if key not in seen:
                seen.add(key)
                mentions[mention.document_id].append(mention)
        if len(hits) < _MENTION_PAGE:
            break
        search_after = hits[-1]["sort"]
    return [(doc, mentions[doc_id]) for doc_id, doc in docs.items()]


async def stray_mentions(
    calls: EsCalls, prefix: str, doc_id: str, *, keep: set[str], counted_us: int
) -> list[tuple[str, str]]:
    """``(index, id)`` of the mentions of ``doc_id`` other than those of brands in
    ``keep`` counted at ``counted_us`` (the ones the save writes)."""
    current = [{"terms": {"brand_id": sorted(keep)}}, {"term": {"counted_us": counted_us}}]
    keep_current = {"bool": {"filter": current}}
    found = await calls.call(
        "save_document: strays",
        calls.client.search,
        index=esc.index_pattern(prefix, "mentions"),
        size=_STRAYS,
        source=False,
        query={"bool": {"filter": [{"term": {"document_id": doc_id}}], "must_not": [keep_current]}},
        allow_no_indices=True,
    )
    return [(str(h["_index"]), str(h["_id"])) for h in found["hits"]["hits"]]


async def delete_before(calls: EsCalls, prefix: str, cutoff: datetime) -> int:
    """Delete every document and mention counted before ``cutoff``; the documents deleted.

    Monthly indices whose whole (UTC) month ends by ``cutoff`` are deleted
    whole; the rest by ``delete_by_query`` on ``counted_us``.
    """
    cutoff_us = to_us(cutoff)
    before = {"range": {"counted_us": {"lt": cutoff_us}}}
    counted = await calls.call(
        "retention: count",
        calls.client.count,
        index=esc.index_pattern(prefix, "documents"),
        query=before,
        allow_no_indices=True,
    )
    cutoff_month = esc.month_suffix(cutoff_us)
    for kind in ("mentions", "documents"):
        found = await calls.call(
            f"retention: list {kind}",
            calls.client.indices.get,
            index=esc.index_pattern(prefix, kind),
            allow_no_indices=True,
        )
        month_prefix = f"{prefix}-{kind}-"
        for name in sorted(found):
            if name.startswith(month_prefix) and name[len(month_prefix) :] < cutoff_month:
                await calls.call(f"retention: drop {name}", calls.client.indices.delete, index=name)
        await calls.call(
            f"retention: delete {kind}",
            calls.client.delete_by_query,
            index=esc.index_pattern(prefix, kind),
            query=before,
            conflicts="proceed",
            refresh=True,
            allow_no_indices=True,
        )
    return int(counted["count"])
