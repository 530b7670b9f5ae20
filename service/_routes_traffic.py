"""Earned traffic by API: visits to owned sites in, earned sessions and conversions out.

- ``POST /v1/traffic/events``: one event object or a list of at most ``MAX_BATCH``;
  each is attributed (``service._attribution``, at ingest) and stored under its
  client id: posting the same events again stores nothing new (``duplicates``).
- ``POST /v1/traffic/import``: a CSV body (``service._traffic_import``: GA4 export or
  referrer log); every bad row is reported with its line (422) and then nothing is
  stored; ids come from the row content, so a re-import stores nothing new.
- ``POST /v1/traffic/reattribute``: judge every stored event again against the
  coverage stored now (attribution is otherwise fixed at ingest).
- ``GET /v1/traffic/earned``: earned sessions and conversions per bucket, with the
  brand's total sessions, and the totals (``earned_share`` = earned ÷ all sessions).
- ``GET /v1/traffic/earned/share``: those totals alone.
- ``GET /v1/traffic/earned/breakdown``: earned sessions and conversions by outlet,
  document or campaign; JSON, or CSV with ``format=csv`` or ``Accept: text/csv``.

Access: the reads take ``read`` and keep to the key's brands (404 for another);
ingest, import and re-attribution take ``write`` on a key for every brand, since an
event is attributed to whichever brand owns its landing page.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator, TypeAdapter, ValidationError

from enrichment import Brand
from search import (
    Store,
    TrafficBreakdownBy,
    TrafficEvent,
    TrafficSlot,
    TrafficStore,
    bucket_start,
    bucket_starts,
    traffic_store,
)
from service._attribution import attribute, campaign_of
from service._auth import GlobalWriter, Reader
from service._deps import RuntimeDep
from service._problems import BadRequest, problem
from service._schemas_traffic import (
    BreakdownPublic,
    BreakdownRow,
    EarnedBucket,
    EarnedSeries,
    EarnedTotals,
    IngestResult,
    ReattributeResult,
    TrafficEventIn,
)
from service._traffic_import import parse_csv

__all__ = ["router"]

router = APIRouter(prefix="/v1/traffic", tags=["traffic"])

MAX_BATCH = 1000
"""Events per POST: a minute of a busy site's sessions, answered well within a client
timeout (each event costs up to three indexed look-ups); larger is 413."""
MAX_IMPORT_BYTES = 10 * 1024 * 1024
"""CSV bytes per import: a daily GA4 export of ~100k rows; larger is 413 (split it)."""
MAX_IMPORT_ROWS = 100_000
DEFAULT_WINDOW = timedelta(days=30)  # what a dashboard shows when no window is asked for
MAX_BUCKETS = 5000  # an hourly series over years is a mistake, not a chart
MAX_ROWS = 1000
REATTRIBUTE_PAGE = 500  # events read, judged and rewritten per step: one write each

Interval = Literal["hour", "day", "week"]
_EVENTS = TypeAdapter(list[TrafficEventIn])


def _date_or_datetime(value: object) -> object:
    """A bare date (``2026-11-01``) means that day's midnight, in the caller's zone."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), time(0))
        except ValueError:
            return value
    return value


DateTime = Annotated[datetime, BeforeValidator(_date_or_datetime)]
FromParam = Annotated[
    DateTime | None,
    Query(alias="from", description="start (inclusive); a date or date-time, naive = in `tz`"),
]
ToParam = Annotated[DateTime | None, Query(alias="to", description="end (exclusive); now")]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"unknown time zone {name!r}", field="tz") from None


def _window(
    start: datetime | None, end: datetime | None, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    def instant(value: datetime) -> datetime:
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)

    end_utc = instant(end) if end is not None else datetime.now(UTC)
    start_utc = instant(start) if start is not None else end_utc - DEFAULT_WINDOW
    if start_utc >= end_utc:
        raise BadRequest("`from` must be before `to`", field="from")
    return start_utc, end_utc


async def _brand(store: Store, brand_id: str) -> Brand:
    found = await store.get_brand(brand_id)
    if found is None:
        raise BadRequest(f"no brand {brand_id!r}", field="brand")
    return found


# --- ingest --------------------------------------------------------------------------


async def _ingest(runtime: RuntimeDep, items: list[TrafficEvent]) -> IngestResult:
    """Attribute each event and store them in one write."""
    traffic = traffic_store(runtime.store)
    brands = await runtime.store.list_brands()
    window = timedelta(days=runtime.settings.attribution_window_days)
    judged = [
        await attribute(
            event,
            brands=brands,
            store=runtime.store,
            traffic=traffic,
            window=window,
        )
        for event in items
    ]
    created, duplicates = await traffic.put_traffic_events(judged)
    return IngestResult(
        received=len(judged),
        created=created,
        duplicates=duplicates,
        earned=sum(1 for e in judged if e.earned),
        unowned=sum(1 for e in judged if not e.brand_id),
    )


