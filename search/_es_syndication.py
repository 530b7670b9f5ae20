"""The Elasticsearch store's syndication lookup and key-message aggregation.

- ``syndication_candidates``: documents whose ``minhash_bands`` hold any of
  the keys, one ``term`` clause per key in a ``bool.should``, so a document's
  score is the number of keys it shares and the most similar come first.
- ``pull_through``: one search of size 0 over the mentions of the filter, with
  ``terms`` aggregations on ``messages_carried`` / ``messages_contradicted``
  and ``filter`` aggregations for "at least one"; nothing is fetched per hit.
"""

from __future__ import annotations

from typing import Any

from enrichment import SyndicationCandidate
from search import _es_codec as esc
from search._es_client import EsCalls
from search._es_queries import bool_query, filters
from search._store import MAX_SYNDICATION_CANDIDATES, MentionFilter, PullThrough

__all__ = ["MAX_MESSAGES", "pull_through", "syndication_candidates"]

MAX_MESSAGES = 1000
"""Most distinct key messages per stance an aggregation returns: a brand has a
handful; a set of brands, far below this."""


async def syndication_candidates(
    calls: EsCalls, prefix: str, band_keys: list[int]
) -> list[SyndicationCandidate]:
    keys = list(dict.fromkeys(band_keys))
    page = await calls.call(
        "syndication_candidates",
        calls.client.search,
        index=esc.index_pattern(prefix, "documents"),
        query={
            "bool": {
                "should": [
                    {"constant_score": {"filter": {"term": {"minhash_bands": k}}}} for k in keys
                ],
                "minimum_should_match": 1,
            }
        },
        source=["id", "cluster_id", "minhash"],
        sort=[{"_score": "desc"}, {"id": "asc"}],
        size=MAX_SYNDICATION_CANDIDATES,
    )
    found = []
    for hit in page["hits"]["hits"]:
        src: dict[str, Any] = hit["_source"]
        signature = tuple(int(v) for v in src.get("minhash") or ())
        if signature:
            found.append(
                SyndicationCandidate(
                    str(src["id"]), str(src.get("cluster_id") or src["id"]), signature
                )
            )
    return found


async def pull_through(calls: EsCalls, prefix: str, where: MentionFilter) -> PullThrough:
    body = await calls.call(
        "pull_through",
        calls.client.search,
        index=esc.index_pattern(prefix, "mentions"),
        size=0,
        track_total_hits=True,
        query=bool_query(filters(where, None, mentions=True)),
        aggs={
            "carried": {"terms": {"field": "messages_carried", "size": MAX_MESSAGES}},
            "contradicted": {"terms": {"field": "messages_contradicted", "size": MAX_MESSAGES}},
            "any_carried": {"filter": {"exists": {"field": "messages_carried"}}},
            "any_contradicted": {"filter": {"exists": {"field": "messages_contradicted"}}},
        },
    )
    aggs = body.get("aggregations") or {}

    def terms(name: str) -> dict[str, int]:
        buckets = (aggs.get(name) or {}).get("buckets") or []
        return {str(b["key"]): int(b["doc_count"]) for b in buckets}

    return PullThrough(
        mentions=int(body["hits"]["total"]["value"]),
        carried=terms("carried"),
        contradicted=terms("contradicted"),
        any_carried=int((aggs.get("any_carried") or {}).get("doc_count", 0)),
        any_contradicted=int((aggs.get("any_contradicted") or {}).get("doc_count", 0)),
    )
