"""The Enricher: language, mentions of every brand, one batched sentiment call.

The sentiment model is an external component with its own tests; here a small
deterministic lexicon classifier stands in for it (it implements the same
``SentimentClassifier`` protocol), so that these tests check what the
Enricher does with a model's answers, and how often it asks.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

import enrichment
from crawlers import Document
from enrichment import SENTIMENT_LABELS, Brand, Enricher, QuerySyntaxError, Sentiment, Target
from enrichment._enricher import TITLE_WEIGHT, aggregate

POSITIVE = frozenset({"soars", "beats", "record", "rose", "strong", "wins", "praised"})
NEGATIVE = frozenset({"plunges", "lost", "falls", "recall", "lawsuit", "weak", "fined"})
_WORD = re.compile(r"\w+")


class LexiconClassifier:
    """Sentiment toward a span from the lexicon words in the 2 words after it."""

    def __init__(self) -> None:
        self.calls: list[list[Target]] = []
        self.threads: set[int] = set()

    def _probabilities(self, target: Target) -> tuple[float, float, float]:
        near = {w.casefold() for w in _WORD.findall(target.text[target.end :])[:2]}
        pos, neg = len(near & POSITIVE), len(near & NEGATIVE)
        if pos > neg:
            return 0.1, 0.2, 0.7
        if neg > pos:
            return 0.8, 0.15, 0.05
        return 0.2, 0.6, 0.2

    def predict_proba(self, targets: Sequence[Target]) -> list[tuple[float, float, float]]:
        self.calls.append(list(targets))
        self.threads.add(threading.get_ident())
        return [self._probabilities(t) for t in targets]

    def predict(self, targets: Sequence[Target]) -> list[Sentiment]:
        out = []
        for probs in self.predict_proba(targets):
            best = max(range(3), key=probs.__getitem__)
            out.append(Sentiment(SENTIMENT_LABELS[best], probs[best]))
        return out


class LabelOnlyClassifier:
    """A classifier without probabilities: the Enricher must make do with labels."""

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, targets: Sequence[Target]) -> list[Sentiment]:
        self.calls += 1
        return [Sentiment("positive", 0.9) for _ in targets]


ACME = Brand(id="acme", name="Acme", spokespeople=("Jane Doe",))
GLOBEX = Brand(id="globex", name="Globex", query="Globex NOT {GLOBEX}")
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def doc(n: int, title: str, text: str, language: str | None = None) -> Document:
    return Document(
        id=f"d{n}",
        url=f"https://news.example/{n}",
        source_id="s",
        outlet="Example News",
        domain="news.example",
        title=title,
        text=text,
        fetched_at=NOW,
        language=language,
    )


DOCS = [
    doc(1, "Acme soars as Globex plunges", "Acme reported record profit. Globex lost a lawsuit."),
    doc(2, "Markets today", "Nothing about anyone in particular here, only the weather.", "en"),
    doc(3, "Globex wins contract", "Analysts praised Globex. Jane Doe of Acme said little."),
    doc(4, "Acme fined", "Regulators fined Acme on Monday, and Acme shares fell."),
    doc(5, "Le marché", "Acme a présenté ses résultats trimestriels aux investisseurs à Paris."),
]


async def test_one_classifier_call_for_the_whole_batch() -> None:
    classifier = LexiconClassifier()
    enricher = Enricher(brands=[ACME, GLOBEX], sentiment=classifier)
    results = await enricher.enrich(DOCS)
    assert len(classifier.calls) == 1
    drafted = sum(len(m) for _, m in results)
    assert drafted == 6
    assert len(classifier.calls[0]) >= drafted  # every mention's targets, in one call
    assert threading.get_ident() not in classifier.threads  # off the event loop


async def test_mentions_carry_sentiment_toward_each_brand() -> None:
    results = await Enricher(brands=[ACME, GLOBEX], sentiment=LexiconClassifier()).enrich(DOCS)
    by_doc = {d.id: {m.brand_id: m for m in mentions} for d, mentions in results}
    assert by_doc["d1"]["acme"].sentiment.label == "positive"
    assert by_doc["d1"]["globex"].sentiment.label == "negative"
    assert by_doc["d2"] == {}
    assert by_doc["d3"]["globex"].sentiment.label == "positive"
    assert by_doc["d3"]["acme"].spokespeople == ("Jane Doe",)
    assert not by_doc["d3"]["acme"].in_title
    assert by_doc["d4"]["acme"].sentiment.label == "negative"
    assert by_doc["d4"]["acme"].count == 3
    acme = by_doc["d1"]["acme"]
    assert (acme.document_id, acme.in_title, acme.in_lead) == ("d1", True, True)
    assert acme.snippets == ("Acme soars as Globex plunges", "Acme reported record profit.")
    assert 0.0 < acme.sentiment.score <= 1.0


async def test_language_is_detected_when_missing_and_kept_otherwise() -> None:
    results = await Enricher(brands=[ACME], sentiment=LexiconClassifier()).enrich(DOCS)
    languages = {d.id: d.language for d, _ in results}
    assert languages["d1"] == "en"
    assert languages["d2"] == "en"  # given
    assert languages["d5"] == "fr"
    assert [d.id for d, _ in results] == [d.id for d in DOCS]  # input order
    given = doc(9, "Acme", "Acme reported record profit today in London.", language="de")
    [(kept, _)] = await Enricher(brands=[ACME], sentiment=LexiconClassifier()).enrich([given])
    assert kept.language == "de"


async def test_no_call_without_mentions() -> None:
    classifier = LexiconClassifier()
    enricher = Enricher(brands=[ACME], sentiment=classifier)
    assert await enricher.enrich([]) == []
    [(_, mentions)] = await enricher.enrich([DOCS[1]])
    assert mentions == []
    assert classifier.calls == []


async def test_label_only_classifiers_work() -> None:
    classifier = LabelOnlyClassifier()
    results = await Enricher(brands=[ACME, GLOBEX], sentiment=classifier).enrich(DOCS)
    assert classifier.calls == 1
    assert {m.sentiment for _, ms in results for m in ms} == {Sentiment("positive", 0.9)}


async def test_a_classifier_that_miscounts_is_an_error() -> None:
    class Short(LexiconClassifier):
        def predict_proba(self, targets: Sequence[Target]) -> list[tuple[float, float, float]]:
            return super().predict_proba(targets)[:-1]

    with pytest.raises(ValueError, match="results for"):
        await Enricher(brands=[ACME], sentiment=Short()).enrich(DOCS)


async def test_max_targets_per_mention() -> None:
    classifier = LexiconClassifier()
    text = " ".join(f"Acme did thing number {i}." for i in range(10))
    enricher = Enricher(brands=[ACME], sentiment=classifier, max_targets_per_mention=2)
    [(_, [mention])] = await enricher.enrich([doc(1, "Acme news", text)])
    assert len(classifier.calls[0]) == 2
    assert mention.count == 11


def test_set_brands_names_the_brand_with_a_bad_query() -> None:
    enricher = Enricher(brands=[ACME], sentiment=LexiconClassifier())
    bad = Brand(id="bad", name="Bad", query="Bad AND (")
    with pytest.raises(QuerySyntaxError) as caught:
        enricher.set_brands([GLOBEX, bad])
    assert caught.value.brand_id == "bad"
    assert caught.value.position == 9
    assert "brand 'bad'" in str(caught.value)
    assert enricher.brands == (ACME,)  # unchanged
    enricher.set_brands([GLOBEX])
    assert enricher.brands == (GLOBEX,)
    with pytest.raises(QuerySyntaxError):
        Enricher(brands=[bad], sentiment=LexiconClassifier())


def test_aggregate_weights_the_title() -> None:
    title_negative = [(0.9, 0.05, 0.05), (0.1, 0.1, 0.8), (0.1, 0.1, 0.8)]
    assert aggregate(title_negative, title_first=False).label == "positive"
    assert aggregate(title_negative, title_first=True).label == "negative"
    mixed = aggregate([(0.6, 0.3, 0.1), (0.6, 0.3, 0.1)])
    assert mixed.label == "negative"
    assert mixed.score == pytest.approx(0.6)
    assert TITLE_WEIGHT > 1
    assert aggregate([]) == Sentiment("neutral", 1.0)


def test_public_names() -> None:
    for name in enrichment.__all__:
        assert getattr(enrichment, name) is not None
    assert {"Enricher", "parse_query", "find_spans", "find_mentions", "Target"} <= set(
        enrichment.__all__
    )
