"""The hand-checked dataset of the amplification tests (``test_amplify*.py``).

Brand ``acme`` ("Acme") owns ``acme.example``; key messages "Fast delivery" and
"Green energy". Ranked at ``NOW`` = 2026-05-10 12:00 UTC over 7 days. Per document:
(id, hours before NOW, outlet, domain, channel, tier, audience, acme's sentiment,
cluster, carried, contradicted, engagement) and why it ranks where it does — the
expected scores are written out in ``EXPECTED`` from the formula of
``service._amplify`` (weights .25 / .20 / .15 / .15 / .10 / .15, reach =
log10(1 + audience) / log10(1 + 1e8), tier = 1 / tier, messages = carried / 2,
freshness = 0.5 ** (hours / 48); without engagement the five others are divided
by 0.9):

- a2 Wire, 7 h, tier 2, 100k, + 0.9, carries Fast delivery: the cluster's first
  copy; (.225 + .2 * .625001 + .075 + .075 + .15 * .903857) / .9 = 0.706199.
- a1 Daily, 6 h, tier 1, 1M, + 0.9, carries Fast delivery, cluster a2:
  (.225 + .15 + .15 + .075 + .15 * .917004) / .9 = 0.819501, the best copy of a2.
- a3 Blog, 2 h, tier 3, 1k, + 0.8, carries both: (.2 + .2 * .375054 + .05 + .15
  + .15 * .971532) / .9 = 0.689712.
- a4 Acme Newsroom on newsroom.acme.example: owned media, never a candidate.
- a5 Social, 24 h, tier 3, 10k, + 0.7, 900 likes + 90 reposts + 9 replies + 100
  views (= 1000 interactions, engagement log10(1001) / log10(10001) = .7501):
  .175 + .100001 + .05 + 0 + .07501 + .106066 = 0.506077.
- a6 Daily, 30 h, tier 1, 1M, neutral 0.6: only with ``min_sentiment=neutral``;
  (0 + .15 + .15 + 0 + .15 * .64842) / .9 = 0.441403.
- a7 Review, 3 h, negative: never.
- a8 Daily, 192 h (8 days), tier 1, 1M, + 0.9: only with ``days`` >= 9;
  (.225 + .15 + .15 + 0 + .15 * .0625) / .9 = 0.59375.
- a9 Daily, 12 h, tier 1, 1M, + 0.95, carries Fast delivery but contradicts Green
  energy (messages 0): (.2375 + .15 + .15 + 0 + .15 * .840896) / .9 = 0.737372.
- a1 also mentions globex (positive): another brand's, never in acme's list.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crawlers import Document
from enrichment import Brand, Mention, MessageMatch, Sentiment, SentimentLabel
from tests.store_contract._data import utc

NOW = utc(2026, 5, 10, 12)
FAST, GREEN = "Fast delivery", "Green energy"
ACME = Brand(
    id="acme",
    name="Acme",
    competitors=("globex",),
    owned_domains=("acme.example",),
    key_messages=(FAST, GREEN),
)
GLOBEX = Brand(id="globex", name="Globex")

Row = tuple[
    str, float, str, str, str, int, int, SentimentLabel, float, str | None,
    tuple[str, ...], tuple[str, ...], dict[str, int],
]  # fmt: skip
ROWS: list[Row] = [
    ("a1", 6, "Daily", "daily.example", "news", 1, 1_000_000, "positive", 0.9, "a2",
     (FAST,), (), {}),
    ("a2", 7, "Wire", "wire.example", "news", 2, 100_000, "positive", 0.9, "a2", (FAST,), (), {}),
    ("a3", 2, "Blog", "blog.example", "blog", 3, 1_000, "positive", 0.8, None,
     (FAST, GREEN), (), {}),
    ("a4", 1, "Acme Newsroom", "newsroom.acme.example", "press_release", 1, 1_000_000,
     "positive", 0.99, None, (FAST, GREEN), (), {}),
    ("a5", 24, "Social", "social.example", "social", 3, 10_000, "positive", 0.7, None, (), (),
     {"likes": 900, "reposts": 90, "replies": 9, "views": 100}),
    ("a6", 30, "Daily", "daily.example", "news", 1, 1_000_000, "neutral", 0.6, None, (), (), {}),
    ("a7", 3, "Review", "review.example", "news", 2, 50_000, "negative", 0.9, None, (), (), {}),
    ("a8", 192, "Daily", "daily.example", "news", 1, 1_000_000, "positive", 0.9, None, (), (), {}),
    ("a9", 12, "Daily", "daily.example", "news", 1, 1_000_000, "positive", 0.95, None,
     (FAST,), (GREEN,), {}),
]  # fmt: skip

EXPECTED: dict[str, float] = {
    "a1": 0.819501,
    "a9": 0.737372,
    "a3": 0.689712,
    "a8": 0.59375,
    "a5": 0.506077,
    "a6": 0.441403,
}
"""Each candidate's score (a2 loses its cluster to a1; a4 and a7 are never candidates)."""


def dataset() -> list[tuple[Document, list[Mention]]]:
    """The documents and their mentions, as the pipeline would store them."""
    out: list[tuple[Document, list[Mention]]] = []
    for (doc_id, hours, outlet, domain, channel, tier, audience, label, p, cluster,
         carried, contradicted, engagement) in ROWS:  # fmt: skip
        at = NOW - timedelta(hours=hours)
        document = Document(
            id=doc_id,
            url=f"https://{domain}/{doc_id}",
            source_id=domain,
            outlet=outlet,
            domain=domain,
            title=f"Acme story {doc_id}",
            text="Acme did something.",
            fetched_at=at,
            published_at=at,
            channel=channel,  # type: ignore[arg-type]
            tier=tier,
            audience=audience,
            language="en",
            country="US",
            extra={f"engagement.{k}": str(v) for k, v in engagement.items()},
        )
        messages = tuple(
            MessageMatch(message=m, stance="carried", sentence=f"{m}!", score=0.8) for m in carried
        ) + tuple(
            MessageMatch(message=m, stance="contradicted", sentence=f"Not {m}.", score=0.7)
            for m in contradicted
        )
        mentions = [
            Mention(
                document_id=doc_id,
                brand_id="acme",
                sentiment=Sentiment(label, p),
                snippets=(f"Acme in {doc_id}",),
                in_title=True,
                count=1,
                cluster_id=cluster,
                messages=messages,
            )
        ]
        if doc_id == "a1":
            mentions.append(
                Mention(document_id="a1", brand_id="globex", sentiment=Sentiment("positive", 0.9))
            )
        out.append((document, mentions))
    return out


def as_hits_kwargs(document: Document) -> dict[str, Any]:
    """The document fields of a ``MentionHit`` (for the pure tests)."""
    return {
        "url": document.url,
        "title": document.title,
        "outlet": document.outlet,
        "domain": document.domain,
        "channel": document.channel,
        "tier": document.tier,
        "audience": document.audience,
        "language": document.language,
        "published_at": document.published_at or document.fetched_at,
    }
