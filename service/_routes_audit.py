"""``GET /v1/audit``: the audit log of configuration changes, newest first (admin).

Filters: ``since`` (inclusive) / ``until`` (exclusive), ``actor``, ``action``,
``target_type``, ``target_id``; cursor pages (``next_cursor``). JSON, or CSV
(``format=csv`` or ``Accept: text/csv``; the next cursor in ``X-Next-Cursor``).
A key limited to some brands sees no entry about a brand it may not see (such a
page may hold fewer than ``limit`` entries; its cursor still continues the log).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from search import AuditEntry, audit_store
from search._audit_store import MAX_AUDIT_PAGE
from service._auth import Admin, Principal
from service._deps import StoreDep
from service._routes_metrics import CSV_MEDIA, CSV_RESPONSE, FormatParam, wants_csv

__all__ = ["AuditEntryPublic", "AuditLogPublic", "router"]

router = APIRouter(prefix="/v1", tags=["audit"])

CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "request_id",
    "remote_addr",
    "change",
)


class AuditEntryPublic(BaseModel):
    """One configuration change; ``change`` is the new configuration, secrets redacted
    (``null`` for a delete)."""

    id: str
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str | None
    change: dict[str, Any] | None
    request_id: str | None
    remote_addr: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            change=entry.change,
            request_id=entry.request_id,
            remote_addr=entry.remote_addr,
        )


class AuditLogPublic(BaseModel):
    items: list[AuditEntryPublic]
    next_cursor: str | None


def _aware(value: datetime | None) -> datetime | None:
    """A time without an offset is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _visible(entry: AuditEntry, principal: Principal) -> bool:
    return (
        entry.target_type != "brand" or entry.target_id is None or principal.sees(entry.target_id)
    )


def _csv(items: list[AuditEntryPublic]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        row = item.model_dump(mode="json")
        row["change"] = "" if item.change is None else json.dumps(item.change, sort_keys=True)
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()


@router.get("/audit", response_model=AuditLogPublic, responses=CSV_RESPONSE)
async def audit_log(
    request: Request,
    store: StoreDep,
    principal: Admin,
    since: Annotated[
        datetime | None, Query(description="entries at or after (no offset: UTC)")
    ] = None,
    until: Annotated[datetime | None, Query(description="entries before (no offset: UTC)")] = None,
    actor: Annotated[str | None, Query(description='a key id, "cli" or "local"')] = None,
    action: Annotated[str | None, Query(description="e.g. brand.update")] = None,
    target_type: Annotated[str | None, Query(description="e.g. brand, source, webhook")] = None,
    target_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    format: FormatParam = None,
) -> AuditLogPublic | Response:
    """Configuration changes that succeeded, newest first: who (key id, ``cli`` or
    ``local``), what (action, target, the new configuration with secrets redacted),
    when, and from where (request id, remote address)."""
    page = await audit_store(store).audit_entries(
        since=_aware(since),
        until=_aware(until),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        limit=limit,
        cursor=cursor,
    )
    items = [AuditEntryPublic.of(e) for e in page.entries if _visible(e, principal)]
    if wants_csv(request, format):
        headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else None
        return Response(_csv(items), media_type=CSV_MEDIA, headers=headers)
    return AuditLogPublic(items=items, next_cursor=page.next_cursor)
