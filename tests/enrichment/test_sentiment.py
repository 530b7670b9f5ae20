"""The shipped sentiment model, loaded offline: batching, order, target-dependence,
label mapping; and the pure parts (input encoding, label names) without a model.

The accuracy on the dev sets is in ``test_sentiment_gate.py``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from enrichment._mentions import Target
from enrichment._sentiment import (
    CONTEXT_CHARS,
    SHIPPED_MODEL_DIR,
    SentimentModel,
    _label_order,
    encode_target,
)
from enrichment._types import SENTIMENT_LABELS


def target(text: str, mention: str, occurrence: int = 0) -> Target:
    """The ``occurrence``-th ``mention`` in ``text`` as a target."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(mention, start + 1)
    return Target(text, start, start + len(mention))


@pytest.fixture(scope="module")
def model() -> Iterator[SentimentModel]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield SentimentModel.load(batch_size=8)


SENTENCES = [
    "Infosys shares surged 6% after strong results, while Wipro slumped on weak guidance.",
    "Tata Motors recalls 40,000 vehicles over brake defects.",
    "The Senate will vote on the bill on Tuesday, Schumer said.",
    "Critics accused Trump of undermining the investigation.",
    "Sebi fines Reliance Rs 25 crore for insider trading.",
    "HDFC Bank Q3 net profit rises 20%, beats estimates.",
    "Obama praised Merkel for her leadership, but attacked Putin.",
]


def test_predict_returns_one_sentiment_per_target_in_input_order(model: SentimentModel) -> None:
    targets = [
        target(SENTENCES[0], "Infosys"),
        target(SENTENCES[0], "Wipro"),
        target(SENTENCES[1], "Tata Motors"),
        target(SENTENCES[2], "Schumer"),
        target(SENTENCES[3], "Trump"),
        target(SENTENCES[4], "Sebi"),
        target(SENTENCES[4], "Reliance"),
        target(SENTENCES[5], "HDFC Bank"),
    ] * 3  # 24 targets of varied lengths: three batches of 8, sorted by length
    together = model.predict(targets)
    one_by_one = [model.predict([t])[0] for t in targets[:8]]
    assert len(together) == len(targets)
    assert [s.label for s in together] == [s.label for s in one_by_one] * 3
    for batched, alone in zip(together, one_by_one * 3, strict=True):
        assert batched.score == pytest.approx(alone.score, abs=1e-4)  # padding changes nothing
        assert batched.label in SENTIMENT_LABELS
        assert 1 / 3 <= batched.score <= 1


def test_probabilities_are_distributions_and_predict_is_their_argmax(
    model: SentimentModel,
) -> None:
    targets = [target(SENTENCES[1], "Tata Motors"), target(SENTENCES[5], "HDFC Bank")]
    for probabilities, sentiment in zip(
        model.predict_proba(targets), model.predict(targets), strict=True
    ):
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
        best = max(range(3), key=probabilities.__getitem__)
        assert sentiment.label == SENTIMENT_LABELS[best]
        assert sentiment.score == pytest.approx(probabilities[best])


def test_no_targets_no_work(model: SentimentModel) -> None:
    assert model.predict([]) == []
    assert model.predict_proba([]) == []


def test_sentiment_is_toward_the_target_not_the_sentence(model: SentimentModel) -> None:
    # One sentence, two companies, opposite fortunes: each gets its own.
    winner, loser = model.predict([target(SENTENCES[0], "Infosys"), target(SENTENCES[0], "Wipro")])
    assert (winner.label, loser.label) == ("positive", "negative")
    # The regulator that fines is not the negative party; the fined company is.
    regulator, fined = model.predict(
        [target(SENTENCES[4], "Sebi"), target(SENTENCES[4], "Reliance")]
    )
    assert (regulator.label, fined.label) == ("neutral", "negative")
    # Political news: praised and attacked in one sentence.
    praised, attacked = model.predict_proba(
        [target(SENTENCES[6], "Merkel"), target(SENTENCES[6], "Putin")]
    )
    assert praised[2] > attacked[2]
    assert attacked[0] > praised[0]


def test_clear_cases(model: SentimentModel) -> None:
    found = model.predict(
        [
            target(SENTENCES[5], "HDFC Bank"),
            target(SENTENCES[3], "Trump"),
            target(SENTENCES[2], "Schumer"),
        ]
    )
    assert [s.label for s in found] == ["positive", "negative", "neutral"]


