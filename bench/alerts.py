"""Alert latency benchmark: an item published on a local feed → its webhook received.

    .venv/bin/python -m bench.alerts --items 100 --poll-interval 1.0

A local publisher (RSS feed + article pages), the real Clarion app under uvicorn
(crawling, SQLite store, the real sentiment model) and a webhook receiver all run
on 127.0.0.1. A ``crisis_terms`` rule with no cool-down matches every item; items
are published one at a time at random gaps. For each item it records when it was
published, when the feed first served it (the poll that found it) and when a
webhook naming it arrived, and prints p50/p95/max of

- publish → webhook: what a user sees on the poll path (includes waiting for the
  next poll: up to ``--poll-interval``);
- first served → webhook: Clarion's own work after the poll (fetch the page,
  extract, enrich, store, decide, enqueue, POST);
- alert decided → webhook: the outbox and delivery alone (event ``created_at``
  to arrival, wall clock).

The push (WebSub) path skips the poll wait; its latency is the second figure plus
the hub's delivery time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service._app import create_app
from service._settings import Settings

PARAGRAPHS = 6  # a short article page: a few paragraphs for the extractor


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


def serve(app: Any, sock: socket.socket | None = None) -> tuple[str, _Server, threading.Thread]:
    if sock is None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


@dataclass
class Feed:
    base: str = ""
    hub: str = ""  # a WebSub hub named by the feed (push mode)
    items: list[int] = field(default_factory=list)
    published: dict[int, float] = field(default_factory=dict)
    first_served: dict[int, float] = field(default_factory=dict)

    def publish(self, n: int) -> None:
        self.published[n] = time.perf_counter()
        self.items.insert(0, n)

    def rss(self, items: list[int]) -> bytes:
        stamp = format_datetime(datetime.now(UTC), usegmt=True)
        entries = "".join(
            f"<item><title>Acme recall number {n}</title>"
            f"<link>{self.base}/a/{n}.html</link><guid>{self.base}/a/{n}.html</guid>"
            f"<pubDate>{stamp}</pubDate><description>Acme recall {n}.</description></item>"
            for n in items
        )
        links = (
            f'<atom:link rel="hub" href="{self.hub}"/>'
            f'<atom:link rel="self" href="{self.base}/feed.xml"/>'
            if self.hub
            else ""
        )
        return (
            '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
            f"<channel><title>T</title>{links}{entries}</channel></rss>"
        ).encode()

    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            now = time.perf_counter()
            for n in self.items:
                self.first_served.setdefault(n, now)
            return Response(self.rss(self.items[:50]), media_type="application/rss+xml")

        async def article(request: Request) -> Response:
            n = request.path_params["n"]
            text = "".join(
                f"<p>Acme announced a recall of product line {n}, paragraph {i}. Customers are "
                "asked to return the affected units to any store for a full refund.</p>"
                for i in range(PARAGRAPHS)
            )
            html = (
                f"<html><head><title>Acme recall {n}</title></head><body><article>"
                f"<h1>Acme recall number {n}</h1>{text}</article></body></html>"
            )
            return Response(html, media_type="text/html")

        return Starlette(routes=[Route("/feed.xml", feed), Route("/a/{n}.html", article)])


@dataclass
class Receiver:
    arrived: dict[int, float] = field(default_factory=dict)
    after_decision: list[float] = field(default_factory=list)  # event created → received

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            now = time.perf_counter()
            event = json.loads(await request.body())
            created = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
            self.after_decision.append((datetime.now(UTC) - created).total_seconds())
            for mention in event["alert"]["evidence"].get("mentions", []):
                n = int(mention["url"].rsplit("/", 1)[1].removesuffix(".html"))
                self.arrived.setdefault(n, now)
            return Response(status_code=204)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.0f} ms   p95 {p95 * 1000:7.0f} ms"
        f"   max {ordered[-1] * 1000:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--gap", type=float, default=1.0, help="mean seconds between items")
    parser.add_argument("--push", action="store_true", help="a WebSub hub pushes each item")
    args = parser.parse_args()
    feed, receiver = Feed(), Receiver()
    hub = None
    if args.push:
        from tests._websub_hub import Hub  # the test suite's hub (spec §5-§8)

        hub = Hub()
        hub.url = serve(hub.app)[0] + "/"
        feed.hub = hub.url
    feed.base, *_ = serve(feed.app())
    hook_url, *_ = serve(receiver.app())
    data = Path(tempfile.mkdtemp(prefix="clarion-bench-alerts-"))
    config = {
        "brands": [{"id": "acme", "name": "Acme", "query": "Acme"}],
        "sources": [{"id": "local", "url": f"{feed.base}/feed.xml", "outlet": "Local"}],
    }
    (data / "bench.yaml").write_text(yaml.safe_dump(config))
    api = socket.socket()
    api.bind(("127.0.0.1", 0))
    api_url = f"http://127.0.0.1:{api.getsockname()[1]}"
    poll = 3600.0 if args.push else args.poll_interval  # push: one poll, to find the hub
    settings = Settings(
        data_dir=data,
        config_file=data / "bench.yaml",
        crawl=True,
        poll_interval=poll,
        max_poll_interval=poll,
        public_url=api_url if args.push else None,
        per_host_interval=0.0,
        allow_networks=["127.0.0.1/32"],
        extract_workers=1,
        log_level="warning",
        auth="off",  # the API listens on 127.0.0.1 only, as the demo's does
    )
    base, clarion, thread = serve(create_app(settings), api)
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post("/v1/webhooks", json={"url": f"{hook_url}/hook"}).raise_for_status()
        rule = {
            "brand_id": "acme",
            "type": "crisis_terms",
            "query": "recall",
            "cooldown_seconds": 0,
        }
        client.post("/v1/alert-rules", json=rule).raise_for_status()
        while args.push and client.get("/v1/sources/local/health").json()["push"] != "active":
            time.sleep(0.1)  # the first poll found the hub; wait for the verified lease
    time.sleep(2 * args.poll_interval)  # the first polls of an empty feed
    rng = random.Random(7)
    load = os.getloadavg()[0]
    for n in range(args.items):
        feed.publish(n)
        if hub is not None:
            hub.deliver(f"{feed.base}/feed.xml", feed.rss([n]), content_type="application/rss+xml")
        time.sleep(rng.uniform(0.5, 1.5) * args.gap)
    deadline = time.monotonic() + 120
    while len(receiver.arrived) < args.items and time.monotonic() < deadline:
        time.sleep(0.05)
    done = [n for n in range(args.items) if n in receiver.arrived]
    clarion.should_exit = True  # a clean stop: the lifespan closes the pipeline first
    thread.join(timeout=60)
    print(
        f"items {args.items}, received {len(done)}; "
        + ("push (WebSub); " if args.push else f"poll interval {args.poll_interval} s; ")
        + f"load average at start {load:.1f}, at end {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print(
        "publish → webhook      ",
        _percentiles([receiver.arrived[n] - feed.published[n] for n in done]),
    )
    print("alert decided → webhook", _percentiles(receiver.after_decision))
    if not args.push:  # pushed items are never served by a poll
        print(
            "first served → webhook ",
            _percentiles([receiver.arrived[n] - feed.first_served[n] for n in done]),
        )


if __name__ == "__main__":
    main()
