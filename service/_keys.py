"""API key material: making a key, reading one from a request, checking its secret.

A key's text is ``clk_<id>_<secret>``: ``id`` is a short public prefix (8 hex
characters) that names the key in listings, logs and the audit trail; ``secret``
is 32 random bytes (256 bits) in URL-safe base64. The store keeps the SHA-256 of
the secret (``search.ApiKey.secret_hash``), never the secret; the full text is
shown once, when the key is made.

Why a fast hash is right here: slow hashes (bcrypt, scrypt, argon2) exist to make
guessing *low-entropy* passwords from a stolen hash expensive. A 256-bit random
secret cannot be guessed however fast the hash is (2^256 tries), so SHA-256 loses
nothing, and it keeps every authenticated request cheap (microseconds, where a
password hash costs tens of milliseconds of CPU per request on two cores).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from search import ApiKey, KeyStore, Scope, StoreError
from search._keys_store import SCOPES

__all__ = [
    "KEY_PREFIX",
    "SECRET_BYTES",
    "create_key",
    "hash_secret",
    "make_key",
    "parse_key",
    "secret_matches",
]

KEY_PREFIX = "clk"
"""First part of every key's text: lets secret scanners and people recognise a
Clarion key (``clk_...``) in a leaked file or a log line."""
SECRET_BYTES = 32
"""Random bytes in a secret: 256 bits, beyond any guessing (see the module docstring)."""
ID_BYTES = 4
"""Random bytes of a key id (8 hex characters): short enough to read out, and ids are
checked for collisions when a key is made (``service._access.create_key``)."""


def hash_secret(secret: str) -> str:
    """SHA-256 of ``secret`` (hex): what the store keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(key: ApiKey, secret: str) -> bool:
    """Whether ``secret`` is ``key``'s, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret), key.secret_hash)


def parse_key(text: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a key's text, or ``None`` when it is not shaped like one."""
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def make_key(
    *,
    name: str,
    scopes: tuple[Scope, ...],
    brands: tuple[str, ...] | None,
    rate_limit_per_minute: int | None,
    now: datetime,
) -> tuple[ApiKey, str]:
    """A new key and its full text (to show once). ``ValueError`` for no scope, an
    unknown scope or an empty brand list (``None`` means every brand)."""
    if not scopes:
        raise ValueError("a key needs at least one scope (read, write or admin)")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}: use read, write or admin")
    if brands is not None and not brands:
        raise ValueError("an empty brand list would see nothing: omit it for every brand")
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise ValueError("the rate limit must be at least 1 request per minute")
    key_id = secrets.token_hex(ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    key = ApiKey(
        id=key_id,
        name=name,
        secret_hash=hash_secret(secret),
        scopes=tuple(s for s in SCOPES if s in scopes),
        brands=None if brands is None else tuple(dict.fromkeys(brands)),
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=now,
    )
    return key, f"{KEY_PREFIX}_{key_id}_{secret}"


MAX_ID_TRIES = 5
"""Fresh ids tried when one is taken: with 2^32 ids, a second collision in a row
means something is wrong with the random source, not bad luck."""


async def create_key(
    keys: KeyStore,
    *,
    name: str,
    scopes: tuple[Scope, ...],
    brands: tuple[str, ...] | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Make and store a new key; answer it and its full text (to show once, never log).
    ``ValueError`` as ``make_key``; ``StoreError`` when no free id was found."""
    for _ in range(MAX_ID_TRIES):
        key, text = make_key(
            name=name,
            scopes=scopes,
            brands=brands,
            rate_limit_per_minute=rate_limit_per_minute,
            now=datetime.now(UTC),
        )
        if await keys.get_api_key(key.id) is None:
            await keys.put_api_key(key)
            return key, text
    raise StoreError(f"no free key id after {MAX_ID_TRIES} tries")
