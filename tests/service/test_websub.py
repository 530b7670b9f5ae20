"""WebSub push end to end: a real hub, a real publisher with real pages and the real app
under uvicorn, all on 127.0.0.1. Clarion polls the feed once, finds its hub, subscribes,
answers the hub's verification, and ingests what the hub pushes with no further poll."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import FeedState, PollResult, Source
from search import SQLiteStore
from service._app import create_app
from service._settings import Settings
from service._websub import WebSubManager
from tests._servers import bind_port, serve_app
from tests._websub_hub import Hub, wait_for
from tests.service.conftest import write_config

PAGES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
# Real article pages (tests/fixtures/pages/README.md), each with a word only it has.
PAGES = {
    name: next(PAGES_DIR.glob(f"{prefix}*.html.gz"))
    for name, prefix in [
        ("sondland", "82b6d780"),
        ("europa", "14cc2a0c"),
        ("hitler", "5a822960"),
        ("plague", "ea25dd7e"),
    ]
}
# Entry dates, fixed so that an entry delivered again is not an update to fetch again.
UPDATED = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
QUERIES = {"sondland": "Sondland", "europa": "Europa", "hitler": "Hitler", "plague": "plague"}


@dataclass
class Publisher:
    """One Atom feed naming ``hub``, over real pages; counts the feed's requests."""

    hub: str = ""
    more_hubs: list[str] = field(default_factory=list)  # named after ``hub``, in order
    listed: list[str] = field(default_factory=lambda: ["sondland"])
    # Feed requests after the first ``fail_after`` wait for ``gate``, then get a 404.
    fail_after: int | None = None
    gate: threading.Event = field(default_factory=threading.Event)
    feed_requests: int = 0
    article_requests: dict[str, int] = field(default_factory=dict)
    base: str = ""

    @property
    def topic(self) -> str:
        return f"{self.base}/feed.atom"

    def atom(self, names: list[str]) -> bytes:
        entries = "".join(
            f"<entry><title>{name}</title><id>urn:test:{name}</id>"
            f'<link href="{self.base}/articles/{name}.html"/>'
            f"<updated>{UPDATED.isoformat()}</updated></entry>"
            for name in names
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Test News</title>'
            + "".join(f'<link rel="hub" href="{h}"/>' for h in [self.hub, *self.more_hubs])
            + f'<link rel="self" href="{self.topic}"/>'
            f"{entries}</feed>"
        ).encode()

    @property
    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            self.feed_requests += 1
            if self.fail_after is not None and self.feed_requests > self.fail_after:
                await asyncio.to_thread(self.gate.wait)
                return Response("gone for now", status_code=404)
            return Response(self.atom(self.listed), media_type="application/atom+xml")

        def article(request: Request) -> Response:
            name = request.path_params["name"]
            self.article_requests[name] = self.article_requests.get(name, 0) + 1
            if name not in PAGES:
                return Response(status_code=404)
            body = gzip.decompress(PAGES[name].read_bytes())
            return Response(body, media_type="text/html; charset=utf-8")

        return Starlette(
            routes=[Route("/feed.atom", feed), Route("/articles/{name}.html", article)]
        )


@pytest.fixture
def hub() -> Iterator[Hub]:
    hub = Hub()
    with serve_app(hub.app) as url:
        hub.url = f"{url}/"
        yield hub


@pytest.fixture
def publisher(hub: Hub) -> Iterator[Publisher]:
    publisher = Publisher(hub=hub.url)
    with serve_app(publisher.app) as url:
        publisher.base = url
        yield publisher


def clarion_settings(tmp_path: Path, publisher: Publisher, sock: socket.socket) -> Settings:
    host, port = sock.getsockname()[:2]
    config: dict[str, Any] = {
        "brands": [{"id": n, "name": n.title(), "query": q} for n, q in QUERIES.items()],
        "sources": [{"id": "news", "url": publisher.topic, "outlet": "Test News"}],
    }
    return Settings(
        data_dir=tmp_path,
        config_file=write_config(tmp_path / "clarion.yaml", config),
        crawl=True,
        poll_interval=3600.0,  # one poll at start-up, none during the test
        per_host_interval=0.0,
        allow_networks=["127.0.0.1/32"],
        extract_workers=1,
        model_threads=1,
        public_url=f"http://{host}:{port}",
    )


