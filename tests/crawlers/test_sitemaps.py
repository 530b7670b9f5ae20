"""Sitemaps: parsing the real formats, hostile input, and polling an index on a local server."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crawlers import (
    FeedParseError,
    FeedState,
    FetchConfig,
    Fetcher,
    PermanentFetchError,
    SitemapParseError,
    Source,
    parse_sitemap,
    poll_sitemap,
    poll_source,
)
from crawlers._sitemaps import MAX_SITEMAP_URLS
from tests._servers import serve_app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sitemaps"
ORIGIN = "https://www.example-news.com"
CONFIG = FetchConfig(retries=0, per_host_interval=0.0, per_host_concurrency=8)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_google_news_sitemap() -> None:
    sitemap = parse_sitemap(fixture("news_sitemap.xml"), url=f"{ORIGIN}/sitemaps/news.xml")
    assert sitemap.kind == "urlset"
    assert sitemap.publication_name == "The Example Times"
    assert sitemap.skipped == 1  # the javascript: <loc>
    first, second, third = sitemap.urls
    assert first.news is not None and first.news.language == "en"
    assert first.news.title == 'Acme recalls 40,000 widgets after "overheating" reports'
    assert first.news.publication_date == datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
    assert first.news.keywords == ("Acme", "recall", "consumer safety")
    assert first.lastmod == datetime(2024, 1, 2, 11, 5, tzinfo=UTC)
    assert (
        second.news is not None and second.news.title == "Globex beats estimates in fourth quarter"
    )
    assert second.news.publication_date == datetime(2024, 1, 2, 14, 0, tzinfo=UTC)
    assert third.url == f"{ORIGIN}/world/2024/01/01/summit-ends"  # resolved
    entries = sitemap.entries()
    assert [e.title for e in entries][2] == "Summit ends without agreement"
    assert entries[2].published_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_sitemap_index() -> None:
    index = parse_sitemap(fixture("sitemap_index.xml"), url=f"{ORIGIN}/sitemap.xml")
    assert index.kind == "index"
    assert index.urls == []
    assert [r.url.rsplit("/", 1)[1] for r in index.sitemaps] == [
        "2023-12.xml", "2024-01.xml.gz", "news.xml", "sections.xml", "2023-11.xml",
    ]  # fmt: skip
    assert index.sitemaps[3].lastmod is None
    assert index.sitemaps[4].lastmod == datetime(2023, 11, 30, tzinfo=UTC)


def test_plain_urlset_gzipped_matches_uncompressed() -> None:
    plain = parse_sitemap(fixture("sitemap_2024_01.xml"), url=f"{ORIGIN}/s.xml")
    packed = parse_sitemap(fixture("sitemap_2024_01.xml.gz"), url=f"{ORIGIN}/s.xml.gz")
    assert [u.url for u in plain.urls] == [u.url for u in packed.urls]
    assert [u.url for u in plain.urls][2] == f"{ORIGIN}/about"  # not the xhtml:link alternate
    assert len(plain.urls) == 4
    assert plain.urls[3].lastmod == datetime(2024, 1, 1, tzinfo=UTC)  # "2024-01"
    assert all(e.published_at is None and e.title == "" for e in plain.entries())


def test_text_sitemap() -> None:
    sitemap = parse_sitemap(fixture("sitemap.txt"), url=f"{ORIGIN}/sitemap.txt")
    assert [u.url for u in sitemap.urls] == [
        f"{ORIGIN}/", f"{ORIGIN}/business/2024/01/02/acme-recalls-widgets", f"{ORIGIN}/contact",
    ]  # fmt: skip


def test_sitemap_without_namespace_and_with_a_broken_tail() -> None:
    content = b"<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.example/2"
    sitemap = parse_sitemap(content, url="https://a.example/sitemap.xml")
    assert [u.url for u in sitemap.urls][:1] == ["https://a.example/1"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<!DOCTYPE html><html><body>Not found</body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
        b"\x1f\x8b\x08\x00garbage",
        b"\x00\x01\x02 not text",
    ],
)
def test_what_is_not_a_sitemap_is_refused(content: bytes) -> None:
    with pytest.raises(SitemapParseError):
        parse_sitemap(content, url="https://a.example/sitemap.xml")


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>
<urlset><url><loc>https://a.example/&xxe;</loc></url></urlset>""".encode()
    sitemap = parse_sitemap(content, url="https://a.example/sitemap.xml")
    assert all("TOP-SECRET" not in u.url for u in sitemap.urls)


def test_gzip_bomb_is_stopped_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 3_000_000 + b"</urlset>")
    with pytest.raises(SitemapParseError, match="inflated"):
        parse_sitemap(bomb, url="https://a.example/s.xml.gz", max_bytes=1_000_000)


