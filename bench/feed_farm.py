"""A local feed farm: thousands of RSS feeds over real article pages, on 127.0.0.1.

Feed ``/f{i}/feed.xml`` lists ``items`` articles ``/f{i}/a{j}.html``; every article
URL is distinct (so every one is a new document) and serves one of the bundled
real pages (``service/demo/pages``), round-robin. Runs in its own process so that
serving does not share the measured process's interpreter.
"""

from __future__ import annotations

import gzip
import multiprocessing
import socket
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGES_DIR = Path(__file__).resolve().parents[1] / "service" / "demo" / "pages"


def load_pages() -> list[bytes]:
    return [gzip.decompress(p.read_bytes()) for p in sorted(PAGES_DIR.glob("*.html.gz"))]


def page_for(feed: int, item: int, items: int, pages: list[bytes]) -> bytes:
    return pages[(feed * items + item) % len(pages)]


def create_farm(*, feeds: int, items: int) -> Starlette:
    pages = load_pages()

    async def feed(request: Request) -> Response:
        i = int(request.path_params["feed"])
        if i >= feeds:
            return Response(status_code=404)
        base = f"http://{request.url.netloc}/f{i}"
        entries = "".join(
            f"<item><title>Story {i}-{j}</title><link>{base}/a{j}.html</link>"
            f"<guid>{base}/a{j}.html</guid><pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate>"
            "</item>"
            for j in range(items)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
        body += f"<link>{base}/</link>{entries}</channel></rss>"
        return Response(body.encode(), media_type="application/rss+xml")

    async def article(request: Request) -> Response:
        i, j = int(request.path_params["feed"]), int(request.path_params["item"])
        return Response(page_for(i, j, items, pages), media_type="text/html; charset=utf-8")

    return Starlette(
        routes=[
            Route("/f{feed:int}/feed.xml", feed),
            Route("/f{feed:int}/a{item:int}.html", article),
        ]
    )


def _serve(sock: socket.socket, feeds: int, items: int) -> None:
    config = uvicorn.Config(
        create_farm(feeds=feeds, items=items), log_level="error", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def start_farm(*, feeds: int, items: int) -> tuple[str, multiprocessing.Process]:
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
