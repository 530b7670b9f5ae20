"""Webhook signatures: HMAC-SHA256 over the timestamp and the raw body.

Every delivery carries ``Clarion-Signature: t=<unix seconds>,v1=<hex digest>``,
where the digest is HMAC-SHA256, keyed with the subscription's secret, of
``f"{t}.".encode() + raw_body``. A receiver recomputes it over the bytes it
received (before parsing them), compares in constant time, and rejects a
timestamp older than its tolerance, so a captured delivery cannot be replayed
later. During a secret rotation a header may carry several ``v1=`` values (one
per active secret); one match is enough. Receivers in other languages need only
HMAC-SHA256 and hex; the README has the five-line Python check.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

__all__ = ["SIGNATURE_HEADER", "SignatureError", "sign", "verify"]

SIGNATURE_HEADER = "Clarion-Signature"

DEFAULT_TOLERANCE = 300
"""Seconds a signed delivery stays acceptable: long enough for clock skew and a
slow receiver queue, short enough that a replayed capture is refused."""


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secrets: str | Sequence[str], *, timestamp: int, body: bytes) -> str:
    """The ``Clarion-Signature`` header value for ``body`` sent at ``timestamp``."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    if not keys or not all(keys):
        raise ValueError("a signature needs at least one non-empty secret")
    return ",".join([f"t={timestamp}", *(f"v1={_digest(k, timestamp, body)}" for k in keys)])


def verify(
    secret: str, header: str | None, *, body: bytes, now: float, tolerance: int = DEFAULT_TOLERANCE
) -> int:
    """Check ``header`` against ``body``; return its timestamp or raise ``SignatureError``."""
    if not header:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    digests = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            digests.append(value)
    if timestamp is None or not digests:
        raise SignatureError(f"malformed {SIGNATURE_HEADER} header: {header[:100]!r}")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is more than {tolerance} s from now")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, digest) for digest in digests):
        raise SignatureError("no signature matches the body and secret")
    return timestamp
