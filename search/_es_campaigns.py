"""``CampaignStore`` on Elasticsearch: one small plain index ``{prefix}-campaigns``.

A mixin of ``ElasticsearchStore``; mapping in ``mappings/campaigns.json``. The index is
created on the first campaign call after ``open()`` (idempotently), like the alert
indices. Every write passes the store's ``refresh`` (read your writes). ``put_campaign``
is one ``index`` call: its ``result`` (``created`` / ``updated``) is the answer, so
creating and replacing need no read first. Lists page with ``search_after`` on
(``start_us`` descending, ``id``). Contract: ``search._campaigns_store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from search._campaigns_store import (
    Campaign,
    check_campaign,
    decode_campaign,
    encode_campaign,
)
from search._es_client import EsCalls
from search._es_schema import create_index, mapping
from search._sqlite_codec import to_us

__all__ = ["ElasticsearchCampaigns"]

# Campaigns listed per request: far more than one brand runs, and a small response.
_LIST_PAGE = 1000


class ElasticsearchCampaigns:
    """The ``CampaignStore`` half of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any
    _campaigns_installed_for: EsCalls | None = None

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    def _campaigns_index(self) -> str:
        return f"{self.prefix}-campaigns"

    async def _campaigns_calls(self) -> EsCalls:
        calls = self._opened()
        if self._campaigns_installed_for is calls:
            return calls
        await create_index(calls, self._campaigns_index(), mapping("campaigns"), what="campaigns")
        self._campaigns_installed_for = calls
        return calls

    async def put_campaign(self, campaign: Campaign) -> bool:
        check_campaign(campaign)
        calls = await self._campaigns_calls()
        result = await calls.call(
            "put campaign",
            calls.client.index,
            index=self._campaigns_index(),
            id=campaign.id,
            document={
                "id": campaign.id,
                "brand_id": campaign.brand_id,
                "start_us": to_us(campaign.start),
                "body": encode_campaign(campaign),
            },
            refresh=self.refresh,
        )
        return result.get("result") == "created"

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        calls = await self._campaigns_calls()
        found = await calls.call(
            "get campaign",
            calls.client.get,
            index=self._campaigns_index(),
            id=campaign_id,
            allow=(404,),
        )
        return decode_campaign(str(found["_source"]["body"])) if found.get("found") else None

    async def list_campaigns(self, *, brand_id: str | None = None) -> list[Campaign]:
        calls = await self._campaigns_calls()
        query: dict[str, Any] = (
            {"term": {"brand_id": brand_id}} if brand_id is not None else {"match_all": {}}
        )
        out: list[Campaign] = []
        after: list[Any] | None = None
        while True:
            page = await calls.call(
                "list campaigns",
                calls.client.search,
                index=self._campaigns_index(),
                size=_LIST_PAGE,
                sort=[{"start_us": "desc"}, {"id": "asc"}],
                query=query,
                **({"search_after": after} if after is not None else {}),
            )
            hits = page["hits"]["hits"]
            out.extend(decode_campaign(str(h["_source"]["body"])) for h in hits)
            if len(hits) < _LIST_PAGE:
                return out
            after = hits[-1]["sort"]

    async def delete_campaign(self, campaign_id: str) -> bool:
        calls = await self._campaigns_calls()
        result = await calls.call(
            "delete campaign",
            calls.client.delete,
            index=self._campaigns_index(),
            id=campaign_id,
            refresh=self.refresh,
            allow=(404,),
        )
        return result.get("result") == "deleted"
