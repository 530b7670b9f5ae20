"""The ``clarion`` command line.

Errors a user can cause (a bad config file, a port in use, a bad option) end with
a one-line message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError

from service._app import create_app
from service._audit import record_change
from service._cli_backfill import backfill_command
from service._cli_brands import brands_app
from service._cli_keys import keys_app
from service._cli_run import progress, run_on_store
from service._logging import LogFormat, configure_logging
from service._migrate import Location
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


def _configure_logging(level: str, fmt: LogFormat = "text") -> None:
    configure_logging(level, fmt=fmt)


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
    _configure_logging(settings.log_level, settings.log_format)
    sock = _bind(settings.host, settings.port)
    bound = sock.getsockname()[1]
    typer.echo(f"Clarion API on http://{settings.host}:{bound}  (docs: /docs)")
    server = _server(create_app(settings), settings.log_level, fmt=settings.log_format)
    asyncio.run(_serve_all([(server, sock)]))


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
    asyncio.run(_serve_all(servers))


@app.command()
def crawl(
    config: Annotated[
        Path | None, typer.Option(help="YAML brands and sources [CLARION_CONFIG_FILE]")
    ] = None,
    continuous: Annotated[
        bool, typer.Option(help="keep polling each source on its schedule until Ctrl+C")
    ] = False,
) -> None:
    """Poll every enabled source once, ingest what is new, print what was done.

    With --continuous, run the ingest pipeline as `serve` does, without the API,
    until interrupted (Ctrl+C or SIGTERM), then print what was done.
    """
    settings = _settings(config_file=config, crawl=False)
    _check_config(settings)
    _configure_logging(settings.log_level, settings.log_format)

    async def once() -> dict[str, Any]:
        runtime = await Runtime.start(settings)
        try:
            if continuous:
                await _until_stopped(runtime.pipeline.run_forever())
                stats = runtime.pipeline.stats
            else:
                stats = await runtime.pipeline.run_once()
            return {"documents_total": await runtime.store.count_documents(), **vars(stats)}
        finally:
            await runtime.stop()

    typer.echo(json.dumps(asyncio.run(once()), indent=2))


async def _until_stopped(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` until it ends or SIGINT / SIGTERM arrives (then cancel it)."""
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


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
    quantize: Annotated[
        bool, typer.Option(help="int8 linear layers (CLARION_MODEL_QUANTIZE)")
    ] = False,
) -> None:
    """Print the sentiment model's accuracy on the held-out dev splits."""
    from enrichment import SentimentModel
    from enrichment._train import evaluate_sentiment

    loaded = SentimentModel.load(model, quantize=quantize)
    figures = evaluate_sentiment(loaded, data) if data else evaluate_sentiment(loaded)
    typer.echo(json.dumps(figures, indent=2, default=str))


