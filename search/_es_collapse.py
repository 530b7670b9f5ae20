"""``search_mentions(collapse="cluster")`` on Elasticsearch: which mentions lead
their (brand, syndication cluster), and how many copies each cluster has.

A mention leads when no other mention of its brand and cluster that the filter
covers comes before it in the sort's (total) order. That depends only on the
filter and the sort, never on the page, so keyset paging over the leading
mentions neither repeats nor skips a cluster (``search.Collapse``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from search import _es_codec as esc
from search._es_client import EsCalls
from search._sqlite_codec import Key

__all__ = ["CLUSTER_BATCH", "Clusters"]

# Members of one cluster read per round trip: a wire story reprinted by a few
# hundred outlets is read in one, and a page of 50 stories stays a few requests each.
CLUSTER_BATCH = 1000

Check = Callable[[EsCalls, str, list[str]], Awaitable[set[str]]]
"""The exact query check: the ones of the document ids that match."""


class Clusters:
    """Per (brand, cluster): the sort key of its first mention the filter covers and
    its count of them, each read once (every member, checked by ``check``)."""

    def __init__(
        self,
        calls: EsCalls,
        prefix: str,
        clauses: list[Any],
        *,
        fields: tuple[str, ...],
        key: Callable[[dict[str, Any]], Key],
        check: Check,
    ) -> None:
        self._calls = calls
        self._prefix = prefix
        self._clauses = clauses
        self._fields = fields
        self._key = key
        self._check = check
        self._seen: dict[tuple[str, str], tuple[Key, int]] = {}

    async def _of(self, src: dict[str, Any]) -> tuple[Key, int]:
        cluster = (str(src["brand_id"]), str(src["cluster_id"]))
        if cluster in self._seen:
            return self._seen[cluster]
        clauses = [
            *self._clauses,
            {"term": {"brand_id": cluster[0]}},
            {"term": {"cluster_id": cluster[1]}},
        ]
        members: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            page = await self._calls.call(
                "search_mentions: cluster",
                self._calls.client.search,
                index=esc.index_pattern(self._prefix, "mentions"),
                query={"bool": {"filter": clauses}},
                source=list(self._fields),
                sort=[{f: "desc"} for f in self._fields],
                size=CLUSTER_BATCH,
                **({"search_after": after} if after is not None else {}),
            )
            hits: list[dict[str, Any]] = page["hits"]["hits"]
            members.extend(h["_source"] for h in hits)
            if len(hits) < CLUSTER_BATCH:
                break
            after = hits[-1]["sort"]
        ok = await self._check(self._calls, self._prefix, [m["document_id"] for m in members])
        kept = [m for m in members if m["document_id"] in ok]
        best = max((self._key(m) for m in kept), default=self._key(src))
        self._seen[cluster] = (best, len(kept))
        return self._seen[cluster]

    async def leads(self, src: dict[str, Any]) -> bool:
        """Whether the mention ``src`` (one the filter covers) is its cluster's first."""
        return (await self._of(src))[0] == self._key(src)

    async def copies(self, src: dict[str, Any]) -> int:
        return (await self._of(src))[1]
