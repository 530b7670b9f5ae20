"""WebSub subscriptions over a source's life, against the real hub of tests/_websub_hub.py
and the real app under uvicorn: a failed poll keeps what the hub verified meanwhile,
deleting or disabling a source unsubscribes it, and a feed naming several hubs is
subscribed at the first that accepts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service._app import create_app
from tests._servers import bind_port, serve_app
from tests._websub_hub import Hub, wait_for
from tests.service.test_websub import Publisher, clarion_settings, health, mentions


@pytest.fixture
def hub() -> Iterator[Hub]:
    hub = Hub()
    with serve_app(hub.app) as url:
        hub.url = f"{url}/"
        yield hub
        if hub.hold is not None:
            hub.hold.set()  # let a held verification end with the server


@pytest.fixture
def publisher(hub: Hub) -> Iterator[Publisher]:
    publisher = Publisher(hub=hub.url)
    with serve_app(publisher.app) as url:
        publisher.base = url
        yield publisher
        publisher.gate.set()


def test_a_failed_poll_keeps_the_subscription_verified_while_it_ran(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    hub.hold = threading.Event()  # the hub verifies when the test says
    publisher.fail_after = 1  # the second poll hangs until the gate opens, then fails
    sock = bind_port()
    app = create_app(clarion_settings(tmp_path, publisher, sock))
    with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
        wait_for(lambda: health(client)["push"] == "pending", what="the subscription request")
        app.state.runtime.pipeline.poll_soon("news")
        wait_for(lambda: publisher.feed_requests == 2, what="the second poll")
        hub.hold.set()  # verified while the poll, which read "pending", runs
        wait_for(lambda: health(client)["push"] == "active", what="the verification")
        publisher.gate.set()
        wait_for(lambda: health(client)["consecutive_failures"] == 1, what="the failed poll")
        state = health(client)
        assert state["last_error_class"] == "PermanentFetchError"
        assert state["push"] == "active"
        assert state["push_lease_expires_at"] is not None
        assert hub.deliver(publisher.topic, publisher.atom(["europa"])).status_code == 202
        wait_for(lambda: mentions(client, "europa"), what="the pushed article")


def test_deleting_a_source_unsubscribes_it(tmp_path: Path, hub: Hub, publisher: Publisher) -> None:
    sock = bind_port()
    app = create_app(clarion_settings(tmp_path, publisher, sock))
    with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
        wait_for(lambda: health(client)["push"] == "active", what="the active subscription")
        callback = hub.subscriber(publisher.topic)["hub.callback"]
        assert client.delete("/v1/sources/news").status_code == 204
        wait_for(
            lambda: any(v.mode == "unsubscribe" for v in hub.verifications),
            what="the unsubscription's verification",
        )
        (asked,) = [r for r in hub.requests if r["hub.mode"] == "unsubscribe"]
        assert asked == {
            "hub.mode": "unsubscribe",
            "hub.topic": publisher.topic,
            "hub.callback": callback,
        }
        (verified,) = [v for v in hub.verifications if v.mode == "unsubscribe"]
        assert verified.echoed
        stats = app.state.runtime.websub.stats
        assert (stats.unsubscribes, stats.unsubscribed, stats.unsubscribe_failures) == (1, 1, 0)
        # The state is cleared: deliveries and a second verification are refused.
        delivered = hub.deliver(publisher.topic, publisher.atom(["europa"]))
        assert delivered.status_code == 404
        again = {"hub.mode": "unsubscribe", "hub.topic": publisher.topic, "hub.challenge": "c"}
        assert client.get("/v1/websub/news", params=again).status_code == 404


def test_disabling_a_source_unsubscribes_it_even_when_the_hub_is_down(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    sock = bind_port()
    app = create_app(clarion_settings(tmp_path, publisher, sock))
    with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
        wait_for(lambda: health(client)["push"] == "active", what="the active subscription")
        hub.status = 503
        body = {"id": "news", "url": publisher.topic, "outlet": "Test News", "enabled": False}
        assert client.put("/v1/sources/news", json=body).status_code == 200
        stats = app.state.runtime.websub.stats
        wait_for(lambda: stats.unsubscribe_failures == 1, what="the refused unsubscription")
        assert hub.requests[-1]["hub.mode"] == "unsubscribe"
        wait_for(lambda: health(client)["push"] is None, what="the cleared state")
        assert hub.deliver(publisher.topic, publisher.atom(["europa"])).status_code == 404

        # Enabled again, it subscribes again, with a new secret.
        hub.status = 202
        old_secret = hub.subscriber(publisher.topic)["hub.secret"]
        assert client.post("/v1/sources/news/enable").status_code == 200
        wait_for(lambda: health(client)["push"] == "active", what="the new subscription")
        # Clarion is active as it answers the challenge; the hub records the answer after.
        wait_for(
            lambda: hub.subscriber(publisher.topic)["hub.secret"] != old_secret,
            what="the hub's record of the subscription with a new secret",
        )
        assert mentions(client, "sondland")


def test_a_feed_with_several_hubs_falls_back_to_the_next(
    tmp_path: Path, hub: Hub, publisher: Publisher
) -> None:
    refusing = Hub(status=403)
    with serve_app(refusing.app) as refusing_url:
        refusing.url = f"{refusing_url}/"
        publisher.hub, publisher.more_hubs = refusing.url, [hub.url]
        sock = bind_port()
        app = create_app(clarion_settings(tmp_path, publisher, sock))
        with serve_app(app, sock=sock) as base, httpx.Client(base_url=base) as client:
            wait_for(lambda: health(client)["push"] == "active", what="the subscription")
            assert health(client)["push_hub"] == hub.url
            assert [r["hub.mode"] for r in refusing.requests] == ["subscribe"]
            assert refusing.requests[0]["hub.secret"] == hub.requests[0]["hub.secret"]
            assert app.state.runtime.websub.stats.fallbacks == 1
            assert hub.deliver(publisher.topic, publisher.atom(["europa"])).status_code == 202
            wait_for(lambda: mentions(client, "europa"), what="the pushed article")
    assert len(hub.requests) == 1