sources_app = typer.Typer(help="Source lists: OPML import and export.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(keys_app, name="keys")
app.add_typer(brands_app, name="brands")
app.command("backfill")(backfill_command)


@sources_app.command("import")
def sources_import(
    opml: Annotated[Path, typer.Argument(help="an OPML file (e.g. a feed reader's export)")],
    replace: Annotated[bool, typer.Option(help="replace sources whose id exists")] = False,
) -> None:
    """Add the feeds of an OPML file as sources (folders become channels where they name one)."""
    from crawlers import CrawlError
    from service._opml_sources import ImportCounts, InvalidOutlines, import_sources
    from service._opml_sources import sources_from_opml as read_sources
    from service._runtime import make_store

    try:
        content = opml.read_bytes()
        sources = read_sources(content)
    except OSError as exc:
        raise _fail(f"cannot read {opml}: {exc.strerror}") from None
    except CrawlError as exc:
        raise _fail(f"{opml} is not OPML: {exc}") from None
    except InvalidOutlines as exc:
        raise _fail(f"{opml} has outlines that are not valid sources: {exc}") from None
    settings = _settings()

    async def run() -> ImportCounts:
        store = make_store(settings)
        await store.open()
        try:
            counts = await import_sources(store, sources, replace=replace)
            digest = sha256(content).hexdigest()
            upload = {"file": str(opml), "bytes": len(content), "sha256": digest}
            change = {"upload": upload, "result": dataclasses.asdict(counts)}
            await record_change(
                store, actor="cli", action="opml.import", target_type="source", change=change
            )
            return counts
        finally:
            await store.close()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    counts = asyncio.run(run())
    imported, left = counts.created + counts.updated, counts.unchanged + counts.kept
    typer.echo(f"{imported} source(s) imported, {left} existing left as they were")


@sources_app.command("export")
def sources_export(
    out: Annotated[
        Path | None, typer.Option(help="file to write; default: standard output")
    ] = None,
) -> None:
    """Write every source as OPML 2.0 (Clarion's fields kept in clarion:* attributes)."""
    from service._opml_sources import export_opml
    from service._runtime import make_store

    settings = _settings()

    async def run() -> bytes:
        store = make_store(settings)
        await store.open()
        try:
            return await export_opml(store)
        finally:
            await store.close()

    data = asyncio.run(run())
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="target: sqlite:PATH or http(s)://ES-URL")],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", help="source: sqlite:PATH or http(s)://ES-URL; default: CLARION_STORE"
        ),
    ] = None,
    from_prefix: Annotated[
        str | None, typer.Option(help="index prefix of an Elasticsearch source")
    ] = None,
    to_prefix: Annotated[
        str | None, typer.Option(help="index prefix of an Elasticsearch target")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="documents per batch")] = 500,
    checkpoint: Annotated[
        Path | None, typer.Option(help="checkpoint file; default: one per copy in CLARION_DATA_DIR")
    ] = None,
    stop_after_batches: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Copy everything (configuration, documents, mentions, aliases, traffic, alerts,
    deliveries, API keys, audit log, campaigns) into another store.

    Resumable: an interrupted run continues after the last batch it finished.
    Idempotent: documents already in the target are left as they are.
    """
    from service._migrate import LocationError, configured_location, parse_location

    settings = _settings()
    try:
        source = (
            configured_location(settings)
            if from_ is None
            else parse_location(from_, settings, prefix=from_prefix)
        )
        target = parse_location(to, settings, prefix=to_prefix)
    except LocationError as exc:
        raise _fail(str(exc)) from None
    _copy(settings, source, target, batch, checkpoint, stop_after_batches)


@app.command()
def reindex(
    prefix: Annotated[str, typer.Option(help="index prefix of the new index set")],
    batch: Annotated[int, typer.Option(min=1, max=1000, help="documents per batch")] = 500,
    checkpoint: Annotated[
        Path | None, typer.Option(help="checkpoint file; default: one per copy in CLARION_DATA_DIR")
    ] = None,
    stop_after_batches: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Rebuild the Elasticsearch indices with this version's mappings, under a new prefix.

    Copies the configured cluster's indices (CLARION_ES_INDEX_PREFIX) into new ones
    named PREFIX-*, resumably; the old ones are left untouched. Then set
    CLARION_ES_INDEX_PREFIX=PREFIX, restart, and delete the old indices when satisfied.
    """
    from service._migrate import LocationError, configured_location, parse_location

    settings = _settings()
    if settings.store != "elasticsearch" or settings.es_url is None:
        raise _fail("reindex needs CLARION_STORE=elasticsearch (use migrate for SQLite)")
    if prefix == settings.es_index_prefix:
        raise _fail(f"--prefix {prefix!r} is the current CLARION_ES_INDEX_PREFIX: pick a new one")
    try:
        target = parse_location(settings.es_url, settings, prefix=prefix)
    except LocationError as exc:
        raise _fail(str(exc)) from None
    _copy(settings, configured_location(settings), target, batch, checkpoint, stop_after_batches)
    typer.echo(
        f"next: set CLARION_ES_INDEX_PREFIX={prefix}, restart Clarion, then delete the "
        f"{settings.es_index_prefix}-* indices when satisfied",
        err=True,
    )


def _copy(
    settings: Settings,
    source: Location,
    target: Location,
    batch: int,
    checkpoint: Path | None,
    stop_after_batches: int | None,
) -> None:
    from search import CopyError, StoreError, copy_store
    from service._migrate import checkpoint_path

    if source.name == target.name:
        raise _fail(f"source and target are the same store ({source.name})")
    identity = f"{source.name} -> {target.name}"
    path = checkpoint or checkpoint_path(settings, identity)
    path.parent.mkdir(parents=True, exist_ok=True)
    _configure_logging("warning", settings.log_format)

    async def run() -> dict[str, Any]:
        src, dst = source.store(), target.store()
        await src.open()
        try:
            await dst.open()
            try:
                with progress(await src.count_documents()) as advance:
                    stats = await copy_store(
                        src,
                        dst,
                        checkpoint=path,
                        identity=identity,
                        batch=batch,
                        on_batch=advance,
                        stop_after_batches=stop_after_batches,
                    )
            finally:
                await dst.close()
        finally:
            await src.close()
        return {
            "from": source.name,
            "to": target.name,
            "complete": stats.complete,
            "checkpoint": None if stats.complete else str(path),
            "resumed_phase": stats.resumed_phase,
            "resumed_after": stats.resumed_after,
            **stats.summary(),
        }

    try:
        report = asyncio.run(run())
    except (CopyError, StoreError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(report, indent=2))


@app.command()
def retention(
    days: Annotated[
        int | None, typer.Option(min=1, help="keep this many days [CLARION_RETENTION_DAYS]")
    ] = None,
) -> None:
    """Delete documents and mentions counted more than DAYS days ago, now."""
    from service._retention import apply_retention, retention_cutoff

    settings = _settings(retention_days=days)
    keep = settings.retention_days
    if keep is None:
        raise _fail("nothing to do: pass --days or set CLARION_RETENTION_DAYS")
    _configure_logging(settings.log_level, settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    cutoff = retention_cutoff(keep, now=now)

    deleted = run_on_store(settings, lambda store: apply_retention(store, keep, now=now))
    typer.echo(json.dumps({"cutoff": cutoff.isoformat(), "documents_deleted": deleted}))


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
