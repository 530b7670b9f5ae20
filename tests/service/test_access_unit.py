"""The pure parts of access control: key text, token buckets, and the key cache
(``Access``) on a real SQLite store with an injected clock (no sleeping)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from search import SQLiteStore, key_store
from service._access import KEY_CACHE_SECONDS, Access, AccessDenied
from service._app import create_app
from service._keys import create_key, hash_secret, make_key, parse_key, secret_matches
from service._rate_limit import TokenBuckets
from service._settings import Settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_key_text_parses_back_and_only_its_secret_matches() -> None:
    key, text = make_key(
        name="k", scopes=("read",), brands=None, rate_limit_per_minute=None, now=NOW
    )
    assert text.startswith(f"clk_{key.id}_")
    parsed = parse_key(text)
    assert parsed is not None and parsed[0] == key.id
    assert secret_matches(key, parsed[1]) and not secret_matches(key, parsed[1] + "x")
    assert key.secret_hash == hash_secret(parsed[1]) and parsed[1] not in repr(key)
    assert len(parsed[1]) >= 43  # 32 random bytes in URL-safe base64
    for bad in ("", "clk", "clk__x", "clk_id_", "xyz_id_secret", "clk-id-secret"):
        assert parse_key(bad) is None


def test_two_keys_never_share_an_id_or_secret() -> None:
    made = [
        make_key(name="k", scopes=("read",), brands=None, rate_limit_per_minute=None, now=NOW)
        for _ in range(200)
    ]
    assert len({k.id for k, _ in made}) == 200 and len({t for _, t in made}) == 200


@pytest.mark.parametrize(
    ("scopes", "brands", "limit"),
    [((), None, None), (("root",), None, None), (("read",), (), None), (("read",), None, 0)],
)
def test_impossible_keys_are_refused(
    scopes: tuple[str, ...], brands: tuple[str, ...] | None, limit: int | None
) -> None:
    with pytest.raises(ValueError):
        make_key(name="k", scopes=scopes, brands=brands, rate_limit_per_minute=limit, now=NOW)  # type: ignore[arg-type]


def test_a_bucket_allows_a_minutes_burst_then_the_rate() -> None:
    buckets = TokenBuckets()
    assert [buckets.take("k", per_minute=3, now=0.0) for _ in range(3)] == [None, None, None]
    assert buckets.take("k", per_minute=3, now=0.0) == 20  # one token per 20 s
    assert buckets.take("k", per_minute=3, now=15.0) == 5  # 0.75 token there: 5 s more
    assert buckets.take("k", per_minute=3, now=20.0) is None
    assert buckets.take("other", per_minute=3, now=20.0) is None  # a bucket per key


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    buckets = TokenBuckets()
    assert buckets.take("k", per_minute=6000, now=0.0) is None
    for _ in range(5999):
        buckets.take("k", per_minute=6000, now=0.0)
    assert buckets.take("k", per_minute=6000, now=0.0) == 1  # 0.01 s rounds up to 1


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "keys.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_revocation_elsewhere_takes_effect_within_the_cache_lifetime(
    store: SQLiteStore,
) -> None:
    clock = _Clock()
    access = Access(mode="keys", default_per_minute=1000, clock=clock)
    key, text = await create_key(key_store(store), name="k", scopes=("read",), brands=("acme",))
    principal = await access.principal(store, text)
    assert principal.key_id == key.id and principal.brands == frozenset({"acme"})
    assert principal.scopes == frozenset({"read"})
    await key_store(store).revoke_api_key(key.id, NOW)  # another process revokes it
    clock.now = KEY_CACHE_SECONDS - 0.5
    assert (await access.principal(store, text)).key_id == key.id  # cached
    clock.now = KEY_CACHE_SECONDS + 0.5
    with pytest.raises(AccessDenied) as refused:
        await access.principal(store, text)
    assert refused.value.status == 401 and "revoked" in refused.value.detail


async def test_forget_drops_a_key_at_once(store: SQLiteStore) -> None:
    access = Access(mode="keys", default_per_minute=1000, clock=_Clock())
    key, text = await create_key(key_store(store), name="k", scopes=("admin",))
    principal = await access.principal(store, text)
    assert principal.scopes == frozenset({"read", "write", "admin"}) and principal.all_brands
    await key_store(store).revoke_api_key(key.id, NOW)
    access.forget(key.id)
    with pytest.raises(AccessDenied):
        await access.principal(store, text)


async def test_with_auth_off_everyone_may_do_everything(store: SQLiteStore) -> None:
    access = Access(mode="off", default_per_minute=1)
    for _ in range(3):  # no rate limit either
        principal = await access.principal(store, None)
        assert principal.key_id is None and principal.all_brands
        assert principal.scopes == frozenset({"read", "write", "admin"})


def test_keys_are_the_default_and_turning_them_off_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert Settings.model_fields["auth"].default == "keys"  # the suite runs with it off
    with caplog.at_level(logging.WARNING, logger="clarion.access"):
        create_app(Settings(auth="keys"))
        assert "authentication is OFF" not in caplog.text
        create_app(Settings(auth="off"))
    assert "authentication is OFF (CLARION_AUTH=off)" in caplog.text
