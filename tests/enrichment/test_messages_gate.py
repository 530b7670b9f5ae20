"""Key-message accuracy gate: carried vs contradicted on real sentences.

``tests/fixtures/key_messages/pairs.jsonl`` (see its README): 416 pairs, the
thresholds, the word lists of ``enrichment._stance`` and the coverage of
``enrichment._coverage`` were set on the ``calibration`` half; the figures
printed and the floors pinned here are on the ``heldout`` half (168 pairs
whose key messages the calibration half never uses). Each pair goes through
the real ``MessageFinder`` (encoder, stance, sentiment, coverage), as a
one-sentence document whose brand has one key message.

Measured on the held-out half (2026-12-01): before this stance detection
(one threshold, the first word lists) carried P 0.475 R 0.560, contradicted
P 0.647 R 0.386; with it, carried P 0.491 R 0.540, contradicted P 0.705
R 0.544. False "carried" came mostly from hard negatives (the brand's topic,
not the message), which cosine does not separate; with the coverage of the
message's content words (``COVERAGE_THRESHOLD``, measured here once, after
calibration): carried P 0.545 R 0.480 (44 calls instead of 55: 20 false
instead of 28, 24 of the 50 carried pairs found instead of 27), contradicted
unchanged. ``FLOORS`` sit a little under these; lowering one needs a reason
in the commit: the carried recall floor went from 0.50 to 0.45 with the
coverage, the 3 pairs it lost being the price of 8 fewer false "carried"
(on the calibration half, 2 of 80 carried pairs for 15 fewer false ones).
Also printed: the same pairs by similarity alone (every match counted as
carried), the baseline stance detection has to beat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import torch

from crawlers import Document
from enrichment import Brand, Enricher, MessageMatch
from enrichment._coverage import TokenStates
from enrichment._messages import THRESHOLD, MessageFinder, MessageRequest, SentenceEncoder
from enrichment._sentiment import SentimentModel
from enrichment._stance import stance
from enrichment._types import Sentiment

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "key_messages" / "pairs.jsonl"
FLOORS = {"carried": (0.52, 0.45), "contradicted": (0.65, 0.50)}  # (precision, recall)


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


def test_the_set_is_large_balanced_and_split() -> None:
    calibration, heldout = _rows("calibration"), _rows("heldout")
    assert len(calibration) + len(heldout) >= 240
    assert not {r["message"] for r in calibration} & {r["message"] for r in heldout}
    for label in ("carried", "contradicted", "none"):
        assert sum(r["label"] == label for r in heldout) >= 40


def test_gate_on_the_heldout_half(encoder: SentenceEncoder, sentiment: SentimentModel) -> None:
    rows = _rows("heldout")
    finder = MessageFinder(encoder, sentiment=sentiment)
    requests = [  # the sentence as the document and as the mention's snippet
        MessageRequest(
            Brand(id=f"b{n}", name=r["brand"], key_messages=(r["message"],)),
            "",
            r["sentence"],
            (r["sentence"],),
        )
        for n, r in enumerate(rows)
    ]
    found = finder.find(requests)
    predicted = [_label(matches) for matches in found]
    messages = encoder.encode([r["message"] for r in rows])
    sentences = encoder.encode([r["sentence"] for r in rows])
    cosines = (messages * sentences).sum(dim=-1).tolist()
    similarity_only = ["carried" if c >= THRESHOLD else "none" for c in cosines]
    gold = [r["label"] for r in rows]
    print(f"\nkey messages, held-out half ({len(rows)} pairs):")
    failed = []
    for label, (min_p, min_r) in FLOORS.items():
        precision, recall = _scores(predicted, gold, label)
        print(f"  {label:13s} precision {precision:.3f} recall {recall:.3f}")
        if precision < min_p or recall < min_r:
            failed.append(label)
    precision, recall = _scores(similarity_only, gold, "carried")
    print(f"  similarity only, carried: precision {precision:.3f} recall {recall:.3f}")
    assert not failed


def _label(matches: tuple[MessageMatch, ...]) -> str:
    """The finder's answer for a one-sentence document: contradicted wins a tie."""
    stances = {m.stance for m in matches}
    return "contradicted" if "contradicted" in stances else stances.pop() if stances else "none"


