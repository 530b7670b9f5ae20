"""Alerts end to end: a local feed publishes, the real Clarion app (uvicorn) ingests it,
decides alerts and POSTs signed webhooks to a real receiver on 127.0.0.1.

Every wait is a hang guard (``wait_for``), never a speed assertion.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from search import AlertRule, SQLiteStore, WebhookSubscription
from service._app import create_app
from service._settings import Settings
from tests._servers import bind_port, serve_app
from tests._websub_hub import wait_for
from tests.service.conftest import write_config

SECRET = "receiver-secret-0123456789"
BRANDS = [
    {"id": "acme", "name": "Acme", "query": "Acme"},
    {"id": "globex", "name": "Globex", "query": "Globex"},
]
CRISIS = 'recall OR "data breach"'


# --- the receiver-side recipe (the README's snippet, verbatim) -----------------------
def verify_clarion(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    fields = [part.split("=", 1) for part in header.split(",")]
    timestamp = next(int(v) for k, v in fields if k == "t")
    message = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and any(hmac.compare_digest(expected, v) for k, v in fields if k == "v1")


# --- a publisher and a receiver --------------------------------------------------------


@dataclass
class Publisher:
    """One RSS feed; its items' pages are 404, so the feed's text is the document."""

    items: list[tuple[str, str, str]] = field(default_factory=list)  # slug, title, text
    base: str = ""

    def publish(self, slug: str, title: str, text: str) -> None:
        self.items.insert(0, (slug, title, text))

    @property
    def feed_url(self) -> str:
        return f"{self.base}/feed.xml"

    @property
    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            now = format_datetime(datetime.now(UTC), usegmt=True)
            entries = "".join(
                f"<item><title>{title}</title><link>{self.base}/a/{slug}.html</link>"
                f"<guid>{self.base}/a/{slug}.html</guid><pubDate>{now}</pubDate>"
                f"<description>{text}</description></item>"
                for slug, title, text in self.items
            )
            body = (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Local News</title>'
                f"<link>{self.base}/</link>{entries}</channel></rss>"
            )
            return Response(body, media_type="application/rss+xml")

        return Starlette(routes=[Route("/feed.xml", feed)])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers["clarion-event-id"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; ``/ok`` answers 204, ``/fail`` 500, ``/slow`` too late,
    ``/moved`` a redirect (to ``/ok``, which must not be followed)."""

    received: list[Received] = field(default_factory=list)

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    @property
    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append(
                Received(request.url.path, dict(request.headers), await request.body())
            )
            kind = request.path_params["kind"]
            if kind == "fail":
                return Response("boom", status_code=500)
            if kind == "slow":
                await asyncio.sleep(3)
            if kind == "moved":
                return RedirectResponse("/ok", status_code=302)
            return Response(status_code=204)

        return Starlette(routes=[Route("/{kind}", hook, methods=["POST"])])


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    publisher = Publisher()
    with serve_app(publisher.app) as url:
        publisher.base = url
        yield publisher


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve_app(receiver.app) as url:
        yield receiver, url


def clarion_settings(tmp_path: Path, publisher: Publisher, **overrides: Any) -> Settings:
    config = {
        "brands": BRANDS,
        "sources": [{"id": "local", "url": publisher.feed_url, "outlet": "Local News", "tier": 2}],
    }
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "config_file": write_config(tmp_path / "clarion.yaml", config),
        "crawl": True,
        "poll_interval": 0.2,
        "max_poll_interval": 0.5,
        "per_host_interval": 0.0,
        "allow_networks": ["127.0.0.1/32"],
        "extract_workers": 1,
        "model_threads": 1,
        "webhook_max_attempts": 3,
        "webhook_timeout": 0.5,
        "webhook_backoff_base": 0.05,
        "webhook_backoff_max": 0.2,
    }
    values.update(overrides)
    return Settings(**values)


def subscribe(client: httpx.Client, url: str, **extra: Any) -> dict[str, Any]:
    answer = client.post("/v1/webhooks", json={"url": url, "secret": SECRET, **extra})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def crisis_rule(client: httpx.Client, brand: str = "acme", **extra: Any) -> dict[str, Any]:
    body = {"id": f"{brand}-crisis", "brand_id": brand, "type": "crisis_terms", "query": CRISIS}
    answer = client.post("/v1/alert-rules", json={**body, **extra})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def deliveries(client: httpx.Client, hook_id: str) -> list[dict[str, Any]]:
    answer = client.get(f"/v1/webhooks/{hook_id}/deliveries")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


