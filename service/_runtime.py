"""What a running Clarion owns: the store, the model, the fetcher, the pipeline.

``Runtime.start`` builds everything heavy (never at import time) and
``Runtime.stop`` releases it; the API's lifespan and the CLI both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
from collections.abc import Coroutine
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from crawlers import (
    FetchConfig,
    Fetcher,
    hub_client,
    load_public_suffix_list,
    warm_extraction,
)
from enrichment import (
    Enricher,
    MessageFinder,
    SentenceEncoder,
    SentimentModel,
    load_language_model,
)
from search import SQLiteStore, Store
from service._alerting import Alerting
from service._pipeline import IngestPipeline
from service._schemas_config import ConfigFile
from service._settings import Settings
from service._websub import WebSubManager

log = logging.getLogger("clarion")


class ConfigFileError(Exception):
    """The config file is missing, not YAML, or fails validation (message names the field)."""


def load_config_file(path: Path) -> ConfigFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigFileError(f"cannot read config file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"config file {path} is not valid YAML: {exc}") from exc
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigFileError(f"config file {path}: {problems}") from exc


def make_store(settings: Settings) -> Store:
    """The store the settings name (not opened yet)."""
    if settings.store == "elasticsearch":
        from search import ElasticsearchConfig, ElasticsearchStore

        assert settings.es_url is not None  # the settings validator requires it
        config = ElasticsearchConfig(
            url=settings.es_url,
            api_key=settings.es_api_key.get_secret_value() if settings.es_api_key else None,
            username=settings.es_username,
            password=settings.es_password.get_secret_value() if settings.es_password else None,
            ca_certs=str(settings.es_ca_certs) if settings.es_ca_certs else None,
            verify_certs=settings.es_verify_certs,
            request_timeout=settings.es_request_timeout,
        )
        return ElasticsearchStore(
            config, index_prefix=settings.es_index_prefix, refresh=settings.es_refresh
        )
    return SQLiteStore(settings.database_path)


T = TypeVar("T")


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a long-lived command (``serve``, ``demo``, ``crawl``) to its end on uvloop,
    or on asyncio's own loop where uvloop is not installed (it is not built for
    Windows). uvloop's loop costs the crawling process less CPU per article
    (BENCHMARKS.md, "Ingest").
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def fetch_config(settings: Settings) -> FetchConfig:
    return FetchConfig(
        user_agent=f"Clarion/0.1 (+{settings.contact_url})",
        max_connections=settings.fetch_concurrency,
        per_host_concurrency=settings.per_host_concurrency,
        per_host_interval=settings.per_host_interval,
        block_private_addresses=settings.block_private_addresses,
        allow_networks=tuple(settings.allow_networks),
    )


async def load_models(settings: Settings) -> tuple[SentimentModel, MessageFinder]:
    """The configured sentiment model and the key-message finder that shares it.

    The model loads in a worker thread (it reads files and may download them when
    ``model_downloads`` allows), beside the language identifier (about a second,
    which would otherwise fall on the first documents) and the Public Suffix List
    (registrable domains, 0.05-0.1 s); the finder's sentence
    encoder loads lazily, on the first document that needs it. The API process
    and ``clarion backfill`` both use this, so both enrich with the same model
    settings.
    """
    model, *_ = await asyncio.gather(
        asyncio.to_thread(
            SentimentModel.load,
            settings.sentiment_model,
            threads=settings.model_threads,
            batch_size=settings.model_batch_size,
            local_files_only=not settings.model_downloads,
            quantize=settings.model_quantize,
        ),
        asyncio.to_thread(load_language_model),
        asyncio.to_thread(load_public_suffix_list),
    )
    messages = MessageFinder(
        functools.partial(
            SentenceEncoder.load,
            threads=settings.model_threads,
            local_files_only=not settings.model_downloads,
        ),
        sentiment=model,
    )
    return model, messages


async def _start_websub(
    settings: Settings, store: Store, exit_stack: contextlib.AsyncExitStack
) -> WebSubManager | None:
    """The WebSub subscription manager, started, when ``public_url`` is set; else None."""
    if not settings.public_url:
        return None
    client = await exit_stack.enter_async_context(
        hub_client(
            user_agent=fetch_config(settings).user_agent,
            block_private_addresses=settings.block_private_addresses,
            allow_networks=settings.allow_networks,
        )
    )
    websub = WebSubManager(
        store=store,
        client=client,
        public_url=settings.public_url,
        lease_seconds=settings.websub_lease_seconds,
        safety_poll_interval=settings.websub_safety_poll_interval,
        shard=settings.crawl_shard,
    )
    await websub.start()
    exit_stack.push_async_callback(websub.stop)
    return websub


@dataclass(kw_only=True)
class Runtime:
    settings: Settings
    store: Store
    model: SentimentModel
    enricher: Enricher
    fetcher: Fetcher
    pool: ProcessPoolExecutor
    pipeline: IngestPipeline
    crawl_task: asyncio.Task[None] | None = None
    retention_task: asyncio.Task[None] | None = None
    websub: WebSubManager | None = None  # WebSub push, when CLARION_PUBLIC_URL is set
    messages: MessageFinder | None = None  # key messages, shared with /v1/analyze
    alerting: Alerting | None = None  # alert rules and webhook deliveries (issue 7)
    _exit: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @classmethod
    async def start(cls, settings: Settings, *, store: Store | None = None) -> Runtime:
        """Build everything; ``store`` replaces the one the settings name (tests inject one)."""
        config = load_config_file(settings.config_file) if settings.config_file else None
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        exit_stack = contextlib.AsyncExitStack()
        try:
            store = store if store is not None else make_store(settings)
            await store.open()
            exit_stack.push_async_callback(store.close)
            if config is not None:
                for brand in config.brands:
                    await store.put_brand(brand.to_brand())
                for source in config.sources:
                    await store.put_source(source.to_source())
            model, messages = await load_models(settings)
            enricher = Enricher(
                brands=await store.list_brands(), sentiment=model, messages=messages
            )
            # spawn, not fork: the parent holds torch's threads, which fork does not survive.
            # Each worker does its one-time set-up as it starts (``warm_extraction``).
            pool = ProcessPoolExecutor(
                settings.extract_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=warm_extraction if settings.extract_warm_up else None,
            )
            exit_stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            fetcher = await exit_stack.enter_async_context(Fetcher(config=fetch_config(settings)))
            websub = await _start_websub(settings, store, exit_stack)
            alerting = await Alerting.build(settings, store, exit_stack)
            pipeline = IngestPipeline(
                store=store,
                enricher=enricher,
                fetcher=fetcher,
                extract_pool=pool,
                fetch_concurrency=settings.fetch_concurrency,
                poll_concurrency=settings.poll_concurrency,
                # Two pages per worker: one extracted, one waiting behind it, so a
                # worker never idles while the event loop hands it the next page.
                extract_concurrency=2 * settings.extract_workers,
                enrich_concurrency=settings.enrich_workers,
                queue_size=settings.queue_size,
                poll_interval=settings.poll_interval,
                max_poll_interval=settings.max_poll_interval,
                max_failures=settings.max_failures,
                shard=settings.crawl_shard,
                poll_listener=websub.polled if websub is not None else None,
                on_stored=alerting.engine.on_stored,
            )
        except BaseException:
            await exit_stack.aclose()
            raise
        return cls(
            settings=settings,
            store=store,
            model=model,
            enricher=enricher,
            fetcher=fetcher,
            pool=pool,
            pipeline=pipeline,
            websub=websub,
            alerting=alerting,
            messages=messages,
            _exit=exit_stack,
        )

    def start_crawling(self) -> None:
        self.crawl_task = asyncio.create_task(self._crawl(), name="clarion-crawl")

    def start_retention(self) -> None:
        """Run retention in the background when ``CLARION_RETENTION_DAYS`` is set."""
        if self.settings.retention_days is not None:
            from service._retention import retention_forever

            self.retention_task = asyncio.create_task(
                retention_forever(self.store, self.settings.retention_days),
                name="clarion-retention",
            )

    async def _crawl(self) -> None:
        try:
            await self.pipeline.run_forever()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("ingest pipeline stopped")
            raise

    def crawl_failure(self) -> str | None:
        """Why the ingest pipeline is not running, when it should be."""
        task = self.crawl_task
        if task is None or not task.done() or task.cancelled():
            return None
        exc = task.exception()
        return f"ingest pipeline stopped: {type(exc).__name__}: {exc}" if exc else "ingest stopped"

    async def refresh_brands(self) -> None:
        """Enrich new documents with the brands as they are now in the store."""
        self.enricher.set_brands(await self.store.list_brands())

    async def stop(self) -> None:
        for task in (self.crawl_task, self.retention_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # a pipeline that died was logged by _crawl and is reported by /readyz
        await self._exit.aclose()
