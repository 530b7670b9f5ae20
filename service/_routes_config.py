"""CRUD for brands and sources: POST creates (409 if the id exists), PUT creates or
replaces (idempotent), DELETE removes; both nouns behave the same way.

Access: brands are per-brand data (read / write scope; a key limited to brands lists
only those and gets 404 for any other id, whether it exists or not); sources are
global configuration (a key for every brand)."""

# No `from __future__ import annotations`: FastAPI must see the real body types of the
# routes built inside `_crud_router`.

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status

from crawlers import FeedState
from search import Store
from service._auth import GlobalReader, GlobalWriter, Principal, Reader, Writer
from service._deps import RuntimeDep
from service._feed_state import update_feed_state
from service._runtime import Runtime
from service._schemas_config import (
    BrandCreate,
    BrandPublic,
    BrandsPublic,
    SourceCreate,
    SourceHealth,
    SourcePublic,
    SourcesPublic,
)


@dataclass(frozen=True, kw_only=True)
class _Noun:
    name: str  # singular, for messages
    path: str
    create: Any  # the *Create schema, with .id and a to_<noun>() conversion
    public: Any  # the *Public schema, with .of(stored)
    listing: Any  # the *sPublic schema
    convert: Callable[[Any], Any]  # create schema -> stored noun
    get: Callable[[Store, str], Awaitable[Any]]
    put: Callable[[Store, Any], Awaitable[None]]
    delete: Callable[[Store, str], Awaitable[bool]]
    list: Callable[[Store], Awaitable[list[Any]]]
    changed: Callable[[Runtime], Awaitable[None]] | None = None
    reader: Any = Reader  # the route dependencies: Reader / Writer for brand data,
    writer: Any = Writer  # GlobalReader / GlobalWriter for global configuration
    per_brand: bool = False  # whether ids are brand ids (limited keys see only theirs)


def _crud_router(noun: _Noun) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["configuration"])
    create_model, public_model, list_model = noun.create, noun.public, noun.listing
    reader, writer = noun.reader, noun.writer

    def require(principal: Principal, item_id: str) -> None:
        if noun.per_brand:
            principal.require_brand(item_id)

    async def changed(runtime: Runtime) -> None:
        if noun.changed is not None:
            await noun.changed(runtime)

    async def list_all(runtime: RuntimeDep, principal: reader) -> Any:  # type: ignore[valid-type]
        found = await noun.list(runtime.store)
        if noun.per_brand:
            found = [x for x in found if principal.sees(x.id)]  # type: ignore[attr-defined]
        return list_model(items=[public_model.of(x) for x in found])

    async def get_one(item_id: str, runtime: RuntimeDep, principal: reader) -> Any:  # type: ignore[valid-type]
        require(principal, item_id)
        found = await noun.get(runtime.store, item_id)
        if found is None:
            raise HTTPException(404, f"no {noun.name} {item_id!r}")
        return public_model.of(found)

    async def create(body: create_model, runtime: RuntimeDep, principal: writer) -> Any:  # type: ignore[valid-type]
        item: Any = body
        require(principal, item.id)
        if await noun.get(runtime.store, item.id) is not None:
            raise HTTPException(
                409, f"{noun.name} {item.id!r} exists; PUT /v1{noun.path}/{item.id} replaces it"
            )
        stored = noun.convert(item)
        await noun.put(runtime.store, stored)
        await changed(runtime)
        return public_model.of(stored)

    async def put(item_id: str, body: create_model, runtime: RuntimeDep, principal: writer) -> Any:  # type: ignore[valid-type]
        item: Any = body
        require(principal, item_id)
        if item.id != item_id:
            raise HTTPException(422, f"body id {item.id!r} differs from the path's {item_id!r}")
        stored = noun.convert(item)
        await noun.put(runtime.store, stored)
        await changed(runtime)
        return public_model.of(stored)

    async def delete(item_id: str, runtime: RuntimeDep, principal: writer) -> Response:  # type: ignore[valid-type]
        require(principal, item_id)
        if not await noun.delete(runtime.store, item_id):
            raise HTTPException(404, f"no {noun.name} {item_id!r}")
        await changed(runtime)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    one = f"{noun.path}/{{item_id}}"
    router.add_api_route(
        noun.path, list_all, methods=["GET"], response_model=list_model, name=f"list_{noun.name}s"
    )
    router.add_api_route(
        one, get_one, methods=["GET"], response_model=public_model, name=f"get_{noun.name}"
    )
    router.add_api_route(
        noun.path,
        create,
        methods=["POST"],
        response_model=public_model,
        status_code=status.HTTP_201_CREATED,
        name=f"create_{noun.name}",
    )
    router.add_api_route(
        one, put, methods=["PUT"], response_model=public_model, name=f"put_{noun.name}"
    )
    router.add_api_route(
        one,
        delete,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        name=f"delete_{noun.name}",
    )
    return router


async def _refresh_brands(runtime: Runtime) -> None:
    await runtime.refresh_brands()


brands_router = _crud_router(
    _Noun(
        name="brand",
        path="/brands",
        create=BrandCreate,
        public=BrandPublic,
        listing=BrandsPublic,
        convert=BrandCreate.to_brand,
        get=lambda s, i: s.get_brand(i),
        put=lambda s, b: s.put_brand(b),
        delete=lambda s, i: s.delete_brand(i),
        list=lambda s: s.list_brands(),
        changed=_refresh_brands,
        per_brand=True,
    )
)


async def _sources_changed(runtime: Runtime) -> None:
    if runtime.websub is not None:  # unsubscribe deleted or disabled sources from their hubs
        runtime.websub.sources_changed()


sources_router = _crud_router(
    _Noun(
        name="source",
        path="/sources",
        create=SourceCreate,
        public=SourcePublic,
        listing=SourcesPublic,
        convert=SourceCreate.to_source,
        get=lambda s, i: s.get_source(i),
        put=lambda s, x: s.put_source(x),
        delete=lambda s, i: s.delete_source(i),
        list=lambda s: s.list_sources(),
        changed=_sources_changed,
        reader=GlobalReader,
        writer=GlobalWriter,
    )
)


@sources_router.get("/sources/{source_id}/health", tags=["configuration"])
async def source_health(
    source_id: str, runtime: RuntimeDep, principal: GlobalReader
) -> SourceHealth:
    """Last poll, last success, consecutive failures, last error and its class."""
    source = await runtime.store.get_source(source_id)
    if source is None:
        raise HTTPException(404, f"no source {source_id!r}")
    return SourceHealth.of(source, await runtime.store.get_feed_state(source_id))


@sources_router.post("/sources/{source_id}/enable", tags=["configuration"])
async def enable_source(
    source_id: str, runtime: RuntimeDep, principal: GlobalWriter
) -> SourceHealth:
    """Re-enable a source disabled by failures (or by its configuration); poll it soon."""
    source = await runtime.store.get_source(source_id)
    if source is None:
        raise HTTPException(404, f"no source {source_id!r}")
    if not source.enabled:
        source = dataclasses.replace(source, enabled=True)
        await runtime.store.put_source(source)

    def reset(state: FeedState | None) -> FeedState | None:
        if state is not None and (state.disabled_reason or state.consecutive_failures):
            return dataclasses.replace(state, disabled_reason=None, consecutive_failures=0)
        return None  # nothing to change

    # On the latest state (service/_feed_state.py): the WebSub fields stay as they are.
    await update_feed_state(runtime.store, source_id, reset)
    state = await runtime.store.get_feed_state(source_id)
    runtime.pipeline.poll_soon(source_id)
    return SourceHealth.of(source, state)
