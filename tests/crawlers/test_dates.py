"""Which publication date to believe: feed, page, URL; implausible ones flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers import PublishedDate, published_date, url_date

FETCHED = datetime(2026, 5, 17, 9, 30, tzinfo=UTC)
FEED = datetime(2026, 5, 17, 8, 0, tzinfo=UTC)
PAGE = datetime(2026, 5, 16, 22, 0, tzinfo=UTC)
PLAIN = "https://news.example/story"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/2024/05/17/apple-launch", datetime(2024, 5, 17, tzinfo=UTC)),
        ("https://x.example/2024/5/7", datetime(2024, 5, 7, tzinfo=UTC)),
        ("https://x.example/world/2024/05/17.html", datetime(2024, 5, 17, tzinfo=UTC)),
        ("https://x.example/news/2024-05-17-apple", datetime(2024, 5, 17, tzinfo=UTC)),
        ("https://x.example/a/20240517/b", datetime(2024, 5, 17, tzinfo=UTC)),
        ("https://x.example/p/story_20240517.html", datetime(2024, 5, 17, tzinfo=UTC)),
        ("https://x.example/2024/13/45/x", None),  # not a calendar date
        ("https://x.example/id/120240517999", None),  # inside a longer number
        ("https://x.example/2024-0517", None),  # mixed separators
        ("https://x.example/story?date=20240517", None),  # the query is not the path
        ("https://x.example/1234/56/78", None),
        (PLAIN, None),
    ],
)
def test_url_date(url: str, expected: datetime | None) -> None:
    assert url_date(url) == expected


def test_the_feed_date_wins_then_the_page_then_the_url() -> None:
    url = "https://x.example/2026/05/15/story"
    assert published_date(feed=FEED, page=PAGE, url=url, fetched_at=FETCHED) == PublishedDate(
        FEED, "feed"
    )
    assert published_date(feed=None, page=PAGE, url=url, fetched_at=FETCHED) == PublishedDate(
        PAGE, "page"
    )
    assert published_date(feed=None, page=None, url=url, fetched_at=FETCHED) == PublishedDate(
        datetime(2026, 5, 15, tzinfo=UTC), "url"
    )


def test_no_date_counts_at_the_fetch_time_flagged_missing() -> None:
    found = published_date(feed=None, page=None, url=PLAIN, fetched_at=FETCHED)
    assert found == PublishedDate(None, "fetched", "missing")


def test_a_future_date_is_never_used_and_falls_back() -> None:
    future = FETCHED + timedelta(days=30)
    alone = published_date(feed=future, page=None, url=PLAIN, fetched_at=FETCHED)
    assert alone == PublishedDate(None, "fetched", "future", future)
    # the page's plausible date is used; the refused feed date is still reported
    found = published_date(feed=future, page=PAGE, url=PLAIN, fetched_at=FETCHED)
    assert found == PublishedDate(PAGE, "page", "future", future)
    # within the skew it is believed (clocks and zones slip)
    slight = FETCHED + timedelta(minutes=50)
    assert published_date(feed=slight, page=None, url=PLAIN, fetched_at=FETCHED).at == slight


def test_a_too_old_date_is_never_used() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    found = published_date(feed=epoch, page=None, url=PLAIN, fetched_at=FETCHED)
    assert found == PublishedDate(None, "fetched", "too_old", epoch)
    url = "https://x.example/1990/01/02/story"
    old_url = published_date(feed=None, page=None, url=url, fetched_at=FETCHED)
    assert old_url.at is None and old_url.flag == "too_old"


def test_a_url_dated_tomorrow_east_of_utc_is_clamped_to_the_fetch() -> None:
    url = "https://x.example/2026/05/18/story"  # already the 18th in Sydney
    assert published_date(feed=None, page=None, url=url, fetched_at=FETCHED) == PublishedDate(
        FETCHED, "url"
    )
    later = "https://x.example/2026/05/20/story"
    assert published_date(feed=None, page=None, url=later, fetched_at=FETCHED).flag == "future"
