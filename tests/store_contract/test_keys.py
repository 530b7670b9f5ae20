"""Contract: API keys (``KeyStore``): put, get, list, revoke; secrets are never stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from search import ApiKey, Store, StoreError, key_store
from tests.store_contract.conftest import StoreFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = ApiKey(
    id="k1a2b3c4",
    name="agency: acme dashboard",
    secret_hash="0" * 64,
    scopes=("read", "write"),
    brands=("acme", "globex"),
    rate_limit_per_minute=30,
    created_at=T0,
)


async def test_put_get_round_trips_every_field(store: Store) -> None:
    keys = key_store(store)
    await keys.put_api_key(KEY)
    assert await keys.get_api_key(KEY.id) == KEY
    assert await keys.get_api_key("nope") is None


async def test_defaults_round_trip_all_brands_and_no_limit(store: Store) -> None:
    keys = key_store(store)
    plain = ApiKey(id="k0", name="ops", secret_hash="f" * 64, scopes=("admin",), created_at=T0)
    await keys.put_api_key(plain)
    got = await keys.get_api_key("k0")
    assert got == plain
    assert got is not None and got.brands is None and got.rate_limit_per_minute is None


async def test_times_come_back_in_utc(store: Store) -> None:
    keys = key_store(store)
    paris = timezone(timedelta(hours=1))
    await keys.put_api_key(replace(KEY, created_at=T0.astimezone(paris)))
    got = await keys.get_api_key(KEY.id)
    assert got is not None
    assert got.created_at == T0 and got.created_at.utcoffset() == timedelta(0)


async def test_list_is_by_id_and_put_replaces(store: Store) -> None:
    keys = key_store(store)
    for key_id in ("kc", "ka", "kb"):
        await keys.put_api_key(replace(KEY, id=key_id))
    await keys.put_api_key(replace(KEY, id="kb", name="renamed"))
    listed = await keys.list_api_keys()
    assert [k.id for k in listed] == ["ka", "kb", "kc"]
    assert listed[1].name == "renamed"


async def test_revoke_is_idempotent_and_keeps_the_key(store: Store) -> None:
    keys = key_store(store)
    await keys.put_api_key(KEY)
    first = await keys.revoke_api_key(KEY.id, T0 + timedelta(hours=1))
    assert first is not None and first.revoked_at == T0 + timedelta(hours=1) and first.revoked
    again = await keys.revoke_api_key(KEY.id, T0 + timedelta(hours=2))
    assert again is not None and again.revoked_at == T0 + timedelta(hours=1)
    stored = await keys.get_api_key(KEY.id)
    assert stored == first
    assert [k.id for k in await keys.list_api_keys()] == [KEY.id]
    assert await keys.revoke_api_key("nope", T0) is None


async def test_naive_times_are_refused(store: Store) -> None:
    keys = key_store(store)
    with pytest.raises(StoreError):
        await keys.put_api_key(replace(KEY, created_at=datetime(2026, 3, 2)))
    await keys.put_api_key(KEY)
    with pytest.raises(StoreError):
        await keys.revoke_api_key(KEY.id, datetime(2026, 3, 2))
    stored = await keys.get_api_key(KEY.id)
    assert stored is not None and stored.revoked_at is None


async def test_keys_survive_a_reopen(make_store: StoreFactory) -> None:
    first = make_store()
    await first.open()
    try:
        await key_store(first).put_api_key(KEY)
        await key_store(first).revoke_api_key(KEY.id, T0)
    finally:
        await first.close()
    second = make_store()
    await second.open()
    try:
        got = await key_store(second).get_api_key(KEY.id)
        assert got is not None and got.revoked_at == T0 and got.secret_hash == KEY.secret_hash
    finally:
        await second.close()
