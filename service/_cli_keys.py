"""``clarion keys``: make, list and revoke API keys in the configured store.

The way to the first admin key of a deployment (``CLARION_AUTH=keys`` refuses every
``/v1`` request until one exists): ``clarion keys create --name ops --scope admin``.
A key's full text is printed once, on standard output, and nowhere else (not in
logs). Errors end with one line on stderr and exit code 2, like every command.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from search import ApiKey, KeyStore, Scope, key_store
from search._keys_store import SCOPES
from service._audit import record_change
from service._cli_run import _fail, _settings, run_on_store
from service._keys import create_key

__all__ = ["keys_app"]

keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

T = TypeVar("T")


def _run(action: Callable[[KeyStore], Awaitable[T]]) -> T:
    return run_on_store(_settings(), lambda store: action(key_store(store)))


def _public(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "scopes": list(key.scopes),
        "brands": None if key.brands is None else list(key.brands),
        "rate_limit_per_minute": key.rate_limit_per_minute,
        "created_at": key.created_at.isoformat(),
        "revoked_at": None if key.revoked_at is None else key.revoked_at.isoformat(),
    }


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="what the key is for (shown in listings)")],
    scope: Annotated[
        list[str], typer.Option(help="read, write or admin (admin grants all); repeatable")
    ],
    brand: Annotated[
        list[str] | None, typer.Option(help="limit the key to this brand id; repeatable")
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(min=1, help="requests per minute [default: CLARION_RATE_LIMIT_PER_MINUTE]"),
    ] = None,
) -> None:
    """Make an API key and print it, once: it cannot be shown again."""
    unknown = [s for s in scope if s not in SCOPES]
    if unknown:
        raise _fail(f"unknown scope(s) {', '.join(unknown)}: use read, write or admin")
    scopes: tuple[Scope, ...] = tuple(s for s in SCOPES if s in scope)
    if not name.strip():
        raise _fail("--name must not be empty")

    async def make(keys: KeyStore) -> tuple[ApiKey, str]:
        made = await create_key(
            keys,
            name=name.strip(),
            scopes=scopes,
            brands=tuple(brand) if brand else None,
            rate_limit_per_minute=rate_limit,
        )
        change = _public(made[0])  # never the key's text
        await record_change(
            keys,
            actor="cli",
            action="key.create",
            target_type="key",
            target_id=made[0].id,
            change=change,
        )
        return made

    try:
        key, text = _run(make)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(text)
    limits = f"brands {', '.join(key.brands)}" if key.brands else "every brand"
    typer.echo(
        f"key {key.id} ({', '.join(key.scopes)}; {limits}): store it now, it is not shown again",
        err=True,
    )


@keys_app.command("list")
def list_keys() -> None:
    """Every key, revoked ones too, as JSON (never a secret)."""
    keys = _run(lambda store: store.list_api_keys())
    typer.echo(json.dumps([_public(k) for k in keys], indent=2))


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="the key's id (from `keys list`)")]) -> None:
    """Revoke a key: refused from now on (by running API processes within seconds)."""
    from datetime import UTC, datetime

    from service._access import KEY_CACHE_SECONDS

    async def revoke_and_record(keys: KeyStore) -> ApiKey | None:
        done = await keys.revoke_api_key(key_id, datetime.now(UTC))
        if done is not None:
            await record_change(
                keys, actor="cli", action="key.revoke", target_type="key", target_id=key_id
            )
        return done

    revoked = _run(revoke_and_record)
    if revoked is None:
        raise _fail(f"no API key {key_id!r}")
    when = revoked.revoked_at.isoformat() if revoked.revoked_at else "now"
    typer.echo(
        f"key {revoked.id} revoked ({when}); running API processes refuse it within "
        f"{KEY_CACHE_SECONDS:g} s"
    )
