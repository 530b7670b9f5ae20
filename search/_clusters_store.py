"""The cluster store contract: one brand's copies of given syndication clusters.

``ClusterStore`` is implemented by both stores (``SQLiteStore``,
``ElasticsearchStore``) next to ``search.Store``; the suite in
``tests/store_contract/test_cluster_copies.py`` checks it. Contract:

- ``cluster_copies(brand_id, cluster_ids, limit=...)`` returns, for each cluster
  of ``cluster_ids`` that has any, the brand's mentions in that cluster (a
  mention's cluster as stored: its own, else its document's syndication cluster,
  else its document), **over all time**, earliest first (by the time the mention
  counts at, then document id), at most ``limit`` (1 to ``MAX_CLUSTER_COPIES``,
  else ``StoreError``) per cluster. Clusters without a mention of the brand are
  absent. At most ``MAX_CLUSTERS`` ids per call (else ``StoreError``).
  The first copy is therefore the story's first appearance for the brand: what
  tells a new story from an old one gaining a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from search._store import MentionHit, StoreError

__all__ = [
    "MAX_CLUSTERS",
    "MAX_CLUSTER_COPIES",
    "ClusterStore",
    "check_cluster_call",
    "cluster_store",
]

MAX_CLUSTERS = 100
"""Cluster ids per ``cluster_copies`` call: callers ask about the few clusters that
grew in a window, and each is one indexed read."""
MAX_CLUSTER_COPIES = 1000
"""Copies per cluster per call: a wire story's reprints within a day, read at once."""


@runtime_checkable
class ClusterStore(Protocol):
    """See the module docstring for the contract."""

    async def cluster_copies(
        self, brand_id: str, cluster_ids: Sequence[str], *, limit: int
    ) -> dict[str, list[MentionHit]]: ...


def check_cluster_call(cluster_ids: Sequence[str], limit: int) -> list[str]:
    """The distinct ids to read; ``StoreError`` for arguments outside the contract."""
    if not 1 <= limit <= MAX_CLUSTER_COPIES:
        raise StoreError(f"limit must be 1 to {MAX_CLUSTER_COPIES}, not {limit}")
    ids = list(dict.fromkeys(cluster_ids))
    if len(ids) > MAX_CLUSTERS:
        raise StoreError(f"at most {MAX_CLUSTERS} clusters per call, not {len(ids)}")
    return ids


def cluster_store(store: object) -> ClusterStore:
    """``store`` as a ``ClusterStore``; ``StoreError`` for a store without it."""
    if not isinstance(store, ClusterStore):
        raise StoreError(f"{type(store).__name__} does not read cluster copies")
    return store
