"""Clarion's log output: plain text or one JSON object per line (``CLARION_LOG_FORMAT``).

A JSON line has ``time`` (ISO 8601, UTC, microseconds), ``level``, ``logger`` and
``message``, then, when known, ``request_id`` (the API request being answered) and
``source_id`` (the source the ingest pipeline is polling or fetching for), and
``exception`` (the formatted traceback) for ``log.exception``. The ids come from
context variables, so every log line of the work they scope carries them, whatever
module logs it:

- ``RequestIdMiddleware`` sets the request id for each HTTP request: the client's
  ``X-Request-ID`` (up to ``MAX_REQUEST_ID`` characters), else a new one; the answer
  carries it back in ``X-Request-ID``. The audit log records the same id.
- The pipeline scopes each source's poll and each entry's fetch and extraction with
  ``source_context``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "MAX_REQUEST_ID",
    "JsonFormatter",
    "LogFormat",
    "RequestIdMiddleware",
    "configure_logging",
    "current_request_id",
    "source_context",
]

LogFormat = Literal["text", "json"]
MAX_REQUEST_ID = 128
"""Longest client request id kept: a UUID or trace id fits many times over."""
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_request_id: ContextVar[str | None] = ContextVar("clarion_request_id", default=None)
_source_id: ContextVar[str | None] = ContextVar("clarion_source_id", default=None)


def current_request_id() -> str | None:
    """The id of the API request being answered in this context, if any."""
    return _request_id.get()


@contextlib.contextmanager
def source_context(source_id: str) -> Iterator[None]:
    """Log lines inside the block carry ``source_id``."""
    token = _source_id.set(source_id)
    try:
        yield
    finally:
        _source_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id, source_id = _request_id.get(), _source_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        if source_id is not None:
            line["source_id"] = source_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str, *, fmt: LogFormat = "text") -> None:
    """Send every logger's records to stderr, as text or JSON lines, at ``level``."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # One line per HTTP request of the crawler is debug detail, not an operator's news.
    logging.getLogger("httpx2").setLevel(max(logging.WARNING, logging.getLogger().level))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class RequestIdMiddleware:
    """Gives each HTTP request an id, in ``current_request_id()`` and ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = (_header(scope, b"x-request-id") or "")[:MAX_REQUEST_ID]
        request_id = given or uuid.uuid4().hex
        raw = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    message = {**message, "headers": [*headers, (b"x-request-id", raw)]}
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