def mentions(client: httpx.Client, brand: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
    page = client.get("/v1/mentions", params={"brand": brand, **window})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def health(client: httpx.Client) -> dict[str, Any]:
    answer: dict[str, Any] = client.get("/v1/sources/news/health").json()
    return answer


def test_push_is_subscribed_verified_and_ingested_at_once(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    sock = bind_port()
    settings = clarion_settings(tmp_path, publisher, sock)
    app = create_app(settings)
    with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
        wait_for(lambda: any(v.echoed for v in hub.verifications), what="a verified subscription")
        request = hub.requests[0]
        assert request["hub.mode"] == "subscribe"
        assert request["hub.topic"] == publisher.topic
        assert request["hub.callback"] == f"{base}/v1/websub/news"
        assert request["hub.lease_seconds"] == "864000"
        assert len(request["hub.secret"]) == 64
        wait_for(lambda: mentions(client, "sondland"), what="the polled article")
        wait_for(lambda: health(client)["push"] == "active", what="the active subscription")
        lease_end = datetime.fromisoformat(health(client)["push_lease_expires_at"])
        assert lease_end > datetime.now(UTC) + timedelta(days=9)
        polls = publisher.feed_requests
        assert polls == 1

        # A signed delivery is ingested at once: no poll of the feed happens. The same
        # entry delivered twice at once (hubs retry) is fetched and stored once.
        publisher.listed.insert(0, "europa")
        for _ in range(2):
            assert hub.deliver(publisher.topic, publisher.atom(["europa"])).status_code == 202
        wait_for(lambda: mentions(client, "europa"), what="the pushed article")
        (item,) = mentions(client, "europa")
        assert item["url"] == f"{publisher.base}/articles/europa.html"
        assert "Europa" in " ".join(item["snippets"])
        assert publisher.feed_requests == polls

        # A bad or missing signature gets the same 202, and the body is dropped.
        forged = hub.deliver(publisher.topic, publisher.atom(["hitler"]), secret="0" * 64)
        assert forged.status_code == 202
        unsigned = httpx.post(f"{base}/v1/websub/news", content=publisher.atom(["hitler"]))
        assert unsigned.status_code == 202
        assert hub.deliver(publisher.topic, publisher.atom(["plague"]), method="sha1").is_success
        wait_for(lambda: mentions(client, "plague"), what="the second pushed article")
        assert mentions(client, "hitler") == []
        runtime = app.state.runtime
        wait_for(lambda: runtime.websub.deliveries_in_progress == 0, what="ingest to end")
        assert hub.deliver(publisher.topic, publisher.atom(["europa"])).status_code == 202
        wait_for(lambda: runtime.websub.deliveries_in_progress == 0, what="ingest to end")
        assert runtime.websub.stats.bad_signatures == 2
        assert runtime.websub.stats.deliveries == 4
        assert runtime.websub.stats.entries_new == 2  # europa once, plague
        assert runtime.pipeline.stats.documents == {"created": 3}  # with the polled one
        assert publisher.article_requests == {"sondland": 1, "europa": 1, "plague": 1}
        assert publisher.feed_requests == polls

        # Verifications Clarion did not ask for are refused.
        challenge = {"hub.challenge": "c", "hub.lease_seconds": "60"}
        for source_id, mode, topic in [
            ("news", "subscribe", "https://elsewhere.example/feed"),
            ("news", "unsubscribe", publisher.topic),
            ("unknown", "subscribe", publisher.topic),
        ]:
            params = {"hub.mode": mode, "hub.topic": topic, **challenge}
            refused = client.get(f"/v1/websub/{source_id}", params=params)
            assert refused.status_code == 404
            assert refused.headers["content-type"] == "application/problem+json"
        assert client.post("/v1/websub/unknown", content=b"<feed/>").status_code == 404
        assert health(client)["push"] == "active"

        # A signed delivery that is not a feed is refused with a problem.
        garbage = hub.deliver(publisher.topic, b"not a feed", content_type="text/plain")
        assert garbage.status_code == 400
        assert garbage.json()["status"] == 400

        # The hub's denial is recorded and retried later, with backoff.
        params = {"hub.mode": "denied", "hub.topic": publisher.topic, "hub.reason": "quota"}
        assert client.get("/v1/websub/news", params=params).status_code == 200
        denied = health(client)
        assert denied["push"] == "denied"
        assert denied["push_error"] == "denied by the hub: quota"
    assert len(hub.requests) == 1  # no renewal was due: a 10-day lease


def test_a_short_lease_is_renewed_before_it_ends(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    hub.leases = [4, 864_000]  # renewal is due when half of the 4 s lease is left
    sock = bind_port()
    with serve_app(create_app(clarion_settings(tmp_path, publisher, sock)), sock=sock) as base:
        wait_for(lambda: len(hub.verifications) == 2, what="the renewal's verification")
        first, renewal = hub.requests
        assert renewal == first  # same topic, callback and secret; the lease asked again
        assert [v.lease_seconds for v in hub.verifications] == [4, 864_000]
        assert all(v.echoed for v in hub.verifications)
        with httpx.Client(base_url=base) as client:
            wait_for(lambda: health(client)["push"] == "active", what="the renewed lease")
            lease_end = datetime.fromisoformat(health(client)["push_lease_expires_at"])
        assert lease_end > datetime.now(UTC) + timedelta(days=9)
    assert len(hub.requests) == 2


def test_the_subscription_survives_a_restart(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    sock = bind_port()
    host, port = sock.getsockname()[:2]
    settings = clarion_settings(tmp_path, publisher, sock)
    with serve_app(create_app(settings), sock=sock) as base:
        wait_for(lambda: any(v.echoed for v in hub.verifications), what="a verified subscription")
        with httpx.Client(base_url=base) as client:
            wait_for(lambda: health(client)["push"] == "active", what="the active subscription")
    before = publisher.feed_requests

    # Same data, same public URL: the subscription is read back from the store.
    app = create_app(settings)
    with serve_app(app, sock=bind_port(host, port)) as base, httpx.Client(base_url=base) as client:
        assert health(client)["push"] == "active"
        wait_for(lambda: publisher.feed_requests > before, what="the first poll after restart")
        assert hub.deliver(publisher.topic, publisher.atom(["europa"])).status_code == 202
        wait_for(lambda: mentions(client, "europa"), what="the article pushed after restart")
        assert app.state.runtime.websub.stats.requests == 0
    assert len(hub.requests) == 1  # subscribed once, before the restart


def test_push_turned_on_later_subscribes_feeds_already_ingested(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    sock = bind_port()
    settings = clarion_settings(tmp_path, publisher, sock)
    pull_only = settings.model_copy(update={"public_url": None})
    with serve_app(create_app(pull_only)) as base, httpx.Client(base_url=base) as client:
        wait_for(lambda: mentions(client, "sondland"), what="the polled article")
        assert health(client)["push"] is None
        assert client.get("/v1/websub/news", params={"hub.mode": "subscribe"}).status_code == 404
    assert hub.requests == []

    # The first poll with push on finds nothing new, and still subscribes.
    app = create_app(settings)
    with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
        wait_for(lambda: health(client)["push"] == "active", what="the active subscription")
        assert app.state.runtime.pipeline.stats.entries_new == 0
        assert len(hub.requests) == 1


def test_a_hub_on_a_private_address_is_refused(tmp_path: Path, publisher: Publisher) -> None:
    private = Hub()
    with serve_app(private.app, host="127.0.0.2") as hub_url:
        publisher.hub = f"{hub_url}/"  # loopback, but not in the allowed 127.0.0.1/32
        sock = bind_port()
        app = create_app(clarion_settings(tmp_path, publisher, sock))
        with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
            wait_for(lambda: health(client)["push"] == "failed", what="the refused subscription")
            state = health(client)
            assert state["push_hub"] == publisher.hub
            assert state["push_error"].startswith("BlockedAddressError: blocked loopback")
            wait_for(lambda: mentions(client, "sondland"), what="the polled article")
    assert private.requests == []


async def test_an_active_subscription_slows_polling_to_the_safety_interval(
    tmp_path: Path,
) -> None:
    hub, topic = "https://hub.example/", "https://news.example/feed"
    async with httpx.AsyncClient(trust_env=False) as client:
        manager = WebSubManager(
            store=SQLiteStore(tmp_path / "unused.db"),  # never touched: nothing is due
            client=client,
            public_url="https://clarion.example/",
            lease_seconds=864_000,
            safety_poll_interval=21_600.0,
        )
        now = datetime.now(UTC)
        active = FeedState(
            source_id="news",
            websub_hub=hub,
            websub_topic=topic,
            websub_callback="https://clarion.example/v1/websub/news",
            websub_secret="s",
            websub_state="active",
            websub_requested_at=now - timedelta(days=1),
            websub_lease_seconds=864_000,
            websub_lease_expires_at=now + timedelta(days=9),
        )
        source = Source(id="news", url=topic, outlet="News")
        polled = PollResult(hub_url=hub, topic_url=topic)
        assert manager.callback_url("news") == active.websub_callback
        assert await manager.polled(source, polled, active, 120.0) == 21_600.0
        assert (
            await manager.polled(source, PollResult(not_modified=True), active, 120.0) == 21_600.0
        )
        assert await manager.polled(source, polled, active, 86_400.0) == 86_400.0
        pending = dataclasses.replace(active, websub_state="pending", websub_requested_at=now)
        assert await manager.polled(source, polled, pending, 120.0) == 120.0  # no push yet
        assert manager.stats.requests == 0
