"""The pure amplification ranking (``service._amplify``) on the hand-checked dataset
of ``_amplify_data`` (every number is worked out there), and its edge cases."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import timedelta

import pytest

from crawlers.social import engagement_of
from enrichment import Sentiment
from search import MentionHit
from service._amplify import (
    HALF_LIFE,
    WEIGHTS,
    Components,
    rank_candidates,
)
from service._amplify_formats import amplify_csv
from service._schemas_amplify import AmplifyCandidate, AmplifyList
from tests.service._amplify_data import ACME, EXPECTED, NOW, as_hits_kwargs, dataset


def hits(*, within: timedelta = timedelta(days=7)) -> list[MentionHit]:
    return [
        MentionHit(mention=m, **as_hits_kwargs(d))
        for d, mentions in dataset()
        for m in mentions
        if d.published_at is not None and NOW - d.published_at < within
    ]


def engagement() -> dict[str, dict[str, int]]:
    return {d.id: engagement_of(d.extra) for d, _ in dataset()}


def test_weights_sum_to_one_and_freshness_halves() -> None:
    assert math.isclose(sum(WEIGHTS.values()), 1.0)
    assert HALF_LIFE == timedelta(hours=48)


def test_the_dataset_ranks_as_worked_out() -> None:
    ranked = rank_candidates(hits(), brand=ACME, now=NOW, limit=20, engagement=engagement())
    assert [(c.hit.mention.document_id, c.score) for c in ranked] == [
        ("a1", EXPECTED["a1"]),
        ("a9", EXPECTED["a9"]),
        ("a3", EXPECTED["a3"]),
        ("a5", EXPECTED["a5"]),
    ]
    a1, a9, a3, a5 = ranked
    assert a1.also_in == ("Wire",)  # a2, the cluster's first copy, scores less
    assert a1.components == Components(
        sentiment=0.9,
        reach=pytest.approx(0.75),  # type: ignore[arg-type]
        tier=1.0,
        messages=0.5,
        engagement=None,
        freshness=pytest.approx(0.917004, abs=1e-6),  # type: ignore[arg-type]
    )
    assert a1.reasons == (
        "positive toward Acme (p=0.90)",
        "tier 1 outlet",
        "reach 1M",
        "carries 'Fast delivery'",
        "published 6 h ago",
        "also in 1 other outlet(s)",
    )
    assert a9.components.messages == 0.0 and a9.contradicted == ("Green energy",)
    assert "contradicts 'Green energy'" in a9.reasons
    assert a3.carried == ("Fast delivery", "Green energy") and a3.components.messages == 1.0
    assert a5.engagement == {"likes": 900, "reposts": 90, "replies": 9, "views": 100}
    assert a5.components.engagement == pytest.approx(0.7501, abs=1e-4)
    assert "1K interactions" in a5.reasons and "published 24 h ago" in a5.reasons


def test_neutral_admitted_on_request_negative_never() -> None:
    ranked = rank_candidates(hits(), brand=ACME, now=NOW, limit=20, admit_neutral=True)
    ids = [c.hit.mention.document_id for c in ranked]
    assert ids[-1] == "a6" and ranked[-1].score == EXPECTED["a6"]
    assert ranked[-1].reasons[0] == "neutral toward Acme"
    assert "a7" not in ids and "a4" not in ids  # negative; owned (subdomain of acme.example)


def test_older_stories_decay_and_limit_cuts() -> None:
    ranked = rank_candidates(hits(within=timedelta(days=10)), brand=ACME, now=NOW, limit=4)
    assert [(c.hit.mention.document_id, c.score) for c in ranked] == [
        ("a1", EXPECTED["a1"]),
        ("a9", EXPECTED["a9"]),
        ("a3", EXPECTED["a3"]),
        ("a8", EXPECTED["a8"]),
    ]
    assert "published 8 d ago" in ranked[-1].reasons


def test_owned_media_by_url_host_too_and_other_brands_ignored() -> None:
    base = hits()
    a3 = next(h for h in base if h.mention.document_id == "a3")
    on_owned_host = replace(a3, url="https://www.acme.example/blog/a3")
    ranked = rank_candidates([on_owned_host], brand=ACME, now=NOW, limit=5)
    assert ranked == []
    globex_only = [h for h in base if h.mention.brand_id == "globex"]
    assert rank_candidates(globex_only, brand=ACME, now=NOW, limit=5) == []


def test_future_publication_counts_as_fresh_and_ties_break_newest_first() -> None:
    a3 = next(h for h in hits() if h.mention.document_id == "a3")
    future = replace(a3, published_at=NOW + timedelta(hours=3))
    [c] = rank_candidates([future], brand=ACME, now=NOW, limit=1)
    assert c.components.freshness == 1.0
    assert "published less than an hour ago" in c.reasons
    twin = replace(
        a3,
        mention=replace(a3.mention, document_id="a0", cluster_id=None),
    )
    ranked = rank_candidates([a3, twin], brand=ACME, now=NOW, limit=5)
    assert [c.hit.mention.document_id for c in ranked] == ["a0", "a3"]  # equal: by id


def test_missing_engagement_spreads_its_weight() -> None:
    with_counts = Components(sentiment=1, reach=1, tier=1, messages=1, engagement=0.0, freshness=1)
    without = replace(with_counts, engagement=None)
    assert with_counts.score() == pytest.approx(0.9)
    assert without.score() == pytest.approx(1.0)


def test_engagement_counts_from_extra() -> None:
    assert engagement_of(
        {"engagement.likes": "5", "engagement.views": "x", "engagement.bad": "-1", "platform": "r"}
    ) == {"likes": 5}


def test_sentiment_probability_is_the_sentiment_component() -> None:
    a3 = next(h for h in hits() if h.mention.document_id == "a3")
    sure = replace(a3, mention=replace(a3.mention, sentiment=Sentiment("positive", 0.99)))
    unsure = replace(a3, mention=replace(a3.mention, sentiment=Sentiment("positive", 0.51)))
    [high] = rank_candidates([sure], brand=ACME, now=NOW, limit=1)
    [low] = rank_candidates([unsure], brand=ACME, now=NOW, limit=1)
    assert high.score > low.score
    assert high.score - low.score == pytest.approx(WEIGHTS["sentiment"] * 0.48 / 0.9, abs=1e-6)


def test_csv_defuses_formulas_from_the_open_web() -> None:
    a3 = next(h for h in hits() if h.mention.document_id == "a3")
    evil = replace(a3, title='=HYPERLINK("http://evil.example")', outlet="@Blog")
    [c] = rank_candidates([evil], brand=ACME, now=NOW, limit=1)
    body = AmplifyList(
        brand="acme",
        brand_name="Acme",
        start=NOW - timedelta(days=7),
        end=NOW,
        days=7,
        sentiment=["positive"],
        weights=dict(WEIGHTS),
        half_life_hours=48.0,
        items=[AmplifyCandidate.of(1, c)],
    )
    [row] = list(csv.DictReader(io.StringIO(amplify_csv(body))))
    assert row["title"] == '\'=HYPERLINK("http://evil.example")'
    assert row["outlet"] == "'@Blog"
    assert row["score"] == str(c.score)
