"""Copying one store into another, resumably: ``clarion migrate`` and ``clarion reindex``.

``copy_store`` copies brands, sources, their feed states, then every document
with its mentions in ascending id order (``Store.documents_after``), a batch
at a time. After each batch it records the last copied id in a checkpoint
file; a run that was stopped (Ctrl+C, a crash, ``kill -9``) continues after
that id. Nothing is copied twice: a document is written with
``save_document``, which is idempotent by id (an equal document already in
the target is ``"unchanged"``), so the batch that was in flight when a run
stopped is simply written again. The checkpoint is removed when the copy is
complete; running it again then re-reads everything and writes nothing new.

The checkpoint names the source and target it belongs to; resuming with a
checkpoint of another copy is refused (``CopyError``) rather than silently
skipping documents.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crawlers import Document
from enrichment import Mention
from search._store import SaveOutcome, Store, StoreError

__all__ = ["DEFAULT_BATCH", "CopyError", "CopyStats", "copy_store"]

# Documents read and written per batch (and per checkpoint). A batch of 500
# news documents is a few MB in memory and one or two requests to read from
# either backend; a resumed run repeats at most one batch.
DEFAULT_BATCH = 500
# Documents written to the target at once. SQLite serializes writes anyway;
# Elasticsearch answers several concurrent saves (each a few requests) much
# faster than one after another, and 8 stays far from its write queue limits.
_WRITES_IN_FLIGHT = 8


class CopyError(StoreError):
    """The copy cannot start as asked (a checkpoint of another copy, a bad batch size)."""


@dataclass(slots=True)
class CopyStats:
    """What a run did. ``documents`` counts save outcomes (created/updated/unchanged)."""

    brands: int = 0
    sources: int = 0
    feed_states: int = 0
    documents: Counter[str] = field(default_factory=Counter)
    mentions: int = 0
    batches: int = 0
    resumed_after: str | None = None  # the checkpoint this run started from
    copied_before: int = 0  # documents copied by the runs before this one
    complete: bool = False


def _read_checkpoint(path: Path, identity: str) -> tuple[str | None, int]:
    """The last copied id and the documents copied so far, of the copy ``identity``."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None, 0
    except (OSError, ValueError) as exc:
        raise CopyError(f"checkpoint {path} is unreadable: {exc}") from exc
    if raw.get("copy") != identity:
        raise CopyError(
            f"checkpoint {path} belongs to another copy ({raw.get('copy')!r}); "
            "remove it or pass another checkpoint file"
        )
    after = raw.get("after")
    return (str(after) if after is not None else None), int(raw.get("documents_copied", 0))


def _write_checkpoint(path: Path, identity: str, after: str, copied: int) -> None:
    """Replace the checkpoint atomically (a crash leaves the old or the new one)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump({"copy": identity, "after": after, "documents_copied": copied}, out)
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
    identity raises ``CopyError``. ``on_batch(done)`` is called after each
    batch is written, with the documents copied so far (this run and the ones
    it resumes). ``stop_after_batches`` stops early, keeping the checkpoint, as
    an interrupted run would (tests). Configuration is copied on every run
    (put = create or replace by id). The checkpoint is written once the
    target's saves have returned, so it never runs ahead of what the target
    holds (short of a power loss on an SQLite target in ``NORMAL`` mode; a
    second full run repairs that).
    """
    if not 1 <= batch <= 1000:
        raise CopyError(f"batch {batch} outside 1..1000")
    resumed_after, copied_before = await asyncio.to_thread(_read_checkpoint, checkpoint, identity)
    stats = CopyStats(resumed_after=resumed_after, copied_before=copied_before)
    for brand in await source.list_brands():
        await target.put_brand(brand)
        stats.brands += 1
    for src in await source.list_sources():
        await target.put_source(src)
        stats.sources += 1
        state = await source.get_feed_state(src.id)
        if state is not None:
            await target.put_feed_state(state)
            stats.feed_states += 1
    after = stats.resumed_after
    gate = asyncio.Semaphore(_WRITES_IN_FLIGHT)

    async def save(document: Document, mentions: list[Mention]) -> SaveOutcome:
        async with gate:
            return await target.save_document(document, mentions)

    while stop_after_batches is None or stats.batches < stop_after_batches:
        page = await source.documents_after(after, limit=batch)
        if not page:
            stats.complete = True
            await asyncio.to_thread(checkpoint.unlink, missing_ok=True)
            break
        # every save finishes (or fails) before the first failure is raised
        outcomes = await asyncio.gather(*(save(d, ms) for d, ms in page), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        stats.documents.update(o for o in outcomes if isinstance(o, str))
        stats.mentions += sum(len(mentions) for _, mentions in page)
        stats.batches += 1
        after = page[-1][0].id
        await asyncio.to_thread(
            _write_checkpoint, checkpoint, identity, after, copied_before + stats.documents.total()
        )
        if on_batch is not None:
            on_batch(copied_before + stats.documents.total())
    return stats
