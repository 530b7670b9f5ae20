"""``clarion serve`` and ``clarion demo``: the API (and pipeline) under uvicorn.

Each command binds its own sockets (``_bind``) before starting anything, so that a
port in use ends the command with one line on stderr and exit code 2, and hands
them to uvicorn servers run side by side in one task group (``_serve_all``): the
API, and for ``demo`` a local publisher site serving the bundled articles on a
fixed port (``DEMO_SITE_PORT``). With ``CLARION_LOG_FORMAT=json`` uvicorn's own
logging configuration is left out, so its loggers reach the root handler.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from service._app import create_app
from service._cli_run import _check_config, _configure_logging, _fail, _settings
from service._logging import LogFormat
from service._runtime import run_event_loop

__all__ = ["DEMO_SITE_PORT", "demo", "serve"]

# Fixed, so that the demo's article URLs (and so document ids) stay the same across runs.
DEMO_SITE_PORT = 8401


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket says TCP, and without it every keep-alive request after the first waited
    # ~40 ms for a delayed ACK (Nagle), measured with load_tests/ (BENCHMARKS.md).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


async def _serve_all(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    async with asyncio.TaskGroup() as group:
        for server, sock in servers:
            group.create_task(server.serve(sockets=[sock]))


def _server(
    app: Any, level: str, *, access_log: bool = True, fmt: LogFormat = "text"
) -> uvicorn.Server:
    # JSON: uvicorn's loggers propagate to the root handler (configure_logging) as is.
    extra: dict[str, Any] = {"log_config": None} if fmt == "json" else {}
    return uvicorn.Server(
        uvicorn.Config(app, log_level=level, lifespan="on", access_log=access_log, **extra)
    )


def serve(
    host: Annotated[str | None, typer.Option(help="listen address [CLARION_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="listen port [CLARION_PORT]")] = None,
    config: Annotated[
        Path | None, typer.Option(help="YAML brands and sources [CLARION_CONFIG_FILE]")
    ] = None,
) -> None:
    """Run the API (and the ingest pipeline, unless CLARION_CRAWL=false)."""
    settings = _settings(host=host, port=port, config_file=config)
    _check_config(settings)
    _configure_logging(settings.log_level, settings.log_format)
    sock = _bind(settings.host, settings.port)
    bound = sock.getsockname()[1]
    typer.echo(f"Clarion API on http://{settings.host}:{bound}  (docs: /docs)")
    server = _server(create_app(settings), settings.log_level, fmt=settings.log_format)
    run_event_loop(_serve_all([(server, sock)]))


def demo(
    port: Annotated[int, typer.Option(help="API port")] = 8400,
    site_port: Annotated[int, typer.Option(help="demo publisher site port")] = DEMO_SITE_PORT,
    data_dir: Annotated[Path, typer.Option(help="where the demo's store lives")] = Path(".demo"),
) -> None:
    """Run Clarion on bundled real articles, served by a local demo publisher site."""
    import yaml

    from service._demo_site import create_demo_site, demo_config

    site_sock = _bind("127.0.0.1", site_port)
    site_url = f"http://127.0.0.1:{site_sock.getsockname()[1]}"
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "clarion-demo.yaml"
    config_path.write_text(yaml.safe_dump(demo_config(site_url), sort_keys=False), "utf-8")
    settings = _settings(
        host="127.0.0.1",
        port=port,
        data_dir=data_dir,
        config_file=config_path,
        poll_interval=60.0,
        per_host_interval=0.0,
        allow_networks=["127.0.0.1/32"],
        per_host_concurrency=8,
        auth="off",  # a laptop demo on 127.0.0.1: no keys to make first (logged at start)
    )
    _configure_logging(settings.log_level, settings.log_format)
    api_sock = _bind(settings.host, settings.port)
    base = f"http://{settings.host}:{api_sock.getsockname()[1]}"
    typer.echo(
        "\n".join(
            [
                f"Clarion is starting on {base}",
                f"  dashboard:      {base}/dashboard/",
                f"  API docs:       {base}/docs",
                f"  share of voice: {base}/v1/share-of-voice?brand=apple",
                f"  mentions:       {base}/v1/mentions?brand=apple",
                f"  demo publisher: {site_url}/ (real article pages, served locally)",
                f"  data:           {settings.database_path.resolve()}",
                "  access:         no API keys (CLARION_AUTH=off; listening on 127.0.0.1 only)",
                "Press Ctrl+C to stop.",
            ]
        )
    )
    servers = [
        (
            _server(create_demo_site(), "warning", access_log=False, fmt=settings.log_format),
            site_sock,
        ),
        (_server(create_app(settings), settings.log_level, fmt=settings.log_format), api_sock),
    ]
    run_event_loop(_serve_all(servers))
