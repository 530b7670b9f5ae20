"""The ``story_growth`` alert rule: a new syndication cluster spreading fast.

A brand's story is *new* when the first copy of its syndication cluster (the
brand's earliest mention in it, over all time: ``ClusterStore.cluster_copies``)
counts within the rule's look-back, the last ``window_minutes``; it *grows fast*
when at least ``min_outlets`` distinct outlets carried it in that window (only
outlets of tier ≤ ``max_tier`` count). An old story that gains a copy is not new;
many unrelated stories, each in one or two outlets, are not one story.

The look-back is a sliding window, so a story is judged only while its first copy
is within it: the fast phase of a wire story. Each finding is keyed by its cluster
id: ``AlertEngine`` keeps one alert per (rule, cluster), updated (not reopened) as
outlets join within the cool-down. Nothing in the evidence depends on the clock,
so a check that finds the same copies sends nothing.

``story_findings`` reads two things per rule: the window's (cluster, outlet)
groups (``Store.mention_stats``, in the store), and the copies of the clusters
that reached ``min_outlets`` there (at most ``MAX_STORIES``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from search import AlertRule, ClusterStore, MentionFilter, MentionHit, Store
from service._alert_counts import MAX_EVIDENCE_MENTIONS, hit_evidence

__all__ = [
    "DEFAULT_MIN_OUTLETS",
    "DEFAULT_WINDOW_MINUTES",
    "EVERY_TIER",
    "StoryFinding",
    "story_findings",
]

DEFAULT_MIN_OUTLETS = 5
"""Distinct outlets a new story needs: a brand's ordinary story is picked up by one
to three sites (its own wire and a reprint or two); five independent outlets within
the look-back is a story going around, and still early enough to act on."""
DEFAULT_WINDOW_MINUTES = 120
"""The look-back: wire copy is reprinted within minutes to an hour or two of the
first publication; a story that takes longer to reach five outlets is not fast."""
EVERY_TIER = 5
"""Sources' tiers are 1 to 5 (``service._schemas_config``): ``max_tier`` 5 counts
every outlet, the rule's default."""
MAX_STORIES = 20
"""Clusters per rule and check whose copies are read (those with most outlets
first): more stories than this growing at once for one brand is one crisis, and
the largest twenty tell it."""
MAX_COPIES = 200
"""Copies of one story read per check, earliest first (the first copy decides
whether the story is new); the outlet count comes from the store's aggregate."""
MAX_EVIDENCE_COPIES = 50
"""Copies listed in the evidence (earliest first): who carried it and when, a
payload of a few kilobytes."""
MAX_EVIDENCE_OUTLETS = 100
"""Outlet names listed in the evidence (``outlets_in_window`` counts them all): a
wire story can reach hundreds, and a payload stays a few kilobytes."""
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class StoryFinding:
    """One new story that reached the rule's outlets: ``cluster_id`` keys its alert."""

    cluster_id: str
    summary: str
    evidence: dict[str, Any]
    mentions: list[dict[str, Any]]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _copy(h: MentionHit) -> dict[str, Any]:
    return {
        "outlet": h.outlet,
        "domain": h.domain,
        "tier": h.tier,
        "url": h.url,
        "published_at": _iso(h.published_at),
    }


async def story_findings(
    store: Store, clusters: ClusterStore, rule: AlertRule, *, now: datetime
) -> list[StoryFinding]:
    """The brand's new stories that reached ``min_outlets`` outlets in the look-back,
    most outlets first."""
    minutes = rule.window_minutes or DEFAULT_WINDOW_MINUTES
    min_outlets = rule.min_outlets or DEFAULT_MIN_OUTLETS
    start = now - timedelta(minutes=minutes)
    tiers = tuple(range(1, rule.max_tier + 1)) if rule.max_tier < EVERY_TIER else ()
    rows = await store.mention_stats(
        MentionFilter(
            brand_ids=(rule.brand_id,), start=start, end=now + timedelta(seconds=1), tiers=tiers
        ),
        group_by=("cluster", "outlet"),
        tz=_UTC,
    )
    outlets: dict[str, list[str]] = {}
    for row in rows:
        outlets.setdefault(str(row.key[0]), []).append(str(row.key[1]))
    width = Counter({cid: len(names) for cid, names in outlets.items()})
    grown = [cid for cid, n in width.most_common() if n >= min_outlets][:MAX_STORIES]
    if not grown:
        return []
    copies = await clusters.cluster_copies(rule.brand_id, grown, limit=MAX_COPIES)
    found = []
    for cid in grown:
        story = copies.get(cid, [])
        if not story or story[0].published_at < start:
            continue  # an old story gaining copies is not a new one
        first = story[0]
        counted = [h for h in story if h.tier <= rule.max_tier]
        latest = counted[-1] if counted else first
        spread = max(0, round((latest.published_at - first.published_at).total_seconds() / 60))
        evidence = {
            "cluster_id": cid,
            "first_title": first.title,
            "first_url": first.url,
            "first_outlet": first.outlet,
            "first_published_at": _iso(first.published_at),
            "outlets_in_window": width[cid],
            "outlets": sorted(outlets[cid])[:MAX_EVIDENCE_OUTLETS],
            "copies": [_copy(h) for h in story[:MAX_EVIDENCE_COPIES]],
            "window_minutes": minutes,
            "min_outlets": min_outlets,
            "max_tier": rule.max_tier,
        }
        summary = (
            f"New story about {rule.brand_id} in {width[cid]} outlets within "
            f"{spread} min: {first.title}"
        )
        newest = [hit_evidence(h) for h in reversed(story[-MAX_EVIDENCE_MENTIONS:])]
        found.append(StoryFinding(cid, summary, evidence, newest))
    return found
