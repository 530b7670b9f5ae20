"""Feed autodiscovery: real pages' <link rel="alternate"> and a local site served as HTML."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import (
    FeedParseError,
    FetchConfig,
    Fetcher,
    HtmlInsteadOfFeedError,
    Source,
    discover_feeds,
    find_feed,
    poll_feed,
)
from tests._servers import serve_app
from tests.crawlers.conftest import FEED

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
CONFIG = FetchConfig(retries=0, per_host_interval=0.0, per_host_concurrency=8)


def test_real_wordpress_podcast_page_lists_its_feeds_site_feed_first() -> None:
    html = gzip.decompress((FIXTURES / "1337kultur_picard.html.gz").read_bytes())
    page = "https://1337kultur.de/2020/folge-70-star-trek-picard/"
    feeds = discover_feeds(html, url=page)
    assert [f.url for f in feeds] == [
        "https://1337kultur.de/feed/",
        "https://1337kultur.de/feed/podcast/",
        "https://1337kultur.de/feed/podcast-aac/",
        "https://1337kultur.de/feed/podcast-ogg/",
        "https://1337kultur.de/feed/podcast-opus/",
        "https://1337kultur.de/comments/feed/",  # comment feeds last
        "https://1337kultur.de/2020/folge-70-star-trek-picard/feed/",
    ]
    assert feeds[0].title == "1337@kultur:~$ » Feed"  # entities decoded
    assert feeds[0].format == "rss"
    assert all(f.content_type == "application/rss+xml" for f in feeds)  # no oEmbed links


def test_real_wordpress_com_page() -> None:
    html = gzip.decompress((FIXTURES / "2gewinnt_uber_uns.html.gz").read_bytes())
    feeds = discover_feeds(html, url="https://2gewinnt.wordpress.com/uber-uns/")
    assert feeds[0].url == "https://2gewinnt.wordpress.com/feed/"
    assert feeds[0].title == "2gewinnt | Kabarett | Satire » Feed"
    assert len(feeds) == 3


def test_relative_links_base_href_atom_json_and_duplicates() -> None:
    html = """<!doctype html><html><head>
    <base href="https://cdn.example.com/site/">
    <link rel="alternate" type="application/atom+xml" title="Atom" href="atom.xml">
    <link rel="ALTERNATE" type="application/rss+xml; charset=utf-8" href="/rss">
    <link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
    <link rel="alternate" type="application/json" href="/wp-json/">
    <link rel="alternate" type="application/rss+xml" href="atom.xml">
    <link rel="alternate" hreflang="de" type="text/html" href="/de/">
    <link rel="stylesheet" type="application/rss+xml" href="/not-a-feed">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body></body></html>"""
    feeds = discover_feeds(html, url="https://www.example.com/")
    assert [(f.url, f.format, f.title) for f in feeds] == [
        ("https://cdn.example.com/site/atom.xml", "atom", "Atom"),
        ("https://cdn.example.com/rss", "rss", ""),
        ("https://cdn.example.com/site/feed.json", "json", "JSON"),
    ]


@pytest.mark.parametrize("html", [b"", b"   ", b"\xff\xfe garbage", "<p>no head</p>", b"<html>"])
def test_pages_without_feeds_give_nothing(html: bytes | str) -> None:
    assert discover_feeds(html, url="https://example.com/") == []


def test_xhtml_page_with_an_xml_declaration() -> None:
    html = b"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml" />
</head><body/></html>"""
    feeds = discover_feeds(html, url="https://example.org/blog/")
    assert [f.url for f in feeds] == ["https://example.org/atom.xml"]


def test_latin1_page_without_declaration() -> None:
    html = '<link rel="alternate" type="application/rss+xml" title="Notícias" href="/rss">'
    feeds = discover_feeds(html.encode("latin-1"), url="https://example.com.br/")
    assert feeds[0].title == "Notícias"


HOME = b"""<!DOCTYPE html><html><head><title>Example News</title>
<link rel="alternate" type="application/rss+xml" title="Broken" href="/broken.xml">
<link rel="alternate" type="application/rss+xml" title="Example News" href="/feed.xml">
</head><body><h1>Example News</h1></body></html>"""
BARE = b"<!DOCTYPE html><html><head><title>No feeds</title></head><body></body></html>"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    async def home(request: Request) -> Response:
        return Response(HOME, media_type="text/html")

    async def bare(request: Request) -> Response:
        return Response(BARE, media_type="text/html")

    async def feed(request: Request) -> Response:
        return Response(FEED, media_type="application/rss+xml")

    async def broken(request: Request) -> Response:
        return Response(b"<html>oops</html>", media_type="application/rss+xml")

    async def garbage(request: Request) -> Response:
        return Response(b"\x00\x01 binary", media_type="application/octet-stream")

    routes = [
        Route("/", home),
        Route("/bare", bare),
        Route("/feed.xml", feed),
        Route("/broken.xml", broken),
        Route("/garbage", garbage),
    ]
    with serve_app(Starlette(routes=routes)) as base:
        yield base


async def test_find_feed_on_a_home_page_skips_a_broken_candidate(site: str):
    async with Fetcher(config=CONFIG) as fetcher:
        found = await find_feed(fetcher, f"{site}/")
    assert found.url == f"{site}/feed.xml"
    assert found.title == "Misbehaving News"
    assert found.page_url == f"{site}/"


async def test_find_feed_on_a_feed_returns_it(site: str):
    async with Fetcher(config=CONFIG) as fetcher:
        found = await find_feed(fetcher, f"{site}/feed.xml")
    assert (found.url, found.page_url) == (f"{site}/feed.xml", None)


async def test_find_feed_on_a_page_without_feeds(site: str):
    async with Fetcher(config=CONFIG) as fetcher:
        with pytest.raises(HtmlInsteadOfFeedError) as info:
            await find_feed(fetcher, f"{site}/bare")
        with pytest.raises(FeedParseError) as other:
            await find_feed(fetcher, f"{site}/garbage")
    assert info.value.feeds == ()
    assert not isinstance(other.value, HtmlInsteadOfFeedError)


async def test_polling_an_html_page_says_which_feeds_it_advertises(site: str):
    source = Source(id="example", url=f"{site}/", outlet="Example News")
    async with Fetcher(config=CONFIG) as fetcher:
        with pytest.raises(HtmlInsteadOfFeedError) as info:
            await poll_feed(fetcher, source, None)
    assert [f.url for f in info.value.feeds] == [f"{site}/broken.xml", f"{site}/feed.xml"]
    assert isinstance(info.value, FeedParseError)  # callers branching on the old error still do