def test_loads_by_explicit_local_path(model: SentimentModel) -> None:
    targets = [target(SENTENCES[0], "Wipro"), target(SENTENCES[2], "Schumer")]
    for path in (SHIPPED_MODEL_DIR, str(SHIPPED_MODEL_DIR)):
        again = SentimentModel.load(path, threads=1, local_files_only=True)
        expected = [p for row in model.predict_proba(targets) for p in row]
        assert [p for row in again.predict_proba(targets) for p in row] == pytest.approx(expected)


def test_a_model_not_trained_by_clarion_reads_labels_by_position_and_plain_sentences(
    model: SentimentModel, tmp_path: Path
) -> None:
    # The shipped weights under a foreign config: LABEL_i names, no target encoding.
    shutil.copytree(SHIPPED_MODEL_DIR, tmp_path, dirs_exist_ok=True)
    config = json.loads((tmp_path / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}
    config["label2id"] = {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2}
    del config["clarion_target_encoding"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    foreign = SentimentModel.load(tmp_path, threads=1)
    # Without the markers, both companies of one sentence read the same.
    infosys, wipro = foreign.predict_proba(
        [target(SENTENCES[0], "Infosys"), target(SENTENCES[0], "Wipro")]
    )
    assert list(infosys) == pytest.approx(list(wipro))


def test_missing_model_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        SentimentModel.load(tmp_path / "nothing-here", threads=1)


# --- without a model ---------------------------------------------------------------------------


def test_encoding_marks_the_span_and_repeats_it_as_second_segment() -> None:
    assert encode_target(Target("Acme beat Globex.", 10, 16)) == ("Acme beat «Globex».", "Globex")
    assert encode_target(Target("Acme beat Globex.", 0, 4), marked=False) == (
        "Acme beat Globex.",
        None,
    )


@pytest.mark.parametrize("at", [0, 3000, 5990])
def test_long_contexts_are_cut_around_the_span(at: int) -> None:
    text = "x" * at + "Acme" + "y" * (6000 - at)
    first, second = encode_target(Target(text, at, at + 4))
    assert second == "Acme"
    assert "«Acme»" in first
    assert len(first) == CONTEXT_CHARS + 2


def test_spans_outside_the_text_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        encode_target(Target("Acme", 2, 9))


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, ["negative", "neutral", "positive"]),
        ({"0": "POSITIVE", "1": "NEGATIVE", "2": "Neutral"}, ["positive", "negative", "neutral"]),
        ({0: "neg", 1: "neu", 2: "pos"}, ["negative", "neutral", "positive"]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, ["negative", "neutral", "positive"]),
        ({0: "NEGATIVE", 1: "POSITIVE"}, ["negative", "positive"]),
    ],
)
def test_label_names(id2label: dict[int, str], expected: list[str]) -> None:
    assert _label_order(id2label) == expected


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "joy", 1: "anger", 2: "fear"},
        {0: "negative", 1: "negative", 2: "positive"},
        {0: "negative", 1: "neutral"},
        {0: "negative", 1: "neutral", 2: "positive", 3: "mixed"},
        None,
    ],
)
def test_non_sentiment_labels_are_refused(id2label: dict[int, str] | None) -> None:
    with pytest.raises(ValueError):
        _label_order(id2label)


def test_quantized_and_float32_models_agree_on_clear_cases(model: SentimentModel) -> None:
    """The int8 model (``quantize=True``) gives the float32 one's labels where the
    float32 model is confident, and classifies one target per call."""
    import torch

    int8 = SentimentModel.load(batch_size=8, quantize=True)
    assert (int8.batch_size, model.batch_size) == (1, 8)  # int8 scores never see batch-mates
    assert [m for m in model._model.modules() if type(m) is torch.nn.Linear]
    assert not [m for m in int8._model.modules() if type(m) is torch.nn.Linear]
    targets = [
        target(SENTENCES[0], "Infosys"),
        target(SENTENCES[0], "Wipro"),
        target(SENTENCES[1], "Tata Motors"),
        target(SENTENCES[4], "Reliance"),
        target(SENTENCES[5], "HDFC Bank"),
        target(SENTENCES[6], "Merkel"),
        target(SENTENCES[6], "Putin"),
    ]
    confident = [
        (t, s.label) for t, s in zip(targets, model.predict(targets), strict=True) if s.score > 0.8
    ]
    assert len(confident) >= 4
    quantized = int8.predict([t for t, _ in confident])
    assert [s.label for s in quantized] == [label for _, label in confident]
