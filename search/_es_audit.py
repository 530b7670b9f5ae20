"""``AuditStore`` on Elasticsearch: one plain index ``{prefix}-audit``.

A mixin of ``ElasticsearchStore``; mapping in ``mappings/audit.json``. The index is
created on the first audit call after ``open()`` (idempotently), like the alert and
traffic indices. An entry is written with ``op_type=create`` and its id as ``_id``:
a 409 conflict means it is already stored, which is the idempotency the contract
asks for, never an overwrite. Pages are ``search_after`` on ``(at_us, id)``
descending, a total order. Contract: ``search._audit_store``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from search._audit_store import (
    AuditEntry,
    AuditPage,
    check_limit,
    decode_audit,
    decode_audit_cursor,
    encode_audit,
    encode_audit_cursor,
)
from search._es_client import EsCalls
from search._es_schema import create_index, mapping
from search._sqlite_codec import to_us

__all__ = ["ElasticsearchAudit"]


class ElasticsearchAudit:
    """The ``AuditStore`` half of ``ElasticsearchStore`` (see the module docstring)."""

    prefix: str
    refresh: Any
    _audit_installed_for: EsCalls | None = None

    if TYPE_CHECKING:  # provided by ElasticsearchStore

        def _opened(self) -> EsCalls:
            raise NotImplementedError

    def _audit_index(self) -> str:
        return f"{self.prefix}-audit"

    async def _audit_calls(self) -> EsCalls:
        calls = self._opened()
        if self._audit_installed_for is calls:
            return calls
        await create_index(calls, self._audit_index(), mapping("audit"), what="audit")
        self._audit_installed_for = calls
        return calls

    async def append_audit(self, entry: AuditEntry) -> None:
        calls = await self._audit_calls()
        await calls.call(
            "append_audit",
            calls.client.create,
            index=self._audit_index(),
            id=entry.id,
            document={
                "id": entry.id,
                "at_us": to_us(entry.at),
                "actor": entry.actor,
                "action": entry.action,
                "target_type": entry.target_type,
                "target_id": entry.target_id or "",
                "body": encode_audit(entry),
            },
            refresh=self.refresh,
            allow=(409,),
        )

    async def audit_entries(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        action: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> AuditPage:
        check_limit(limit)
        after = decode_audit_cursor(cursor) if cursor is not None else None
        filters: list[dict[str, Any]] = []
        window: dict[str, int] = {}
        if since is not None:
            window["gte"] = to_us(since)
        if until is not None:
            window["lt"] = to_us(until)
        if window:
            filters.append({"range": {"at_us": window}})
        for field, value in (
            ("actor", actor),
            ("action", action),
            ("target_type", target_type),
            ("target_id", target_id),
        ):
            if value is not None:
                filters.append({"term": {field: value}})
        extra: dict[str, Any] = {} if after is None else {"search_after": list(after)}
        calls = await self._audit_calls()
        page = await calls.call(
            "audit_entries",
            calls.client.search,
            index=self._audit_index(),
            query={"bool": {"filter": filters}},
            sort=[{"at_us": "desc"}, {"id": "desc"}],
            size=limit + 1,  # one more, to know whether another page follows
            **extra,
        )
        hits = page["hits"]["hits"]
        entries = [decode_audit(str(h["_source"]["body"])) for h in hits[:limit]]
        more = len(hits) > limit
        return AuditPage(entries, encode_audit_cursor(entries[-1]) if more else None)
