"""``/v1/keys``: make, list and revoke API keys (``admin`` scope, every brand).

A key's full text is in the answer to the request that made it, once; listings
show its public id and its grants, never its secret or hash. Revoking keeps the
key (marked ``revoked_at``) and takes effect at once in this process; other API
processes stop accepting it within ``service._access.KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from search import ApiKey, Scope, key_store
from service._access import access_of
from service._auth import Admin
from service._deps import RuntimeDep
from service._keys import create_key
from service._problems import BadRequest
from service._schemas_config import Slug

__all__ = ["KeyCreate", "KeyCreated", "KeyPublic", "KeysPublic", "router"]

router = APIRouter(prefix="/v1/keys", tags=["access"])


class KeyCreate(BaseModel):
    """A key to make. ``brands`` absent (or null): every brand; else only those
    (ids of brands that may not exist yet)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["acme dashboard"])]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=3)]
    brands: Annotated[list[Slug], Field(min_length=1, max_length=1000)] | None = None
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class KeyPublic(BaseModel):
    """A key as listed: never its secret nor its hash."""

    id: str
    name: str
    scopes: list[Scope]
    brands: list[str] | None
    rate_limit_per_minute: int | None = Field(
        description="requests per minute; null: the deployment's CLARION_RATE_LIMIT_PER_MINUTE"
    )
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyPublic:
        return cls(
            id=key.id,
            name=key.name,
            scopes=list(key.scopes),
            brands=None if key.brands is None else list(key.brands),
            rate_limit_per_minute=key.rate_limit_per_minute,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeyCreated(KeyPublic):
    """The answer to making a key: its full text, shown this once."""

    key: str = Field(description="the API key; send it as `Authorization: Bearer <key>`")


class KeysPublic(BaseModel):
    items: list[KeyPublic]


@router.post("", status_code=201, response_model=KeyCreated)
async def make_key(body: KeyCreate, runtime: RuntimeDep, principal: Admin) -> KeyCreated:
    """Make a key; the answer holds its full text, which is not kept and never shown again."""
    try:
        key, text = await create_key(
            key_store(runtime.store),
            name=body.name,
            scopes=tuple(body.scopes),
            brands=None if body.brands is None else tuple(body.brands),
            rate_limit_per_minute=body.rate_limit_per_minute,
        )
    except ValueError as exc:
        raise BadRequest(str(exc), field="body") from None
    return KeyCreated(**KeyPublic.of(key).model_dump(), key=text)


@router.get("", response_model=KeysPublic)
async def list_keys(runtime: RuntimeDep, principal: Admin) -> KeysPublic:
    """Every key, revoked ones too, by id."""
    return KeysPublic(
        items=[KeyPublic.of(k) for k in await key_store(runtime.store).list_api_keys()]
    )


@router.get("/{key_id}", response_model=KeyPublic)
async def get_key(key_id: str, runtime: RuntimeDep, principal: Admin) -> KeyPublic:
    key = await key_store(runtime.store).get_api_key(key_id)
    if key is None:
        raise HTTPException(404, f"no API key {key_id!r}")
    return KeyPublic.of(key)


@router.delete("/{key_id}", status_code=204, response_class=Response)
async def revoke_key(
    key_id: str, request: Request, runtime: RuntimeDep, principal: Admin
) -> Response:
    """Revoke the key (idempotent): refused from now on, in this process at once."""
    revoked = await key_store(runtime.store).revoke_api_key(key_id, datetime.now(UTC))
    if revoked is None:
        raise HTTPException(404, f"no API key {key_id!r}")
    access_of(request).forget(key_id)
    return Response(status_code=204)