def test_the_measured_trap_is_a_contradiction() -> None:
    message = "Acme is creating 2,000 jobs"
    assert stance(message, "Acme is cutting 2,000 jobs in Europe") == "contradicted"
    assert stance(message, "Acme will hire two thousand new staff this year") == "carried"
    assert stance(message, "Acme is not creating the jobs it promised") == "contradicted"
    assert stance(message, "Acme says it is not cutting any jobs") == "carried"  # two reversals
    concession = "While Acme has not yet hired anyone, it is creating 2,000 jobs this year"
    assert stance(message, concession) == "carried"  # the concession is not the claim
    negative, positive = Sentiment("negative", 0.9), Sentiment("positive", 0.9)
    good, bad = "Acme treats its staff well", "Acme treats its staff badly"
    assert stance(good, bad) == "carried"  # no word of change or negation: words cannot tell
    assert stance(good, bad, message_sentiment=positive, sentence_sentiment=negative) == (
        "contradicted"
    )
    weak = Sentiment("negative", 0.4)
    assert stance(good, bad, message_sentiment=positive, sentence_sentiment=weak) == "carried"


def test_stance_reads_change_verbs_negation_and_the_relevant_clause() -> None:
    assert stance("Acme is raising its sales forecast.", "Acme cuts sales outlook") == (
        "contradicted"
    )
    # the clause that shares the message's words decides, not the other one
    assert stance("Acme's results beat estimates.", "Acme misses estimates, Q1 net up 20%") == (
        "contradicted"
    )
    assert stance("Acme stays in the index.", "Acme to exit the index from Monday") == (
        "contradicted"
    )
    assert stance("Acme's US range has been tested.", "US range is yet to be tested.") == (
        "contradicted"
    )
    assert stance("Acme plans to delist its shares.", "Acme denies delisting plans") == (
        "contradicted"
    )
    # names are not words of change ("Fallen Order", "Blue Origin")
    assert stance("Fallen Order is an original game.", "Fallen Order is original.") == "carried"
    # "close to" is a quantity, not a closure
    assert stance("Acme hires cleaners.", "Acme will hire close to 1,000 cleaners.") == "carried"


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
        # A false contradiction, pinned so that a change shows: the negated promise
        # sentence is under THRESHOLD for this message (cosine 0.48) but over
        # CONTRADICTION_THRESHOLD, and its "not" reads as a reversal.
        (brand.key_messages[1], "contradicted"),
    }
    carried = by_message[brand.key_messages[1], "carried"]
    assert carried.sentence.startswith("WeWork had reached an agreement with JLL")
    assert THRESHOLD <= carried.score <= 1.0


def test_key_messages_are_encoded_once(encoder: SentenceEncoder, sentiment: SentimentModel) -> None:
    encoded: list[str] = []

    class Recording(SentenceEncoder):
        def embed(self, texts: Sequence[str]) -> tuple[torch.Tensor, list[TokenStates]]:
            encoded.extend(texts)
            return encoder.embed(texts)

    messages = ("Acme is creating 2,000 jobs in Europe.", "Acme runs on renewable energy.")
    acme = Brand(id="acme", name="Acme", key_messages=messages)
    recording = Recording(encoder._model, encoder._tokenizer)
    finder = MessageFinder(recording, sentiment=sentiment)
    request = MessageRequest(acme, "Job cuts", "Acme is cutting 2,000 jobs in Europe.")
    first = finder.find([request])
    assert set(messages) <= set(encoded)
    encoded.clear()
    assert finder.find([request, request]) == [first[0], first[0]]
    assert not set(messages) & set(encoded)  # from the cache, with the same answers


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
