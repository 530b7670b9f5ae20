"""Accuracy gate of the shipped sentiment model on the held-out dev sets.

NewsMTSC ``dev_rw`` + ``dev_mt`` (785 targets in political news sentences) and
Clarion's SEntFiN dev split (1,725 targets in financial headlines; seeded,
headline-grouped, never trained on; see ``enrichment._train``). The floors are
pinned slightly below what the shipped model measured (its ``metrics.json``):
a retrained model that falls below them fails here, and lowering a floor is a
decision to write down in the commit that does it, never a silent fix.
"""

from __future__ import annotations

import json
import time

import pytest

from enrichment._sentiment import SHIPPED_MODEL_DIR, SentimentModel
from enrichment._train import DEFAULT_DATA_DIR, evaluate_sentiment

FLOORS: dict[str, dict[str, float]] = {
    "newsmtsc_dev": {"macro_f1": 0.755, "accuracy": 0.77},
    "sentfin_dev": {"macro_f1": 0.85, "accuracy": 0.85},
}
"""Measured minus ~0.01 (shipped float16 model, 2026-11-22: NewsMTSC dev macro-F1
0.7677, accuracy 0.7822; SEntFiN dev 0.8624, 0.8614), above the project's targets
of 0.75 and 0.80. Inference is deterministic, so the margin only absorbs float
differences across CPUs and torch versions. The trainer keeps the epoch with
the best mean dev macro-F1; for the shipped model that was the last of its 4
(NewsMTSC dev macro-F1 by epoch 0.705, 0.764, 0.750, 0.766; ``metrics.json``),
the model a fixed 4-epoch schedule ends on without any selection, so the choice
did not flatter these figures. NewsMTSC's own test splits are not in this
project's data; its two dev sets differ: ``dev_rw`` 0.815, ``dev_mt`` 0.728."""


@pytest.mark.slow
def test_shipped_model_meets_the_pinned_floors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    began = time.monotonic()
    found = evaluate_sentiment(SentimentModel.load(batch_size=64), DEFAULT_DATA_DIR)
    print(f"dev metrics in {time.monotonic() - began:.0f} s: {json.dumps(found, indent=1)}")
    for name, floors in FLOORS.items():
        for metric, floor in floors.items():
            assert found[name][metric] >= floor, f"{name} {metric} {found[name][metric]} < {floor}"


def test_shipped_metrics_were_measured_on_the_gated_splits() -> None:
    """The shipped model's own record agrees with the floors (cheap; no inference)."""
    metrics = json.loads((SHIPPED_MODEL_DIR / "metrics.json").read_text(encoding="utf-8"))
    assert (
        metrics["data_sizes"]["newsmtsc_dev_rw"] + metrics["data_sizes"]["newsmtsc_dev_mt"] == 785
    )
    assert metrics["data_sizes"]["sentfin_dev"] == 1725
    for name, floors in FLOORS.items():
        for metric, floor in floors.items():
            assert metrics["metrics"][name][metric] >= floor
