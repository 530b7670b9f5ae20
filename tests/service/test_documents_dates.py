"""``build_document`` and publication dates: a future-dated entry counts at its fetch time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawlers import Extracted, FeedEntry, Source
from service._documents import build_document

SOURCE = Source(id="ex", url="https://ex.com/rss", outlet="Ex", domain="ex.com")
FETCHED = datetime(2026, 5, 17, 9, 30, tzinfo=UTC)


def test_a_future_feed_date_is_flagged_and_not_the_publication_time() -> None:
    future = FETCHED + timedelta(days=200)
    entry = FeedEntry(url="https://ex.com/story", title="T", summary="S", published_at=future)
    document = build_document(source=SOURCE, entry=entry, page=None, fetched_at=FETCHED)
    assert document.published_at is None  # the store counts it at fetched_at: no spike
    assert document.extra["date_flag"] == "future"
    assert document.extra["date_source"] == "fetched"
    assert document.extra["claimed_published_at"] == future.isoformat()


def test_the_page_and_then_the_url_date_fill_in() -> None:
    page = Extracted(title="T", text="Body.", published_at=datetime(2026, 5, 16, tzinfo=UTC))
    entry = FeedEntry(url="https://ex.com/2026/05/15/story")
    from_page = build_document(source=SOURCE, entry=entry, page=page, fetched_at=FETCHED)
    assert from_page.published_at == datetime(2026, 5, 16, tzinfo=UTC)
    assert from_page.extra["date_source"] == "page" and "date_flag" not in from_page.extra
    undated = Extracted(title="T", text="Body.")
    from_url = build_document(source=SOURCE, entry=entry, page=undated, fetched_at=FETCHED)
    assert from_url.published_at == datetime(2026, 5, 15, tzinfo=UTC)
    assert from_url.extra["date_source"] == "url"


def test_an_undated_entry_is_flagged_missing() -> None:
    entry = FeedEntry(url="https://ex.com/story", title="T", summary="S")
    document = build_document(source=SOURCE, entry=entry, page=None, fetched_at=FETCHED)
    assert document.published_at is None
    assert (document.extra["date_source"], document.extra["date_flag"]) == ("fetched", "missing")
