"""Fetcher against a real misbehaving server (conftest.py) and raw sockets that break HTTP."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from crawlers import (
    FetchConfig,
    Fetcher,
    FetchError,
    PermanentFetchError,
    TransientFetchError,
)
from tests.crawlers.conftest import BOMB_BYTES, ETAG, FEED, LAST_MODIFIED, Publisher

# Small numbers so the suite is fast; politeness is tested with its own values.
FAST = FetchConfig(
    user_agent="Clarion-test/0 (+https://example.invalid/contact)",
    connect_timeout=2.0,
    read_timeout=0.3,
    total_timeout=5.0,
    max_bytes=1024 * 1024,
    max_redirects=5,
    per_host_interval=0.0,
    per_host_concurrency=8,
    retries=2,
    backoff_base=0.01,
    backoff_cap=0.05,
    retry_after_cap=5.0,
)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(config=FAST) as f:
        yield f


async def test_ok_response_and_user_agent(fetcher: Fetcher, publisher: Publisher, token: str):
    result = await fetcher.get(f"{publisher.base}/feed/{token}")
    assert result.status == 200
    assert result.content == FEED
    assert not result.not_modified
    assert result.etag == ETAG
    assert result.last_modified == LAST_MODIFIED
    assert result.headers["content-type"].startswith("application/rss+xml")
    sent = publisher.headers("feed", token)[0]
    assert sent["user-agent"] == FAST.user_agent
    assert "if-none-match" not in sent


async def test_conditional_get_with_etag_gives_not_modified(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    url = f"{publisher.base}/feed/{token}"
    first = await fetcher.get(url)
    second = await fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified
    assert second.status == 304
    assert second.content == b""
    assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
    sent = publisher.headers("feed", token)[1]
    assert sent["if-none-match"] == ETAG
    assert sent["if-modified-since"] == LAST_MODIFIED


async def test_conditional_get_keeps_validators_the_304_does_not_repeat(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    result = await fetcher.get(f"{publisher.base}/feed/{token}", last_modified=LAST_MODIFIED)
    assert result.not_modified
    assert result.etag is None
    assert result.last_modified == LAST_MODIFIED


async def test_429_with_retry_after_is_waited_out_then_succeeds(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    result = await fetcher.get(f"{publisher.base}/limited/{token}")
    assert result.content == b"ok"
    first, second = publisher.seen("limited", token)
    assert second - first >= 0.95  # Retry-After: 1, measured by the server


async def test_retry_after_beyond_the_cap_is_handed_back_at_once(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    with pytest.raises(TransientFetchError) as info:
        await fetcher.get(f"{publisher.base}/limited-long/{token}")
    assert info.value.status == 429
    assert info.value.retry_after == 86400
    assert len(publisher.seen("limited-long", token)) == 1


async def test_503_is_retried_until_it_recovers(fetcher: Fetcher, publisher: Publisher, token: str):
    result = await fetcher.get(f"{publisher.base}/flaky/{token}")
    assert result.content == b"recovered"
    assert len(publisher.seen("flaky", token)) == 3


async def test_503_gives_transient_error_once_retries_are_exhausted(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    with pytest.raises(TransientFetchError) as info:
        await fetcher.get(f"{publisher.base}/unavailable/{token}")
    assert info.value.status == 503
    assert info.value.retry_after is None
    assert len(publisher.seen("unavailable", token)) == 1 + FAST.retries


async def test_404_is_permanent_and_not_retried(fetcher: Fetcher, publisher: Publisher, token: str):
    with pytest.raises(PermanentFetchError) as info:
        await fetcher.get(f"{publisher.base}/missing/{token}")
    assert info.value.status == 404
    assert len(publisher.seen("missing", token)) == 1


async def test_slow_response_times_out_as_transient(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    with pytest.raises(TransientFetchError, match="timeout"):
        await fetcher.get(f"{publisher.base}/slow/{token}")
    assert len(publisher.seen("slow", token)) == 1 + FAST.retries


async def test_redirects_are_followed_to_the_final_url(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    result = await fetcher.get(f"{publisher.base}/chain/{token}/3")
    assert result.content == b"arrived"
    assert result.url == f"{publisher.base}/chain/{token}/0"


async def test_too_many_redirects_is_permanent(fetcher: Fetcher, publisher: Publisher, token: str):
    with pytest.raises(PermanentFetchError, match="redirects"):
        await fetcher.get(f"{publisher.base}/chain/{token}/{FAST.max_redirects + 1}")


async def test_redirect_loop_is_permanent(fetcher: Fetcher, publisher: Publisher, token: str):
    with pytest.raises(PermanentFetchError, match="redirects"):
        await fetcher.get(f"{publisher.base}/loop-a/{token}")
    hops = len(publisher.seen("loop-a", token)) + len(publisher.seen("loop-b", token))
    assert hops == FAST.max_redirects + 1


async def test_streamed_body_over_the_cap_is_permanent(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    with pytest.raises(PermanentFetchError, match="cap"):
        await fetcher.get(f"{publisher.base}/big/{token}")


async def test_declared_body_over_the_cap_is_refused_before_reading(
    fetcher: Fetcher, publisher: Publisher, token: str
):
    with pytest.raises(PermanentFetchError, match="3145728 bytes"):
        await fetcher.get(f"{publisher.base}/big-declared/{token}")


async def test_gzip_bomb_is_stopped_at_the_cap(fetcher: Fetcher, publisher: Publisher, token: str):
    assert BOMB_BYTES > FAST.max_bytes
    with pytest.raises(PermanentFetchError, match="decoded"):
        await fetcher.get(f"{publisher.base}/bomb/{token}")


async def test_gzip_body_is_decoded(fetcher: Fetcher, publisher: Publisher, token: str):
    result = await fetcher.get(f"{publisher.base}/gzipped/{token}")
    assert result.content == FEED


async def test_per_host_interval_spaces_request_starts(publisher: Publisher, token: str):
    interval = 0.2
    config = FetchConfig(per_host_interval=interval, per_host_concurrency=2, retries=0)
    url = f"{publisher.base}/stamp/{token}"
    async with Fetcher(config=config) as fetcher:
        await asyncio.gather(*(fetcher.get(url) for _ in range(4)))
    arrivals = sorted(publisher.seen("stamp", token))
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(arrivals) == 4
    assert min(gaps) >= interval * 0.9  # server-side arrival times; jitter of a few ms


async def test_per_host_interval_does_not_delay_other_hosts(publisher: Publisher, token: str):
    """127.0.0.1 and localhost are two hosts: a wait on one leaves the other free."""
    config = FetchConfig(per_host_interval=0.5, retries=0, max_connections=1)
    slow_host = f"{publisher.base}/stamp/{token}-a"
    other_host = publisher.base.replace("127.0.0.1", "localhost") + f"/stamp/{token}-b"
    async with Fetcher(config=config) as fetcher:
        await asyncio.gather(
            fetcher.get(slow_host), fetcher.get(slow_host), fetcher.get(other_host)
        )
    first_a, second_a = publisher.seen("stamp", f"{token}-a")
    (only_b,) = publisher.seen("stamp", f"{token}-b")
    assert second_a - first_a >= 0.45
    assert only_b < second_a  # not queued behind host a's interval


async def test_blocked_private_address_is_permanent(publisher: Publisher, token: str):
    config = FetchConfig(block_private_addresses=True, retries=0)
    async with Fetcher(config=config) as fetcher:
        with pytest.raises(PermanentFetchError, match=r"loopback address 127\.0\.0\.1"):
            await fetcher.get(f"{publisher.base}/stamp/{token}")
    assert publisher.seen("stamp", token) == []


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "not a url", "http:///nohost"])
async def test_unusable_urls_are_permanent(fetcher: Fetcher, url: str):
    with pytest.raises(PermanentFetchError):
        await fetcher.get(url)


# -- raw sockets: faults a well-behaved HTTP server never produces ---------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def raw_server(handler: Handler) -> tuple[asyncio.Server, str]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/"


async def test_connection_dropped_before_response_is_transient(fetcher: Fetcher):
    hits = 0

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal hits
        hits += 1

    server, url = await raw_server(drop)
    async with server:
        with pytest.raises(TransientFetchError):
            await fetcher.get(url)
    assert hits == 2 * (1 + FAST.retries)  # aiohttp sends each attempt again once at once


async def test_truncated_body_is_transient(fetcher: Fetcher):
    async def truncate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        await writer.drain()

    server, url = await raw_server(truncate)
    async with server:
        with pytest.raises(TransientFetchError):
            await fetcher.get(url)


async def test_never_ending_trickle_hits_the_total_timeout():
    config = FetchConfig(read_timeout=1.0, total_timeout=0.5, retries=0)

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # one byte well inside the read timeout, forever
            writer.write(b"1\r\nx\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)

    server, url = await raw_server(trickle)
    async with server, Fetcher(config=config) as fetcher:
        with pytest.raises(TransientFetchError, match="no complete response"):
            await fetcher.get(url)


async def test_corrupt_gzip_is_permanent(fetcher: Fetcher):
    async def corrupt(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = b"\x1f\x8b\x08\x00garbage-not-deflate"
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()

    server, url = await raw_server(corrupt)
    async with server:
        with pytest.raises(PermanentFetchError, match="corrupt gzip"):
            await fetcher.get(url)


async def test_connection_refused_is_transient(fetcher: Fetcher):
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientFetchError):
        await fetcher.get(f"http://127.0.0.1:{port}/")


async def test_network_errors_are_retried_until_the_server_answers(fetcher: Fetcher):
    hits = 0

    async def flaky(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal hits
        hits += 1
        if hits > 3:  # the first attempt (sent twice by aiohttp) and our first retry drop
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine")
            await writer.drain()

    server, url = await raw_server(flaky)
    async with server:
        result = await fetcher.get(url)
    assert result.content == b"fine"
    assert hits == 4


async def test_unsupported_content_encoding_is_permanent(fetcher: Fetcher):
    async def brotli(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\n\x00")
        await writer.drain()

    server, url = await raw_server(brotli)
    async with server:
        with pytest.raises(PermanentFetchError, match="Content-Encoding"):
            await fetcher.get(url)


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",  # not HTTP at all
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",  # a broken header
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100_000 + b"\r\n\r\n",  # a header without end
    ],
    ids=["not-http", "bad-content-length", "endless-header"],
)
async def test_only_fetch_errors_escape(fetcher: Fetcher, reply: bytes):
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(reply)
        await writer.drain()

    server, url = await raw_server(garbage)
    async with server:
        with pytest.raises(FetchError):
            await fetcher.get(url)


async def test_fetcher_outside_its_context_refuses():
    with pytest.raises(RuntimeError):
        await Fetcher(config=FAST).get("https://news.example.com/a")


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        FetchConfig(max_bytes=0)
    with pytest.raises(ValueError):
        FetchConfig(retries=-1)
