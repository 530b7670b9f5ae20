"""``clarion migrate`` and ``clarion reindex``: copy a store into another.

Both parse their locations (``service._migrate``: ``sqlite:PATH`` or an
Elasticsearch URL with an index prefix) and run one copy (``_copy``):
``search.copy_store`` with a checkpoint file (one per source and target pair in
the data directory by default), so an interrupted copy continues after its last
finished batch, a progress bar on stderr and a JSON report on stdout. ``reindex``
is a copy of the configured cluster into a new index prefix.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from service._cli_run import _configure_logging, _fail, _settings, progress
from service._migrate import Location
from service._settings import Settings

__all__ = ["migrate", "reindex"]

# The options of a copy that both commands take.
_Batch = Annotated[int, typer.Option(min=1, max=1000, help="documents per batch")]
_Checkpoint = Annotated[
    Path | None, typer.Option(help="checkpoint file; default: one per copy in CLARION_DATA_DIR")
]
_StopAfter = Annotated[int | None, typer.Option(hidden=True)]


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
    batch: _Batch = 500,
    checkpoint: _Checkpoint = None,
    stop_after_batches: _StopAfter = None,
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


def reindex(
    prefix: Annotated[str, typer.Option(help="index prefix of the new index set")],
    batch: _Batch = 500,
    checkpoint: _Checkpoint = None,
    stop_after_batches: _StopAfter = None,
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
