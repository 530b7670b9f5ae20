"""poll_feed against the misbehaving server; record_success / record_failure as pure functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from crawlers import (
    FeedParseError,
    FeedState,
    FetchConfig,
    Fetcher,
    PermanentFetchError,
    Source,
    TransientFetchError,
    poll_feed,
    record_failure,
    record_success,
)
from tests.crawlers.conftest import ETAG, LAST_MODIFIED, Publisher

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    config = FetchConfig(per_host_interval=0.0, retries=0, read_timeout=0.3)
    async with Fetcher(config=config) as f:
        yield f


def source(url: str) -> Source:
    return Source(id="misbehaving", url=url, outlet="Misbehaving News")


async def test_first_poll_returns_entries_and_validators(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    result = await poll_feed(fetcher, source(f"{publisher.base}/feed/{token}"), None)
    assert not result.not_modified
    assert result.feed_title == "Misbehaving News"
    assert [e.url for e in result.entries] == [
        f"{publisher.base}/articles/1?utm_source=rss",
        f"{publisher.base}/articles/2",
    ]
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)


async def test_poll_with_saved_validators_is_conditional(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    state = FeedState(source_id="misbehaving", etag=ETAG, last_modified=LAST_MODIFIED)
    result = await poll_feed(fetcher, source(f"{publisher.base}/feed/{token}"), state)
    assert result.not_modified
    assert result.entries == []
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)
    assert publisher.headers("feed", token)[0]["if-none-match"] == ETAG


async def test_gzipped_feed_is_parsed(fetcher: Fetcher, publisher: Publisher, token: str):
    result = await poll_feed(fetcher, source(f"{publisher.base}/gzipped/{token}"), None)
    assert len(result.entries) == 2


async def test_a_page_that_is_not_a_feed_raises_feed_parse_error(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    with pytest.raises(FeedParseError):
        await poll_feed(fetcher, source(f"{publisher.base}/stamp/{token}"), None)


async def test_fetch_errors_pass_through(fetcher: Fetcher, publisher: Publisher, token: str):
    with pytest.raises(PermanentFetchError):
        await poll_feed(fetcher, source(f"{publisher.base}/missing/{token}"), None)
    with pytest.raises(TransientFetchError):
        await poll_feed(fetcher, source(f"{publisher.base}/unavailable/{token}"), None)


def test_record_success_from_nothing() -> None:
    state = record_success(None, source_id="s1", now=NOW, etag='"e"', last_modified="lm")
    assert state == FeedState(
        source_id="s1",
        etag='"e"',
        last_modified="lm",
        last_polled_at=NOW,
        last_success_at=NOW,
    )


def test_record_failure_counts_and_keeps_validators() -> None:
    ok = record_success(None, source_id="s1", now=NOW, etag='"e"', last_modified="lm")
    later = NOW + timedelta(minutes=5)
    failed = record_failure(
        ok, source_id="s1", now=later, error=TransientFetchError("HTTP 503", url="u")
    )
    failed = record_failure(failed, source_id="s1", now=later, error=TimeoutError())
    assert failed.consecutive_failures == 2
    assert failed.last_error_class == "TimeoutError"
    assert failed.last_error == "TimeoutError"  # an exception without a message
    assert (failed.etag, failed.last_modified) == ('"e"', "lm")
    assert failed.last_success_at == NOW
    assert failed.last_polled_at == later


def test_record_failure_from_nothing_and_long_messages() -> None:
    error = FeedParseError("not a feed: " + "x" * 5000, url="u")
    state = record_failure(None, source_id="s2", now=NOW, error=error)
    assert state.source_id == "s2"
    assert state.consecutive_failures == 1
    assert state.last_error_class == "FeedParseError"
    assert state.last_error is not None and len(state.last_error) == 500
    assert state.last_success_at is None


def test_success_after_failures_resets_the_health() -> None:
    failed = record_failure(None, source_id="s1", now=NOW, error=ValueError("boom"))
    state = record_success(failed, source_id="s1", now=NOW, etag=None, last_modified=None)
    assert state.consecutive_failures == 0
    assert state.last_error is None and state.last_error_class is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        record_success(None, source_id="s", now=datetime(2024, 1, 1), etag=None, last_modified=None)
    with pytest.raises(ValueError):
        record_failure(None, source_id="s", now=datetime(2024, 1, 1), error=ValueError())
