"""``clarion backfill``: re-enrich stored documents after a model or query change.

The command builds the enricher as the API process does (the configured sentiment
model and key-message encoder, the brands in the store) and runs
``service._backfill.backfill`` with a progress bar on stderr and a JSON report on
stdout. The checkpoint (default ``<data_dir>/backfill.checkpoint.json``) makes an
interrupted run (Ctrl+C, a crash) continue where it stopped when the same command
is run again. Errors end with one line on stderr and exit code 2.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from search import StoreError
from service._backfill import BACKFILL_BATCH

__all__ = ["backfill_command"]


def _since(value: str | None) -> datetime | None:
    from service._cli import _fail

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--since {value!r}: use an ISO date or time (2026-05-01)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def backfill_command(
    brand: Annotated[
        list[str] | None,
        typer.Option(help="recompute only this brand's mentions; repeatable [default: all]"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="only documents published (else fetched) since this date")
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, max=1000, help="documents per batch")
    ] = BACKFILL_BATCH,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="checkpoint file; default: backfill.checkpoint.json in CLARION_DATA_DIR"),
    ] = None,
    stop_after_batches: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Re-enrich stored documents with the brands and model as they are now.

    Writes each document's mentions in place when they changed (a second run changes
    nothing). Resumable: an interrupted run continues after the last batch it wrote.
    Restart running API processes first if brands changed outside the API.
    """
    from enrichment import Enricher, MessageFinder, SentenceEncoder, SentimentModel
    from service._backfill import backfill, backfill_job
    from service._cli import _configure_logging, _fail, _settings
    from service._runtime import make_store

    settings = _settings()
    when = _since(since)
    _configure_logging("warning", settings.log_format)
    if settings.store == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = checkpoint or settings.data_dir / "backfill.checkpoint.json"

    async def run() -> dict[str, Any]:
        store = make_store(settings)
        await store.open()
        try:
            brands = await store.list_brands()
            known = {b.id for b in brands}
            unknown = sorted(set(brand or ()) - known)
            if unknown:
                raise _fail(f"no brand(s) {', '.join(unknown)} in the store")
            if brand:
                brands = [b for b in brands if b.id in set(brand)]
            model = await asyncio.to_thread(
                SentimentModel.load,
                settings.sentiment_model,
                threads=settings.model_threads,
                batch_size=settings.model_batch_size,
                local_files_only=not settings.model_downloads,
                quantize=settings.model_quantize,
            )
            messages = MessageFinder(
                functools.partial(
                    SentenceEncoder.load,
                    threads=settings.model_threads,
                    local_files_only=not settings.model_downloads,
                ),
                sentiment=model,
            )
            enricher = Enricher(brands=brands, sentiment=model, messages=messages)
            model_id = f"{settings.sentiment_model or 'shipped'} quantize={settings.model_quantize}"
            only = set(brand) if brand else None
            job = backfill_job(enricher, model=model_id, brand_ids=only, since=when)
            total = await store.count_documents()
            with typer.progressbar(length=total, label="documents", file=sys.stderr) as bar:

                def advance(seen: int) -> None:
                    bar.update(seen - bar.pos)

                stats = await backfill(
                    store,
                    enricher,
                    checkpoint=path,
                    job=job,
                    brand_ids=only,
                    since=when,
                    batch=batch,
                    on_batch=advance,
                    stop_after_batches=stop_after_batches,
                )
        finally:
            await store.close()
        report = vars(stats) | {"checkpoint": None if stats.complete else str(path)}
        return report

    try:
        report = asyncio.run(run())
    except StoreError as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(report, indent=2))
