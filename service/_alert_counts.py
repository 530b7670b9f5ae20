"""Count-based alert findings: volume spike and negative surge, read from the store.

Thin I/O around the pure statistics of ``service._spikes``: each function reads the
brand's hourly counts (``Store.mention_counts``, hours in UTC) and returns a
``Finding`` (summary, evidence, top mentions) when the rule fires, else ``None``.
``AlertEngine.check_counts`` turns findings into alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from search import AlertRule, MentionFilter, MentionHit, Store
from service._spikes import negative_surge, seasonal_baseline, volume_spike

__all__ = ["MAX_EVIDENCE_MENTIONS", "Finding", "hit_evidence", "surge_finding", "volume_finding"]

# Mentions kept in an alert's evidence (newest first): enough to see the story,
# small enough that a payload stays a few kilobytes.
MAX_EVIDENCE_MENTIONS = 10
# Weeks of hourly history the volume baseline reads (``seasonal_baseline``'s default).
BASELINE_WEEKS = 4
# Days before a surge window that give a brand's usual share of negative mentions.
SURGE_BASELINE_DAYS = 28
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Finding:
    summary: str
    evidence: dict[str, Any]
    mentions: list[dict[str, Any]]


def hit_evidence(h: MentionHit) -> dict[str, Any]:
    """A mention as an alert's evidence lists it."""
    return {
        "url": h.url,
        "title": h.title,
        "outlet": h.outlet,
        "domain": h.domain,
        "tier": h.tier,
        "published_at": h.published_at.isoformat().replace("+00:00", "Z"),
        "sentiment": h.mention.sentiment.label,
        "snippet": h.mention.snippets[0] if h.mention.snippets else None,
    }


async def _counts(
    store: Store, brand_id: str, start: datetime, end: datetime, *, negative: bool = False
) -> dict[datetime, int]:
    where = MentionFilter(
        brand_ids=(brand_id,), start=start, end=end, sentiment="negative" if negative else None
    )
    buckets = await store.mention_counts(where, interval="hour", tz=UTC_ZONE)
    return {b.start: b.count for b in buckets}


async def _top_mentions(
    store: Store, brand_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    page = await store.search_mentions(
        MentionFilter(brand_ids=(brand_id,), start=start, end=end), limit=MAX_EVIDENCE_MENTIONS
    )
    return [hit_evidence(h) for h in page.hits]


def _options(rule: AlertRule, **names: str) -> dict[str, Any]:
    """The detector's keyword arguments the rule sets (``None`` keeps the default)."""
    out = {}
    for argument, attribute in names.items():
        value = getattr(rule, attribute)
        if value is not None:
            out[argument] = value
    return out


async def volume_finding(store: Store, rule: AlertRule, *, now: datetime) -> Finding | None:
    """The current hour (UTC) against the same hour of the week in the weeks before."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = now + timedelta(seconds=1)
    history = await _counts(
        store, rule.brand_id, hour - timedelta(weeks=BASELINE_WEEKS, hours=1), end
    )
    verdict = volume_spike(
        history.get(hour, 0),
        seasonal_baseline(history, at=hour, weeks=BASELINE_WEEKS),
        **_options(rule, min_count="min_count", threshold="threshold"),
    )
    if not verdict.spike:
        return None
    evidence = {
        "hour": hour.isoformat().replace("+00:00", "Z"),
        "observed": verdict.observed,
        "expected": verdict.expected,
        "spread": round(verdict.spread, 3),
        "score": round(verdict.score, 2),
        "p_value": verdict.p_value,
        "baseline": "same hour of the week and the hours either side, 4 weeks before (UTC)",
    }
    mentions = await _top_mentions(store, rule.brand_id, hour, end)
    return Finding(verdict.reason, evidence, mentions)


async def surge_finding(store: Store, rule: AlertRule, *, now: datetime) -> Finding | None:
    """Negative mentions of the last ``window_hours`` against the 28 days before."""
    start = now - timedelta(hours=rule.window_hours)
    base_start = start - timedelta(days=SURGE_BASELINE_DAYS)
    end = now + timedelta(seconds=1)
    brand = rule.brand_id
    total = sum((await _counts(store, brand, start, end)).values())
    negative = sum((await _counts(store, brand, start, end, negative=True)).values())
    base_total = sum((await _counts(store, brand, base_start, start)).values())
    base_negative = sum((await _counts(store, brand, base_start, start, negative=True)).values())
    verdict = negative_surge(
        negative,
        total,
        baseline_share=base_negative / base_total if base_total else 0.0,
        **_options(rule, min_negative="min_count", min_share="min_share", threshold="threshold"),
    )
    if not verdict.surge:
        return None
    evidence = {
        "window_hours": rule.window_hours,
        "negative": verdict.negative,
        "total": verdict.total,
        "share": round(verdict.share, 4),
        "baseline_share": round(verdict.baseline_share, 4),
        "baseline_days": SURGE_BASELINE_DAYS,
        "score": round(verdict.score, 2),
    }
    return Finding(verdict.reason, evidence, await _top_mentions(store, brand, start, end))
