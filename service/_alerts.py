"""Alert detection: rules evaluated as documents are stored, and on hourly counts.

Two paths, one outcome (``AlertEngine.trigger``):

- **Per document, in the ingest batch** (the seconds path). ``on_stored`` is the
  pipeline's ``on_stored`` callback: for each newly stored document that mentions a
  rule's brand, a ``crisis_terms`` rule matches its query (Clarion's query
  language, on title and text) and a ``tier1_coverage`` rule checks the outlet's
  tier (at most ``max_tier``). Matches fire before the batch's next one starts.
  The rules, and ``catch_up``: ``service._alert_documents``.
- **On counts, periodically** (``run_forever``, every ``CLARION_ALERT_CHECK_INTERVAL``
  seconds and, at most that often, after stored batches): ``volume_spike`` and
  ``negative_surge`` on the hourly counts, ``story_growth`` on new stories (also
  right after a batch that stored new mentions of the rule's brand), one alert per
  story. The rules: ``service._alert_checks``.

Grouping (``_spikes.same_story``): a trigger of a rule within its cool-down of the
rule's last alert's latest update updates that alert (event ``alert.updated``,
evidence merged) instead of opening a new one (``alert.opened``). A count-based
trigger whose numbers did not change since the last update sends nothing. Updates
are sent at most every ``update_interval_seconds`` of the rule: one in between is
recorded (the alert and ``GET /v1/alerts`` stay current) and sent by
``flush_updates`` once the interval has passed, so fifty articles of one story in
an hour are one ``alert.opened`` and a few ``alert.updated``, not fifty events.

``trigger`` writes the alert and one outbox row per interested subscription in one
store step (``record_alert``), then wakes the delivery worker.

Nothing decided is lost (the outbox), and nothing stored goes unjudged: every
periodic check starts with ``catch_up``, which judges the per-document rules again
over the last day's mentions (``service._alert_documents``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers import Document
from enrichment import Mention, Node
from search import Alert, AlertRule, AlertStore, SaveOutcome, Store
from service._alert_checks import CountChecks
from service._alert_counts import MAX_EVIDENCE_MENTIONS
from service._alert_documents import RECENT_ALERTS, DocumentRules, _mention_evidence
from service._spikes import same_story
from service._webhooks import deliveries_for

__all__ = ["AlertEngine", "StoredDocument"]

log = logging.getLogger("clarion.alerts")

# Documents an alert remembers having counted (``Alert.document_ids``): more than a
# story's coverage during one cool-down, small enough for one stored row.
MAX_COUNTED_DOCUMENTS = 2000


StoredDocument = tuple[Document, list[Mention], SaveOutcome]
"""What the pipeline stored: a document, its mentions and the save's outcome."""


