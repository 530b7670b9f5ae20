"""Alert rules judged on counts: ``volume_spike``, ``negative_surge``, ``story_growth``.

A mixin of ``service._alerts.AlertEngine``, whose ``run_forever`` runs
``check_counts`` every ``CLARION_ALERT_CHECK_INTERVAL`` seconds and, at most that
often, after stored batches:

- ``volume_spike`` judges the current hour's mentions against the seasonal
  baseline of the four weeks before (``service._spikes.volume_spike``; hours in
  UTC) and ``negative_surge`` the last ``window_hours`` against the 28 days before
  (``negative_surge``); the store is read by ``service._alert_counts``.
- **New stories** (``story_growth``, ``service._story_growth``): judged with the
  count-based rules, and also right after a batch that stored new mentions of the
  rule's brand (a growing story alerts within seconds of the copy that made it
  reach ``min_outlets``). Each story (syndication cluster) has its own alert:
  grouping is per (rule, cluster id) rather than per rule.

Every finding goes through ``AlertEngine.trigger`` with ``unchanged_is_quiet``: a
finding whose numbers did not change since the alert's last update sends nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from search import Alert, AlertRule, AlertStore, Store, cluster_store
from service._alert_counts import Finding, surge_finding, volume_finding
from service._story_growth import StoryFinding, story_findings

__all__ = ["CountChecks"]


class CountChecks:
    """The count-based rules of ``AlertEngine`` (see the module docstring)."""

    if TYPE_CHECKING:  # provided by AlertEngine
        _store: Store
        _alerts: AlertStore
        _clock: Callable[[], datetime]
        trigger: Callable[..., Awaitable[Alert | None]]

    async def check_stories(
        self, *, brand_ids: set[str] | None = None, rules: Sequence[AlertRule] | None = None
    ) -> list[Alert]:
        """Judge every enabled ``story_growth`` rule (of ``brand_ids`` when given) now;
        the alerts opened or updated, one per story. ``rules``: the rules the caller
        has just read (else they are read here)."""
        sent: list[Alert] = []
        if rules is None:
            rules = await self._alerts.list_alert_rules()
        for rule in rules:
            if not rule.enabled or rule.type != "story_growth":
                continue
            if brand_ids is not None and rule.brand_id not in brand_ids:
                continue
            clusters = cluster_store(self._store)
            for finding in await story_findings(self._store, clusters, rule, now=self._clock()):
                alert = await self._judged(rule, finding, story=finding.cluster_id)
                if alert is not None:
                    sent.append(alert)
        return sent

    async def check_counts(self) -> list[Alert]:
        """Judge every enabled volume-spike, negative-surge and story-growth rule now;
        the alerts sent."""
        sent: list[Alert] = await self.check_stories()
        for rule in await self._alerts.list_alert_rules():
            if not rule.enabled:
                continue
            if rule.type == "volume_spike":
                finding = await volume_finding(self._store, rule, now=self._clock())
            elif rule.type == "negative_surge":
                finding = await surge_finding(self._store, rule, now=self._clock())
            else:
                continue
            if finding is None:
                continue
            alert = await self._judged(rule, finding)
            if alert is not None:
                sent.append(alert)
        return sent

    async def _judged(
        self, rule: AlertRule, finding: Finding | StoryFinding, *, story: str | None = None
    ) -> Alert | None:
        """The rule's alert for a count-based finding; ``None`` when its evidence did
        not change since the last look (a standing spike is not sent again)."""
        return await self.trigger(
            rule,
            summary=finding.summary,
            evidence=finding.evidence,
            mentions=finding.mentions,
            unchanged_is_quiet=True,
            story=story,
        )
