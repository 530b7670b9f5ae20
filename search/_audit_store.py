"""The audit store contract: an append-only log of configuration changes.

``AuditStore`` is implemented by both stores (``SQLiteStore``, ``ElasticsearchStore``)
next to ``search.Store``; the suite in ``tests/store_contract/test_audit.py`` checks it.
Contract, in addition to ``search.Store``'s (open/close, aware times in and UTC out,
``StoreError`` / ``TemporaryStoreError``, read your writes):

- ``append_audit(entry)`` stores one entry. The log is **append-only**: there is no
  update and no delete; appending an id that is already stored leaves the stored
  entry as it is (so a retried append never records a change twice).
- ``audit_entries(...)`` lists entries **newest first** (by ``at``, then by id,
  descending), keeping those with ``since <= at < until`` and equal to every other
  filter given (``None`` = any). ``limit`` per page; ``next_cursor`` is ``None`` on the
  last page, otherwise it resumes right after the page's last entry (entries appended
  meanwhile with a later ``at`` do not shift the pages). A cursor this store did not
  issue raises ``InvalidCursor``.
- ``change`` is stored as given (JSON-compatible); redacting secrets is the
  caller's job (``service._audit``), the store never sees them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from search._sqlite_codec import from_us, to_us
from search._store import InvalidCursor, StoreError

__all__ = [
    "MAX_AUDIT_PAGE",
    "AuditEntry",
    "AuditPage",
    "AuditStore",
    "audit_store",
    "check_limit",
    "decode_audit",
    "decode_audit_cursor",
    "encode_audit",
    "encode_audit_cursor",
]

MAX_AUDIT_PAGE = 1000
"""Largest page of ``audit_entries``: one screen of an export, far below any store limit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One configuration change that succeeded.

    ``actor``: the API key id that made it, ``"cli"`` for the command line, or
    ``"local"`` when authentication is off. ``action``: ``<noun>.<verb>``
    (``brand.create``, ``opml.import``, ``key.revoke``...). ``target_id`` is ``None``
    when the change has no single target (an OPML import). ``change``: the new
    configuration, secrets redacted (``None`` for a delete).
    """

    id: str
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str | None = None
    change: dict[str, Any] | None = None
    request_id: str | None = None
    remote_addr: str | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None


@runtime_checkable
class AuditStore(Protocol):
    """See the module docstring for the contract."""

    async def append_audit(self, entry: AuditEntry) -> None: ...

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
        """Entries newest first with the filters; ``1 <= limit <= MAX_AUDIT_PAGE``."""
        ...


def audit_store(store: object) -> AuditStore:
    """``store`` as an ``AuditStore``; ``StoreError`` for a store without an audit log."""
    if not isinstance(store, AuditStore):
        raise StoreError(f"{type(store).__name__} does not store an audit log")
    return store


def encode_audit(entry: AuditEntry) -> str:
    """``entry`` as JSON; ``at`` as microseconds since the epoch (UTC)."""
    out = {
        "id": entry.id,
        "at": to_us(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "change": entry.change,
        "request_id": entry.request_id,
        "remote_addr": entry.remote_addr,
    }
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def decode_audit(raw: str) -> AuditEntry:
    """The entry ``encode_audit`` wrote as ``raw``; unknown keys are ignored."""
    data: dict[str, Any] = json.loads(raw)
    names = set(AuditEntry.__dataclass_fields__)
    values = {k: v for k, v in data.items() if k in names}
    values["at"] = from_us(int(values["at"]))
    return AuditEntry(**values)


def encode_audit_cursor(entry: AuditEntry) -> str:
    """An opaque cursor that resumes after ``entry`` (newest-first order)."""
    raw = json.dumps(["audit", to_us(entry.at), entry.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_audit_cursor(cursor: str) -> tuple[int, str]:
    """``(at_us, id)`` of the entry a cursor resumes after; ``InvalidCursor`` otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor(f"not an audit cursor: {cursor!r}") from exc
    if (
        not isinstance(data, list)
        or len(data) != 3
        or data[0] != "audit"
        or not isinstance(data[1], int)
        or isinstance(data[1], bool)
        or not isinstance(data[2], str)
    ):
        raise InvalidCursor(f"not an audit cursor: {cursor!r}")
    return data[1], data[2]


def check_limit(limit: int) -> None:
    """``StoreError`` for a page size outside ``1..MAX_AUDIT_PAGE``."""
    if not 1 <= limit <= MAX_AUDIT_PAGE:
        raise StoreError(f"audit page size {limit} outside 1..{MAX_AUDIT_PAGE}")
