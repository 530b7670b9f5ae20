"""What copying a store reads (and writes) beyond documents, on Elasticsearch.

A mixin of ``ElasticsearchStore``: URL aliases paged by alias id and written in bulk
(``Store.url_aliases_after``, ``Store.put_url_aliases``) in ``{prefix}-url-aliases``,
one of the store's configuration indices (``search._es_codec.CONFIG_KINDS``, created
by ``open()``: documents ``{"id": alias id, "body": document id}``); and the
documents' syndication records (``Store.syndications``: the ``cluster_id``,
``minhash`` and ``minhash_bands`` fields of the documents' ``_source``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from enrichment import Syndication
from search._es_client import EsCalls
from search._es_codec import config_index, index_pattern
from search._sqlite_export import MAX_ALIAS_PAGE
from search._store import StoreError

__all__ = ["ElasticsearchExport"]

# Ids per ``syndications`` search: a copy's batch (at most 1000) in one request.
_IDS_CHUNK = 1000


class ElasticsearchExport:
    """The URL-alias paging half of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    async def url_aliases_after(self, after: str | None, *, limit: int) -> list[tuple[str, str]]:
        """See ``search.Store.url_aliases_after``: ``search_after`` on the id (total)."""
        if not 1 <= limit <= MAX_ALIAS_PAGE:
            raise StoreError(f"limit {limit} outside 1..{MAX_ALIAS_PAGE}")
        calls = self._opened()
        paging: dict[str, Any] = {"search_after": [after]} if after is not None else {}
        body = await calls.call(
            "url_aliases_after",
            calls.client.search,
            index=config_index(self.prefix, "url-aliases"),
            size=limit,
            query={"match_all": {}},
            sort=[{"id": "asc"}],
            **paging,
        )
        return [(str(h["_source"]["id"]), str(h["_source"]["body"])) for h in body["hits"]["hits"]]

    async def put_url_aliases(self, aliases: Sequence[tuple[str, str]]) -> None:
        """See ``search.Store.put_url_aliases``; one bulk request (idempotent: index by id)."""
        calls = self._opened()
        operations: list[dict[str, Any]] = []
        for alias, document in aliases:
            operations.append(
                {"index": {"_index": config_index(self.prefix, "url-aliases"), "_id": alias}}
            )
            operations.append({"id": alias, "body": document})
        await calls.bulk("put_url_aliases", operations, refresh=self.refresh)

    async def syndications(self, ids: Sequence[str]) -> dict[str, Syndication]:
        """See ``search.Store.syndications``: one search per ``_IDS_CHUNK`` ids."""
        calls = self._opened()
        unique = list(dict.fromkeys(ids))
        found: dict[str, Syndication] = {}
        for i in range(0, len(unique), _IDS_CHUNK):
            chunk = unique[i : i + _IDS_CHUNK]
            page = await calls.call(
                "syndications",
                calls.client.search,
                index=index_pattern(self.prefix, "documents"),
                query={"ids": {"values": chunk}},
                source=["cluster_id", "minhash", "minhash_bands"],
                size=len(chunk),
            )
            for hit in page["hits"]["hits"]:
                src = hit["_source"]
                signature = tuple(int(v) for v in src.get("minhash") or ())
                if signature:  # saved without a signature: no syndication record
                    keys = tuple(int(v) for v in src.get("minhash_bands") or ())
                    found[str(hit["_id"])] = Syndication(str(src["cluster_id"]), signature, keys)
        return found