# --- tests -------------------------------------------------------------------------------


def test_a_crisis_article_is_delivered_signed_grouped_and_replayable(
    tmp_path: Path, publisher: Publisher, receiver: tuple[Receiver, str]
) -> None:
    got, url = receiver
    with (
        serve_app(create_app(clarion_settings(tmp_path, publisher))) as base,
        httpx.Client(base_url=base) as client,
    ):
        hook = subscribe(client, f"{url}/ok")
        generated = client.post("/v1/webhooks", json={"url": f"{url}/slack", "format": "slack"})
        assert generated.status_code == 201
        slack = generated.json()
        assert len(slack["secret"]) >= 40  # generated, shown once
        assert "secret" not in client.get(f"/v1/webhooks/{slack['id']}").json()
        crisis_rule(client, cooldown_seconds=3600, update_interval_seconds=0)

        publisher.publish("calm", "Acme opens a new plant", "Acme hires 200 people.")
        publisher.publish("bad", "Acme announces a recall", "Acme recall of 3 million units.")
        wait_for(lambda: got.on("/ok"), what="the first delivery")
        wait_for(lambda: got.on("/slack"), what="the Slack delivery")

        (first,) = got.on("/ok")
        assert verify_clarion(SECRET, first.headers["clarion-signature"], first.body)
        assert not verify_clarion("wrong-secret", first.headers["clarion-signature"], first.body)
        assert first.headers["idempotency-key"] == first.event_id
        assert first.headers["clarion-timestamp"] in first.headers["clarion-signature"]
        event = first.json()
        assert event["id"] == first.event_id and event["type"] == "alert.opened"
        alert = event["alert"]
        assert (alert["brand_id"], alert["rule_id"], alert["type"]) == (
            "acme",
            "acme-crisis",
            "crisis_terms",
        )
        (mention,) = alert["evidence"]["mentions"]
        assert mention["url"] == f"{publisher.base}/a/bad.html"
        assert mention["title"] == "Acme announces a recall"
        assert mention["outlet"] == "Local News"
        (slacked,) = got.on("/slack")
        assert set(slacked.json()) == {"text", "blocks"}
        assert "acme" in slacked.json()["text"]
        assert verify_clarion(slack["secret"], slacked.headers["clarion-signature"], slacked.body)

        # The same story goes on: the alert is updated (one alert), not a second one.
        publisher.publish("worse", "Acme data breach follows", "A data breach at Acme too.")
        wait_for(lambda: len(got.on("/ok")) >= 2, what="the update")
        update = got.on("/ok")[1].json()
        assert update["type"] == "alert.updated"
        assert update["alert"]["id"] == alert["id"] and update["alert"]["updates"] == 1
        urls = [m["url"] for m in update["alert"]["evidence"]["mentions"]]
        assert urls == [f"{publisher.base}/a/worse.html", f"{publisher.base}/a/bad.html"]
        listed = client.get("/v1/alerts", params={"brand": "acme"}).json()["items"]
        assert [a["id"] for a in listed] == [alert["id"]]
        assert listed[0]["evidence"]["total_mentions"] == 2

        # The delivery log, then a replay: same event id, same bytes. The receiver has the
        # update before Clarion records its answer: wait for the record.
        wait_for(
            lambda: [d["state"] for d in deliveries(client, hook["id"])] == ["delivered"] * 2,
            what="the update's delivery recorded",
        )
        log = deliveries(client, hook["id"])
        assert log[1]["log"][0]["status_code"] == 204 and log[1]["log"][0]["latency_ms"] > 0
        replayed = client.post(f"/v1/webhooks/{hook['id']}/deliveries/{log[1]['id']}/replay")
        assert replayed.status_code == 200, replayed.text
        wait_for(lambda: len(got.on("/ok")) >= 3, what="the replay")
        again = got.on("/ok")[2]
        assert again.event_id == first.event_id and again.body == first.body
        wait_for(
            lambda: len(deliveries(client, hook["id"])[1]["log"]) == 2, what="the replay's log"
        )
        missing = client.post(f"/v1/webhooks/{hook['id']}/deliveries/nope/replay")
        assert missing.status_code == 404
    assert len(got.on("/ok")) == 3


