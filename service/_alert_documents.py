"""Alert rules judged per document: ``crisis_terms`` and ``tier1_coverage``.

A mixin of ``service._alerts.AlertEngine``. For each newly stored document that
mentions a rule's brand (``AlertEngine.on_stored``), a ``crisis_terms`` rule
matches its query (Clarion's query language, parsed once per rule and query, on
title and text, with ``enrichment.find_spans``) and a ``tier1_coverage`` rule
checks the outlet's tier (at most ``max_tier``). The matching mentions are alerted
on together, newest first, leaving out the documents that an alert of the rule
updated in the last ``CATCH_UP_HOURS`` has counted (``Alert.document_ids``).

Nothing stored goes unjudged: a crash after a batch is stored and before its
callback ran, or a callback that failed, is made up by ``catch_up`` (at start and
with every periodic check), which runs the per-document rules again over the last
day's mentions, through the store's own query matching, and alerts on the
documents no alert of the rule has counted (``Alert.document_ids``). A new rule
therefore also alerts on the matching mentions of the last day.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crawlers import Document
from enrichment import Mention, Node, find_spans, parse_query
from search import Alert, AlertRule, AlertStore, MentionFilter, Store
from service._alert_counts import hit_evidence

__all__ = ["CATCH_UP_HOURS", "CATCH_UP_LIMIT", "RECENT_ALERTS", "DocumentRules"]

# How far back ``catch_up`` looks (by the time mentions count at) and how many
# mentions per rule: a restart within a day recovers every missed alert of a story
# that did not exceed the limit in that time.
CATCH_UP_HOURS = 24
CATCH_UP_LIMIT = 500
# A brand's alerts read to know which documents were counted: all of a day's alerts
# of its few rules.
RECENT_ALERTS = 200


def _mention_evidence(document: Document, mention: Mention | None) -> dict[str, Any]:
    published = document.published_at or document.fetched_at
    return {
        "document_id": document.id,
        "url": document.url,
        "title": document.title,
        "outlet": document.outlet,
        "domain": document.domain,
        "tier": document.tier,
        "published_at": published.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "sentiment": mention.sentiment.label if mention is not None else None,
        "snippet": mention.snippets[0] if mention is not None and mention.snippets else None,
    }


class DocumentRules:
    """The per-document rules of ``AlertEngine`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by AlertEngine
        _store: Store
        _alerts: AlertStore
        _clock: Callable[[], datetime]
        _lock: asyncio.Lock
        _queries: dict[tuple[str, str], Node]
        _trigger_locked: Callable[..., Awaitable[Alert | None]]

    async def _document_trigger(
        self, rule: AlertRule, mentions: Sequence[dict[str, Any]]
    ) -> Alert | None:
        """Alert on these mentions (newest first), skipping documents an alert of the
        rule updated in the last ``CATCH_UP_HOURS`` has counted; ``None`` when none is
        left."""
        async with self._lock:
            since = self._clock() - timedelta(hours=CATCH_UP_HOURS)
            recent = await self._alerts.list_alerts(brand_id=rule.brand_id, limit=RECENT_ALERTS)
            counted = {
                doc
                for alert in recent
                if alert.rule_id == rule.id and alert.updated_at >= since
                for doc in alert.document_ids
            }
            fresh = [m for m in mentions if m["document_id"] not in counted]
            if not fresh:
                return None
            what = "crisis terms" if rule.type == "crisis_terms" else f"tier ≤ {rule.max_tier}"
            return await self._trigger_locked(
                rule,
                summary=f"{len(fresh)} new mention(s) of {rule.brand_id} with {what}",
                evidence={"new_mentions": len(fresh), "query": rule.query},
                mentions=fresh,
                document_ids=[m["document_id"] for m in fresh],
            )

    async def catch_up(self) -> int:
        """Judge the per-document rules again over the brand's mentions of the last
        ``CATCH_UP_HOURS`` (by the store's own query matching), alerting on those their
        ongoing alert has not counted: documents stored just before a crash, before
        their batch's rules ran, or while a rule failed. Returns the alerts sent."""
        sent = 0
        now = self._clock()
        for rule in await self._alerts.list_alert_rules():
            if not rule.enabled or rule.type not in ("crisis_terms", "tier1_coverage"):
                continue
            if rule.type == "crisis_terms" and not rule.query:
                continue
            where = MentionFilter(
                brand_ids=(rule.brand_id,),
                start=now - timedelta(hours=CATCH_UP_HOURS),
                end=now + timedelta(seconds=1),
                query=self._query(rule) if rule.type == "crisis_terms" else None,
            )
            page = await self._store.search_mentions(where, limit=CATCH_UP_LIMIT)
            mentions = [
                {"document_id": h.mention.document_id, **hit_evidence(h)}
                for h in page.hits
                if rule.type == "crisis_terms" or h.tier <= rule.max_tier
            ]
            if mentions and await self._document_trigger(rule, mentions) is not None:
                sent += 1
        return sent

    def _matches(self, rule: AlertRule, document: Document) -> bool:
        if rule.type == "tier1_coverage":
            return document.tier <= rule.max_tier
        if not rule.query:
            return False
        return find_spans(
            self._query(rule),
            title=document.title,
            text=document.text,
            authors=document.authors,
            domain=document.domain,
            language=document.language,
            country=document.country,
        ).matched

    def _query(self, rule: AlertRule) -> Node:
        key = (rule.id, rule.query or "")
        node = self._queries.get(key)
        if node is None:
            node = self._queries[key] = parse_query(rule.query or "")  # validated by the API
        return node