class AlertEngine(DocumentRules, CountChecks):
    """Decides alerts and writes them with their deliveries (see the module doc)."""

    def __init__(
        self,
        *,
        store: Store,
        alerts: AlertStore,
        wake_delivery: Callable[[], None] = lambda: None,
        check_interval: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._alerts = alerts
        self._wake_delivery = wake_delivery
        self._check_interval = check_interval
        self._clock = clock
        self._lock = asyncio.Lock()  # one decision per rule at a time: no twin alerts
        self._queries: dict[tuple[str, str], Node] = {}
        self._poked = asyncio.Event()
        self.triggers = 0
        self.errors = 0

    # --- the pipeline's callback -----------------------------------------------------

    async def on_stored(self, stored: Sequence[StoredDocument]) -> None:
        """The pipeline's callback after a batch is stored: per-document rules now,
        then the story rules of the brands mentioned; count-based rules soon
        (``run_forever`` is poked)."""
        # Only new documents that mention a brand can fire a rule.
        new = [(d, ms) for d, ms, outcome in stored if outcome == "created" and ms]
        self._poked.set()
        if not new:
            return
        every = await self._alerts.list_alert_rules()
        rules = [r for r in every if r.enabled and r.type in ("crisis_terms", "tier1_coverage")]
        for rule in rules:
            hits = [
                (document, m)
                for document, mentions in new
                for m in mentions
                if m.brand_id == rule.brand_id and self._matches(rule, document)
            ]
            if hits:
                hits.sort(key=lambda h: h[0].published_at or h[0].fetched_at, reverse=True)
                await self._document_trigger(rule, [_mention_evidence(d, m) for d, m in hits])
        try:  # after the per-document rules; the periodic check judges stories too
            brand_ids = {m.brand_id for _, ms in new for m in ms}
            await self.check_stories(brand_ids=brand_ids, rules=every)
        except Exception:
            self.errors += 1
            log.exception("story checks after a batch failed")

    # --- the decision ---------------------------------------------------------------

    async def trigger(
        self,
        rule: AlertRule,
        *,
        summary: str,
        evidence: dict[str, Any],
        mentions: Sequence[dict[str, Any]],
        unchanged_is_quiet: bool = False,
        story: str | None = None,
    ) -> Alert | None:
        """Open or update the rule's alert and enqueue its event; the alert as stored,
        or ``None`` when ``unchanged_is_quiet`` and the evidence did not change.
        ``story``: the alert is the rule's alert of that story (``evidence["cluster_id"]``)
        rather than the rule's latest."""
        async with self._lock:
            return await self._trigger_locked(
                rule,
                summary=summary,
                evidence=evidence,
                mentions=mentions,
                unchanged_is_quiet=unchanged_is_quiet,
                story=story,
            )

    async def _trigger_locked(
        self,
        rule: AlertRule,
        *,
        summary: str,
        evidence: dict[str, Any],
        mentions: Sequence[dict[str, Any]],
        unchanged_is_quiet: bool = False,
        document_ids: Sequence[str] = (),
        story: str | None = None,
    ) -> Alert | None:
        # the caller holds self._lock
        now = self._clock()
        last = await self._latest(rule, story)
        cooldown = timedelta(seconds=rule.cooldown_seconds)
        ongoing = last is not None and same_story(
            last_alert_at=last.updated_at, now=now, cooldown=cooldown
        )
        if ongoing and last is not None:
            if unchanged_is_quiet and _numbers(last.evidence) == _numbers(evidence):
                return None
            merged = _merge_mentions(mentions, last.evidence.get("mentions", []))
            total = int(last.evidence.get("total_mentions", 0)) + int(
                evidence.get("new_mentions", 0)
            )
            alert = replace(
                last,
                updated_at=now,
                updates=last.updates + 1,
                summary=summary,
                evidence={**evidence, "total_mentions": total, "mentions": merged},
                document_ids=(*last.document_ids, *document_ids)[-MAX_COUNTED_DOCUMENTS:],
            )
            event_type = "alert.updated" if _update_due(rule, last, now) else None
        else:
            alert = Alert(
                id=uuid.uuid4().hex,
                rule_id=rule.id,
                brand_id=rule.brand_id,
                type=rule.type,
                opened_at=now,
                updated_at=now,
                summary=summary,
                evidence={
                    **evidence,
                    "total_mentions": int(evidence.get("new_mentions", 0)),
                    "mentions": _merge_mentions(mentions, []),
                },
                document_ids=tuple(document_ids)[-MAX_COUNTED_DOCUMENTS:],
            )
            event_type = "alert.opened"
        deliveries = await self._record(alert, event_type, now)
        self.triggers += 1
        if deliveries:
            self._wake_delivery()
        log.info("%s %s (%s): %s", event_type or "held update", alert.id, rule.id, summary)
        return alert

    async def _latest(self, rule: AlertRule, story: str | None) -> Alert | None:
        """The rule's alert updated last; with ``story``, of that story only."""
        if story is None:
            return await self._alerts.latest_alert(rule.id)
        return next(
            (a for a in await self._story_alerts(rule) if a.evidence.get("cluster_id") == story),
            None,
        )

    async def _story_alerts(self, rule: AlertRule) -> list[Alert]:
        """The rule's recent alerts, most recently updated first."""
        recent = await self._alerts.list_alerts(brand_id=rule.brand_id, limit=RECENT_ALERTS)
        return [a for a in recent if a.rule_id == rule.id]

    async def _record(self, alert: Alert, event_type: str | None, now: datetime) -> int:
        """Write ``alert`` with the deliveries of its event (none when ``event_type`` is
        ``None``: an update held back by the rule's update interval); how many."""
        if event_type is None:
            await self._alerts.record_alert(alert, [])
            return 0
        alert = replace(alert, notified_at=now)
        deliveries = deliveries_for(
            alert=alert,
            event_type=event_type,
            subscriptions=await self._alerts.list_webhooks(),
            now=now,
        )
        await self._alerts.record_alert(alert, deliveries)
        return len(deliveries)

    async def flush_updates(self) -> int:
        """Send the updates held back by update intervals that have now passed; how many
        alerts were sent. Run with the periodic checks."""
        sent = 0
        for rule in await self._alerts.list_alert_rules():
            async with self._lock:
                now = self._clock()
                if rule.type == "story_growth":  # one alert per story, each may be held
                    candidates = await self._story_alerts(rule)
                else:
                    latest = await self._alerts.latest_alert(rule.id)
                    candidates = [] if latest is None else [latest]
                for last in candidates:
                    held = (last.notified_at or last.opened_at) < last.updated_at
                    if not held or not _update_due(rule, last, now):
                        continue
                    if await self._record(last, "alert.updated", now):
                        sent += 1
        if sent:
            self._wake_delivery()
        return sent

    # --- the periodic checks -----------------------------------------------------------

    async def run_forever(self) -> None:
        """Run ``check_counts`` every ``check_interval`` seconds, and soon after a batch
        is stored (but never more often than every ``check_interval``)."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            self._poked.clear()
            try:
                await self.catch_up()
                await self.check_counts()
                await self.flush_updates()
            except Exception:  # a failed check is logged and counted; the next one runs
                self.errors += 1
                log.exception("alert checks failed")
            await asyncio.sleep(max(0.0, started + self._check_interval - loop.time()))
            if not self._poked.is_set():  # asyncio.timeout: wait_for may swallow a cancel
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._check_interval):
                        await self._poked.wait()


def _update_due(rule: AlertRule, last: Alert, now: datetime) -> bool:
    """Whether an update of ``last`` may be sent now (``update_interval_seconds``)."""
    sent = last.notified_at or last.opened_at
    return (now - sent).total_seconds() >= rule.update_interval_seconds


def _numbers(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in evidence.items() if k not in ("mentions", "total_mentions")}


def _merge_mentions(
    new: Sequence[dict[str, Any]], old: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """New mentions first, each URL once, at most ``MAX_EVIDENCE_MENTIONS``."""
    seen: set[str] = set()
    merged = []
    for mention in [*new, *old]:
        if mention["url"] not in seen:
            seen.add(mention["url"])
            merged.append(mention)
    return merged[:MAX_EVIDENCE_MENTIONS]