def test_a_receiver_down_then_up_gets_every_event_once_after_dedup(
    tmp_path: Path, publisher: Publisher
) -> None:
    sock = bind_port()  # bound, not listening: connections are refused until it serves
    host, port = sock.getsockname()[:2]
    got = Receiver()
    settings = clarion_settings(
        tmp_path, publisher, webhook_max_attempts=200, webhook_backoff_max=0.3
    )
    with (
        serve_app(create_app(settings)) as base,
        httpx.Client(base_url=base) as client,
    ):
        hook = subscribe(client, f"http://{host}:{port}/ok")
        crisis_rule(client, "acme")
        crisis_rule(client, "globex")
        tier = client.post(
            "/v1/alert-rules",
            json={"id": "acme-tier", "brand_id": "acme", "type": "tier1_coverage", "max_tier": 2},
        )
        assert tier.status_code == 201, tier.text
        publisher.publish("a", "Acme recall", "Acme recall announced.")
        publisher.publish("g", "Globex data breach", "Globex data breach confirmed.")

        def failed_attempts() -> bool:
            log = deliveries(client, hook["id"])
            return len(log) == 3 and all(len(d["log"]) >= 2 for d in log)

        wait_for(failed_attempts, what="three events failing while the receiver is down")
        assert {d["state"] for d in deliveries(client, hook["id"])} == {"pending"}
        with serve_app(got.app, sock=sock):
            wait_for(
                lambda: all(d["state"] == "delivered" for d in deliveries(client, hook["id"])),
                what="every delivery",
            )
        log = deliveries(client, hook["id"])
        assert all(d["log"][0]["error"] == "ConnectError" for d in log)
        assert all(d["log"][-1]["status_code"] == 204 for d in log)
    unique = {r.event_id: r.json() for r in got.received}
    assert len(unique) == 3
    assert sorted((e["alert"]["brand_id"], e["alert"]["type"]) for e in unique.values()) == [
        ("acme", "crisis_terms"),
        ("acme", "tier1_coverage"),
        ("globex", "crisis_terms"),
    ]
    assert all(verify_clarion(SECRET, r.headers["clarion-signature"], r.body) for r in got.received)


def test_failing_receivers_are_retried_then_dead_lettered(
    tmp_path: Path, publisher: Publisher, receiver: tuple[Receiver, str]
) -> None:
    got, url = receiver
    with (
        serve_app(create_app(clarion_settings(tmp_path, publisher))) as base,
        httpx.Client(base_url=base) as client,
    ):
        hooks = {
            kind: subscribe(client, f"{url}/{kind}")["id"] for kind in ("fail", "slow", "moved")
        }
        crisis_rule(client)
        publisher.publish("bad", "Acme recall", "Acme recall of toasters.")

        def all_dead() -> bool:
            found = [deliveries(client, h) for h in hooks.values()]
            return all(len(d) == 1 and d[0]["state"] == "dead" for d in found)

        wait_for(all_dead, what="three dead-lettered deliveries")
        outcomes = {}
        for kind, hook_id in hooks.items():
            (delivery,) = deliveries(client, hook_id)
            assert delivery["attempts"] == 3
            assert [a["attempt"] for a in delivery["log"]] == [1, 2, 3]
            outcomes[kind] = {(a["status_code"], a["error"]) for a in delivery["log"]}
    assert outcomes["fail"] == {(500, None)}
    assert outcomes["slow"] == {(None, "ReadTimeout")}
    (moved,) = outcomes["moved"]
    assert moved[0] == 302 and moved[1] is not None and moved[1].startswith("redirect to")
    for kind in ("fail", "slow", "moved"):
        assert len(got.on(f"/{kind}")) == 3
        assert len({r.event_id for r in got.on(f"/{kind}")}) == 1
    assert got.on("/ok") == []  # the redirect was not followed


