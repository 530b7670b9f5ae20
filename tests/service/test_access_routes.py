"""Every route outside the public list requires a scope: no route can forget.

Walks ``app.routes`` of the real app (through included routers, with FastAPI's
``iter_route_contexts``) and each route's dependency tree, router-level dependencies
included; a route that is not public and has no ``service._auth.require`` dependency
fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import RouteContext, iter_route_contexts

from service._app import create_app
from service._auth import requirement_of
from service._settings import Settings

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/websub/{source_id}",  # the hub's callback: checked by its own HMAC signature
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/",  # redirects to the dashboard
    "/dashboard",  # static files only: the dashboard calls the API with the user's key
}


def _requirements(dependant: Dependant) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    for sub in dependant.dependencies:
        requirement = requirement_of(sub.call)
        if requirement is not None:
            found.append(requirement)
        found.extend(_requirements(sub))
    return found


def _routes(app: FastAPI) -> Iterator[tuple[RouteContext, list[tuple[str, bool]] | None]]:
    """Every route with its requirements (``None``: a route without dependencies)."""
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        yield route, None if dependant is None else _requirements(dependant)


def test_every_non_public_route_requires_a_scope() -> None:
    app = create_app(Settings(auth="keys"))
    unguarded, checked = [], 0
    for route, requirements in _routes(app):
        if route.path in PUBLIC:
            continue
        checked += 1
        if not requirements:
            unguarded.append(f"{sorted(route.methods or ())} {route.path}")
    assert checked > 30  # the walk saw the API, not an empty app
    assert not unguarded, f"routes without Reader / Writer / Admin: {unguarded}"


def test_public_routes_exist_and_take_no_key() -> None:
    app = create_app(Settings(auth="keys"))
    paths = {route.path for route, _ in _routes(app)}
    assert {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"} <= paths


def test_global_configuration_and_admin_routes_need_a_key_for_every_brand() -> None:
    app = create_app(Settings(auth="keys"))
    seen = 0
    for route, requirements in _routes(app):
        path = route.path or ""
        if path.startswith(("/v1/sources", "/v1/webhooks", "/v1/keys")):
            seen += 1
            assert any(all_brands for _, all_brands in requirements or ()), path
        if path.startswith(("/v1/webhooks", "/v1/keys")):
            assert ("admin", True) in (requirements or ()), path
    assert seen >= 15