def test_url_count_is_bounded() -> None:
    items = b"".join(b"<url><loc>https://a.example/%d</loc></url>" % n for n in range(110))
    content = b"<urlset>" + items + b"</urlset>"
    sitemap = parse_sitemap(content, url="https://a.example/s.xml", max_urls=100)
    assert len(sitemap.urls) == 100
    assert sitemap.skipped == 10
    assert MAX_SITEMAP_URLS == 50_000  # the sitemaps.org limit is the default


# -- polling a sitemap index on a real local server -------------------------------------------


@dataclass
class Site:
    base: str = ""
    hits: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    state = Site()
    files = {
        "/sitemap.xml": ("sitemap_index.xml", "application/xml"),
        "/sitemaps/news.xml": ("news_sitemap.xml", "application/xml"),
        "/sitemaps/2024-01.xml.gz": ("sitemap_2024_01.xml.gz", "application/x-gzip"),
        "/plain.xml": ("sitemap_2024_01.xml", "application/xml"),
    }

    async def serve(request: Request) -> Response:
        path = request.url.path
        state.hits[path] += 1
        if path == "/plain.xml" and request.headers.get("if-none-match") == '"v1"':
            return Response(status_code=304, headers={"ETag": '"v1"'})
        if path not in files:
            return Response(b"not found", status_code=404)
        name, media_type = files[path]
        body = fixture(name).replace(ORIGIN.encode(), state.base.encode())
        if name.endswith(".gz"):
            body = gzip.compress(
                gzip.decompress(body).replace(ORIGIN.encode(), state.base.encode())
            )
        return Response(body, media_type=media_type, headers={"ETag": '"v1"'})

    with serve_app(Starlette(routes=[Route("/{path:path}", serve)])) as base:
        state.base = base
        yield state


async def test_poll_index_reads_its_newest_children_and_returns_newest_entries(site: Site):
    site.hits.clear()
    source = Source(id="ex", url=f"{site.base}/sitemap.xml", outlet="Example", kind="sitemap")
    async with Fetcher(config=CONFIG) as fetcher:
        result = await poll_source(fetcher, source, None)
    # news.xml and 2024-01.xml.gz are the newest; 2023-12.xml (third) is missing: skipped.
    assert site.hits["/sitemaps/news.xml"] == 1
    assert site.hits["/sitemaps/2024-01.xml.gz"] == 1
    assert site.hits["/sitemaps/2023-12.xml"] == 1
    assert site.hits["/sitemaps/sections.xml"] == 0 and site.hits["/sitemaps/2023-11.xml"] == 0
    urls = [e.url.removeprefix(site.base) for e in result.entries]
    assert urls == [
        "/tech/2024/01/02/globex-earnings",  # news date 14:00
        "/business/2024/01/02/acme-recalls-widgets",  # lastmod 11:05, plain sitemap
        "/business/2024/01/02/acme-recalls-widgets?utm_source=sitemap",  # news date 09:30
        "/business/2024/01/01/markets-open-the-year",
        "/world/2024/01/01/summit-ends",
        "/culture/2024/01",
        "/about",  # undated last
    ]
    assert result.feed_title == "The Example Times"
    assert (result.etag, result.last_modified) == (None, None)  # an index is always re-read


async def test_poll_plain_sitemap_is_conditional_and_bounded(site: Site):
    source = Source(id="ex", url=f"{site.base}/plain.xml", outlet="Example", kind="sitemap")
    async with Fetcher(config=CONFIG) as fetcher:
        first = await poll_sitemap(fetcher, source, None, max_entries=2)
        state = FeedState(source_id="ex", etag=first.etag)
        second = await poll_sitemap(fetcher, source, state)
    assert [e.url.rsplit("/", 1)[1] for e in first.entries] == [
        "acme-recalls-widgets", "markets-open-the-year",
    ]  # fmt: skip
    assert first.etag == '"v1"'
    assert second.not_modified and second.entries == []


async def test_poll_index_whose_children_all_fail_raises(site: Site):
    index = b"<sitemapindex><sitemap><loc>/gone-1.xml</loc></sitemap>"
    index += b"<sitemap><loc>/gone-2.xml</loc></sitemap></sitemapindex>"

    async def serve(request: Request) -> Response:
        if request.url.path == "/index.xml":
            return Response(index, media_type="application/xml")
        return Response(b"", status_code=404)

    with serve_app(Starlette(routes=[Route("/{p:path}", serve)])) as base:
        source = Source(id="x", url=f"{base}/index.xml", outlet="X", kind="sitemap")
        async with Fetcher(config=CONFIG) as fetcher:
            with pytest.raises(PermanentFetchError) as info:
                await poll_sitemap(fetcher, source, None)
    assert info.value.status == 404


async def test_poll_of_a_missing_sitemap(site: Site):
    source = Source(id="x", url=f"{site.base}/nothing-here", outlet="X", kind="sitemap")
    async with Fetcher(config=CONFIG) as fetcher:
        with pytest.raises(PermanentFetchError):
            await poll_sitemap(fetcher, source, None)
    assert issubclass(SitemapParseError, FeedParseError)
