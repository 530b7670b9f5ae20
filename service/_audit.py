"""The audit log of configuration changes: who changed what, when, from where.

One pure ASGI middleware (``AuditMiddleware``) records every **successful** (2xx)
request that is not a read (GET/HEAD/OPTIONS), after the route has answered and
before the last byte of its answer is sent, so that a client that saw the answer
can read the entry back. What each write route records is one row of ``AUDITED``
(method and route template -> action, target type, where the target id is); routes
that change no configuration are listed in ``NOT_AUDITED`` with the reason. A write
route in neither table is still recorded (action ``<METHOD> <template>``) and logged
as an error, so a new route can be left out of the tables but never out of the log;
``tests/service/test_audit_api.py`` fails until it is listed.

- **Actor**: the ``Principal`` the auth dependency puts in ``request.state.principal``:
  its ``key_id``, or ``"local"`` when authentication is off (no key) or no principal
  was set. The command line records ``"cli"`` (``record_change``).
- **Change**: the new configuration, as the route answered it (its JSON body), else
  as the client sent it; an upload (OPML) is recorded as its size and SHA-256 with
  the route's answer; a delete records none. Every value under a secret-like key
  (``secret``, ``key``, ``token``, ``password``...) is replaced by ``"[redacted]"``.
- **Failures**: a 4xx/5xx answer records nothing. An entry that cannot be written is
  logged as an error and counted (``AuditStats.failures``, exported at ``/metrics``
  as ``clarion_audit_write_failures``); the configuration change itself stands.
- **Request id**: the client's ``X-Request-ID`` (up to ``MAX_REQUEST_ID`` characters),
  else a new one; recorded answers carry it back in ``X-Request-ID``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search import AuditEntry, audit_store
from service._logging import current_request_id

__all__ = [
    "AUDITED",
    "NOT_AUDITED",
    "REDACTED",
    "AuditMiddleware",
    "AuditStats",
    "Audited",
    "install_audit",
    "record_change",
    "redact",
]

log = logging.getLogger("clarion.audit")

REDACTED = "[redacted]"
MAX_CAPTURE = 256 * 1024
"""Bytes of a request or answer body kept to record as the change: a configuration
object is a few KB; a larger body (an OPML upload) is recorded by size and hash."""
MAX_REQUEST_ID = 128
"""Longest client request id kept: a UUID or trace id fits many times over."""
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_SECRET_KEYS = frozenset(
    {"secret", "key", "token", "password", "api_key", "plaintext", "authorization"}
)
_SECRET_SUFFIXES = ("_secret", "_token", "_password")

ChangeKind = Literal["config", "upload", "none"]


@dataclass(frozen=True, slots=True)
class Audited:
    """How one write route is recorded: ``target_param`` names the path parameter
    that holds the target id (``None``: the ``id`` of the answer, or of the request
    body); ``change``: ``config`` (the new configuration), ``upload`` (a file's size
    and hash with the answer), ``none`` (a delete)."""

    action: str
    target_type: str
    target_param: str | None = None
    change: ChangeKind = "config"


AUDITED: dict[tuple[str, str], Audited] = {
    ("POST", "/v1/brands"): Audited("brand.create", "brand"),
    ("PUT", "/v1/brands/{item_id}"): Audited("brand.update", "brand", "item_id"),
    ("DELETE", "/v1/brands/{item_id}"): Audited("brand.delete", "brand", "item_id", "none"),
    ("POST", "/v1/sources"): Audited("source.create", "source"),
    ("PUT", "/v1/sources/{item_id}"): Audited("source.update", "source", "item_id"),
    ("DELETE", "/v1/sources/{item_id}"): Audited("source.delete", "source", "item_id", "none"),
    ("POST", "/v1/sources/{source_id}/enable"): Audited("source.enable", "source", "source_id"),
    ("POST", "/v1/sources/opml"): Audited("opml.import", "source", None, "upload"),
    ("POST", "/v1/alert-rules"): Audited("alert_rule.create", "alert_rule"),
    ("PUT", "/v1/alert-rules/{rule_id}"): Audited("alert_rule.update", "alert_rule", "rule_id"),
    ("DELETE", "/v1/alert-rules/{rule_id}"): Audited(
        "alert_rule.delete", "alert_rule", "rule_id", "none"
    ),
    ("POST", "/v1/webhooks"): Audited("webhook.create", "webhook"),
    ("PUT", "/v1/webhooks/{hook_id}"): Audited("webhook.update", "webhook", "hook_id"),
    ("DELETE", "/v1/webhooks/{hook_id}"): Audited("webhook.delete", "webhook", "hook_id", "none"),
    ("POST", "/v1/campaigns"): Audited("campaign.create", "campaign"),
    ("PUT", "/v1/campaigns/{campaign_id}"): Audited("campaign.update", "campaign", "campaign_id"),
    ("DELETE", "/v1/campaigns/{campaign_id}"): Audited(
        "campaign.delete", "campaign", "campaign_id", "none"
    ),
    ("POST", "/v1/keys"): Audited("key.create", "key"),
    ("DELETE", "/v1/keys/{key_id}"): Audited("key.revoke", "key", "key_id", "none"),
}
"""Every configuration write route, by method and route template."""

NOT_AUDITED: dict[tuple[str, str], str] = {
    ("POST", "/v1/analyze"): "computes an answer; stores nothing",
    ("POST", "/v1/queries/validate"): "checks a query; stores nothing",
    ("POST", "/v1/traffic/events"): "web-analytics data, not configuration",
    ("POST", "/v1/traffic/import"): "web-analytics data, not configuration",
    ("POST", "/v1/traffic/reattribute"): "recomputes stored data; changes no configuration",
    ("POST", "/v1/websub/{source_id}"): "a hub delivering content, not configuration",
    (
        "POST",
        "/v1/webhooks/{hook_id}/deliveries/{delivery_id}/replay",
    ): "re-sends a delivery; changes no configuration",
}
"""Write routes that change no configuration, each with the reason."""


@dataclass(slots=True)
class AuditStats:
    """Counts since the app started: entries written, and entries that failed."""

    recorded: int = 0
    failures: int = 0
    unlisted: set[str] = field(default_factory=set)


def redact(value: Any) -> Any:
    """``value`` with every secret-like key's value replaced by ``REDACTED`` (any depth)."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if _is_secret(str(k)) and v is not None else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


