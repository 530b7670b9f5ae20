"""``clarion retention``: apply the retention policy once, now.

The number of days comes from ``--days`` or ``CLARION_RETENTION_DAYS``; the cutoff
and the deletion are ``service._retention``'s, as in the API process's periodic
run. Prints the cutoff and the documents deleted as JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from service._cli_run import _configure_logging, _fail, _settings, run_on_store

__all__ = ["retention"]


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
