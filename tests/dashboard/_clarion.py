"""A real Clarion with demo data, for the dashboard's browser tests (and by hand:
``python -m tests.dashboard._clarion`` serves one until Ctrl+C).

The demo publisher site is ingested once by the real pipeline; then, through the public
API, a few earned visits, a tier-1 alert rule and a webhook subscription (to a local
receiver that answers 204) are added so that every dashboard page has something to show.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service._app import create_app
from service._demo_site import create_demo_site, demo_config
from service._runtime import Runtime
from service._settings import Settings
from tests._servers import serve_app
from tests.service.test_syndication_pipeline import EUROPA, PAGES


@dataclass(frozen=True, slots=True)
class DemoClarion:
    """A running Clarion: its base URL and what was seeded into it."""

    url: str
    site_url: str
    earned_referrer: str
    """The URL of the stored Apple article the seeded visits came from."""


async def _ingest(settings: Settings) -> None:
    runtime = await Runtime.start(settings)
    try:
        await runtime.pipeline.run_once()
    finally:
        await runtime.stop()


def _syndication_site() -> Starlette:
    """A wire outlet carrying, an hour ago, the Europa story that the demo's ScienceAlert
    page also carries: after ingest the two copies are one syndication cluster (NASA)."""
    published = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)

    async def handle(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        if request.url.path == "/wire/feed.xml":
            link = f"{base}/wire/europa"
            feed = (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
                f"<link>{base}/</link><item><title>Europa</title><link>{link}</link>"
                f"<guid>{link}</guid><pubDate>{published}</pubDate></item></channel></rss>"
            )
            return Response(feed.encode(), media_type="text/xml")
        if request.url.path == "/wire/europa":
            page = gzip.decompress((PAGES / f"{EUROPA}.html.gz").read_bytes())
            return Response(page, media_type="text/html")
        return Response(b"", status_code=404)

    return Starlette(routes=[Route("/{path:path}", handle)])


def _in_a_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to its end on a loop of its own: Playwright's sync API keeps an
    event loop running in the test's thread, where ``asyncio.run`` is refused."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work)
        except BaseException as exc:  # handed to the caller's thread, re-raised there
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def _receiver() -> Starlette:
    async def accept(request: Request) -> Response:
        await request.body()
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", accept, methods=["POST"])])


def _seed(client: httpx.Client, hook_url: str) -> str:
    """Visits, a campaign, an alert rule and a webhook; answers the visits' referrer."""
    mention = client.get("/v1/mentions", params={"brand": "apple", "limit": 1}).json()
    referrer = mention["items"][0]["url"]
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    visits = [
        {
            "id": f"visit-{i}",
            "timestamp": now,
            "landing_url": "https://www.apple.com/iphone/",
            "referrer": referrer,
            "sessions": 3,
            "conversions": 1,
            "utm_campaign": "launch",
        }
        for i in range(4)
    ]
    visits.append(
        {
            "id": "visit-google",
            "timestamp": now,
            "landing_url": "https://www.apple.com/",
            "referrer": "https://www.google.com/",
            "sessions": 10,
        }
    )
    client.post("/v1/traffic/events", json=visits).raise_for_status()
    start = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
    end = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    campaign = {
        "id": "launch",
        "brand": "apple",
        "name": "Autumn launch",
        "start": start,
        "end": end,
        "tags": ["launch"],
    }
    client.post("/v1/campaigns", json=campaign).raise_for_status()
    hook = {"url": hook_url, "event_types": ["alert.opened", "alert.updated"]}
    client.post("/v1/webhooks", json=hook).raise_for_status()
    # Google has demo stories within the last day, which a new rule judges at once.
    rule = {"id": "google-tier", "brand_id": "google", "type": "tier1_coverage", "max_tier": 3}
    client.post("/v1/alert-rules", json=rule).raise_for_status()
    return str(referrer)


def demo_settings(
    data_dir: Path, site_url: str, *, wire_url: str | None = None, **changes: Any
) -> Settings:
    """Settings for a demo Clarion on 127.0.0.1 with its store in ``data_dir``; with
    ``wire_url``, the syndication site's wire outlet is a source too."""
    setup = demo_config(site_url)
    if wire_url is not None:
        wire = {"id": "wire", "url": f"{wire_url}/wire/feed.xml", "outlet": "Wire", "tier": 1}
        setup["sources"].append(wire)
    config = data_dir / "clarion.yaml"
    config.write_text(yaml.safe_dump(setup, sort_keys=False), encoding="utf-8")
    options: dict[str, Any] = {
        "data_dir": data_dir,
        "config_file": config,
        "crawl": False,
        "per_host_interval": 0.0,
        "allow_networks": ["127.0.0.1/32"],
        "per_host_concurrency": 8,
        "extract_workers": 1,
        "model_threads": 1,
        "alert_check_interval": 1.0,  # the seeded rule alerts within a second, not five minutes
        "auth": "off",  # as `clarion demo`; the key prompt is tested with auth="keys"
    }
    return Settings(**{**options, **changes})


@contextlib.contextmanager
def demo_clarion(data_dir: Path) -> Iterator[DemoClarion]:
    """Ingest the demo into ``data_dir``, serve Clarion on it, seed it; yield it."""
    with (
        serve_app(create_demo_site()) as site_url,
        serve_app(_syndication_site()) as wire_url,
        serve_app(_receiver()) as hooks,
    ):
        settings = demo_settings(data_dir, site_url, wire_url=wire_url)
        _in_a_thread(_ingest(settings))
        with serve_app(create_app(settings)) as url, httpx.Client(base_url=url) as client:
            referrer = _seed(client, f"{hooks}/hook")
            yield DemoClarion(url=url, site_url=site_url, earned_referrer=referrer)


def _main(argv: list[str]) -> None:  # pragma: no cover - a developer's convenience
    """``python -m tests.dashboard._clarion``: serve a demo Clarion until Ctrl+C;
    ``--screenshot PATH``: save the overview (Apple, 30 days, laptop size) to PATH and stop
    (how docs/dashboard.png is made)."""
    import tempfile
    import time

    from tests.dashboard.conftest import CHROMIUM, CHROMIUM_ARGS, LAPTOP, open_page

    with tempfile.TemporaryDirectory() as tmp, demo_clarion(Path(tmp)) as running:
        if argv[:1] != ["--screenshot"]:
            print(f"{running.url}/dashboard/", flush=True)
            while True:
                time.sleep(3600)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=LAPTOP)
            open_page(page, running, "overview", brand="apple")
            page.wait_for_timeout(500)  # let the charts take their final width
            page.screenshot(path=argv[1], full_page=True)
            browser.close()


if __name__ == "__main__":  # pragma: no cover
    import sys

    _main(sys.argv[1:])
