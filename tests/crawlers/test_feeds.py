"""parse_feed on real feeds (tests/fixtures/feeds, see its README) and on what is not a feed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers import FeedParseError, ParsedFeed, html_to_text, parse_feed

TAG = re.compile(r"</?(?:p|a|div|br|img|span|b|i|em|strong)\b")
FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"


def parse(name: str, *, url: str, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), url=url, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "count", "title"),
    [
        ("bbc_world.rss.xml", 33, "BBC News"),
        ("cbs_world.rss.xml", 30, "World - CBSNews.com"),
        ("dw_english.rdf.xml", 141, "Deutsche Welle"),
        ("loudandquiet.atom.xml", 10, "Loud And Quiet"),
        ("heise.atom", 15, "heise developer neueste Meldungen"),
        ("reddit.rss", 24, "reddit: the front page of the internet"),
        ("uol_noticias_latin1.rss", 15, "UOL Noticias"),
        ("json_feed.json", 20, "inessential.com"),
    ],
)
def test_real_feeds_parse_with_every_entry(name: str, count: int, title: str) -> None:
    feed = parse(name, url="https://feeds.example.com/feed")
    assert feed.title == title
    assert len(feed.entries) == count
    assert feed.skipped_entries == 0
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.title
        assert not TAG.search(entry.summary), entry.summary  # HTML stripped
        if entry.published_at is not None:
            assert entry.published_at.tzinfo is UTC


def test_rss2_news_feed_entry() -> None:
    feed = parse("bbc_world.rss.xml", url="https://feeds.bbci.co.uk/news/world/rss.xml")
    first = feed.entries[0]
    assert first.url == (
        "https://www.bbc.com/news/articles/cp81l0e1eg5o?at_medium=RSS&at_campaign=rss"
    )
    assert first.title == "US civil rights leader Jesse Jackson dies aged 84"
    assert first.published_at == datetime(2026, 2, 17, 18, 55, 33, tzinfo=UTC)
    assert first.guid == "https://www.bbc.com/news/articles/cp81l0e1eg5o#0"
    assert first.summary.startswith("Tributes poured in from politicians")
    assert feed.link == "https://www.bbc.co.uk/news/world"


def test_rdf_feed_entry() -> None:
    feed = parse("dw_english.rdf.xml", url="https://rss.dw.com/rdf/rss-en-all")
    first = feed.entries[0]
    assert first.title == "France arrests nine in right-wing activist's death"
    assert first.url.startswith("https://www.dw.com/en/france-arrests-nine-in-right-wing")
    assert first.published_at == datetime(2026, 2, 18, 0, 15, tzinfo=UTC)


def test_atom_feed_entry_with_author_and_html_summary() -> None:
    feed = parse("loudandquiet.atom.xml", url="https://www.loudandquiet.com/feed/atom/")
    first = feed.entries[0]
    assert first.url == (
        "https://www.loudandquiet.com/short/20-years-of-loud-and-quiet-and-time-for-something-new/"
    )
    assert first.authors == ("Stuart Stubbs",)
    assert first.published_at == datetime(2025, 2, 24, 17, 0, 31, tzinfo=UTC)
    assert first.summary.startswith("Welcome to the new, very clever era of Loud And Quiet")


def test_latin1_feed_without_declaration_is_decoded() -> None:
    feed = parse("uol_noticias_latin1.rss", url="http://rss.uol.com.br/feed/noticias.xml")
    first = feed.entries[0]
    assert first.title == (
        "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"
    )
    # "Seg, 24 Set 2018 19:42:40 -0300": Portuguese day and month names.
    assert first.published_at == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)


def test_latin1_feed_with_a_wrong_charset_header_does_not_crash() -> None:
    feed = parse(
        "uol_noticias_latin1.rss",
        url="http://rss.uol.com.br/feed/noticias.xml",
        content_type="application/rss+xml; charset=utf-8",
    )
    assert len(feed.entries) == 15


def test_charset_from_content_type_header_wins() -> None:
    feed = parse(
        "uol_noticias_latin1.rss",
        url="http://rss.uol.com.br/feed/noticias.xml",
        content_type="application/rss+xml; charset=ISO-8859-1",
    )
    assert "simulações" in feed.entries[0].title


def test_reddit_feed_summary_is_text() -> None:
    feed = parse("reddit.rss", url="https://www.reddit.com/.rss")
    first = feed.entries[0]
    assert first.url.startswith("https://www.reddit.com/r/funny/comments/3skxqc/")
    assert first.summary == "submitted by cakebeerandmorebeer to funny [link] [275 comments]"


def test_json_feed_entry() -> None:
    feed = parse("json_feed.json", url="http://inessential.com/feed.json")
    first = feed.entries[0]
    assert feed.link == "http://inessential.com/"
    assert first.url == "http://inessential.com/2017/06/02/james_dempsey_and_the_breakpoints_benefi"
    assert first.guid == first.url
    assert first.authors == ("Brent Simmons",)  # the feed's author, inherited
    assert first.published_at is not None and first.published_at.tzinfo is UTC
    assert first.summary.startswith("On Wednesday night I know where I’ll be")
    assert "<p>" not in first.summary


def test_json_feed_v1_1_relative_urls_hub_and_missing_links() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Example &amp; Co",
        "home_page_url": "/",
        "hubs": [{"type": "WebSub", "url": "https://hub.example.com/"}],
        "items": [
            {
                "id": 1,
                "url": "/posts/1",
                "title": "First",
                "content_text": "Plain text.",
                "date_published": "2024-03-01T10:00:00+02:00",
                "authors": [{"name": "Ada"}, {"name": "Ada"}, {"name": "Grace"}],
            },
            {"id": "2", "content_text": "no link at all"},
            {"id": "3", "external_url": "https://elsewhere.example/x", "date_modified": "bad"},
            "not an object",
        ],
    }
    feed = parse_feed(json.dumps(document).encode(), url="https://example.com/feed.json")
    assert feed.title == "Example & Co"
    assert feed.link == "https://example.com/"
    assert feed.hub_url == "https://hub.example.com/"
    assert [e.url for e in feed.entries] == [
        "https://example.com/posts/1",
        "https://elsewhere.example/x",
    ]
    assert feed.skipped_entries == 2
    first = feed.entries[0]
    assert first.guid == "1"
    assert first.authors == ("Ada", "Grace")
    assert first.published_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert feed.entries[1].published_at is None


def test_rss_relative_links_resolve_against_feed_url_and_linkless_items_are_skipped() -> None:
    rss = b"""<?xml version="1.0"?>
    <rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
      <title>T</title><link>/</link>
      <atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>
      <item><title>A</title><link>/a/1</link><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate>
        <description>&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two &amp;amp; three&lt;/p&gt;
        </description></item>
      <item><title>No link</title><description>x</description></item>
      <item><title>Mail</title><link>mailto:a@example.com</link></item>
    </channel></rss>"""
    feed = parse_feed(rss, url="https://news.example.com/rss")
    assert [e.url for e in feed.entries] == ["https://news.example.com/a/1"]
    assert feed.entries[0].summary == "One Two & three"
    assert feed.skipped_entries == 2
    assert feed.hub_url == "https://pubsubhubbub.appspot.com/"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (
            b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
            "text/html",
        ),
        (b"<html><body>404 Not Found</body></html>", None),
        (b"\x00\x01\x02garbage\xff\xfe", None),
        (b"", None),
        (b"just some text", "text/plain"),
        (b'{"error": "not found"}', "application/json"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', None),
        (b"[1, 2, 3]", "application/json"),
        (b"{not json", "application/feed+json"),
    ],
)
def test_what_is_not_a_feed_raises(content: bytes, content_type: str | None) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(content, url="https://example.com/feed", content_type=content_type)
    assert info.value.url == "https://example.com/feed"


def test_html_to_text() -> None:
    assert html_to_text("<p>One</p><p>Two<br>three</p>") == "One Two three"
    assert html_to_text("wo<b>rd</b> &amp; <script>alert(1)</script>x") == "word & x"
    assert html_to_text("  plain\n text ") == "plain text"


def test_updated_at_is_what_the_feed_says_changed() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        b'<entry><title>x</title><link href="https://ex.com/a"/><id>a</id>'
        b"<published>2026-11-16T09:00:00Z</published><updated>2026-11-16T15:30:00Z</updated>"
        b"</entry></feed>"
    )
    (entry,) = parse_feed(atom, url="https://ex.com/atom").entries
    assert entry.published_at == datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert entry.updated_at == datetime(2026, 11, 16, 15, 30, tzinfo=UTC)
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>R</title><item>'
        b"<link>https://ex.com/b</link><pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate>"
        b"</item></channel></rss>"
    )
    (item,) = parse_feed(rss, url="https://ex.com/rss").entries
    assert item.published_at is not None and item.updated_at is None  # pubDate only
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1",'
        b' "url": "https://ex.com/c", "date_published": "2026-11-16T09:00:00Z",'
        b' "date_modified": "2026-11-17T09:00:00Z"}]}'
    )
    (json_item,) = parse_feed(json_feed, url="https://ex.com/feed.json").entries
    assert json_item.updated_at == datetime(2026, 11, 17, 9, tzinfo=UTC)


def test_element_base_uris_resolve_relative_links() -> None:
    atom = b"""<?xml version="1.0"?>
    <feed xmlns="http://www.w3.org/2005/Atom" xml:base="/news/"><title>A</title>
      <link rel="hub" href="hub"/>
      <entry xml:base="2026/"><title>x</title><link href="a.html"/><id>a</id></entry>
      <entry><title>y</title><link href="b.html"/><id>b</id></entry>
      <entry xml:base="https://other.example/blog/"><title>z</title><link href="c"/></entry>
    </feed>"""
    feed = parse_feed(atom, url="https://ex.com/feeds/atom")
    assert [e.url for e in feed.entries] == [
        "https://ex.com/news/2026/a.html",
        "https://ex.com/news/b.html",
        "https://other.example/blog/c",
    ]
    assert feed.hub_url == "https://ex.com/news/hub"


def test_a_body_naming_a_local_file_is_not_read_from_disk(tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_bytes((FEEDS / "bbc_world.rss.xml").read_bytes())
    with pytest.raises(FeedParseError):
        parse_feed(str(local).encode(), url="https://example.com/feed")