async def record_change(
    store: object,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None = None,
    change: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    remote_addr: str | None = None,
    stats: AuditStats | None = None,
) -> AuditEntry | None:
    """Append one entry (``change`` redacted) to ``store``'s audit log; the entry, or
    ``None`` when it could not be written (logged as an error and counted in ``stats``:
    the change it describes was made and stands)."""
    entry = AuditEntry(
        id=uuid.uuid4().hex,
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        change=None if change is None else redact(change),
        request_id=request_id,
        remote_addr=remote_addr,
    )
    try:
        await audit_store(store).append_audit(entry)
    except Exception:  # counted and logged: losing the entry must not undo the change
        if stats is not None:
            stats.failures += 1
        log.exception(
            "audit entry not written: %s %s %s by %s", action, target_type, target_id, actor
        )
        return None
    if stats is not None:
        stats.recorded += 1
    return entry


class _Tap:
    """What passed through one request: the bodies (bounded) and the upload digest."""

    def __init__(self) -> None:
        self.request = bytearray()
        self.request_size = 0
        self.request_hash = hashlib.sha256()
        self.response = bytearray()
        self.response_size = 0

    def took(self, chunk: bytes) -> None:
        self.request_size += len(chunk)
        self.request_hash.update(chunk)
        if len(self.request) + len(chunk) <= MAX_CAPTURE:
            self.request += chunk

    def gave(self, chunk: bytes) -> None:
        self.response_size += len(chunk)
        if len(self.response) + len(chunk) <= MAX_CAPTURE:
            self.response += chunk


def _json_object(raw: bytes, size: int) -> dict[str, Any] | None:
    if not raw or size > len(raw):
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else str(scope.get("path", ""))


