"""Backfill: re-enrich stored documents after a model or brand-query change.

``backfill`` walks every stored document in ascending id order
(``Store.documents_after``), in batches, runs each batch through an ``Enricher``
(the same class, and so the same query matching, sentiment model and key-message
finder, as the ingest pipeline) and writes the mentions it finds in place of the
stored ones (``Store.save_document(..., replace=True)``), keeping each document's
syndication cluster.

- **Selection.** ``brand_ids``: only those brands' mentions are recomputed (the
  enricher should then track only them); the other brands' stored mentions are kept
  as they are. Without it, every mention is recomputed, so mentions of a brand no
  longer in the store go. ``since``: only documents counted (published, else
  fetched) at or after it.
- **Idempotent.** A document is written only when its recomputed mentions differ
  from the stored ones (scores compared to ``SCORE_DIGITS`` decimals), so a second
  run changes nothing and reports every document ``unchanged``.
- **Resumable.** After each batch is written, the id of its last document is saved
  in the checkpoint file (atomically); a run that finds a checkpoint of the same job
  (same brands, queries, model and ``since``) continues after it, a checkpoint of
  another job is ignored (the new job starts from the first document). A run that
  finishes removes it. A crash between a batch's writes and its checkpoint repeats
  that batch, which changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawlers import Document
from enrichment import Enricher, Mention, Syndication
from enrichment._syndication import assign_cluster, sketch
from search import Store

__all__ = ["BACKFILL_BATCH", "BackfillStats", "backfill", "backfill_job"]

log = logging.getLogger("clarion.backfill")

BACKFILL_BATCH = 64
"""Documents read and enriched per batch: four of the pipeline's enrich batches, enough
to keep the sentiment model's batches full; a checkpoint per 64 documents loses at most
a few seconds of work to an interruption."""
SCORE_DIGITS = 4
"""Decimals of a score compared to decide whether a mention changed: Elasticsearch
keeps scores as 32-bit floats (about 7 digits), and a model's output can move in the
last digits with the batch it ran in; 4 decimals is far below any label's margin."""


@dataclass(kw_only=True)
class BackfillStats:
    """What a run did; ``seen`` counts every document read, the others the selected."""

    resumed_after: str | None = None
    seen: int = 0
    selected: int = 0
    changed: int = 0
    unchanged: int = 0
    mentions_before: int = 0
    mentions_after: int = 0
    batches: int = 0
    complete: bool = False


def backfill_job(
    enricher: Enricher,
    *,
    model: str,
    brand_ids: Collection[str] | None,
    since: datetime | None,
) -> str:
    """The identity of a backfill job, as its checkpoint records it: the brands the
    enricher tracks (every field), the model, the selection."""
    return json.dumps(
        {
            "brands": [dataclasses.asdict(b) for b in enricher.brands],
            "model": model,
            "only": None if brand_ids is None else sorted(brand_ids),
            "since": None if since is None else since.isoformat(),
        },
        sort_keys=True,
    )


def _read_checkpoint(path: Path, job: str) -> tuple[str | None, int]:
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None, 0
    except (OSError, ValueError) as exc:
        log.warning("checkpoint %s unreadable (%s): starting from the first document", path, exc)
        return None, 0
    if raw.get("job") != job:
        log.warning("checkpoint %s is another backfill's: starting from the first document", path)
        return None, 0
    after = raw.get("after")
    return (str(after) if after is not None else None), int(raw.get("seen", 0))


def _write_checkpoint(path: Path, job: str, after: str, seen: int) -> None:
    """Replace the checkpoint atomically (a crash leaves the old or the new one)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump({"job": job, "after": after, "seen": seen}, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _counted(document: Document) -> datetime:
    return document.published_at or document.fetched_at


def _key(mention: Mention) -> tuple[Any, ...]:
    """What decides whether a mention changed (its cluster is the store's business)."""
    return (
        mention.brand_id,
        mention.sentiment.label,
        round(mention.sentiment.score, SCORE_DIGITS),
        mention.snippets,
        mention.in_title,
        mention.in_lead,
        mention.count,
        mention.spokespeople,
        tuple(
            (m.message, m.stance, m.sentence, round(m.score, SCORE_DIGITS))
            for m in mention.messages
        ),
    )


def _same(old: Sequence[Mention], new: Sequence[Mention]) -> bool:
    return sorted(map(_key, old)) == sorted(map(_key, new))


async def _syndication(store: Store, document: Document, old: Sequence[Mention]) -> Syndication:
    """The document's syndication as stored: its own cluster when the store has its
    signature, else the cluster its stored mentions name, else the one it would join."""
    signature, keys = await asyncio.to_thread(sketch, document.text)
    found = await store.syndication_candidates(keys) if keys else []
    own = next((c.cluster_id for c in found if c.document_id == document.id), None)
    stored = next((m.cluster_id for m in old if m.cluster_id), None)
    cluster = own or stored or assign_cluster(document.id, signature, found)
    return Syndication(cluster, signature, keys)


async def backfill(
    store: Store,
    enricher: Enricher,
    *,
    checkpoint: Path,
    job: str,
    brand_ids: Collection[str] | None = None,
    since: datetime | None = None,
    batch: int = BACKFILL_BATCH,
    on_batch: Callable[[int], None] | None = None,
    stop_after_batches: int | None = None,
) -> BackfillStats:
    """Re-enrich the selected documents of ``store`` (see the module docstring).

    ``job`` identifies the run's checkpoint (``backfill_job``). ``on_batch(seen)`` is
    called after each batch with the documents read so far, this run and the ones it
    resumes. ``stop_after_batches`` stops early keeping the checkpoint, as an
    interrupted run would (tests).
    """
    if not 1 <= batch <= 1000:
        raise ValueError(f"batch {batch} outside 1..1000")
    only = None if brand_ids is None else frozenset(brand_ids)
    after, seen_before = await asyncio.to_thread(_read_checkpoint, checkpoint, job)
    stats = BackfillStats(resumed_after=after)
    while stop_after_batches is None or stats.batches < stop_after_batches:
        page = await store.documents_after(after, limit=batch)
        if not page:
            stats.complete = True
            await asyncio.to_thread(checkpoint.unlink, missing_ok=True)
            break
        stats.seen += len(page)
        chosen = [(d, ms) for d, ms in page if since is None or _counted(d) >= since]
        enriched = await enricher.enrich([d for d, _ in chosen])
        for (stored, old), (document, fresh) in zip(chosen, enriched, strict=True):
            if only is not None:
                fresh = [m for m in old if m.brand_id not in only] + [
                    m for m in fresh if m.brand_id in only
                ]
            stats.selected += 1
            stats.mentions_before += len(old)
            stats.mentions_after += len(fresh)
            if _same(old, fresh) and document.language == stored.language:
                stats.unchanged += 1
                continue
            # The stored cluster is kept: the store applies the syndication's cluster.
            fresh = [dataclasses.replace(m, cluster_id=None) for m in fresh]
            syndication = await _syndication(store, stored, old)
            await store.save_document(document, fresh, syndication=syndication, replace=True)
            stats.changed += 1
        stats.batches += 1
        after = page[-1][0].id
        await asyncio.to_thread(_write_checkpoint, checkpoint, job, after, seen_before + stats.seen)
        if on_batch is not None:
            on_batch(seen_before + stats.seen)
    return stats
