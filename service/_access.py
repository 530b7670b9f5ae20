"""Turning a request's API key into a ``Principal``: look-up, cache, rate limit.

``Access`` lives on ``app.state.access`` (``install_access``); the route dependencies
of ``service._auth`` ask it who is calling. With ``CLARION_AUTH=off`` every request
is the all-powerful anonymous principal (and no rate limit applies).

Key look-ups are cached: a verified key record (never its secret) is kept for
``KEY_CACHE_SECONDS``, so a busy key costs one store read per that many seconds
rather than one per request; an unknown id is cached as unknown for as long. A key
revoked (or made) through *this* process's API is forgotten at once. Another
process (``clarion keys revoke``, a second API process) is not told: there, the
revocation takes effect within ``KEY_CACHE_SECONDS``.

Refusals are ``AccessDenied`` (401 with ``WWW-Authenticate: Bearer``, 403, 429 with
``Retry-After``), answered as RFC 9457 problem bodies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from search import ApiKey, KeyStore, Store, key_store
from service._keys import parse_key, secret_matches
from service._principal import EVERYONE, Principal
from service._problems import problem
from service._rate_limit import TokenBuckets
from service._settings import Settings

__all__ = ["KEY_CACHE_SECONDS", "Access", "AccessDenied", "install_access"]

log = logging.getLogger("clarion.access")

KEY_CACHE_SECONDS = 10.0
"""How long a looked-up key is trusted without reading the store again: the longest
a revocation made by another process takes to reach this one. Ten seconds costs a
busy key six store reads a minute, and keeps a leaked key's grace period short."""
MAX_CACHED_KEYS = 10_000
"""Cache entries kept at most (unknown ids included, so that a flood of made-up ids
cannot grow it without bound); the oldest entry goes first."""


class AccessDenied(Exception):
    """A request refused for who is calling: 401, 403 or 429."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}


def unauthorized(detail: str) -> AccessDenied:
    return AccessDenied(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


class Access:
    """Who is calling (see the module docstring). One per app; event-loop only."""

    def __init__(
        self,
        *,
        mode: Literal["keys", "off"],
        default_per_minute: int,
        cache_seconds: float = KEY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mode = mode
        self.default_per_minute = default_per_minute
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[ApiKey | None, float]] = {}
        self._buckets = TokenBuckets()

    async def principal(self, store: Store, key_text: str | None) -> Principal:
        """The caller holding ``key_text``; ``AccessDenied`` 401 for a missing, malformed,
        unknown or revoked key, 429 when the key is over its rate limit."""
        if self.mode == "off":
            return EVERYONE
        if not key_text:
            raise unauthorized("send an API key: Authorization: Bearer <key> or X-API-Key: <key>")
        parsed = parse_key(key_text)
        if parsed is None:
            raise unauthorized("not a Clarion API key (clk_<id>_<secret>)")
        key_id, secret = parsed
        key = await self._lookup(key_store(store), key_id)
        if key is None or not secret_matches(key, secret):
            raise unauthorized("unknown API key")
        if key.revoked:
            raise unauthorized(f"API key {key.id} is revoked")
        per_minute = key.rate_limit_per_minute or self.default_per_minute
        wait = self._buckets.take(key.id, per_minute=per_minute, now=self._clock())
        if wait is not None:
            raise AccessDenied(
                429,
                "Too many requests",
                f"API key {key.id} is limited to {per_minute} requests per minute",
                headers={"Retry-After": str(wait)},
            )
        return Principal(
            key_id=key.id,
            scopes=frozenset(("read", "write", "admin") if "admin" in key.scopes else key.scopes),
            brands=None if key.brands is None else frozenset(key.brands),
        )

    def forget(self, key_id: str) -> None:
        """Drop ``key_id`` from the cache: its next request reads the store."""
        self._cache.pop(key_id, None)

    async def _lookup(self, keys: KeyStore, key_id: str) -> ApiKey | None:
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        key = await keys.get_api_key(key_id)
        self._cache.pop(key_id, None)
        if len(self._cache) >= MAX_CACHED_KEYS:
            del self._cache[next(iter(self._cache))]
        self._cache[key_id] = (key, now + self._cache_seconds)
        return key


def access_of(request: Request) -> Access:
    access: Access | None = getattr(request.app.state, "access", None)
    if access is None:  # an app not built by create_app: refuse rather than open up
        raise AccessDenied(503, "Access control not installed", "the app has no install_access")
    return access


def install_access(app: FastAPI, settings: Settings) -> None:
    """Put an ``Access`` on ``app.state.access`` and answer ``AccessDenied`` as problems."""
    app.state.access = Access(mode=settings.auth, default_per_minute=settings.rate_limit_per_minute)
    if settings.auth == "keys":
        log.info(
            "every /v1 request needs an API key; make the first with "
            "`clarion keys create --name ops --scope admin`"
        )
    else:
        log.warning(
            "authentication is OFF (CLARION_AUTH=off): anyone who reaches %s:%s may read "
            "and change everything",
            settings.host,
            settings.port,
        )

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, headers=exc.headers)
