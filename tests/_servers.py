"""Real HTTP servers on 127.0.0.1 for tests: any ASGI app under uvicorn, in a thread.

The port is chosen by the OS (port 0), so tests never collide on fixed ports.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn


class _QuietServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns signals
        pass


def bind_port(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host`` on ``port`` (0: one the OS chooses), for ``serve_app``."""
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY on accepted connections only
    # then, and without it a request following another on a connection waits ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextlib.contextmanager
def serve_app(
    app: Any, *, host: str = "127.0.0.1", sock: socket.socket | None = None
) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL ``http://127.0.0.1:PORT``.

    ``sock``: a socket already bound (by ``bind_port``), for an app that must know its
    own URL before it starts; it is closed at the end.
    """
    if sock is None:
        sock = bind_port(host)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = _QuietServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
