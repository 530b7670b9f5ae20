"""Campaigns: CRUD at ``/v1/campaigns`` and ``GET /v1/campaigns/{id}/report``.

- ``POST /v1/campaigns`` creates (409 if the id exists); ``PUT /v1/campaigns/{id}``
  creates (201) or replaces (200), idempotently; ``DELETE`` removes (204).
- ``GET /v1/campaigns`` lists them (``brand=`` for one brand's), latest start first;
  a key limited to some brands sees only theirs (any other is 404, as missing).
- ``GET /v1/campaigns/{id}/report``: the shared KPIs of the campaign's brand in its
  competitive set (``service._kpis``) during the campaign, up to now while it runs,
  against the window of the same length right before it; and the earned traffic
  whose campaign (``utm_campaign``) is one of its tags. Coverage has no tags: its
  KPIs are the brand's over the window. JSON or CSV.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from search import Campaign, CampaignStore, Store, campaign_store
from service._auth import Principal, Reader, Writer
from service._deps import StoreDep
from service._kpis_csv import comparison_csv
from service._problems import BadRequest
from service._routes_metrics import (
    CSV_MEDIA,
    CSV_RESPONSE,
    CountParam,
    FormatParam,
    Narrowing,
    TzParam,
    _zone,
    wants_csv,
)
from service._routes_scorecard import compare, competitive_set
from service._schemas_campaigns import (
    CampaignCreate,
    CampaignPublic,
    CampaignReport,
    CampaignsPublic,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

CampaignId = Annotated[str, Path(min_length=1, max_length=64, description="the campaign id")]


def _campaigns(store: Store) -> CampaignStore:
    return campaign_store(store)


async def _visible(store: Store, principal: Principal, campaign_id: str) -> Campaign:
    """The campaign, or 404 when there is none or the key may not see its brand."""
    found = await _campaigns(store).get_campaign(campaign_id)
    if found is None or not principal.sees(found.brand_id):
        raise HTTPException(404, f"no campaign {campaign_id!r}")
    return found


async def _checked(store: Store, principal: Principal, body: CampaignCreate) -> Campaign:
    principal.require_brand(body.brand)
    if await store.get_brand(body.brand) is None:
        raise BadRequest(f"no brand {body.brand!r}", field="body.brand")
    return body.to_campaign()


@router.get("", response_model=CampaignsPublic)
async def list_campaigns(
    store: StoreDep,
    principal: Reader,
    brand: Annotated[str | None, Query(min_length=1, description="only this brand's")] = None,
) -> CampaignsPublic:
    """Campaigns, latest start first (ties by id)."""
    if brand is not None:
        principal.require_brand(brand)
    found = await _campaigns(store).list_campaigns(brand_id=brand)
    return CampaignsPublic(
        items=[CampaignPublic.of(c) for c in found if principal.sees(c.brand_id)]
    )


@router.post("", response_model=CampaignPublic, status_code=status.HTTP_201_CREATED)
async def create_campaign(
    body: CampaignCreate, store: StoreDep, principal: Writer
) -> CampaignPublic:
    """Create a campaign; 409 if its id exists (``PUT`` replaces)."""
    campaign = await _checked(store, principal, body)
    if await _campaigns(store).get_campaign(campaign.id) is not None:
        raise HTTPException(
            409, f"campaign {campaign.id!r} exists; PUT /v1/campaigns/{campaign.id} replaces it"
        )
    await _campaigns(store).put_campaign(campaign)
    return CampaignPublic.of(campaign)


@router.put(
    "/{campaign_id}",
    response_model=CampaignPublic,
    responses={201: {"model": CampaignPublic, "description": "created"}},
)
async def put_campaign(
    campaign_id: CampaignId,
    body: CampaignCreate,
    response: Response,
    store: StoreDep,
    principal: Writer,
) -> CampaignPublic:
    """Create (201) or replace (200) the campaign; the same body again changes nothing."""
    if body.id != campaign_id:
        raise HTTPException(422, f"body id {body.id!r} differs from the path's {campaign_id!r}")
    existing = await _campaigns(store).get_campaign(campaign_id)
    if existing is not None and not principal.sees(existing.brand_id):
        raise HTTPException(404, f"no campaign {campaign_id!r}")
    campaign = await _checked(store, principal, body)
    if await _campaigns(store).put_campaign(campaign):
        response.status_code = status.HTTP_201_CREATED
    return CampaignPublic.of(campaign)


@router.get("/{campaign_id}", response_model=CampaignPublic)
async def get_campaign(
    campaign_id: CampaignId, store: StoreDep, principal: Reader
) -> CampaignPublic:
    return CampaignPublic.of(await _visible(store, principal, campaign_id))


@router.delete("/{campaign_id}", status_code=204, response_class=Response)
async def delete_campaign(campaign_id: CampaignId, store: StoreDep, principal: Writer) -> Response:
    await _visible(store, principal, campaign_id)
    await _campaigns(store).delete_campaign(campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{campaign_id}/report", response_model=CampaignReport, responses=CSV_RESPONSE)
async def campaign_report(
    request: Request,
    campaign_id: CampaignId,
    store: StoreDep,
    principal: Reader,
    narrow: Narrowing,
    tz: TzParam = "UTC",
    count: CountParam = "document",
    format: FormatParam = None,
) -> CampaignReport | Response:
    """The shared KPIs during the campaign against the baseline window of the same
    length right before it (see the module docstring); 409 before it starts. The
    channel / market / language / outlet / tier filters narrow coverage (not traffic)."""
    zone = _zone(tz)
    campaign = await _visible(store, principal, campaign_id)
    now = datetime.now(UTC)
    if now <= campaign.start:
        raise HTTPException(409, f"campaign {campaign_id!r} starts {campaign.start.isoformat()}")
    if await store.get_brand(campaign.brand_id) is None:
        raise HTTPException(409, f"campaign {campaign_id!r}: brand {campaign.brand_id!r} is gone")
    members = await competitive_set(store, principal, campaign.brand_id)
    end = min(campaign.end, now)
    current, baseline = await compare(
        store,
        members,
        start=campaign.start,
        end=end,
        tz=zone,
        narrow=narrow,
        count=count,
        tags=campaign.tags,
    )
    body = CampaignReport.of(
        campaign, current, baseline, complete=end == campaign.end, count=count, tz=zone
    )
    if wants_csv(request, format):
        tagged = body.tagged_traffic
        extra = [
            ("tagged_traffic", body.brand, ";".join(tagged.tags), "earned_sessions",
             tagged.earned_sessions),
            ("tagged_traffic", body.brand, ";".join(tagged.tags), "earned_conversions",
             tagged.earned_conversions),
        ]  # fmt: skip
        return Response(comparison_csv(body, extra=extra), media_type=CSV_MEDIA)
    return body
