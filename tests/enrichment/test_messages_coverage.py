"""Coverage (``enrichment._coverage``): an on-topic sentence that does not
carry a key message is not "carried", on real sentences of
``tests/fixtures/key_messages/pairs.jsonl`` (calibration half), through the
real encoder and ``MessageFinder``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from enrichment import Brand
from enrichment._coverage import content_words, coverage
from enrichment._messages import COVERAGE_THRESHOLD, MessageFinder, MessageRequest, SentenceEncoder

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "key_messages" / "pairs.jsonl"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load(threads=1)


def _pair(pair_id: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()
    ]
    [row] = [r for r in rows if r["id"] == pair_id]
    assert row["split"] == "calibration"  # never a held-out pair
    return row


def _carried(finder: MessageFinder, brand: str, message: str, sentence: str) -> bool:
    request = MessageRequest(Brand(id="b", name=brand, key_messages=(message,)), "", sentence)
    [found] = finder.find([request])
    return any(m.stance == "carried" for m in found)


@pytest.mark.parametrize(
    ("on_topic", "carrying"),
    [
        (102, 100),  # Alibaba's listing ceremony, not a record-breaking share sale
        (233, 231),  # Blue Origin's lander concept, not what it carries
        (180, None),  # a redesigned Nissan compact, not a booming segment
    ],
)
def test_an_on_topic_sentence_does_not_carry_the_message(
    encoder: SentenceEncoder, on_topic: int, carrying: int | None
) -> None:
    negative = _pair(on_topic)
    assert negative["label"] == "none"
    brand, message = negative["brand"], negative["message"]
    finder = MessageFinder(encoder)
    assert not _carried(finder, brand, message, negative["sentence"])
    # the cosine alone passes it: coverage is what turns it down
    blind = MessageFinder(encoder, coverage_threshold=-1.0)
    assert _carried(blind, brand, message, negative["sentence"])
    if carrying is not None:  # while a sentence that carries it still does
        positive = _pair(carrying)
        assert (positive["label"], positive["message"]) == ("carried", message)
        assert _carried(finder, brand, message, positive["sentence"])


def test_coverage_of_a_paraphrase_and_of_a_sentence_on_the_topic(
    encoder: SentenceEncoder,
) -> None:
    row = _pair(102)
    message, brand = row["message"], row["brand"]
    _, [said, paraphrase, on_topic] = encoder.embed(
        [message, _pair(100)["sentence"], row["sentence"]]
    )
    assert coverage(said, paraphrase, names=(brand,)) >= COVERAGE_THRESHOLD
    assert coverage(said, on_topic, names=(brand,)) < COVERAGE_THRESHOLD
    assert coverage(said, said, names=(brand,)) == pytest.approx(1.0, abs=1e-4)
    # a message of names and function words only has nothing to cover
    _, [bare, other] = encoder.embed(["It is Alibaba.", "Something else entirely."])
    assert coverage(bare, other, names=(brand,)) == 1.0


def test_embed_gives_the_pooled_embedding_and_token_states_by_word(
    encoder: SentenceEncoder,
) -> None:
    texts = ["WeWork’s 2,000 jobs", "Acme is creating jobs in Europe."]
    vectors, [first, second] = encoder.embed(texts)
    assert torch.allclose(vectors, encoder.encode(texts))
    assert first.words == ("WeWork", "’", "s", "2", ",", "000", "jobs")
    assert len(first.word_ids) == first.states.shape[0] >= len(first.words)  # word pieces
    assert sorted(set(first.word_ids)) == list(range(len(first.words)))
    assert torch.allclose(first.states.norm(dim=-1), torch.ones(len(first.word_ids)))
    assert second.words[-1] == "."


def test_content_words_leave_out_names_function_words_and_single_letters() -> None:
    words = ["Acme", "’", "s", "e", "-", "tron", "runs", "on", "100", "%", "renewable"]
    assert [words[i] for i in content_words(words, ["Acme"])] == [
        "tron",
        "runs",
        "100",
        "renewable",
    ]
    assert content_words(["Europe", "is", "green", "7"], []) == [2, 3]
    # a brand spelled in lower case is still a name
    assert content_words(["ebay", "grows"], ["eBay Inc"]) == [1]
