"""Amplification candidates: which recent earned mentions of a brand to push with paid media.

A pure core (no I/O, no clock): ``rank_candidates`` takes the mentions the route read
from the store, the engagement counts of the social posts among them and the time
"now", and answers the candidates best first, each with its score, the components
the score is made of and the reasons a person reads.

**Eligibility.** A mention is a candidate when it is *earned* (its document is not on
one of the brand's ``owned_domains`` or their subdomains, by the document's domain or
its URL's host) and *positive toward the brand* (``admit_neutral`` also admits
neutral ones; negative mentions never). One candidate per syndication cluster: the
copy that scores best (ties: the earliest, then the smallest document id); the
other copies' outlets are listed in ``also_in``.

**Score** = the weighted mean of the components present, each in [0, 1]
(``WEIGHTS``, which sum to 1):

- ``sentiment``: the model's probability for "positive" (a neutral mention: 0);
- ``reach``: log10(1 + audience) / log10(1 + ``REACH_CEILING``), at most 1;
- ``tier``: 1 / tier (tier 1 = 1, tier 2 = 0.5, tier 3 = 0.333...);
- ``messages``: key messages carried / ``MESSAGES_FOR_FULL``, at most 1, and 0 when
  the mention contradicts any key message;
- ``engagement``: log10(1 + interactions) / log10(1 + ``ENGAGEMENT_CEILING``), at
  most 1, where interactions = every engagement count but views, plus views ×
  ``VIEW_WEIGHT``; *absent* (``None``) for a document that carries no count (news
  articles): its weight is then spread over the others rather than counted as 0,
  since a missing count is not a zero;
- ``freshness``: 0.5 ** (age / ``HALF_LIFE``); a publication time after ``now``
  (a publisher's clock) counts as age 0.

Ordering: score descending, then newest first, then document id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crawlers.social import ENGAGEMENT_VIEWS
from enrichment import Brand
from search import MentionHit
from service._attribution import host_of, owns

__all__ = [
    "ENGAGEMENT_CEILING",
    "HALF_LIFE",
    "MESSAGES_FOR_FULL",
    "REACH_CEILING",
    "VIEW_WEIGHT",
    "WEIGHTS",
    "Candidate",
    "Components",
    "rank_candidates",
]

WEIGHTS: Mapping[str, float] = {
    # Paying to spread a story that is not clearly favourable spends money against the
    # brand: how sure the model is that the tone is positive weighs most.
    "sentiment": 0.25,
    # The audience the story already has is the audience paid media extends, and a
    # large one is social proof in the ad itself.
    "reach": 0.20,
    # An outlet's standing (a tier-1 masthead in an ad) is worth more than its
    # audience figure says; ordinal and coarse, so less than reach.
    "tier": 0.15,
    # Paid media should push the message architecture PR and marketing agreed on.
    "messages": 0.15,
    # Evidence the story already resonates; only social posts carry counts (when
    # absent the weight goes to the others), so it stays small.
    "engagement": 0.10,
    # Amplifying last week's story is worth less than today's; the half-life does the
    # work, the weight keeps an old tier-1 exclusive above a fresh minor blog post.
    "freshness": 0.15,
}
HALF_LIFE = timedelta(hours=48)
"""News interest (shares, referral traffic) mostly comes in a story's first two days;
a 48 h half-life leaves a 7-day-old story 1/11 of a new one's freshness."""
REACH_CEILING = 100_000_000
"""An audience scoring reach 1: the largest global outlets' monthly audiences are
around 10^8; a log scale so that 10x the audience adds a constant step (1/8)."""
MESSAGES_FOR_FULL = 2
"""Key messages for a full ``messages`` component: stories rarely carry more than two
of a brand's messages, and one carried message should already count for half."""
ENGAGEMENT_CEILING = 10_000
"""Interactions scoring engagement 1: a post with 10k likes, reposts, replies and
comments is viral by any platform's standard."""
VIEW_WEIGHT = 0.01
"""Interactions per view: views are passive, and typical engagement rates are about
1% of views, so 100 views count like one interaction."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Components:
    """The score's parts, each in [0, 1]; ``engagement`` is ``None`` when absent."""

    sentiment: float
    reach: float
    tier: float
    messages: float
    engagement: float | None
    freshness: float

    def score(self, weights: Mapping[str, float] = WEIGHTS) -> float:
        """The weighted mean of the present components (see the module docstring)."""
        parts = {
            "sentiment": self.sentiment,
            "reach": self.reach,
            "tier": self.tier,
            "messages": self.messages,
            "engagement": self.engagement,
            "freshness": self.freshness,
        }
        present = {k: v for k, v in parts.items() if v is not None}
        total = sum(weights[k] for k in present)
        return sum(weights[k] * v for k, v in present.items()) / total if total else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One story to amplify: its best copy, the score and why it ranks."""

    hit: MentionHit
    score: float
    components: Components
    reasons: tuple[str, ...]
    carried: tuple[str, ...]
    contradicted: tuple[str, ...]
    engagement: Mapping[str, int] = field(default_factory=dict)
    also_in: tuple[str, ...] = ()
    """Outlets of the cluster's other eligible copies, by name, without the best's."""


def _log_share(value: float, ceiling: int) -> float:
    return min(1.0, math.log10(1 + max(0.0, value)) / math.log10(1 + ceiling))


def _interactions(counts: Mapping[str, int]) -> float:
    views = counts.get(ENGAGEMENT_VIEWS, 0)
    return sum(v for k, v in counts.items() if k != ENGAGEMENT_VIEWS) + views * VIEW_WEIGHT


def _compact(number: float) -> str:
    """2_100_000 -> "2.1M", 45_000 -> "45K", 950 -> "950"."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if number >= size:
            return f"{number / size:.1f}".removesuffix(".0") + suffix
    return f"{number:.0f}"


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return "published less than an hour ago"
    if hours < 48:
        return f"published {int(hours)} h ago"
    return f"published {int(hours // 24)} d ago"


