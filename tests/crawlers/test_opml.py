"""OPML import and export: a reader's export, hostile input, a round trip of sources."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers import (
    OpmlParseError,
    Source,
    feed_outlines,
    parse_opml,
    source_from_outline,
    write_opml,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "opml" / "reader_export.opml"


def test_reader_export_tree() -> None:
    outlines = parse_opml(FIXTURE.read_bytes())
    assert [o.title for o in outlines] == ["World News", "blog", "Hacker News", "Company newsroom"]
    world = outlines[0]
    assert world.xml_url is None
    bbc, dw, business = world.children
    assert bbc.xml_url == "https://feeds.bbci.co.uk/news/world/rss.xml"
    assert bbc.html_url == "https://www.bbc.co.uk/news/world"
    assert bbc.language == "en-gb"
    assert dw.title == "Deutsche Welle & Partners"  # title wins over text
    assert business.children[0].title == "CBS MoneyWatch"  # text when there is no title
    heise = outlines[1].children[0]
    assert heise.xml_url == "https://www.heise.de/developer/rss/news-atom.xml"  # lower-case xmlurl
    assert heise.categories == ("/blog", "German tech")


def test_feed_outlines_flatten_with_folder_paths() -> None:
    feeds = feed_outlines(parse_opml(FIXTURE.read_bytes()))
    assert [(f.title, f.categories) for f in feeds] == [
        ("BBC News - World", ("/World News",)),
        ("Deutsche Welle & Partners", ("/World News",)),
        ("CBS MoneyWatch", ("/World News/Business",)),
        ("heise Developer", ("/blog", "German tech")),
        ("Hacker News", ()),
    ]


def test_sources_from_a_reader_export() -> None:
    sources = [source_from_outline(o) for o in feed_outlines(parse_opml(FIXTURE.read_bytes()))]
    bbc, _, _, heise, hn = sources
    assert (bbc.id, bbc.outlet, bbc.domain) == (
        "feeds-bbci-co-uk-news-world-rss-xml", "BBC News - World", "bbc.co.uk",
    )  # fmt: skip
    assert bbc.language == "en-gb"
    assert (bbc.channel, bbc.kind, bbc.tier, bbc.enabled) == ("news", "feed", 3, True)
    assert heise.channel == "blog"  # from its category
    assert heise.domain == "heise.de"
    assert hn.outlet == "Hacker News"
    assert len({s.id for s in sources}) == len(sources)


def test_round_trip_of_clarion_fields() -> None:
    sources = [
        Source(
            id="reuters-business", url="https://www.reuters.com/business/feed", outlet="Reuters",
            domain="reuters.com", kind="feed", channel="news", country="GB", language="en",
            tier=1, audience=25_000_000,
        ),
        Source(
            id="example-sitemap", url="https://www.example-news.com/sitemap_news.xml",
            outlet="The Example Times & Co", domain="example-news.com", kind="sitemap",
            channel="news", tier=2, audience=120_000, enabled=False,
        ),
        Source(
            id="acme-press", url="https://acme.example/press.rss", outlet="Acme <Press>",
            domain="acme.example", channel="press_release", language="de", tier=4,
        ),
    ]  # fmt: skip
    document = write_opml(sources, title="Clarion sources")
    again = [source_from_outline(o) for o in feed_outlines(parse_opml(document))]
    assert sorted(again, key=lambda s: s.id) == sorted(sources, key=lambda s: s.id)
    assert write_opml(sources, title="Clarion sources") == document  # deterministic


def test_written_opml_is_what_readers_expect() -> None:
    source = Source(id="a", url="https://a.example/feed", outlet="A", domain="a.example")
    created = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
    document = write_opml([source], title="Mine", date_created=created)
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert (
        b'<opml xmlns:clarion="https://github.com/clarion-media/clarion/opml" version="2.0">'
        in document
    )
    assert b"<dateCreated>Tue, 02 Jan 2024 10:00:00 +0000</dateCreated>" in document
    (folder,) = parse_opml(document)
    (feed,) = folder.children
    assert (folder.title, feed.type, feed.xml_url) == ("news", "rss", "https://a.example/feed")
    assert feed.attributes["text"] == "A"
    assert feed.html_url == "https://a.example/"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<html><body>not opml</body></html>",
        b"<opml version='2.0'><head/></opml>",
        b"<opml><body><outline",
    ],
)
def test_what_is_not_opml_is_refused(content: bytes) -> None:
    with pytest.raises(OpmlParseError):
        parse_opml(content, url="upload.opml")


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/f"/></body></opml>"""
    with pytest.raises(OpmlParseError, match="external entity"):  # refused, never read
        parse_opml(content.encode())


def test_outline_without_feed_url_is_not_a_source() -> None:
    (link,) = parse_opml(
        b'<opml><body><outline type="link" text="x" url="https://x"/></body></opml>'
    )
    with pytest.raises(ValueError):
        source_from_outline(link)


def test_social_sources_round_trip_with_their_platform_and_target() -> None:
    social = Source(
        id="hn-acme",
        url="https://hn.algolia.com",
        outlet="Hacker News",
        kind="social",
        channel="social",
        platform="hackernews",
        target='"acme rockets" OR acme',
    )
    feed = Source(id="feed", url="https://example.com/rss", outlet="Example", domain="example.com")
    written = write_opml([social, feed], title="t")
    assert b'type="clarion-social"' in written  # readers skip it: its xmlUrl is no feed
    back = [source_from_outline(o) for o in feed_outlines(parse_opml(written))]
    by_id = {s.id: s for s in back}
    assert by_id["hn-acme"] == replace(social, domain="hn.algolia.com")  # derived from xmlUrl
    assert by_id["feed"] == feed
