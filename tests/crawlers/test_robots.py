"""robots.txt (RFC 9309) against a real local site whose robots.txt each test sets."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crawlers import (
    BlockedAddressError,
    FetchConfig,
    Fetcher,
    PermanentFetchError,
    RobotsDisallowed,
    RobotsPolicy,
    RobotsUnreachable,
    TransientFetchError,
)
from tests._servers import serve_app

CONFIG = FetchConfig(
    user_agent="Clarion/0.1 (+https://example.invalid/contact)",
    retries=0,
    per_host_interval=0.0,
    per_host_concurrency=8,
)
RULES = b"""# a news site's robots.txt
User-agent: *
Disallow: /

User-agent: Clarion
Allow: /
Disallow: /private/
Disallow: /*.pdf$
Crawl-delay: 2

Sitemap: https://www.example-news.com/sitemap_index.xml
Sitemap: https://www.example-news.com/sitemap_news.xml
"""


@dataclass
class Site:
    base: str
    robots_status: int = 200
    robots_body: bytes = RULES
    hits: Counter[str] = field(default_factory=Counter)
    agents: list[str] = field(default_factory=list)  # "<path> <User-Agent>" per request

    @property
    def other_origin(self) -> str:
        """The same server under another host name: a second origin for the cache."""
        return self.base.replace("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    state = Site(base="")

    async def robots(request: Request) -> Response:
        state.hits[f"{request.url.hostname}/robots.txt"] += 1
        state.agents.append(f"/robots.txt {request.headers['user-agent']}")
        return Response(state.robots_body, status_code=state.robots_status)

    async def page(request: Request) -> Response:
        state.hits[request.url.path] += 1
        state.agents.append(f"{request.url.path} {request.headers['user-agent']}")
        if request.url.path.startswith("/go/"):
            return RedirectResponse("/private/" + request.path_params["rest"], status_code=302)
        return Response(b"<html>article</html>", media_type="text/html")

    app = Starlette(routes=[Route("/robots.txt", robots), Route("/{rest:path}", page)])
    with serve_app(app) as base:
        state.base = base
        yield state


@pytest.fixture(autouse=True)
def reset(site: Site) -> None:
    site.robots_status, site.robots_body = 200, RULES
    site.hits.clear()
    site.agents.clear()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(fetcher: Fetcher, clock: Clock, *, max_hosts: int = 100) -> RobotsPolicy:
    return RobotsPolicy(
        fetcher, user_agent=CONFIG.user_agent, ttl=3600, error_ttl=60, max_hosts=max_hosts,
        clock=clock,
    )  # fmt: skip


async def test_clarion_group_is_honoured_and_robots_is_fetched_once(site: Site):
    async with Fetcher(config=CONFIG) as fetcher:
        page = await fetcher.get(f"{site.base}/news/1", respect_robots=True)
        assert page.content == b"<html>article</html>"
        with pytest.raises(RobotsDisallowed) as info:
            await fetcher.get(f"{site.base}/private/memo", respect_robots=True)
        with pytest.raises(RobotsDisallowed):
            await fetcher.get(f"{site.base}/files/report.pdf", respect_robots=True)
        assert await fetcher.robots.allowed(f"{site.base}/files/report.pdf?download=1")
        assert await fetcher.robots.crawl_delay(f"{site.base}/") == 2.0
        assert await fetcher.robots.sitemaps(f"{site.base}/") == [
            "https://www.example-news.com/sitemap_index.xml",
            "https://www.example-news.com/sitemap_news.xml",
        ]
    assert isinstance(info.value, PermanentFetchError)
    assert site.hits["127.0.0.1/robots.txt"] == 1
    assert site.hits["/private/memo"] == 0 and site.hits["/files/report.pdf"] == 0


async def test_other_agents_rules_do_not_apply_to_clarion(site: Site):
    site.robots_body = b"User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin\n"
    async with Fetcher(config=CONFIG) as fetcher:
        assert await fetcher.robots.allowed(f"{site.base}/news/1")
        assert not await fetcher.robots.allowed(f"{site.base}/admin/x")


async def test_feeds_are_fetched_without_asking_robots(site: Site):
    async with Fetcher(config=CONFIG) as fetcher:
        await fetcher.get(f"{site.base}/private/feed.xml")
    assert site.hits["127.0.0.1/robots.txt"] == 0


async def test_redirect_to_a_disallowed_page_is_stopped_before_the_request(site: Site):
    async with Fetcher(config=CONFIG) as fetcher:
        with pytest.raises(RobotsDisallowed, match=r"robots\.txt"):
            await fetcher.get(f"{site.base}/go/secret", respect_robots=True)
    assert site.hits["/go/secret"] == 1
    assert site.hits["/private/secret"] == 0


@pytest.mark.parametrize("status", [401, 403, 404, 410])
async def test_robots_4xx_allows_everything(site: Site, status: int):
    site.robots_status = status
    async with Fetcher(config=CONFIG) as fetcher:
        page = await fetcher.get(f"{site.base}/private/memo", respect_robots=True)
    assert page.status == 200


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_robots_5xx_disallows_until_it_is_readable(site: Site, status: int):
    site.robots_status = status
    clock = Clock()
    async with Fetcher(config=CONFIG) as fetcher:
        fetcher.robots = policy(fetcher, clock)
        with pytest.raises(RobotsUnreachable) as info:
            await fetcher.get(f"{site.base}/news/1", respect_robots=True)
        assert isinstance(info.value, TransientFetchError)  # the page is retried later
        assert info.value.retry_after == 60.0
        clock.now += 30  # within error_ttl: no new robots request
        assert not await fetcher.robots.allowed(f"{site.base}/news/1")
        site.robots_status = 200
        clock.now += 31
        assert await fetcher.robots.allowed(f"{site.base}/news/1")
    assert site.hits["/news/1"] == 0
    assert site.hits["127.0.0.1/robots.txt"] == 2


async def test_unreachable_robots_disallows():
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with Fetcher(config=CONFIG) as fetcher:
        assert not await fetcher.robots.allowed(f"http://127.0.0.1:{port}/news/1")


async def test_rules_expire_after_the_ttl(site: Site):
    clock = Clock()
    async with Fetcher(config=CONFIG) as fetcher:
        robots = policy(fetcher, clock)
        assert not await robots.allowed(f"{site.base}/private/a")
        site.robots_body = b"User-agent: *\nAllow: /\n"
        clock.now += 3599
        assert not await robots.allowed(f"{site.base}/private/a")
        clock.now += 2
        assert await robots.allowed(f"{site.base}/private/a")
    assert site.hits["127.0.0.1/robots.txt"] == 2


async def test_concurrent_checks_share_one_robots_request(site: Site):
    async with Fetcher(config=CONFIG) as fetcher:
        answers = await asyncio.gather(
            *(fetcher.robots.allowed(f"{site.base}/news/{n}") for n in range(20))
        )
    assert all(answers)
    assert site.hits["127.0.0.1/robots.txt"] == 1


async def test_cache_is_bounded_least_recently_used_first(site: Site):
    clock = Clock()
    async with Fetcher(config=CONFIG) as fetcher:
        robots = policy(fetcher, clock, max_hosts=1)
        await robots.check(f"{site.base}/a")
        await robots.check(f"{site.other_origin}/a")  # evicts 127.0.0.1
        await robots.check(f"{site.base}/b")
    assert site.hits["127.0.0.1/robots.txt"] == 2
    assert site.hits["localhost/robots.txt"] == 1


async def test_huge_robots_is_read_up_to_its_first_500_kib(site: Site):
    site.robots_body = b"User-agent: *\nDisallow: /private/\n" + b"# padding\n" * 60_000
    site.robots_body += b"Disallow: /news/\n"  # beyond 500 KiB: ignored
    async with Fetcher(config=CONFIG) as fetcher:
        assert await fetcher.robots.allowed(f"{site.base}/news/1")
        assert not await fetcher.robots.allowed(f"{site.base}/private/1")


async def test_a_blocked_host_fails_as_blocked_not_as_robots_unreachable(site: Site):
    config = FetchConfig(block_private_addresses=True, retries=0, per_host_interval=0.0)
    async with Fetcher(config=config) as fetcher:
        with pytest.raises(BlockedAddressError):
            await fetcher.get(f"{site.base}/news/1", respect_robots=True)
    assert sum(site.hits.values()) == 0


async def test_robots_is_asked_for_with_clarions_user_agent(site: Site):
    async with Fetcher(config=CONFIG) as fetcher:
        await fetcher.get(f"{site.base}/news/1", respect_robots=True)
    assert site.agents == [f"/robots.txt {CONFIG.user_agent}", f"/news/1 {CONFIG.user_agent}"]
