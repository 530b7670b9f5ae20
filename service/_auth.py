"""Route dependencies: who is calling, and may they.

Every ``/v1`` route takes one of ``Reader``, ``Writer`` or ``Admin`` (or
``GlobalReader`` / ``GlobalWriter`` for global configuration) and receives the
caller's ``Principal``; ``tests/service/test_access_routes.py`` fails for a route
outside the public list that takes none. A route that reads or writes one brand's
data calls ``principal.require_brand(brand_id)`` (404 for a brand the key may not
see, whether or not it exists), and a route that lists brands keeps
``principal.visible(ids)``.

Refusals (RFC 9457 problem bodies): 401 with ``WWW-Authenticate: Bearer`` for a
missing, malformed, unknown or revoked key; 429 with ``Retry-After`` for a key over
its rate limit; 403 for a scope the key lacks, and for global configuration
(``GlobalReader``, ``GlobalWriter``, ``Admin``) asked by a key limited to brands.
The principal is also set on ``request.state.principal``, for the audit log.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's signature.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import (
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBearer,
)

from search import Scope
from service._access import AccessDenied, access_of
from service._deps import RuntimeDep
from service._principal import EVERYONE, Principal
from service._runtime import Runtime

__all__ = [
    "EVERYONE",
    "Admin",
    "FeedReader",
    "GlobalReader",
    "GlobalWriter",
    "Principal",
    "Reader",
    "Scope",
    "Writer",
    "require",
    "requirement_of",
]

_bearer = HTTPBearer(
    auto_error=False, description="An API key (`clk_...`): `Authorization: Bearer <key>`."
)
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (`clk_...`), instead of Bearer."
)
_api_key_query = APIKeyQuery(
    name="key",
    auto_error=False,
    description=(
        "An API key in the URL, for feed readers that cannot send headers. Feeds only: "
        "URLs end up in logs and histories, so give a feed reader its own read-only key "
        "limited to the brand, and revoke it when the reader goes."
    ),
)
_REQUIREMENTS: dict[Callable[..., Awaitable[Principal]], tuple[Scope, bool]] = {}


def requirement_of(dependency: object) -> tuple[Scope, bool] | None:
    """``(scope, all_brands)`` of a dependency made by ``require``; else ``None``."""
    for made, requirement in _REQUIREMENTS.items():
        if made is dependency:
            return requirement
    return None


def require(scope: Scope, *, all_brands: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency that answers the caller's ``Principal`` if it holds ``scope`` (and,
    with ``all_brands``, is not limited to some brands); see the module docstring."""

    async def dependency(
        request: Request,
        runtime: RuntimeDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        api_key: Annotated[str | None, Depends(_api_key_header)],
    ) -> Principal:
        text = bearer.credentials if bearer is not None else api_key
        return await _authorize(request, runtime, text, scope=scope, all_brands=all_brands)

    _REQUIREMENTS[dependency] = (scope, all_brands)
    return dependency


async def _authorize(
    request: Request, runtime: Runtime, text: str | None, *, scope: Scope, all_brands: bool
) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # once per request, however many dependencies ask
        principal = await access_of(request).principal(runtime.store, text)
        request.state.principal = principal
    if scope not in principal.scopes:
        raise AccessDenied(403, "Forbidden", f"this API key lacks the {scope!r} scope")
    if all_brands and not principal.all_brands:
        raise AccessDenied(
            403,
            "Forbidden",
            "global configuration needs a key for every brand; this one is limited",
        )
    return principal


async def _feed_reader(
    request: Request,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
    query_key: Annotated[str | None, Depends(_api_key_query)],
) -> Principal:
    """``read``, with the key also accepted as ``?key=`` (see ``FeedReader``)."""
    text = bearer.credentials if bearer is not None else api_key or query_key
    return await _authorize(request, runtime, text, scope="read", all_brands=False)


_REQUIREMENTS[_feed_reader] = ("read", False)

Reader = Annotated[Principal, Depends(require("read"))]
"""Metrics, coverage, mentions, analysis and other reads of brand data."""
Writer = Annotated[Principal, Depends(require("write"))]
"""Changes to brands, campaigns, alert rules and other brand configuration."""
Admin = Annotated[Principal, Depends(require("admin", all_brands=True))]
"""API keys, webhooks, the audit log, settings: a key for every brand with ``admin``."""
GlobalReader = Annotated[Principal, Depends(require("read", all_brands=True))]
"""Reads of configuration that spans brands (sources, OPML export)."""
GlobalWriter = Annotated[Principal, Depends(require("write", all_brands=True))]
"""Changes that span brands: sources, OPML import, traffic ingest and re-attribution."""
FeedReader = Annotated[Principal, Depends(_feed_reader)]
"""``Reader`` for routes that serve feeds (RSS/Atom), which also takes the key as
``?key=``: feed readers and marketing tools subscribe to a URL and cannot send headers."""
