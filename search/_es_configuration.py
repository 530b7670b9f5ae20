"""Brands, sources and feed states on Elasticsearch: the configuration indices.

A mixin of ``ElasticsearchStore``. Each kind has one small plain index,
``{prefix}-{kind}`` (``brands``, ``sources``, ``feed-states``, and
``url-aliases``, written by ``search._es_documents``), created by ``open()``
(``search._es_schema``) with the configuration mapping
(``mappings/config.json``): documents ``{"id", "body"}``, the body being the
object's JSON (``search._sqlite_codec``). Every write passes the store's
``refresh`` (read your writes); lists page through the index by id
(``search._es_alerts.list_bodies``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crawlers import FeedState, Source
from enrichment import Brand
from search import _es_codec as esc
from search import _sqlite_codec as codec
from search._es_alerts import list_bodies
from search._es_client import EsCalls

__all__ = ["ElasticsearchConfiguration"]


class ElasticsearchConfiguration:
    """The brands, sources and feed states of ``ElasticsearchStore`` (see the module
    docstring)."""

    prefix: str
    refresh: Any

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    async def _put(self, kind: str, key: str, body: str) -> None:
        calls = self._opened()
        await calls.call(
            f"put {kind}",
            calls.client.index,
            index=esc.config_index(self.prefix, kind),
            id=key,
            document={"id": key, "body": body},
            refresh=self.refresh,
        )

    async def _get(self, kind: str, key: str) -> str | None:
        calls = self._opened()
        found = await calls.call(
            f"get {kind}",
            calls.client.get,
            index=esc.config_index(self.prefix, kind),
            id=key,
            allow=(404,),
        )
        return str(found["_source"]["body"]) if found.get("found") else None

    async def _list(self, kind: str) -> list[str]:
        return await list_bodies(self._opened(), kind, esc.config_index(self.prefix, kind))

    async def _delete(self, kind: str, key: str) -> bool:
        calls = self._opened()
        result = await calls.call(
            f"delete {kind}",
            calls.client.delete,
            index=esc.config_index(self.prefix, kind),
            id=key,
            refresh=self.refresh,
            allow=(404,),
        )
        return result.get("result") == "deleted"

    async def put_brand(self, brand: Brand) -> None:
        await self._put("brands", brand.id, codec.to_json(brand))

    async def get_brand(self, brand_id: str) -> Brand | None:
        raw = await self._get("brands", brand_id)
        return None if raw is None else codec.brand_from_json(raw)

    async def list_brands(self) -> list[Brand]:
        return [codec.brand_from_json(raw) for raw in await self._list("brands")]

    async def delete_brand(self, brand_id: str) -> bool:
        """Forget the brand; its mentions stay (history is not rewritten)."""
        return await self._delete("brands", brand_id)

    async def put_source(self, source: Source) -> None:
        await self._put("sources", source.id, codec.to_json(source))

    async def get_source(self, source_id: str) -> Source | None:
        raw = await self._get("sources", source_id)
        return None if raw is None else codec.source_from_json(raw)

    async def list_sources(self) -> list[Source]:
        return [codec.source_from_json(raw) for raw in await self._list("sources")]

    async def delete_source(self, source_id: str) -> bool:
        """Forget the source; its documents and feed state stay."""
        return await self._delete("sources", source_id)

    async def get_feed_state(self, source_id: str) -> FeedState | None:
        raw = await self._get("feed-states", source_id)
        return None if raw is None else codec.feed_state_from_json(raw)

    async def put_feed_state(self, state: FeedState) -> None:
        await self._put("feed-states", state.source_id, codec.to_json(state))

    async def update_feed_state(
        self, source_id: str, change: Callable[[FeedState | None], FeedState | None]
    ) -> FeedState | None:
        state = change(await self.get_feed_state(source_id))
        if state is not None:
            await self.put_feed_state(state)
        return state