def _event(body: TrafficEventIn) -> TrafficEvent:
    tags = tuple(body.tags) + tuple(
        f"{name}={value}"
        for name, value in (
            ("utm_source", body.utm_source),
            ("utm_medium", body.utm_medium),
            ("utm_campaign", body.utm_campaign),
        )
        if value
    )
    return TrafficEvent(
        id=body.id,
        timestamp=body.timestamp,
        landing_url=body.landing_url,
        referrer=body.referrer.strip(),
        sessions=body.sessions,
        conversions=body.conversions,
        campaign=body.utm_campaign or campaign_of(body.landing_url),
        utm_medium=body.utm_medium or "",
        tags=tags,
    )


@router.post("/events", response_model=IngestResult)
async def post_events(
    runtime: RuntimeDep,
    principal: GlobalWriter,
    payload: Annotated[Any, Body(description="one event object, or a list of them")],
) -> IngestResult | JSONResponse:
    """Store traffic events (idempotent by ``id``), attributed at ingest."""
    single = isinstance(payload, dict)
    raw = [payload] if single else payload
    if not isinstance(raw, list):
        return problem(
            422,
            "Invalid request",
            "the body must be an event object or a list of events",
            errors=[{"field": "body", "message": "expected an object or a list"}],
        )
    if len(raw) > MAX_BATCH:
        return problem(413, "Batch too large", f"at most {MAX_BATCH} events per request")
    try:
        events = _EVENTS.validate_python(raw)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(
                    str(p) for p in ("body", *(err["loc"][1:] if single else err["loc"]))
                ),
                "message": err["msg"],
            }
            for err in exc.errors()
        ]
        fields = ", ".join(str(e["field"]) for e in errors)
        return problem(422, "Invalid request", f"invalid field(s): {fields}", errors=errors)
    return await _ingest(runtime, [_event(e) for e in events])