def test_bad_rules_and_webhooks_are_refused_with_problems(
    tmp_path: Path, publisher: Publisher
) -> None:
    settings = clarion_settings(tmp_path, publisher, crawl=False)
    with serve_app(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        bad = client.post(
            "/v1/alert-rules",
            json={"brand_id": "acme", "type": "crisis_terms", "query": 'recall AND ("x"'},
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        (error,) = bad.json()["errors"]
        assert error["field"] == "body.query" and isinstance(error["position"], int)
        unknown = client.post(
            "/v1/alert-rules", json={"brand_id": "nobody", "type": "tier1_coverage"}
        )
        assert unknown.status_code == 422 and "nobody" in unknown.json()["detail"]
        no_query = client.post("/v1/alert-rules", json={"brand_id": "acme", "type": "crisis_terms"})
        assert no_query.status_code == 422
        private = client.post("/v1/webhooks", json={"url": "http://10.1.2.3/hook"})
        assert private.status_code == 422 and "private" in private.json()["detail"]
        metadata = client.post("/v1/webhooks", json={"url": "http://169.254.169.254/"})
        assert metadata.status_code == 422
        for url in ("ftp://x.example/", "http://user:pw@x.example/", "not a url"):
            assert client.post("/v1/webhooks", json={"url": url}).status_code == 422
        short = client.post("/v1/webhooks", json={"url": "https://x.example/", "secret": "short"})
        assert short.status_code == 422
        created = client.post("/v1/alert-rules", json={"brand_id": "acme", "type": "volume_spike"})
        assert created.status_code == 201
        rule_id = created.json()["id"]
        assert client.get(f"/v1/alert-rules/{rule_id}").json()["type"] == "volume_spike"
        assert client.delete(f"/v1/alert-rules/{rule_id}").status_code == 204
        assert client.get(f"/v1/alert-rules/{rule_id}").status_code == 404
        hook = client.post("/v1/webhooks", json={"url": "https://x.example/h"}).json()
        kept = client.put(f"/v1/webhooks/{hook['id']}", json={"url": "https://y.example/h"})
        assert kept.status_code == 200 and "secret" not in kept.json()
        assert client.get("/v1/webhooks").json()["items"][0]["url"] == "https://y.example/h"
        assert client.get("/v1/webhooks/nope/deliveries").status_code == 404
        assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 204


# --- a killed process -------------------------------------------------------------------


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CLARION_DATA_DIR": str(settings.data_dir),
        "CLARION_CONFIG_FILE": str(settings.config_file),
        "CLARION_EXTRACT_WORKERS": "1",
        "CLARION_MODEL_THREADS": "1",
        "CLARION_POLL_INTERVAL": "0.2",
        "CLARION_MAX_POLL_INTERVAL": "0.5",
        "CLARION_PER_HOST_INTERVAL": "0",
        "CLARION_LOG_LEVEL": "warning",
        "CLARION_ALLOW_NETWORKS": '["127.0.0.1/32"]',
        "CLARION_WEBHOOK_MAX_ATTEMPTS": "1000",
        "CLARION_WEBHOOK_BACKOFF_BASE": "0.05",
        "CLARION_WEBHOOK_BACKOFF_MAX": "0.3",
        "CLARION_WEBHOOK_TIMEOUT": "1",
    }
    command = [sys.executable, "-m", "service", "serve", "--port", str(port)]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_killed_server_delivers_its_pending_events_after_a_restart(
    tmp_path: Path, publisher: Publisher
) -> None:
    sock = bind_port()  # the receiver is down until the restart
    host, port = sock.getsockname()[:2]
    settings = clarion_settings(tmp_path, publisher)

    async def configure() -> None:
        store = SQLiteStore(settings.database_path)
        await store.open()
        try:
            await store.put_webhook(
                WebhookSubscription(
                    id="hook",
                    url=f"http://{host}:{port}/ok",
                    secret=SECRET,
                    created_at=datetime.now(UTC),
                )
            )
            await store.put_alert_rule(
                AlertRule(id="crisis", brand_id="acme", type="crisis_terms", query=CRISIS)
            )
        finally:
            await store.close()

    asyncio.run(configure())
    publisher.publish("a", "Acme recall", "Acme recall of kettles.")
    publisher.publish("b", "Globex unrelated", "Globex opens a shop.")
    api_port = _free_port()
    killed = _serve(settings, api_port)
    try:

        def attempts_failed() -> bool:
            try:
                log = httpx.get(f"http://127.0.0.1:{api_port}/v1/webhooks/hook/deliveries")
            except httpx.HTTPError:
                return False
            items = log.json()["items"] if log.status_code == 200 else []
            return len(items) == 1 and len(items[0]["log"]) >= 2

        wait_for(attempts_failed, what="a pending delivery failing against a down receiver")
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()

    got = Receiver()
    with serve_app(got.app, sock=sock):
        resumed = _serve(settings, _free_port())
        try:
            wait_for(lambda: got.received, what="the pending event after the restart")
        finally:
            resumed.send_signal(signal.SIGTERM)
            resumed.wait(timeout=60)
    (event,) = {r.event_id: r for r in got.received}.values()
    assert verify_clarion(SECRET, event.headers["clarion-signature"], event.body)
    assert event.json()["alert"]["evidence"]["mentions"][0]["url"] == f"{publisher.base}/a/a.html"
