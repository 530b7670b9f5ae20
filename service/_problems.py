"""Errors as RFC 9457 problem bodies (``application/problem+json``).

Every refusal names what was wrong: validation errors list each field with its
location (``query.from``, ``body.brands.0.query``), query syntax errors give the
character position.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from enrichment._query import QuerySyntaxError
from search import InvalidCursor, StoreError, TemporaryStoreError

log = logging.getLogger("clarion.api")

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"  # a busy store usually clears within a few seconds


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class BadRequest(Exception):
    """A request that is well-formed but asks for something impossible; answered 400."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(err.get("loc", ())), "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        fields = ", ".join(str(e["field"]) for e in errors)
        return problem(422, "Invalid request", f"invalid field(s): {fields}", errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(BadRequest)
    async def _bad(request: Request, exc: BadRequest) -> JSONResponse:
        errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
        return problem(400, "Bad request", exc.detail, errors=errors)

    @app.exception_handler(QuerySyntaxError)
    async def _query(request: Request, exc: QuerySyntaxError) -> JSONResponse:
        error = {"field": "q", "message": str(exc), "position": exc.position}
        return problem(400, "Invalid query", str(exc), errors=[error])

    @app.exception_handler(InvalidCursor)
    async def _cursor(request: Request, exc: InvalidCursor) -> JSONResponse:
        error = {"field": "cursor", "message": str(exc) or "not a cursor this API issued"}
        return problem(400, "Invalid cursor", error["message"], errors=[error])

    @app.exception_handler(TemporaryStoreError)
    async def _busy(request: Request, exc: TemporaryStoreError) -> JSONResponse:
        log.warning("store temporarily unavailable: %s", exc)
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        return problem(503, "Store temporarily unavailable", str(exc), headers=headers)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return problem(500, "Store error", str(exc))
