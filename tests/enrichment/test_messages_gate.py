"""Key-message accuracy gate: carried vs contradicted on real sentences.

``tests/fixtures/key_messages/pairs.jsonl`` (see its README): the cosine
threshold was calibrated on the ``calibration`` split; the figures printed
and the floors pinned here are on the ``report`` split. The floors sit a little
under what was measured on 38 pairs (carried P 0.682 R 1.000, contradicted
P 1.000 R 0.417 with ``THRESHOLD`` 0.5; similarity alone: carried P 0.556);
lowering one needs a reason in the commit.

Also printed: the same pairs scored by similarity alone (every match counted
as carried), the baseline stance detection has to beat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers import Document
from enrichment import Brand, Enricher, MessageMatch
from enrichment._messages import (
    THRESHOLD,
    MessageFinder,
    MessageRequest,
    SentenceEncoder,
    _target,
    stance,
)
from enrichment._sentiment import SentimentModel
from enrichment._types import Sentiment

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "key_messages" / "pairs.jsonl"
FLOORS = {"carried": (0.65, 0.95), "contradicted": (0.95, 0.40)}  # (precision, recall)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load(threads=1)


@pytest.fixture(scope="module")
def sentiment() -> SentimentModel:
    return SentimentModel.load(threads=1)


def _rows(split: str) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["split"] == split]


def _scores(predicted: Sequence[str], gold: Sequence[str], label: str) -> tuple[float, float]:
    tp = sum(p == g == label for p, g in zip(predicted, gold, strict=True))
    asked = sum(p == label for p in predicted)
    return (tp / asked if asked else 0.0), tp / sum(g == label for g in gold)


def test_the_set_is_balanced_and_split() -> None:
    calibration, report = _rows("calibration"), _rows("report")
    assert len(calibration) + len(report) >= 60
    for label in ("carried", "contradicted", "none"):
        assert sum(r["label"] == label for r in report) >= 10


def test_gate_on_the_report_split(encoder: SentenceEncoder, sentiment: SentimentModel) -> None:
    rows = _rows("report")
    messages = encoder.encode([r["message"] for r in rows])
    sentences = encoder.encode([r["sentence"] for r in rows])
    cosines = (messages * sentences).sum(dim=-1).tolist()
    targets = [
        t
        for r in rows
        for t in (_target(r["message"], [r["brand"]]), _target(r["sentence"], [r["brand"]]))
    ]
    feelings = sentiment.predict(targets)
    predicted, similarity_only = [], []
    for i, (row, cosine) in enumerate(zip(rows, cosines, strict=True)):
        matched = cosine >= THRESHOLD
        similarity_only.append("carried" if matched else "none")
        predicted.append(
            stance(
                row["message"],
                row["sentence"],
                message_sentiment=feelings[2 * i],
                sentence_sentiment=feelings[2 * i + 1],
            )
            if matched
            else "none"
        )
    gold = [r["label"] for r in rows]
    print(f"\nkey messages, report split ({len(rows)} pairs, threshold {THRESHOLD}):")
    for label, (min_p, min_r) in FLOORS.items():
        precision, recall = _scores(predicted, gold, label)
        print(f"  {label:13s} precision {precision:.3f} recall {recall:.3f}")
        assert precision >= min_p and recall >= min_r, label
    precision, recall = _scores(similarity_only, gold, "carried")
    print(f"  similarity only, carried: precision {precision:.3f} recall {recall:.3f}")


def test_the_measured_trap_is_a_contradiction() -> None:
    message = "Acme is creating 2,000 jobs"
    assert stance(message, "Acme is cutting 2,000 jobs in Europe") == "contradicted"
    assert stance(message, "Acme will hire two thousand new staff this year") == "carried"
    assert stance(message, "Acme is not creating the jobs it promised") == "contradicted"
    assert stance(message, "Acme says it is not cutting any jobs") == "carried"  # two reversals
    concession = "While Acme has not yet hired anyone, it is creating 2,000 jobs this year"
    assert stance(message, concession) == "carried"  # the concession is not the claim
    negative, positive = Sentiment("negative", 0.9), Sentiment("positive", 0.9)
    assert (
        stance("Acme leads", "Acme trails", message_sentiment=positive, sentence_sentiment=negative)
        == "contradicted"
    )
    weak = Sentiment("negative", 0.4)
    assert (
        stance("Acme leads", "Acme trails", message_sentiment=positive, sentence_sentiment=weak)
        == "carried"
    )


def test_finder_on_a_document(encoder: SentenceEncoder, sentiment: SentimentModel) -> None:
    brand = Brand(
        id="wework",
        name="WeWork",
        key_messages=(
            "WeWork treats its employees with dignity and respect.",
            "WeWork found new employers for its cleaning and maintenance staff.",
            "WeWork is opening offices on the Moon.",
        ),
    )
    text = (
        "WeWork had reached an agreement with JLL to accept close to 1,000 maintenance and "
        "cleaning workers.\nThe group added that WeWork “is not following through on its "
        "promise to treat employees with ‘dignity and respect’ during this restructuring.”"
    )
    finder = MessageFinder(encoder, sentiment=sentiment)
    [found, nothing] = finder.find(
        [
            MessageRequest(brand, "WeWork lay-offs", text),
            MessageRequest(Brand(id="x", name="X"), "", text),
        ]
    )
    assert nothing == ()
    by_message = {(m.message, m.stance): m for m in found}
    assert set(by_message) == {
        (brand.key_messages[0], "contradicted"),
        (brand.key_messages[1], "carried"),
    }
    carried = by_message[brand.key_messages[1], "carried"]
    assert carried.sentence.startswith("WeWork had reached an agreement with JLL")
    assert THRESHOLD <= carried.score <= 1.0


async def test_enricher_looks_only_for_brands_with_key_messages(
    encoder: SentenceEncoder, sentiment: SentimentModel
) -> None:
    calls: list[int] = []

    class Counting(MessageFinder):
        def find(self, requests: Sequence[MessageRequest]) -> list[tuple[MessageMatch, ...]]:
            calls.append(len(requests))
            return super().find(requests)

    message = "Acme is creating jobs in Europe."
    acme = Brand(id="acme", name="Acme", key_messages=(message,))
    globex = Brand(id="globex", name="Globex")
    enricher = Enricher(
        brands=[acme, globex], sentiment=sentiment, messages=Counting(encoder, sentiment=sentiment)
    )
    text = "Acme is cutting 2,000 jobs in Europe, the company said.\nGlobex was not affected."
    now = datetime.now(UTC)
    document = Document(
        id="d",
        url="https://x.example/d",
        source_id="s",
        outlet="X",
        domain="x.example",
        title="Job cuts",
        text=text,
        fetched_at=now,
    )
    [(_, mentions)] = await enricher.enrich([document])
    by_brand = {m.brand_id: m for m in mentions}
    assert [(m.message, m.stance) for m in by_brand["acme"].messages] == [(message, "contradicted")]
    assert by_brand["globex"].messages == ()
    assert calls == [1]  # one call for the batch, with Acme's mention only
    plain = Enricher(brands=[globex], sentiment=sentiment, messages=Counting(encoder))
    await plain.enrich([document])
    assert calls == [1]  # no brand with key messages: no call at all
