"""WebSub for subscribers: discovery, signatures and the lease clock (pure), and the
subscription request against a real hub on 127.0.0.1 (with the SSRF guard)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import (
    BlockedAddressError,
    FeedState,
    FetchConfig,
    Fetcher,
    PermanentFetchError,
    Source,
    TransientFetchError,
    WebSubLinks,
    discover_websub,
    hub_client,
    new_secret,
    parse_link_header,
    poll_feed,
    renew_at,
    request_subscription,
    retry_delay,
    sign,
    subscription_action,
    subscription_due_at,
    verify_signature,
)
from tests._servers import serve_app
from tests._websub_hub import Hub

FEED_URL = "https://news.example/feeds/all.xml"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<link rel="hub" href="https://hub.example/"/><link rel="self" href="/feeds/atom"/>
<link href="https://news.example/"/>
<entry><title>A</title><link href="https://news.example/a"/><id>a</id></entry></feed>"""
RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>News</title>
<link>https://news.example/</link>
<atom:link rel="self" type="application/rss+xml" href="https://news.example/rss"/>
<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>
<item><link>https://news.example/a</link></item></channel></rss>"""
JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "News",
"feed_url": "https://news.example/feed.json",
"hubs": [{"type": "WebSub", "url": "https://websub.example/hub"}],
"items": [{"id": "a", "url": "https://news.example/a"}]}"""


# -- discovery -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            ATOM,
            WebSubLinks(
                hub="https://hub.example/",
                topic="https://news.example/feeds/atom",
                hubs=("https://hub.example/",),
            ),
        ),
        (
            RSS,
            WebSubLinks(
                hub="https://pubsubhubbub.appspot.com/",
                topic="https://news.example/rss",
                hubs=("https://pubsubhubbub.appspot.com/",),
            ),
        ),
        (
            JSON_FEED,
            WebSubLinks(
                hub="https://websub.example/hub",
                topic="https://news.example/feed.json",
                hubs=("https://websub.example/hub",),
            ),
        ),
    ],
    ids=["atom", "rss-atom-link", "json-feed"],
)
def test_hub_and_topic_are_found_in_every_feed_format(
    content: bytes, expected: WebSubLinks
) -> None:
    assert discover_websub(content, url=FEED_URL) == expected


def test_link_headers_win_over_the_body_and_resolve_against_the_feed_url() -> None:
    headers = {"link": '</hub/>; rel="hub", <https://news.example/canonical>; rel="self"'}
    assert discover_websub(ATOM, url=FEED_URL, headers=headers) == WebSubLinks(
        hub="https://news.example/hub/",
        topic="https://news.example/canonical",
        hubs=("https://news.example/hub/", "https://hub.example/"),
    )


def test_a_hub_without_a_self_link_subscribes_to_the_fetched_url() -> None:
    headers = {"link": "<https://hub.example/>; rel=hub"}
    plain = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    assert discover_websub(plain, url=FEED_URL, headers=headers) == WebSubLinks(
        hub="https://hub.example/", topic=FEED_URL, hubs=("https://hub.example/",)
    )


def test_every_hub_a_feed_names_is_kept_in_order_once() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b'<link rel="hub" href="https://one.example/"/><link rel="hub" href="ftp://no/"/>'
        b'<link rel="hub" href="/two"/><link rel="hub" href="https://one.example/"/></feed>'
    )
    headers = {"link": '<https://three.example/>; rel="hub", <https://one.example/>; rel=hub'}
    found = discover_websub(atom, url=FEED_URL, headers=headers)
    assert found is not None
    assert found.hub == "https://three.example/"
    assert found.hubs == (
        "https://three.example/",
        "https://one.example/",
        "https://news.example/two",
    )


def test_a_feed_without_a_hub_has_no_push() -> None:
    plain = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    assert discover_websub(plain, url=FEED_URL, headers={"link": '<x>; rel="self"'}) is None


def test_link_header_parsing() -> None:
    value = (
        '<https://a.example/>; rel="hub self", <https://b.example/x;y>;title="a, b";rel=alternate'
        ", <https://c.example/>"
    )
    assert parse_link_header(value) == [
        ("https://a.example/", frozenset({"hub", "self"})),
        ("https://b.example/x;y", frozenset({"alternate"})),
        ("https://c.example/", frozenset()),
    ]


# -- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_signatures_of_every_method_verify(method: str) -> None:
    secret = new_secret()
    body = b"<feed>...</feed>"
    header = sign(body, secret=secret, method=method)
    assert header.startswith(f"{method}=")
    assert verify_signature(body, secret=secret, header=header)
    assert verify_signature(body, secret=secret, header=header.upper().replace("SHA", "sha"))
    assert not verify_signature(body + b" ", secret=secret, header=header)
    assert not verify_signature(body, secret=new_secret(), header=header)


@pytest.mark.parametrize("header", [None, "", "sha256", "md5=abc", "sha256=", "sha256=zz"])
def test_missing_or_malformed_signatures_fail(header: str | None) -> None:
    assert not verify_signature(b"body", secret="s", header=header)


def test_secrets_are_fresh_full_length_hex() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first) == 64 and int(first, 16) >= 0


# -- the lease clock -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lease", "margin"),
    [
        (864_000, timedelta(days=1)),  # 10% of ten days
        (7_200, timedelta(hours=1)),  # the 1-hour floor
        (1_800, timedelta(minutes=15)),  # half a short lease, never a renewal loop
        (0, timedelta(0)),
    ],
)
def test_renewal_margin(lease: int, margin: timedelta) -> None:
    expires = NOW + timedelta(seconds=lease)
    assert renew_at(expires, lease_seconds=lease) == expires - margin


def test_retry_delay_doubles_up_to_its_cap() -> None:
    assert retry_delay(0) == timedelta(0)
    assert retry_delay(1) == timedelta(minutes=1)
    assert retry_delay(3) == timedelta(minutes=4)
    assert retry_delay(50) == timedelta(hours=6)


HUB, TOPIC, CALLBACK = "https://hub.example/", "https://news.example/feed", "https://c.example/cb"
ACTIVE = FeedState(
    source_id="news",
    websub_hub=HUB,
    websub_topic=TOPIC,
    websub_callback=CALLBACK,
    websub_secret="s",
    websub_state="active",
    websub_requested_at=NOW - DAY,
    websub_lease_seconds=864_000,
    websub_lease_expires_at=NOW + 9 * DAY,
)


def action(state: FeedState | None, *, now: datetime = NOW, hub: str | None = HUB) -> str | None:
    return subscription_action(state, hub=hub, topic=TOPIC, callback=CALLBACK, now=now)


def test_what_to_ask_the_hub() -> None:
    assert action(None) == "subscribe"
    assert action(FeedState(source_id="news")) == "subscribe"
    assert action(None, hub=None) is None  # no hub, no push
    assert action(ACTIVE) is None
    assert action(ACTIVE, now=NOW + 8 * DAY - timedelta(seconds=1)) is None
    assert action(ACTIVE, now=NOW + 8 * DAY) == "renew"  # one day (10%) before the end
    assert action(ACTIVE, hub="https://other-hub.example/") == "subscribe"
    moved = dataclasses.replace(ACTIVE, websub_callback="https://old.example/cb")
    assert action(moved) == "subscribe"  # CLARION_PUBLIC_URL changed


def test_failed_and_unverified_requests_are_retried_with_backoff() -> None:
    failed = dataclasses.replace(
        ACTIVE, websub_state="failed", websub_requested_at=NOW, websub_failures=3
    )
    assert subscription_due_at(failed) == NOW + timedelta(minutes=4)
    assert action(failed, now=NOW + timedelta(minutes=3)) is None
    assert action(failed, now=NOW + timedelta(minutes=4)) == "retry"
    denied = dataclasses.replace(failed, websub_state="denied")
    assert action(denied, now=NOW + timedelta(minutes=4)) == "retry"
    pending = dataclasses.replace(ACTIVE, websub_state="pending", websub_requested_at=NOW)
    assert action(pending, now=NOW + timedelta(minutes=59)) is None
    assert action(pending, now=NOW + timedelta(hours=1)) == "retry"


def test_a_renewal_is_not_asked_again_while_the_hub_has_yet_to_verify_it() -> None:
    due = NOW + 8 * DAY
    asked = dataclasses.replace(ACTIVE, websub_requested_at=due + timedelta(seconds=1))
    assert action(asked, now=due + timedelta(minutes=59)) is None
    assert action(asked, now=due + timedelta(hours=1, seconds=1)) == "renew"
    failed = dataclasses.replace(ACTIVE, websub_requested_at=due, websub_failures=2)
    assert subscription_due_at(failed) == due + timedelta(minutes=2)
    assert action(failed, now=due + timedelta(minutes=1)) is None
    assert action(failed, now=due + timedelta(minutes=2)) == "renew"


# -- the subscription request against a real hub -------------------------------------------


@pytest.fixture
def hub() -> Iterator[tuple[Hub, str]]:
    recorder = Hub(status=204)  # accepts, and never verifies: only the request matters here
    with serve_app(recorder.app) as url:
        yield recorder, url


async def test_the_subscription_request_carries_every_field(hub: tuple[Hub, str]) -> None:
    recorder, url = hub
    async with hub_client(user_agent="Clarion-test", allow_networks=["127.0.0.1/32"]) as client:
        await request_subscription(
            client, hub=f"{url}/", topic=TOPIC, callback=CALLBACK, secret="abc", lease_seconds=60
        )
    assert recorder.requests == [
        {
            "hub.mode": "subscribe",
            "hub.topic": TOPIC,
            "hub.callback": CALLBACK,
            "hub.secret": "abc",
            "hub.lease_seconds": "60",
        }
    ]


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, PermanentFetchError), (429, TransientFetchError), (503, TransientFetchError)],
)
async def test_a_refusing_hub_raises_with_its_reason(status: int, error: type[Exception]) -> None:
    refusing = Hub(status=status)
    with serve_app(refusing.app) as url:
        async with hub_client(user_agent="t", allow_networks=["127.0.0.1/32"]) as client:
            with pytest.raises(error, match=f"HTTP {status}: no subscriptions today") as caught:
                await request_subscription(
                    client,
                    hub=f"{url}/",
                    topic=TOPIC,
                    callback=CALLBACK,
                    secret=None,
                    lease_seconds=None,
                )
    assert isinstance(caught.value, PermanentFetchError | TransientFetchError)
    assert caught.value.status == status
    assert refusing.requests == [
        {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": CALLBACK}
    ]


async def test_a_hub_on_a_private_address_is_refused_unless_allowed() -> None:
    recorder = Hub(status=204)
    with serve_app(recorder.app, host="127.0.0.2") as url:
        async with hub_client(user_agent="t", allow_networks=["127.0.0.1/32"]) as client:
            with pytest.raises(BlockedAddressError, match="loopback") as caught:
                await request_subscription(
                    client,
                    hub=f"{url}/",
                    topic=TOPIC,
                    callback=CALLBACK,
                    secret="s",
                    lease_seconds=60,
                )
        assert caught.value.url == f"{url}/"
        assert recorder.requests == []  # nothing reached the hub
        async with hub_client(user_agent="t", allow_networks=["127.0.0.0/8"]) as client:
            await request_subscription(
                client, hub=f"{url}/", topic=TOPIC, callback=CALLBACK, secret="s", lease_seconds=60
            )
        assert len(recorder.requests) == 1


async def test_a_poll_reports_the_hub_a_publisher_names_in_its_headers() -> None:
    async def feed(request: Request) -> Response:
        headers = {"Link": '<https://hub.example/>; rel="hub", </feed>; rel="self"'}
        return Response(RSS, media_type="application/rss+xml", headers=headers)

    with serve_app(Starlette(routes=[Route("/feed", feed)])) as url:
        config = FetchConfig(block_private_addresses=True, allow_networks=("127.0.0.1/32",))
        async with Fetcher(config=config) as fetcher:
            source = Source(id="news", url=f"{url}/feed", outlet="News")
            result = await poll_feed(fetcher, source, None)
    assert (result.hub_url, result.topic_url) == ("https://hub.example/", f"{url}/feed")
