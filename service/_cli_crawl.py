"""``clarion crawl``: ingest without the API, once or until stopped.

Without ``--continuous`` the pipeline polls every enabled source once
(``Pipeline.run_once``); with it, the pipeline runs as under ``serve``
(``run_forever``) until SIGINT or SIGTERM cancels it (``_until_stopped``). Either
way the runtime is stopped and the counts are printed as JSON on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from service._cli_run import _check_config, _configure_logging, _settings
from service._runtime import Runtime, run_event_loop

__all__ = ["crawl"]


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

    typer.echo(json.dumps(run_event_loop(once()), indent=2))


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
