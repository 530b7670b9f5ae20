"""``ClusterStore`` on Elasticsearch: one search per cluster over the mentions
indices (``brand_id`` and ``cluster_id`` are keywords), sorted by counted time
then document id. Contract: ``search._clusters_store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from search import _es_codec as esc
from search._clusters_store import check_cluster_call
from search._es_client import EsCalls
from search._store import MentionHit

__all__ = ["ElasticsearchClusters"]


class ElasticsearchClusters:
    """The ``ClusterStore`` part of ``ElasticsearchStore`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ElasticsearchStore
        prefix: str

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    async def cluster_copies(
        self, brand_id: str, cluster_ids: Sequence[str], *, limit: int
    ) -> dict[str, list[MentionHit]]:
        ids = check_cluster_call(cluster_ids, limit)
        calls = self._opened()
        found: dict[str, list[MentionHit]] = {}
        for cid in ids:
            page = await calls.call(
                "cluster_copies",
                calls.client.search,
                index=esc.index_pattern(self.prefix, "mentions"),
                query={
                    "bool": {
                        "filter": [
                            {"term": {"brand_id": brand_id}},
                            {"term": {"cluster_id": cid}},
                        ]
                    }
                },
                sort=[{"counted_us": "asc"}, {"document_id": "asc"}],
                size=limit,
            )
            hits = [esc.hit_from_source(h["_source"]) for h in page["hits"]["hits"]]
            if hits:
                found[cid] = hits
        return found
