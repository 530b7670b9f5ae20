"""``/v1/sources/opml``: every source as OPML 2.0, and an idempotent OPML import.

Included before the sources CRUD router, whose ``/v1/sources/{item_id}`` would
otherwise take ``opml`` for a source id.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from crawlers import OpmlParseError
from service._auth import GlobalReader, GlobalWriter
from service._deps import StoreDep
from service._opml_sources import InvalidOutlines, export_opml, import_sources, sources_from_opml
from service._problems import problem

router = APIRouter(prefix="/v1", tags=["configuration"])

OPML_MEDIA_TYPE = "text/x-opml"
ACCEPTED_TYPES = frozenset({"text/x-opml", "application/xml", "text/xml"})
# Largest OPML body read: a reader's export of 10,000 feeds is about 2 MB.
MAX_OPML_BYTES = 8 * 1024 * 1024


class OpmlImported(BaseModel):
    """What an import did, by source: new, replaced with other fields, already as given."""

    created: int
    updated: int
    unchanged: int


@router.get(
    "/sources/opml",
    response_class=Response,
    responses={200: {"content": {OPML_MEDIA_TYPE: {}}}},
    name="export_sources_opml",
)
async def export_sources_opml(store: StoreDep, principal: GlobalReader) -> Response:
    """Every source as OPML 2.0, one folder per channel, by id: the same sources give
    the same bytes (no creation date)."""
    return Response(await export_opml(store), media_type=f"{OPML_MEDIA_TYPE}; charset=utf-8")


@router.post(
    "/sources/opml",
    response_model=OpmlImported,
    responses={400: {}, 413: {}, 415: {}, 422: {}},
    openapi_extra={
        "requestBody": {"required": True, "content": {t: {} for t in sorted(ACCEPTED_TYPES)}}
    },
    name="import_sources_opml",
)
async def import_sources_opml(
    request: Request, store: StoreDep, principal: GlobalWriter
) -> Response | OpmlImported:
    """Create or replace the sources of an OPML body (``text/x-opml`` or ``application/xml``).

    Idempotent: importing the same body again counts every source ``unchanged``.
    Nothing is stored when any outline is refused (422, each field named as
    ``outlines.<n>.<field>``); a body that is not OPML is a 400.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ACCEPTED_TYPES:
        detail = f"send OPML as {' or '.join(sorted(ACCEPTED_TYPES))}, not {media_type or '?'}"
        return problem(415, "Unsupported media type", detail)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_OPML_BYTES:
            return problem(413, "Body too large", f"OPML over {MAX_OPML_BYTES} bytes")
    try:
        sources = sources_from_opml(bytes(body))
    except OpmlParseError as exc:
        return problem(400, "Not OPML", str(exc), errors=[{"field": "body", "message": str(exc)}])
    except InvalidOutlines as exc:
        return problem(422, "Invalid sources", str(exc), errors=exc.errors)
    counts = await import_sources(store, sources, replace=True)
    return OpmlImported(created=counts.created, updated=counts.updated, unchanged=counts.unchanged)
