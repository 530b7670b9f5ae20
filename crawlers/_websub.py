"""WebSub (W3C Recommendation 2018, formerly PubSubHubbub 0.4), the subscriber's side.

Pure parts, tested without a server:

- ``websub_links`` / ``discover_websub``: a feed's hub and topic (``rel="self"``) from
  HTTP ``Link`` headers first, then the body (Atom ``<link>``, RSS ``<atom:link>``,
  JSON Feed ``hubs`` / ``feed_url``), as spec §4 orders them.
- ``sign`` / ``verify_signature``: ``X-Hub-Signature: <method>=<hex HMAC>`` over the raw
  body (spec §8; sha1, sha256, sha384, sha512), compared in constant time.
- ``renew_at`` / ``subscription_due_at`` / ``subscription_action``: when a subscription
  kept in a ``FeedState`` needs a (re)subscription request.

One thin I/O shell: ``request_subscription`` POSTs ``hub.mode=subscribe`` (or
``unsubscribe``) to the hub through a client built by ``hub_client``, whose transport
is the SSRF guard (``crawlers/_guard.py``): a hub named by a feed is a user-supplied
URL like any other and is refused on a private address unless allowed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx2

from crawlers._errors import BlockedAddressError, PermanentFetchError, TransientFetchError
from crawlers._feeds import ParsedFeed, parse_feed
from crawlers._guard import guarded_transport
from crawlers._types import FeedState

SubscriptionMode = Literal["subscribe", "unsubscribe"]
SubscriptionAction = Literal["subscribe", "renew", "retry"]

# HMAC methods of spec §8, by the name used in the header.
SIGNATURE_METHODS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}

# Secret bytes per subscription: 32 random bytes (64 hex characters) is a full
# SHA-256 key, and well under the spec's limit of 200 bytes for hub.secret.
SECRET_BYTES = 32

# Renew when less than max(10% of the lease, 1 h) remains, and never before half
# of it has passed. 10% of the usual 10-day lease is a day: room for a hub that
# is down for hours and for several retries with backoff. The 1-hour floor gives
# short leases time for one failed attempt and a retry. The half-lease cap keeps
# a lease shorter than two hours from being renewed in a loop.
RENEW_FRACTION = 0.1
RENEW_MIN_MARGIN = timedelta(hours=1)

# A request the hub accepted but never verified is sent again after this long. Hubs
# verify within seconds; an hour covers a queued verification without leaving the
# source unsubscribed (and polled at full rate) for long.
PENDING_TIMEOUT = timedelta(hours=1)

# Backoff after a failed or denied request: 1 min, doubling, at most 6 h. A hub blip
# costs a minute; a hub that refuses is asked four times a day, and the source keeps
# its normal polling in the meantime, so nothing is missed.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)

# A hub answers a subscription request at once (it verifies later, asynchronously);
# 10 s to connect and 30 s in all bound a hung hub without failing a slow one.
HUB_TIMEOUT = httpx2.Timeout(30.0, connect=10.0)
# Connections to hubs at once: there are few hubs (most feeds share a handful), and
# subscription requests are rare.
HUB_CONNECTIONS = 8

_MAX_REASON_CHARS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSubLinks:
    """Where to subscribe (``hub``) and to what (``topic``, the feed's self URL).

    ``hubs``: every hub the feed names, ``hub`` first (``Link`` headers before the
    body, in order, without repeats); a subscriber tries them in turn.
    """

    hub: str
    topic: str
    hubs: tuple[str, ...] = ()


def websub_links(
    feed: ParsedFeed, *, url: str, headers: Mapping[str, str] | None = None
) -> WebSubLinks | None:
    """The hub and topic of a feed fetched from ``url``, or None when it names no hub.

    ``Link`` headers (``rel="hub"``, ``rel="self"``) win over the body; the topic
    falls back to ``url`` (the URL the feed was fetched from, after redirects) when
    neither names a self URL.
    """
    header_hubs, header_self = _from_link_header(headers.get("link") if headers else None, url)
    body_hubs = feed.hub_urls or ((feed.hub_url,) if feed.hub_url else ())
    hubs = tuple(dict.fromkeys((*header_hubs, *body_hubs)))
    if not hubs:
        return None
    return WebSubLinks(hub=hubs[0], topic=header_self or feed.self_url or url, hubs=hubs)


def discover_websub(
    content: bytes,
    *,
    url: str,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> WebSubLinks | None:
    """``websub_links`` of a feed body; raises ``FeedParseError`` when it is not a feed."""
    feed = parse_feed(content, url=url, content_type=content_type)
    return websub_links(feed, url=url, headers=headers)


# <target> then ;-separated parameters, whose quoted values may hold ; and ,.
_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*(?:[^;,"]|"[^"]*")*)*)')
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def parse_link_header(value: str) -> list[tuple[str, frozenset[str]]]:
    """``(target, rels)`` pairs of an HTTP ``Link`` header (RFC 8288), in order.

    Several headers joined with commas parse as one; rel values are lower-cased.
    Links without a ``rel`` parameter are kept with an empty set.
    """
    links = []
    for match in _LINK.finditer(value):
        params = match.group(2) or ""
        rel = _REL.search(params)
        names = (rel.group(1) or rel.group(2) or "") if rel else ""
        links.append((match.group(1).strip(), frozenset(names.lower().split())))
    return links


def _from_link_header(value: str | None, base: str) -> tuple[list[str], str | None]:
    hubs: list[str] = []
    topic = None
    for target, rels in parse_link_header(value or ""):
        absolute = _http_url(target, base)
        if absolute is None:
            continue
        if "hub" in rels:
            hubs.append(absolute)
        if "self" in rels and topic is None:
            topic = absolute
    return hubs, topic


def _http_url(link: str, base: str) -> str | None:
    try:
        absolute = urljoin(base, link)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    return absolute if parts.scheme in ("http", "https") and parts.hostname else None


# -- signatures ----------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh ``hub.secret``: random hex, one per subscription. Never log it."""
    return secrets.token_hex(SECRET_BYTES)


def sign(body: bytes, *, secret: str, method: str = "sha256") -> str:
    """The ``X-Hub-Signature`` value a hub sends for ``body`` (``method=hexdigest``)."""
    digest = hmac.new(secret.encode("utf-8"), body, SIGNATURE_METHODS[method]).hexdigest()
    return f"{method}={digest}"


def verify_signature(body: bytes, *, secret: str, header: str | None) -> bool:
    """Whether ``header`` (an ``X-Hub-Signature`` value, or None) signs ``body``.

    False for a missing header, an unknown method or a wrong digest; the digest is
    compared in constant time (``hmac.compare_digest``).
    """
    if not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    algorithm = SIGNATURE_METHODS.get(method.strip().lower())
    if algorithm is None:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


# -- the subscription's clock --------------------------------------------------------------


def renew_at(expires_at: datetime, *, lease_seconds: int) -> datetime:
    """When a lease that ends at ``expires_at`` should be renewed (see ``RENEW_FRACTION``)."""
    lease = timedelta(seconds=max(0, lease_seconds))
    margin = min(max(lease * RENEW_FRACTION, RENEW_MIN_MARGIN), lease / 2)
    return expires_at - margin


def retry_delay(failures: int) -> timedelta:
    """Wait before the next request after ``failures`` failed or denied ones in a row."""
    if failures <= 0:
        return timedelta(0)
    doublings: int = min(failures - 1, 20)  # 2**20 minutes is far past the cap
    return min(RETRY_CAP, RETRY_BASE * (1 << doublings))


def subscription_due_at(state: FeedState) -> datetime | None:
    """When the subscription kept in ``state`` needs another request; None: not by time.

    Active: at ``renew_at`` of its lease; once a renewal was asked for (at or after
    that time), like a pending request, or after ``retry_delay`` if it failed, so
    that renewals are not sent in a loop while the hub has yet to verify one.
    Pending (asked, never verified): after ``PENDING_TIMEOUT``. Failed or denied:
    after ``retry_delay`` of its failures.
    """
    requested = state.websub_requested_at
    match state.websub_state:
        case "active" if state.websub_lease_expires_at is not None:
            lease = state.websub_lease_seconds or 0
            due = renew_at(state.websub_lease_expires_at, lease_seconds=lease)
            if requested is not None and requested >= due:  # renewal asked already
                failures = state.websub_failures
                return requested + (retry_delay(failures) if failures else PENDING_TIMEOUT)
            return due
        case "pending" if requested is not None:
            return requested + PENDING_TIMEOUT
        case "failed" | "denied" if requested is not None:
            return requested + retry_delay(state.websub_failures)
        case _:
            return None


def subscription_action(
    state: FeedState | None,
    *,
    hub: str | None,
    topic: str | None,
    callback: str,
    now: datetime,
) -> SubscriptionAction | None:
    """What to ask the hub now for a feed advertising ``hub`` / ``topic``, if anything.

    ``subscribe`` when nothing (or a different hub, topic or callback) is subscribed,
    or an unsubscription was asked for;
    ``renew`` when an active lease nears its end; ``retry`` when a failed, denied or
    never-verified request is due again; None otherwise, and always when ``hub`` or
    ``topic`` is None (the feed offers no push).
    """
    if hub is None or topic is None:
        return None
    if state is None or state.websub_state in (None, "unsubscribing"):
        return "subscribe"  # "unsubscribing": the source was disabled, and is back
    if (state.websub_hub, state.websub_topic, state.websub_callback) != (hub, topic, callback):
        return "subscribe"
    due = subscription_due_at(state)
    if due is None or now < due:
        return None
    return "renew" if state.websub_state == "active" else "retry"


# -- I/O: the subscription request ---------------------------------------------------------


def hub_client(
    *,
    user_agent: str,
    block_private_addresses: bool = True,
    allow_networks: Iterable[str] = (),
    timeout: httpx2.Timeout = HUB_TIMEOUT,
) -> httpx2.AsyncClient:
    """The client for ``request_subscription``: the SSRF guard when blocking, no proxies,
    no redirects (a hub is asked exactly where the feed says). Close it after use."""
    transport = None
    if block_private_addresses:
        transport = guarded_transport(allow_networks, max_connections=HUB_CONNECTIONS)
    return httpx2.AsyncClient(
        transport=transport,
        headers={"User-Agent": user_agent},
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )


async def request_subscription(
    client: httpx2.AsyncClient,
    *,
    hub: str,
    topic: str,
    callback: str,
    secret: str | None,
    lease_seconds: int | None,
    mode: SubscriptionMode = "subscribe",
) -> None:
    """POST a (un)subscription request to ``hub``; returns when the hub accepted it (2xx).

    Acceptance is not a subscription: the hub then verifies intent with a GET on
    ``callback`` (spec §5.3). Raises ``BlockedAddressError`` for a hub on a refused
    address, ``TransientFetchError`` for network errors, timeouts, 408, 429 and 5xx,
    and ``PermanentFetchError`` for any other status (the hub's reason, shortened,
    in the message).
    """
    form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback}
    if secret is not None and mode == "subscribe":
        form["hub.secret"] = secret
    if lease_seconds is not None and mode == "subscribe":
        form["hub.lease_seconds"] = str(lease_seconds)
    try:
        response = await client.post(hub, data=form)
    except BlockedAddressError as exc:
        raise BlockedAddressError(str(exc), url=hub, address=exc.address) from None
    except httpx2.TimeoutException as exc:
        raise TransientFetchError(f"hub timeout: {type(exc).__name__}", url=hub) from exc
    except (httpx2.NetworkError, httpx2.RemoteProtocolError) as exc:
        raise TransientFetchError(f"hub: {type(exc).__name__}: {exc}", url=hub) from exc
    except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
        raise PermanentFetchError(f"hub: {type(exc).__name__}: {exc}", url=hub) from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = " ".join(response.text.split())[:_MAX_REASON_CHARS]
    message = f"hub answered HTTP {status}" + (f": {reason}" if reason else "")
    if status in (408, 429) or status >= 500:
        raise TransientFetchError(message, url=hub, status=status)
    raise PermanentFetchError(message, url=hub, status=status)