def _score(
    hit: MentionHit, brand: Brand, engagement: Mapping[str, int], now: datetime
) -> Candidate:
    m = hit.mention
    carried = tuple(dict.fromkeys(x.message for x in m.messages if x.stance == "carried"))
    contradicted = tuple(dict.fromkeys(x.message for x in m.messages if x.stance == "contradicted"))
    age = max(timedelta(0), now - hit.published_at)
    positive = m.sentiment.label == "positive"
    components = Components(
        sentiment=m.sentiment.score if positive else 0.0,
        reach=_log_share(hit.audience, REACH_CEILING),
        tier=1.0 / max(1, hit.tier),
        messages=0.0 if contradicted else min(1.0, len(carried) / MESSAGES_FOR_FULL),
        engagement=_log_share(_interactions(engagement), ENGAGEMENT_CEILING)
        if engagement
        else None,
        freshness=0.5 ** (age / HALF_LIFE),
    )
    reasons = [
        f"positive toward {brand.name} (p={m.sentiment.score:.2f})"
        if positive
        else f"neutral toward {brand.name}",
        f"tier {hit.tier} outlet",
        f"reach {_compact(hit.audience)}",
        *(f"carries '{x}'" for x in carried),
        *(f"contradicts '{x}'" for x in contradicted),
    ]
    if engagement:
        reasons.append(f"{_compact(_interactions(engagement))} interactions")
    reasons.append(_age(age))
    return Candidate(
        hit=hit,
        score=round(components.score(), 6),
        components=components,
        reasons=tuple(reasons),
        carried=carried,
        contradicted=contradicted,
        engagement=dict(engagement),
    )


def _earned(hit: MentionHit, brand: Brand) -> bool:
    return not (owns(brand, hit.domain.lower()) or owns(brand, host_of(hit.url)))


def rank_candidates(
    hits: Sequence[MentionHit],
    *,
    brand: Brand,
    now: datetime,
    limit: int,
    engagement: Mapping[str, Mapping[str, int]] | None = None,
    admit_neutral: bool = False,
) -> list[Candidate]:
    """The best ``limit`` candidates among ``hits`` (mentions of ``brand``), best first.

    ``engagement`` maps a document id to its counts (``crawlers.social.engagement_of``);
    ``now`` is aware. Hits of other brands are ignored. See the module docstring for the rules.
    """
    counts = engagement or {}
    admitted = {"positive", "neutral"} if admit_neutral else {"positive"}
    clusters: dict[str, list[Candidate]] = {}
    for hit in hits:
        m = hit.mention
        if m.brand_id != brand.id or m.sentiment.label not in admitted:
            continue
        if not _earned(hit, brand):
            continue
        scored = _score(hit, brand, counts.get(m.document_id, {}), now)
        clusters.setdefault(m.cluster_id or m.document_id, []).append(scored)
    best: list[Candidate] = []
    for copies in clusters.values():
        copies.sort(key=lambda c: (-c.score, c.hit.published_at, c.hit.mention.document_id))
        first = copies[0]
        others = sorted({c.hit.outlet for c in copies[1:]} - {first.hit.outlet})
        reasons = first.reasons
        if others:
            reasons = (*reasons, f"also in {len(others)} other outlet(s)")
        best.append(
            Candidate(
                hit=first.hit,
                score=first.score,
                components=first.components,
                reasons=reasons,
                carried=first.carried,
                contradicted=first.contradicted,
                engagement=first.engagement,
                also_in=tuple(others),
            )
        )
    best.sort(key=lambda c: (-c.score, -c.hit.published_at.timestamp(), c.hit.mention.document_id))
    return best[:limit]