@router.post(
    "/import",
    response_model=IngestResult,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_csv(
    request: Request,
    runtime: RuntimeDep,
    principal: GlobalWriter,
    tz: Annotated[str, Query(description="zone of GA4 dates and naive timestamps")] = "UTC",
    site: Annotated[
        str | None,
        Query(description="base URL of GA4 landing-page paths, e.g. https://acme.example"),
    ] = None,
) -> IngestResult | JSONResponse:
    """Import a GA4 export or a referrer log (CSV); all rows or none."""
    zone = _zone(tz)
    if site is not None and not site.startswith(("http://", "https://")):
        raise BadRequest("must be an absolute http(s) URL", field="site")
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        return problem(413, "CSV too large", f"at most {MAX_IMPORT_BYTES} bytes per import")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the CSV must be UTF-8", field="body") from None
    rows, errors = await asyncio.to_thread(parse_csv, text, tz=zone, site=site)  # up to 100k rows
    if errors:
        detail = "; ".join(f"line {e.line}: {e.field}: {e.message}" for e in errors[:5])
        return problem(
            422,
            "Invalid CSV",
            f"{len(errors)} bad row(s), nothing imported: {detail}",
            errors=[{"line": e.line, "field": e.field, "message": e.message} for e in errors],
        )
    if len(rows) > MAX_IMPORT_ROWS:
        return problem(413, "CSV too large", f"at most {MAX_IMPORT_ROWS} rows per import")
    return await _ingest(runtime, rows)


@router.post("/reattribute", response_model=ReattributeResult)
async def reattribute(runtime: RuntimeDep, principal: GlobalWriter) -> ReattributeResult:
    """Attribute every stored event again, against the brands and coverage stored now
    (after coverage was crawled late, a brand's domains changed or the window did)."""
    traffic = traffic_store(runtime.store)
    brands = await runtime.store.list_brands()
    window = timedelta(days=runtime.settings.attribution_window_days)
    seen = changed = 0
    after: str | None = None
    while page := await traffic.traffic_events_after(after, limit=REATTRIBUTE_PAGE):
        judged = [
            await attribute(e, brands=brands, store=runtime.store, traffic=traffic, window=window)
            for e in page
        ]
        updates = [new for old, new in zip(page, judged, strict=True) if new != old]
        await traffic.replace_traffic_events(updates)
        seen += len(page)
        changed += len(updates)
        after = page[-1].id
    return ReattributeResult(events=seen, changed=changed)


# --- reports -------------------------------------------------------------------------


def _totals(slots: list[TrafficSlot]) -> EarnedTotals:
    earned = [s for s in slots if s.earned]
    sessions = sum(s.sessions for s in slots)
    earned_sessions = sum(s.sessions for s in earned)
    return EarnedTotals(
        earned_sessions=earned_sessions,
        earned_conversions=sum(s.conversions for s in earned),
        sessions=sessions,
        conversions=sum(s.conversions for s in slots),
        earned_share=earned_sessions / sessions if sessions else None,
    )


def _traffic(runtime: RuntimeDep) -> TrafficStore:
    return traffic_store(runtime.store)


@router.get("/earned", response_model=EarnedSeries)
async def earned(
    runtime: RuntimeDep,
    principal: Reader,
    brand: Annotated[str, Query(min_length=1)],
    start: FromParam = None,
    end: ToParam = None,
    interval: Interval = "day",
    tz: str = "UTC",
) -> EarnedSeries:
    """Earned sessions and conversions per bucket, and the share of traffic earned."""
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    principal.require_brand(brand)
    await _brand(runtime.store, brand)
    starts = bucket_starts(start_utc, end_utc, interval=interval, tz=zone)
    if len(starts) > MAX_BUCKETS:
        raise BadRequest(f"more than {MAX_BUCKETS} buckets: widen the interval", field="interval")
    slots = await _traffic(runtime).traffic_slots(brand, start=start_utc, end=end_utc)
    sums: dict[datetime, list[int]] = {s: [0, 0, 0] for s in starts}
    for slot in slots:
        row = sums.setdefault(bucket_start(slot.start, interval=interval, tz=zone), [0, 0, 0])
        row[2] += slot.sessions
        if slot.earned:
            row[0] += slot.sessions
            row[1] += slot.conversions
    return EarnedSeries(
        brand=brand,
        start=start_utc,
        end=end_utc,
        interval=interval,
        tz=zone.key,
        buckets=[
            EarnedBucket(start=s, sessions=v[0], conversions=v[1], total_sessions=v[2])
            for s, v in sorted(sums.items())
        ],
        totals=_totals(slots),
    )


@router.get("/earned/breakdown", response_model=BreakdownPublic)
async def breakdown(
    request: Request,
    runtime: RuntimeDep,
    principal: Reader,
    brand: Annotated[str, Query(min_length=1)],
    by: TrafficBreakdownBy = "outlet",
    start: FromParam = None,
    end: ToParam = None,
    tz: str = "UTC",
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 100,
    format: Literal["json", "csv"] | None = None,
) -> BreakdownPublic | Response:
    """Earned sessions and conversions by outlet, document or campaign (JSON or CSV)."""
    zone = _zone(tz)
    start_utc, end_utc = _window(start, end, zone)
    principal.require_brand(brand)
    await _brand(runtime.store, brand)
    traffic = _traffic(runtime)
    rows = (await traffic.traffic_breakdown(brand, start=start_utc, end=end_utc, by=by))[:limit]
    totals = _totals(await traffic.traffic_slots(brand, start=start_utc, end=end_utc))
    out: list[BreakdownRow] = []
    for row in rows:
        url = title = None
        if by == "document" and row.key:
            document = await runtime.store.get_document(row.key)
            url, title = (document.url, document.title) if document else (None, None)
        share = row.sessions / totals.earned_sessions if totals.earned_sessions else 0.0
        out.append(
            BreakdownRow(
                key=row.key,
                sessions=row.sessions,
                conversions=row.conversions,
                share=share,
                url=url,
                title=title,
            )
        )
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if wants_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([by, "sessions", "conversions", "share", "url", "title"])
        for r in out:
            writer.writerow(
                [r.key, r.sessions, r.conversions, f"{r.share:.4f}", r.url or "", r.title or ""]
            )
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
    return BreakdownPublic(
        brand=brand, by=by, start=start_utc, end=end_utc, rows=out, totals=totals
    )


@router.get("/earned/share", response_model=EarnedTotals)
async def earned_share(
    runtime: RuntimeDep,
    principal: Reader,
    brand: Annotated[str, Query(min_length=1)],
    start: FromParam = None,
    end: ToParam = None,
    tz: str = "UTC",
) -> EarnedTotals:
    """The share of the brand's traffic that is earned: earned ÷ all sessions on its
    owned domains in the window (``earned_share`` is null when there were none)."""
    start_utc, end_utc = _window(start, end, _zone(tz))
    principal.require_brand(brand)
    await _brand(runtime.store, brand)
    return _totals(await _traffic(runtime).traffic_slots(brand, start=start_utc, end=end_utc))
