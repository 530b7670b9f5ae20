"""A deliberately misbehaving publisher for fetcher tests, served by uvicorn on 127.0.0.1.

Every endpoint takes a ``{token}`` so each test has its own counters. The server
records when each request arrived (``time.monotonic``, server side) so politeness
can be asserted from what the server saw.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests._servers import serve_app

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Misbehaving News</title><link>/</link>
<item><title>First</title><link>/articles/1?utm_source=rss</link>
<pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><title>Second</title><link>/articles/2</link></item>
</channel></rss>"""
ETAG = '"feed-v1"'
LAST_MODIFIED = "Tue, 02 Jan 2024 10:00:00 GMT"
BOMB_BYTES = 5 * 1024 * 1024  # what the gzip bomb inflates to; its body is ~5 KB


@dataclass
class Recorder:
    """What the server saw: request arrival times and headers, by (path kind, token)."""

    arrivals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    headers: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))

    def see(self, key: str, request: Request) -> int:
        self.arrivals[key].append(time.monotonic())
        self.headers[key].append(dict(request.headers))
        return len(self.arrivals[key])


def create_app(recorder: Recorder) -> Starlette:
    def key(request: Request) -> str:
        return f"{request.url.path.split('/')[1]}:{request.path_params['token']}"

    async def feed(request: Request) -> Response:
        recorder.see(key(request), request)
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("if-none-match") == ETAG:
            return Response(status_code=304, headers=validators)
        if request.headers.get("if-modified-since") == LAST_MODIFIED:
            return Response(status_code=304, headers={"Last-Modified": LAST_MODIFIED})
        return Response(FEED, media_type="application/rss+xml", headers=validators)

    async def limited(request: Request) -> Response:
        if recorder.see(key(request), request) == 1:
            return Response("slow down", status_code=429, headers={"Retry-After": "1"})
        return Response(b"ok")

    async def limited_long(request: Request) -> Response:
        recorder.see(key(request), request)
        return Response("come back tomorrow", status_code=429, headers={"Retry-After": "86400"})

    async def unavailable(request: Request) -> Response:
        recorder.see(key(request), request)
        return Response("down", status_code=503)

    async def flaky(request: Request) -> Response:
        if recorder.see(key(request), request) <= 2:
            return Response("down", status_code=503)
        return Response(b"recovered")

    async def missing(request: Request) -> Response:
        recorder.see(key(request), request)
        return Response("gone", status_code=404)

    async def slow(request: Request) -> Response:
        recorder.see(key(request), request)
        await asyncio.sleep(2)
        return Response(b"too late")

    async def loop(request: Request) -> Response:
        recorder.see(key(request), request)
        other = "loop-b" if request.url.path.startswith("/loop-a") else "loop-a"
        return RedirectResponse(f"/{other}/{request.path_params['token']}", status_code=302)

    async def chain(request: Request) -> Response:
        recorder.see(key(request), request)
        hops = int(request.path_params["hops"])
        if hops == 0:
            return Response(b"arrived")
        target = f"/chain/{request.path_params['token']}/{hops - 1}"
        return RedirectResponse(target, status_code=301 if hops % 2 else 308)

    async def big(request: Request) -> Response:
        recorder.see(key(request), request)

        async def stream() -> AsyncIterator[bytes]:  # no Content-Length: must be counted
            for _ in range(64):
                yield b"x" * 32 * 1024

        return StreamingResponse(stream(), media_type="text/html")

    async def big_declared(request: Request) -> Response:
        recorder.see(key(request), request)
        return Response(b"y" * 3 * 1024 * 1024, media_type="text/html")

    async def bomb(request: Request) -> Response:
        recorder.see(key(request), request)
        body = gzip.compress(b"\0" * BOMB_BYTES)
        return Response(body, headers={"Content-Encoding": "gzip"}, media_type="text/html")

    async def gzipped(request: Request) -> Response:
        recorder.see(key(request), request)
        body = gzip.compress(FEED)
        return Response(body, headers={"Content-Encoding": "gzip"}, media_type="text/xml")

    async def stamp(request: Request) -> Response:
        recorder.see(key(request), request)
        return Response(b"stamped")

    async def redirect(request: Request) -> Response:
        recorder.see(key(request), request)
        return RedirectResponse(request.query_params["to"], status_code=302)

    return Starlette(
        routes=[
            Route("/feed/{token}", feed),
            Route("/limited/{token}", limited),
            Route("/limited-long/{token}", limited_long),
            Route("/unavailable/{token}", unavailable),
            Route("/flaky/{token}", flaky),
            Route("/missing/{token}", missing),
            Route("/slow/{token}", slow),
            Route("/loop-a/{token}", loop),
            Route("/loop-b/{token}", loop),
            Route("/chain/{token}/{hops}", chain),
            Route("/big/{token}", big),
            Route("/big-declared/{token}", big_declared),
            Route("/bomb/{token}", bomb),
            Route("/gzipped/{token}", gzipped),
            Route("/stamp/{token}", stamp),
            Route("/redirect/{token}", redirect),
        ]
    )


@dataclass
class Publisher:
    base: str
    recorder: Recorder

    def seen(self, kind: str, token: str) -> list[float]:
        return self.recorder.arrivals[f"{kind}:{token}"]

    def headers(self, kind: str, token: str) -> list[dict[str, str]]:
        return self.recorder.headers[f"{kind}:{token}"]


@pytest.fixture(scope="module")
def publisher() -> Iterator[Publisher]:
    recorder = Recorder()
    with serve_app(create_app(recorder)) as base:
        yield Publisher(base=base, recorder=recorder)


@pytest.fixture
def token() -> str:
    """A per-test path segment, so counters never mix between tests."""
    return uuid.uuid4().hex
