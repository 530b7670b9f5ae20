"""WebSub callbacks: ``{CLARION_PUBLIC_URL}/v1/websub/{source_id}``, called by hubs.

``GET`` is the hub's intent verification (spec §5.3): the ``hub.challenge`` echoed as
plain text when ``hub.mode=subscribe`` names the topic of a subscription Clarion asked
for, 200 on ``hub.mode=denied`` for it, the challenge too for ``hub.mode=unsubscribe``
of an unsubscription Clarion asked for, else 404. ``POST`` is a content delivery
(spec §7): the raw body is checked against ``X-Hub-Signature`` and parsed as a feed,
and its entries go to the pipeline at once. A bad or missing signature gets the same
202 as a good one and the body is dropped and counted (spec §8 allows it, and a forger
learns nothing). Without ``CLARION_PUBLIC_URL`` push is off and both answer 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import PlainTextResponse

from service._deps import RuntimeDep
from service._runtime import Runtime
from service._websub import WebSubManager

router = APIRouter(prefix="/v1/websub", tags=["websub"])

# Largest delivery read: the fetcher's body cap (``crawlers`` FetchConfig.max_bytes),
# since a delivery is the feed the hub fetched for us; the largest real feeds are a
# few MB.
MAX_DELIVERY_BYTES = 10 * 1024 * 1024
# Seconds a hub is asked to wait when too many deliveries are in progress.
BUSY_RETRY_AFTER = 30


def _manager(runtime: Runtime) -> WebSubManager:
    if runtime.websub is None:
        raise HTTPException(404, "WebSub push is off (CLARION_PUBLIC_URL is not set)")
    return runtime.websub


@router.get("/{source_id}", response_class=PlainTextResponse)
async def verify_intent(
    source_id: str,
    runtime: RuntimeDep,
    mode: Annotated[str, Query(alias="hub.mode")],
    topic: Annotated[str | None, Query(alias="hub.topic")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
    lease_seconds: Annotated[int | None, Query(alias="hub.lease_seconds", ge=0)] = None,
    reason: Annotated[str | None, Query(alias="hub.reason")] = None,
) -> PlainTextResponse:
    """Answer a hub's verification of a (un)subscription Clarion asked for (else 404)."""
    answer = await _manager(runtime).verify(
        source_id,
        mode=mode,
        topic=topic,
        challenge=challenge,
        lease_seconds=lease_seconds,
        reason=reason,
    )
    if answer is None:
        raise HTTPException(404, "no such subscription pending or active")
    return PlainTextResponse(answer)


@router.post("/{source_id}", status_code=202, response_class=Response)
async def deliver(source_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """Take a hub's delivery: checked, parsed, and ingested at once (202)."""
    manager = _manager(runtime)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_DELIVERY_BYTES:
        raise HTTPException(413, f"delivery over {MAX_DELIVERY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_DELIVERY_BYTES:
            raise HTTPException(413, f"delivery over {MAX_DELIVERY_BYTES} bytes")
    outcome = await manager.deliver(
        source_id,
        body=bytes(body),
        signature=request.headers.get("x-hub-signature"),
        content_type=request.headers.get("content-type"),
        ingest=runtime.pipeline.ingest_pushed,
    )
    if outcome == "unknown":
        raise HTTPException(404, "no such subscription pending or active")
    if outcome == "unparsable":
        raise HTTPException(400, "the delivery is not an RSS, Atom or JSON feed")
    if outcome == "busy":
        raise HTTPException(
            503, "too many deliveries in progress", headers={"Retry-After": str(BUSY_RETRY_AFTER)}
        )
    return Response(status_code=202)
