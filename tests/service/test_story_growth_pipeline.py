"""A story spreading across outlets, through the real ingest pipeline.

A local publisher serves outlets that each reprint the same real article
(ScienceAlert's Europa story, ``tests/fixtures/pages``) in their own page
boilerplate, published minutes ago. One crawl clusters the copies and the
``story_growth`` rule opens one alert as the batch is stored; an outlet that
joins later updates that alert instead of opening another.
"""

from __future__ import annotations

import email.utils
import gzip
import html
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from search import AlertRule, alert_store
from service._runtime import Runtime
from tests._servers import serve_app
from tests.service.conftest import local_settings

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
EUROPA = "14cc2a0ca59c62a8c9f205a171e9ccf4ef4cf69b0c642f51c8c65c051b39024f"


class Outlets:
    """Which outlets carry the story, and when each published it."""

    def __init__(self, count: int, *, carrying: int) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self.published: dict[str, datetime | None] = {
            f"o{n}": now - timedelta(minutes=40 - 5 * n) if n < carrying else None
            for n in range(count)
        }
        self.paragraphs = [
            p
            for p in json.loads((PAGES / "ground-truth.json").read_text())[EUROPA][
                "articleBody"
            ].split("\n")
            if p.strip()
        ]

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            base = f"{request.url.scheme}://{request.url.netloc}"
            outlet, _, page = request.url.path.strip("/").partition("/")
            if outlet not in self.published:
                return Response(b"", status_code=404)
            published = self.published[outlet]
            if page == "feed.xml":
                item = ""  # an outlet that has not carried the story yet
                if published is not None:
                    date = email.utils.format_datetime(published, usegmt=True)
                    item = (
                        f"<item><title>Water on Europa</title><link>{base}/{outlet}/europa</link>"
                        f"<guid>{base}/{outlet}/europa</guid><pubDate>{date}</pubDate></item>"
                    )
                rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
                return Response(f"{rss}{item}</channel></rss>".encode(), media_type="text/xml")
            if page == "europa" and outlet == "o0":
                original = gzip.decompress((PAGES / f"{EUROPA}.html.gz").read_bytes())
                return Response(original, media_type="text/html")
            if page == "europa":
                return Response(self._reprint(outlet), media_type="text/html")
            return Response(b"", status_code=404)

        return Starlette(routes=[Route("/{path:path}", handle)])

    def _reprint(self, outlet: str) -> bytes:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        return (
            f"<!doctype html><html><head><title>Water on Europa | {outlet} Daily</title></head>"
            f"<body><nav><a href='/'>{outlet} home</a></nav>"
            f"<main><article><h1>Water on Europa</h1>{body}</article></main>"
            f"<footer>© 2026 {outlet} Daily</footer></body></html>"
        ).encode()


@pytest.fixture
def outlets() -> Iterator[tuple[Outlets, str]]:
    story = Outlets(6, carrying=5)
    with serve_app(story.app()) as base:
        yield story, base


async def test_a_spreading_story_alerts_once_and_updates_as_outlets_join(
    tmp_path: Path, outlets: tuple[Outlets, str]
) -> None:
    story, base = outlets
    config = {
        "brands": [{"id": "nasa", "name": "NASA"}],
        "sources": [
            {"id": f"o{n}", "url": f"{base}/o{n}/feed.xml", "outlet": f"Outlet {n}"}
            for n in range(6)
        ],
    }
    runtime = await Runtime.start(local_settings(tmp_path, config, alert_check_interval=86_400.0))
    try:
        alerts = alert_store(runtime.store)
        await alerts.put_alert_rule(
            AlertRule(
                id="spreading", brand_id="nasa", type="story_growth", min_outlets=5, max_tier=5
            )
        )
        stats = await runtime.pipeline.run_once()
        assert stats.documents == {"created": 5}
        (alert,) = await alerts.list_alerts()  # decided as the batch was stored
        assert alert.type == "story_growth" and alert.updates == 0
        assert alert.evidence["outlets_in_window"] == 5
        assert alert.evidence["first_outlet"] == "Outlet 0"
        assert alert.evidence["first_url"] == f"{base}/o0/europa"
        assert [c["outlet"] for c in alert.evidence["copies"]] == [f"Outlet {n}" for n in range(5)]

        story.published["o5"] = datetime.now(UTC).replace(microsecond=0)  # a sixth outlet
        stats = await runtime.pipeline.run_once()
        assert stats.documents == {"created": 6}  # counted since the start: one more
        (updated,) = await alerts.list_alerts()
        assert updated.id == alert.id and updated.updates == 1
        assert updated.evidence["outlets_in_window"] == 6
    finally:
        await runtime.stop()
