"""Copying one store into another, resumably: ``clarion migrate`` and ``clarion reindex``.

``copy_store`` copies every record the source holds (``search._copy_kinds`` lists
them): first the configuration, whole, on every run; then, phase by phase
(documents with their mentions, URL aliases, traffic events, alerts, webhook
deliveries with their attempt log, the audit log), every record in keyset
order, a batch at a time. After each batch it records the phase and the last
copied position in a checkpoint file; a run that was stopped (Ctrl+C, a crash,
``kill -9``) continues after that position, skipping the phases already done.
Nothing is copied twice: every write is idempotent by id (an equal document
already in the target is ``"unchanged"``, an audit entry already there keeps
its first version), so the batch that was in flight when a run stopped is
simply written again. The checkpoint is removed when the copy is complete;
running it again then re-reads everything and writes nothing new.

The checkpoint names the source and target it belongs to; resuming with a
checkpoint of another copy is refused (``CopyError``) rather than silently
skipping records.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from search._copy_kinds import PHASES, CopyError, CopyStats, copy_configuration, phases
from search._store import Store

__all__ = ["DEFAULT_BATCH", "CopyError", "CopyStats", "copy_store"]

# Records read and written per batch (and per checkpoint). A batch of 500
# news documents is a few MB in memory and one or two requests to read from
# either backend; a resumed run repeats at most one batch.
DEFAULT_BATCH = 500


@dataclass(frozen=True, slots=True)
class _Position:
    """Where a copy stands: the phase, the last position copied in it, the documents
    copied so far (over all runs, for the progress bar)."""

    phase: str
    after: str | None
    documents_copied: int


def _read_checkpoint(path: Path, identity: str) -> _Position | None:
    """The position the copy ``identity`` stopped at, if it has a checkpoint."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CopyError(f"checkpoint {path} is unreadable: {exc}") from exc
    if raw.get("copy") != identity:
        raise CopyError(
            f"checkpoint {path} belongs to another copy ({raw.get('copy')!r}); "
            "remove it or pass another checkpoint file"
        )
    phase = raw.get("phase", "documents")  # checkpoints of earlier versions: documents only
    if phase not in PHASES:
        raise CopyError(f"checkpoint {path} names an unknown phase {phase!r}")
    after = raw.get("after")
    return _Position(
        phase, str(after) if after is not None else None, int(raw.get("documents_copied", 0))
    )


def _write_checkpoint(path: Path, identity: str, position: _Position) -> None:
    """Replace the checkpoint atomically (a crash leaves the old or the new one)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(
            {
                "copy": identity,
                "phase": position.phase,
                "after": position.after,
                "documents_copied": position.documents_copied,
            },
            out,
        )
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


async def copy_store(
    source: Store,
    target: Store,
    *,
    checkpoint: Path,
    identity: str,
    batch: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
    stop_after_batches: int | None = None,
) -> CopyStats:
    """Copy everything in ``source`` into ``target`` (both open), resuming from ``checkpoint``.

    ``identity`` names this copy (source and target); a checkpoint with another
    identity raises ``CopyError``, as does a target that cannot hold a kind of
    record the source has (checked before anything is written).
    ``on_batch(done)`` is called after each batch of documents is written, with
    the documents copied so far (this run and the ones it resumes).
    ``stop_after_batches`` stops early (counting the batches of every phase),
    keeping the checkpoint, as an interrupted run would (tests). Configuration is
    copied on every run (put = create or replace by id). The checkpoint is
    written once the target's writes have returned, so it never runs ahead of
    what the target holds (short of a power loss on an SQLite target in
    ``NORMAL`` mode; a second full run repairs that).
    """
    if not 1 <= batch <= 1000:
        raise CopyError(f"batch {batch} outside 1..1000")
    resumed = await asyncio.to_thread(_read_checkpoint, checkpoint, identity)
    stats = CopyStats(
        resumed_phase=None if resumed is None else resumed.phase,
        resumed_after=None if resumed is None else resumed.after,
        copied_before=0 if resumed is None else resumed.documents_copied,
    )
    await copy_configuration(source, target, stats)
    start = PHASES.index(resumed.phase) if resumed is not None else 0

    def copied() -> int:
        return stats.copied_before + stats.documents.total()

    async def save(phase: str, after: str | None) -> None:
        position = _Position(phase, after, copied())
        await asyncio.to_thread(_write_checkpoint, checkpoint, identity, position)

    for phase in phases(source, target, stats, batch=batch):
        if PHASES.index(phase.name) < start:
            continue
        after = resumed.after if resumed is not None and phase.name == resumed.phase else None
        while True:
            if stop_after_batches is not None and stats.batches >= stop_after_batches:
                return stats
            page, after = await phase.read(after)
            if page:
                await phase.write(page)
                stats.batches += 1
            if after is None:
                break
            await save(phase.name, after)
            if phase.name == "documents" and on_batch is not None:
                on_batch(copied())
        following = PHASES.index(phase.name) + 1
        if following < len(PHASES):
            await save(PHASES[following], None)
    stats.complete = True
    await asyncio.to_thread(checkpoint.unlink, missing_ok=True)
    return stats
