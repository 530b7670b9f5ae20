"""The ``clarion`` command line.

Errors a user can cause (a bad config file, a port in use, a bad option) end with
a one-line message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError

from service._app import create_app
from service._runtime import ConfigFileError, Runtime
from service._settings import Settings

app = typer.Typer(
    name="clarion",
    help="Clarion: media monitoring and share of voice, self-hosted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Fixed, so that the demo's article URLs (and so document ids) stay the same across runs.
DEMO_SITE_PORT = 8401


def _fail(message: str) -> typer.Exit:
    typer.echo(f"clarion: {message}", err=True)
    return typer.Exit(2)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        fields = "; ".join(
            f"CLARION_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise _fail(f"invalid settings: {fields}") from None


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per HTTP request of the crawler is debug detail, not an operator's news.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))


async def _serve_all(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    async with asyncio.TaskGroup() as group:
        for server, sock in servers:
            group.create_task(server.serve(sockets=[sock]))


def _server(app: Any, level: str, *, access_log: bool = True) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(app, log_level=level, lifespan="on", access_log=access_log)
    )


@app.command()
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
    _configure_logging(settings.log_level)
    sock = _bind(settings.host, settings.port)
    bound = sock.getsockname()[1]
    typer.echo(f"Clarion API on http://{settings.host}:{bound}  (docs: /docs)")
    asyncio.run(_serve_all([(_server(create_app(settings), settings.log_level), sock)]))


@app.command()
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
    )
    _configure_logging(settings.log_level)
    api_sock = _bind(settings.host, settings.port)
    base = f"http://{settings.host}:{api_sock.getsockname()[1]}"
    typer.echo(
        "\n".join(
            [
                f"Clarion is starting on {base}",
                f"  API docs:       {base}/docs",
                f"  share of voice: {base}/v1/share-of-voice?brand=apple",
                f"  mentions:       {base}/v1/mentions?brand=apple",
                f"  demo publisher: {site_url}/ (real article pages, served locally)",
                f"  data:           {settings.database_path.resolve()}",
                "Press Ctrl+C to stop.",
            ]
        )
    )
    servers = [
        (_server(create_demo_site(), "warning", access_log=False), site_sock),
        (_server(create_app(settings), settings.log_level), api_sock),
    ]
    asyncio.run(_serve_all(servers))


@app.command()
def crawl(
    config: Annotated[
        Path | None, typer.Option(help="YAML brands and sources [CLARION_CONFIG_FILE]")
    ] = None,
) -> None:
    """Poll every enabled source once, ingest what is new, print what was done."""
    settings = _settings(config_file=config, crawl=False)
    _check_config(settings)
    _configure_logging(settings.log_level)

    async def once() -> dict[str, Any]:
        runtime = await Runtime.start(settings)
        try:
            stats = await runtime.pipeline.run_once()
            return {"documents_total": await runtime.store.count_documents(), **vars(stats)}
        finally:
            await runtime.stop()

    typer.echo(json.dumps(asyncio.run(once()), indent=2))


@app.command("train-sentiment")
def train_sentiment(
    out: Annotated[Path, typer.Option(help="output folder for the model")],
    data: Annotated[Path | None, typer.Option(help="folder with newsmtsc/ and sentfin/")] = None,
    epochs: Annotated[int | None, typer.Option(help="passes over the training data")] = None,
    seed: Annotated[int, typer.Option(help="random seed (the run is reproducible)")] = 13,
    max_train: Annotated[int | None, typer.Option(help="cap on training examples")] = None,
) -> None:
    """Fine-tune Clarion's target-aware sentiment classifier on the MiniLM encoder."""
    from enrichment._train import train_sentiment as train

    options: dict[str, Any] = {"out_dir": out, "seed": seed, "max_train": max_train}
    if data is not None:
        options["data_dir"] = data
    if epochs is not None:
        options["epochs"] = epochs
    report = train(**options)
    typer.echo(
        json.dumps(report if isinstance(report, dict) else vars(report), indent=2, default=str)
    )


@app.command()
def evaluate(
    model: Annotated[str | None, typer.Option(help="model id or path; default: shipped")] = None,
    data: Annotated[Path | None, typer.Option(help="folder with newsmtsc/ and sentfin/")] = None,
) -> None:
    """Print the sentiment model's accuracy on the held-out dev splits."""
    from enrichment import SentimentModel
    from enrichment._train import evaluate_sentiment

    loaded = SentimentModel.load(model)
    figures = evaluate_sentiment(loaded, data) if data else evaluate_sentiment(loaded)
    typer.echo(json.dumps(figures, indent=2, default=str))


sources_app = typer.Typer(help="Source lists: OPML import and export.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("import")
def sources_import(
    opml: Annotated[Path, typer.Argument(help="an OPML file (e.g. a feed reader's export)")],
    replace: Annotated[bool, typer.Option(help="replace sources whose id exists")] = False,
) -> None:
    """Add the feeds of an OPML file as sources (folders become channels where they name one)."""
    from crawlers import CrawlError, feed_outlines, parse_opml, source_from_outline
    from service._runtime import make_store

    try:
        outlines = feed_outlines(parse_opml(opml.read_bytes()))
    except OSError as exc:
        raise _fail(f"cannot read {opml}: {exc.strerror}") from None
    except CrawlError as exc:
        raise _fail(f"{opml} is not OPML: {exc}") from None
    settings = _settings()

    async def run() -> tuple[int, int]:
        store = make_store(settings)
        await store.open()
        added = skipped = 0
        try:
            for outline in outlines:
                source = source_from_outline(outline)
                if not replace and await store.get_source(source.id) is not None:
                    skipped += 1
                    continue
                await store.put_source(source)
                added += 1
        finally:
            await store.close()
        return added, skipped

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    added, skipped = asyncio.run(run())
    typer.echo(f"{added} source(s) imported, {skipped} existing left as they were")


@sources_app.command("export")
def sources_export(
    out: Annotated[
        Path | None, typer.Option(help="file to write; default: standard output")
    ] = None,
) -> None:
    """Write every source as OPML 2.0 (Clarion's fields kept in clarion:* attributes)."""
    from crawlers import write_opml
    from service._runtime import make_store

    settings = _settings()

    async def run() -> bytes:
        store = make_store(settings)
        await store.open()
        try:
            return write_opml(await store.list_sources(), title="Clarion sources")
        finally:
            await store.close()

    data = asyncio.run(run())
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)


def _check_config(settings: Settings) -> None:
    if settings.config_file is None:
        return
    from service._runtime import load_config_file

    try:
        load_config_file(settings.config_file)
    except ConfigFileError as exc:
        raise _fail(str(exc)) from None


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
