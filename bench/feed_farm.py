"""A local feed farm: thousands of RSS feeds over real article pages, on 127.0.0.1.

Feed ``/f{i}/feed.xml`` lists ``items`` articles ``/f{i}/a{j}.html``; every article
URL is distinct (so every one is a new document) and serves one of the bundled
real pages (``service/demo/pages``), round-robin. Runs in its own process so that
serving does not share the measured process's interpreter.
"""

from __future__ import annotations

import gzip
import multiprocessing
import re
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

PAGES_DIR = Path(__file__).resolve().parents[1] / "service" / "demo" / "pages"


def load_pages() -> list[bytes]:
    return [gzip.decompress(p.read_bytes()) for p in sorted(PAGES_DIR.glob("*.html.gz"))]


def page_for(feed: int, item: int, items: int, pages: list[bytes]) -> bytes:
    return pages[(feed * items + item) % len(pages)]


_PATH = re.compile(r"/f(\d+)/(?:feed\.xml|a(\d+)\.html)")
_NOT_FOUND = {"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]}


def create_farm(*, feeds: int, items: int) -> Callable[..., Awaitable[None]]:
    """The farm as a bare ASGI app: the least CPU per request, since the farm shares
    the measured machine's cores (routing and response objects would cost more
    than the pipeline's own fetch of the page)."""
    pages = load_pages()

    def feed(i: int, netloc: str) -> bytes:
        base = f"http://{netloc}/f{i}"
        entries = "".join(
            f"<item><title>Story {i}-{j}</title><link>{base}/a{j}.html</link>"
            f"<guid>{base}/a{j}.html</guid><pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate>"
            "</item>"
            for j in range(items)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
        return (body + f"<link>{base}/</link>{entries}</channel></rss>").encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        found = _PATH.fullmatch(scope["path"])
        if found is None or int(found[1]) >= feeds:
            await send(_NOT_FOUND)
            await send({"type": "http.response.body", "body": b""})
            return
        i, item = int(found[1]), found[2]
        if item is None:
            host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
            body, kind = feed(i, host), b"application/rss+xml"
        else:
            body, kind = page_for(i, int(item), items, pages), b"text/html; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _serve(sock: socket.socket, feeds: int, items: int) -> None:
    config = uvicorn.Config(
        create_farm(feeds=feeds, items=items), log_level="error", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def start_farm(*, feeds: int, items: int) -> tuple[str, multiprocessing.process.BaseProcess]:
    """Start the farm in a child process; returns its base URL and the process."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    context = multiprocessing.get_context("fork")  # called before any model or thread loads
    process = context.Process(target=_serve, args=(sock, feeds, items), daemon=True)
    process.start()
    sock.close()  # the child has its own copy
    return f"http://127.0.0.1:{port}", process
