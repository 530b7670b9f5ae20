"""``clarion backfill``: re-enrich stored documents after a model or query change.

The command builds the enricher as the API process does (the configured sentiment
model and key-message encoder, the brands in the store) and runs
``service._backfill.backfill`` with a progress bar on stderr and a JSON report on
stdout. The checkpoint (default ``<data_dir>/backfill.checkpoint.json``) makes an
interrupted run (Ctrl+C, a crash) continue where it stopped when the same command
is run again. Errors end with one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from search import Store
from service._backfill import BACKFILL_BATCH
from service._cli_run import _configure_logging, _fail, _settings, progress, run_on_store

__all__ = ["backfill_command"]


def _since(value: str | None) -> datetime | None:
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
    from enrichment import Enricher
    from service._backfill import backfill, backfill_job
    from service._runtime import load_models

    settings = _settings()
    when = _since(since)
    _configure_logging("warning", settings.log_format)
    path = checkpoint or settings.data_dir / "backfill.checkpoint.json"

    async def run(store: Store) -> dict[str, Any]:
        brands = await store.list_brands()
        known = {b.id for b in brands}
        unknown = sorted(set(brand or ()) - known)
        if unknown:
            raise _fail(f"no brand(s) {', '.join(unknown)} in the store")
        if brand:
            brands = [b for b in brands if b.id in set(brand)]
        model, messages = await load_models(settings)
        enricher = Enricher(brands=brands, sentiment=model, messages=messages)
        model_id = f"{settings.sentiment_model or 'shipped'} quantize={settings.model_quantize}"
        only = set(brand) if brand else None
        job = backfill_job(enricher, model=model_id, brand_ids=only, since=when)
        with progress(await store.count_documents()) as advance:
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
        return vars(stats) | {"checkpoint": None if stats.complete else str(path)}

    report = run_on_store(settings, run)
    typer.echo(json.dumps(report, indent=2))
