"""The models called from several threads at once (the pipeline enriches batches
concurrently): every call gets what it would get alone, and nothing raises (a fast
tokenizer used concurrently raises "Already borrowed")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from enrichment import SentenceEncoder, SentimentModel
from enrichment._mentions import Target

TEXTS = [
    "Infosys shares surged 6% after strong results, while Wipro slumped on weak guidance.",
    "Tata Motors recalls 40,000 vehicles over brake defects.",
    "HDFC Bank Q3 net profit rises 20%, beats estimates.",
    "Sebi fines Reliance Rs 25 crore for insider trading.",
    "Obama praised Merkel for her leadership, but attacked Putin.",
    "The Senate will vote on the bill on Tuesday, Schumer said.",
]


def _targets(shift: int) -> list[Target]:
    """Targets of varied lengths, different for each caller (so batches differ)."""
    found = []
    for text in TEXTS[shift:] + TEXTS[:shift]:
        word = text.split()[0]
        found.append(Target(text, 0, len(word)))
    return found


@pytest.fixture(scope="module", autouse=True)
def _offline() -> object:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield


def test_sentiment_from_several_threads_matches_one_thread() -> None:
    model = SentimentModel.load(threads=1, batch_size=4)
    jobs = [_targets(shift) * 3 for shift in range(6)]
    alone = [model.predict_proba(job) for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(model.predict_proba, jobs))
    for one, other in zip(alone, together, strict=True):
        assert torch.allclose(torch.tensor(one), torch.tensor(other), atol=1e-5)


def test_encoder_from_several_threads_matches_one_thread() -> None:
    encoder = SentenceEncoder.load(threads=1, batch_size=4)
    jobs = [TEXTS[shift:] + TEXTS[:shift] for shift in range(6)]
    alone = [encoder.encode(job) for job in jobs]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(encoder.encode, jobs))
    for one, other in zip(alone, together, strict=True):
        assert torch.allclose(one, other, atol=1e-5)
