"""The campaign store contract: a brand's campaigns, the windows its reports compare.

``CampaignStore`` is implemented by both stores (``SQLiteStore``, ``ElasticsearchStore``)
next to ``search.Store``; ``tests/store_contract/test_campaigns.py`` checks it.
Contract, in addition to ``search.Store``'s (open/close, aware times in and UTC out,
``StoreError`` / ``TemporaryStoreError``, read your writes):

- Campaigns are configuration: ``put_campaign`` creates or replaces by id and
  answers ``True`` when it created one (``False``: replaced); putting the same
  campaign twice leaves one. A campaign with a naive ``start`` / ``end`` or with
  ``end <= start`` is refused with ``StoreError`` before anything is written.
- ``list_campaigns(brand_id=...)`` returns every campaign (of that brand only, when
  given), latest ``start`` first, ties by id; ``get_campaign`` the one with that id;
  ``delete_campaign`` says whether one was there.
- A campaign names its brand by id; the store does not check that the brand exists
  (the API does), and deleting a brand leaves its campaigns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from search._sqlite_codec import from_us, to_us
from search._store import StoreError

__all__ = [
    "Campaign",
    "CampaignStore",
    "campaign_store",
    "check_campaign",
    "decode_campaign",
    "encode_campaign",
    "sort_campaigns",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """A brand's campaign: ``start`` (inclusive) to ``end`` (exclusive), aware times.

    ``tags`` are the labels its traffic carries (``utm_campaign`` values): a
    campaign report counts the earned traffic whose campaign is one of them.
    """

    id: str
    brand_id: str
    name: str
    start: datetime
    end: datetime
    tags: tuple[str, ...] = ()
    description: str = ""


@runtime_checkable
class CampaignStore(Protocol):
    """See the module docstring for the contract."""

    async def put_campaign(self, campaign: Campaign) -> bool: ...
    async def get_campaign(self, campaign_id: str) -> Campaign | None: ...
    async def list_campaigns(self, *, brand_id: str | None = None) -> list[Campaign]: ...
    async def delete_campaign(self, campaign_id: str) -> bool: ...


def campaign_store(store: object) -> CampaignStore:
    """``store`` as a ``CampaignStore``; ``StoreError`` for a store without campaigns."""
    if not isinstance(store, CampaignStore):
        raise StoreError(f"{type(store).__name__} does not store campaigns")
    return store


def check_campaign(campaign: Campaign) -> None:
    """``StoreError`` for a campaign the contract refuses (naive times, empty window)."""
    if campaign.start.tzinfo is None or campaign.end.tzinfo is None:
        raise StoreError(f"campaign {campaign.id!r}: start and end must be timezone-aware")
    if campaign.end <= campaign.start:
        raise StoreError(f"campaign {campaign.id!r}: end must be after start")


def sort_campaigns(campaigns: Sequence[Campaign]) -> list[Campaign]:
    """Latest start first, ties by id (the order of ``list_campaigns``)."""
    by_id = sorted(campaigns, key=lambda c: c.id)
    return sorted(by_id, key=lambda c: c.start, reverse=True)


def encode_campaign(campaign: Campaign) -> str:
    """``campaign`` as JSON; times as microseconds since the epoch (UTC)."""
    out: dict[str, Any] = {
        "id": campaign.id,
        "brand_id": campaign.brand_id,
        "name": campaign.name,
        "start": to_us(campaign.start),
        "end": to_us(campaign.end),
        "tags": list(campaign.tags),
        "description": campaign.description,
    }
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decode_campaign(raw: str) -> Campaign:
    """The campaign ``encode_campaign`` wrote as ``raw``; unknown keys are ignored."""
    data: dict[str, Any] = json.loads(raw)
    return Campaign(
        id=str(data["id"]),
        brand_id=str(data["brand_id"]),
        name=str(data["name"]),
        start=from_us(int(data["start"])),
        end=from_us(int(data["end"])),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        description=str(data.get("description") or ""),
    )