def _rule(method: str, template: str) -> Audited | None:
    """The row of ``AUDITED``; ``None`` for a ``NOT_AUDITED`` route; a catch-all
    for a write route in neither table (recorded, never skipped)."""
    key = (method, template)
    if key in AUDITED:
        return AUDITED[key]
    if key in NOT_AUDITED:
        return None
    noun = next((p for p in template.split("/") if p and p != "v1" and "{" not in p), "?")
    return Audited(f"{method} {template}", noun, None, "config")


def _actor(scope: Scope) -> str:
    state = scope.get("state")
    principal = state.get("principal") if isinstance(state, Mapping) else None
    key_id = getattr(principal, "key_id", None)
    return key_id if isinstance(key_id, str) and key_id else "local"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class AuditMiddleware:
    """Records successful configuration writes (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, stats: AuditStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        tap = _Tap()
        client_id = (_header(scope, b"x-request-id") or "")[:MAX_REQUEST_ID]
        # the id RequestIdMiddleware gave the request (its log lines carry it), if installed
        request_id = current_request_id() or client_id or uuid.uuid4().hex
        answer: dict[str, Any] = {"status": 0, "rule": None, "tap": None}

        async def tapped_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                if answer["tap"] is None:  # routed by now: a NOT_AUDITED body is not kept
                    answer["tap"] = _rule(scope["method"], _template(scope)) is not None
                if answer["tap"]:
                    tap.took(message.get("body", b""))
            return message

        async def tapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = status = int(message["status"])
                if 200 <= status < 300:
                    answer["rule"] = rule = _rule(scope["method"], _template(scope))
                    if rule is not None:
                        headers = list(message.get("headers", []))
                        headers.append((b"x-request-id", request_id.encode("latin-1")))
                        message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and answer["rule"] is not None:
                tap.gave(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._record(scope, answer["rule"], tap, request_id)
                    answer["rule"] = None  # once, even if the app sent more
            await send(message)

        await self.app(scope, tapped_receive, tapped_send)

    async def _record(self, scope: Scope, rule: Audited, tap: _Tap, request_id: str) -> None:
        template = _template(scope)
        if rule.action.startswith(scope["method"] + " "):
            if template not in self.stats.unlisted:
                self.stats.unlisted.add(template)
                log.error(
                    "write route %s %s is in neither AUDITED nor NOT_AUDITED "
                    "(service._audit); recorded as %r",
                    scope["method"],
                    template,
                    rule.action,
                )
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        if runtime is None:  # stopping: the store is gone (the write would have 503'd)
            self.stats.failures += 1
            log.error("audit entry not written (no store): %s", rule.action)
            return
        sent = _json_object(bytes(tap.request), tap.request_size)
        answered = _json_object(bytes(tap.response), tap.response_size)
        change: dict[str, Any] | None
        if rule.change == "none":
            change = None
        elif rule.change == "upload":
            change = {
                "upload": {
                    "media_type": (_header(scope, b"content-type") or "").split(";")[0].strip(),
                    "bytes": tap.request_size,
                    "sha256": tap.request_hash.hexdigest(),
                },
                "result": answered,
            }
        else:
            change = answered if answered is not None else sent
        target_id: str | None = None
        if rule.target_param is not None:
            raw = scope.get("path_params", {}).get(rule.target_param)
            target_id = None if raw is None else str(raw)
        elif rule.change == "config":
            found = (answered or {}).get("id", (sent or {}).get("id"))
            target_id = None if found is None else str(found)
        client = scope.get("client")
        await record_change(
            runtime.store,
            actor=_actor(scope),
            action=rule.action,
            target_type=rule.target_type,
            target_id=target_id,
            change=change,
            request_id=request_id,
            remote_addr=str(client[0]) if client else None,
            stats=self.stats,
        )


def install_audit(app: FastAPI) -> AuditStats:
    """Wrap ``app`` in ``AuditMiddleware``; its counts are ``app.state.audit``."""
    stats = AuditStats()
    app.state.audit = stats
    app.add_middleware(AuditMiddleware, stats=stats)
    return stats
