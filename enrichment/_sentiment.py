"""The sentiment model: sentiment toward a target span in its sentence.

``SentimentModel`` wraps a Hugging Face sequence classifier. Clarion ships its
own, fine-tuned from all-MiniLM-L6-v2 on NewsMTSC and SEntFiN (see
``enrichment._train``), in ``enrichment/models/sentiment``; any other local
directory or Hub model id with three (or two) sentiment labels loads too.

The input marks the target (``encode_target``): the sentence with the span
wrapped in ``«`` ``»`` as the first segment and the span itself as the second,
so "Acme beat Globex" reads differently for Acme and for Globex. The same
function builds the training inputs. Models that were not trained by Clarion
(no ``clarion_target_encoding`` in their config) get the plain sentence: they
classify the sentence, not the target.

Labels come from the model config's ``id2label`` (``_label_order``):
``negative``/``NEGATIVE``/``neg``, ``neutral``/``neu``, ``positive``/``pos`` in
any case; ``LABEL_0..LABEL_2`` are read as negative, neutral, positive (the
usual order of three-class sentiment models, e.g. cardiffnlp's); a model
without a neutral label gets probability 0 for neutral.

``torch`` and ``transformers`` are imported on ``load``, not with this module.
Thread safety: ``predict`` may be called from several threads at once. Their
tokenization takes turns (a fast tokenizer's padding and truncation settings are
shared state); their forward passes run in parallel, each on torch's threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from enrichment._mentions import Target
from enrichment._types import SENTIMENT_LABELS, Sentiment, SentimentLabel

if TYPE_CHECKING:
    import torch
    from transformers import BatchEncoding, PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "SHIPPED_MODEL_DIR",
    "TARGET_ENCODING",
    "SentimentModel",
    "encode_target",
    "model_inputs",
    "quantize_linear",
]

SHIPPED_MODEL_DIR: Final = Path(__file__).resolve().parent / "models" / "sentiment"
"""The model Clarion ships, trained by ``enrichment._train.train_sentiment``."""

TARGET_ENCODING: Final = "marked-pair-v1"
"""Written into the config of models Clarion trains (``clarion_target_encoding``);
its presence switches ``encode_target``'s target marking on at inference."""

OPEN_MARK: Final = "«"
CLOSE_MARK: Final = "»"
"""Markers around the target: single tokens of MiniLM's (BERT uncased) vocabulary,
rare in English news, so the model learns them as "the target is here"."""

CONTEXT_CHARS: Final = 400
"""Longest context kept around the target: about 100 word pieces, so the marked
span always survives truncation to ``max_length`` = 128 tokens (NewsMTSC has
"sentences" of 6,000 characters)."""

MAX_THREADS: Final = 4
"""Most torch threads by default. Intra-op parallelism on batches of ~40-token
sequences of a 6-layer, 384-wide model stops paying beyond a few threads."""

SPARE_CORES: Final = 1
"""Cores the default leaves to the rest of the process (event loop, extraction,
crawling). torch's threads spin while they wait for each other, so one thread
fewer than the cores beats all of them as soon as anything else runs. Measured
on 2 cores, 643 dev targets, batch 32: idle, 1 thread 61 targets/s, 2 threads
103/s; with one core busy, 1 thread 64/s, 2 threads 39/s."""

_LABEL_SYNONYMS: Final[dict[str, SentimentLabel]] = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}


def encode_target(target: Target, *, marked: bool = True) -> tuple[str, str | None]:
    """The model input for one target: ``(first segment, second segment)``.

    Marked: the context with the span wrapped in ``«»`` and the span itself as
    the second segment. Unmarked (models not trained by Clarion): the context
    alone. Contexts longer than ``CONTEXT_CHARS`` are cut around the span.
    """
    text, start, end = target.text, target.start, target.end
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"target span {start}:{end} outside a text of {len(text)} characters")
    if len(text) > CONTEXT_CHARS:
        left = max(0, min(start - (CONTEXT_CHARS - (end - start)) // 2, len(text) - CONTEXT_CHARS))
        right = max(end, left + CONTEXT_CHARS)
        text, start, end = text[left:right], start - left, end - left
    if not marked:
        return text, None
    span = text[start:end]
    return f"{text[:start]}{OPEN_MARK}{span}{CLOSE_MARK}{text[end:]}", span


def default_threads() -> int:
    """The CPUs this process may use less ``SPARE_CORES``, between 1 and ``MAX_THREADS``."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available - SPARE_CORES, MAX_THREADS))


def _load_pretrained(
    auto_class: Any, source: str | Path, *, threads: int | None, local_files_only: bool
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The loading steps ``SentimentModel.load`` and ``SentenceEncoder.load`` share:
    progress bar off, ``torch.set_num_threads`` (``None``: ``default_threads()``),
    then the tokenizer and ``auto_class.from_pretrained`` model of ``source`` in
    float32. Raises ``OSError`` when the model cannot be found."""
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as transformers_logging

    # A progress bar per load is noise in a service's log (process-wide, like threads).
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

    torch.set_num_threads(threads if threads is not None else default_threads())
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=local_files_only)
    model = auto_class.from_pretrained(
        str(source), local_files_only=local_files_only, dtype=torch.float32
    )
    return model, tokenizer


class SentimentModel:
    """A loaded sentiment classifier; build it with ``SentimentModel.load``."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        batch_size: int = 32,
        max_length: int = 128,
    ) -> None:
        if batch_size < 1 or max_length < 8:
            raise ValueError("batch_size must be >= 1 and max_length >= 8")
        self._model = model
        model.train(False)
        self._tokenizer = tokenizer
        self._tokenizing = threading.Lock()
        self._order = _label_order(model.config.id2label)
        self._marked = getattr(model.config, "clarion_target_encoding", None) == TARGET_ENCODING
        self.batch_size = batch_size
        self.max_length = max_length

    @classmethod
    def load(
        cls,
        name_or_path: str | Path | None = None,
        *,
        threads: int | None = None,
        batch_size: int = 32,
        max_length: int = 128,
        local_files_only: bool = True,
        quantize: bool = False,
    ) -> SentimentModel:
        """Load a model: ``None`` is the shipped one; else a local directory or Hub id.

        ``threads`` sets ``torch.set_num_threads`` (process-wide); ``None`` is
        ``default_threads()``. Weights are loaded as float32 whatever their
        stored precision: float16 matmuls on CPU are slower, not faster.
        ``quantize`` converts every linear layer to int8 (``quantize_linear``) and
        classifies one target per call: 1.9 times the throughput of float32 batches
        on CPU, for 1.7 points of macro-F1 on NewsMTSC (see ``quantize_linear``).
        Raises ``OSError`` when the model cannot be found (offline, no such
        directory) and ``ValueError`` when its labels are not sentiment labels.
        """
        from transformers import AutoModelForSequenceClassification

        model, tokenizer = _load_pretrained(
            AutoModelForSequenceClassification,
            SHIPPED_MODEL_DIR if name_or_path is None else name_or_path,
            threads=threads,
            local_files_only=local_files_only,
        )
        if quantize:
            model = quantize_linear(model)
            # int8 activations share one scale per batch, so batch-mates would move a
            # target's score (by up to 0.09 seen); one target per call keeps every score
            # a function of its own input, at 113 targets per CPU-second instead of 153.
            batch_size = 1
        return cls(model, tokenizer, batch_size=batch_size, max_length=max_length)

    def predict_proba(self, targets: Sequence[Target]) -> list[tuple[float, float, float]]:
        """(negative, neutral, positive) probabilities per target, in input order.

        Targets are sorted by length and batched, so each batch is padded
        only to its own longest input.
        """
        import torch

        order = sorted(range(len(targets)), key=lambda i: min(len(targets[i].text), CONTEXT_CHARS))
        found: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(targets)
        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                batch = order[at : at + self.batch_size]
                probabilities = self._probabilities([targets[i] for i in batch])
                for i, row in zip(batch, probabilities, strict=True):
                    found[i] = row
        return found

    def predict(self, targets: Sequence[Target]) -> list[Sentiment]:
        """The most probable label per target, with its probability, in input order."""
        found = []
        for row in self.predict_proba(targets):
            best = max(range(len(SENTIMENT_LABELS)), key=row.__getitem__)
            found.append(Sentiment(SENTIMENT_LABELS[best], row[best]))
        return found

    def _probabilities(self, targets: Sequence[Target]) -> list[tuple[float, float, float]]:
        with self._tokenizing:
            batch = model_inputs(
                self._tokenizer,
                targets,
                marked=self._marked,
                max_length=self.max_length,
                padding=True,
                return_tensors="pt",
            )
        logits: torch.Tensor = self._model(**batch).logits
        found = []
        for row in logits.float().softmax(dim=-1).tolist():
            by_label = dict.fromkeys(SENTIMENT_LABELS, 0.0)
            for label, p in zip(self._order, row, strict=True):
                by_label[label] += p
            found.append((by_label["negative"], by_label["neutral"], by_label["positive"]))
        return found


def quantize_linear(model: PreTrainedModel) -> PreTrainedModel:
    """``model`` with int8 weights in every ``Linear`` layer (dynamic quantization,
    one scale per output channel; activations are quantized on the fly).

    Measured on the shipped model, 2026-11-30, 2 cores, one torch thread, 400-800
    dev targets timed (``clarion evaluate --quantize`` for the accuracy): float32
    in batches of 32, 58-67 targets per CPU-second, NewsMTSC dev macro-F1 0.7677,
    SEntFiN dev 0.8624; int8 in batches of 32, 153-158 per CPU-second, 0.7669 and
    0.8501, but a target's score then moves with its batch-mates (by up to 0.09);
    int8 one target per call (what ``load`` does), 113 per CPU-second, 0.7503 and
    0.8505. Per-output-channel scales lose less than one scale per tensor.
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    linear = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    with warnings.catch_warnings():
        # torch.ao's eager-mode quantization is deprecated in favour of torchao, a
        # package Clarion does not otherwise need; the API is there through torch 2.x.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        quantized: PreTrainedModel = quantize_dynamic(  # type: ignore[no-untyped-call]
            model, linear, dtype=torch.qint8
        )
    return quantized


def model_inputs(
    tokenizer: PreTrainedTokenizerBase,
    targets: Sequence[Target],
    *,
    marked: bool = True,
    max_length: int = 128,
    **options: Any,
) -> BatchEncoding:
    """Tokenized ``encode_target`` inputs, truncated to ``max_length``: what the
    model reads, at training and at inference alike. ``options`` go to the
    tokenizer (``padding``, ``return_tensors``)."""
    pairs = [encode_target(target, marked=marked) for target in targets]
    seconds = [second for _, second in pairs]
    encoded: BatchEncoding = tokenizer(
        [first for first, _ in pairs],
        None if all(second is None for second in seconds) else [s or "" for s in seconds],
        truncation=True,
        max_length=max_length,
        **options,
    )
    return encoded


def _label_order(
    config_id2label: Mapping[int, str] | Mapping[str, str] | None,
) -> list[SentimentLabel]:
    """The sentiment label of each output of a model, from its ``id2label``."""
    id2label = {int(k): v for k, v in (config_id2label or {}).items()}
    ids = sorted(id2label)
    if ids != list(range(len(ids))) or not 2 <= len(ids) <= 3:
        raise ValueError(f"not a 2- or 3-class sentiment model: id2label = {id2label}")
    names = [id2label[i].strip().lower() for i in ids]
    if names == [f"label_{i}" for i in ids]:
        positional: list[SentimentLabel] = (
            ["negative", "neutral", "positive"] if len(ids) == 3 else ["negative", "positive"]
        )
        return positional
    labels = [_LABEL_SYNONYMS.get(name) for name in names]
    found = [label for label in labels if label is not None]
    if len(found) != len(labels) or len(set(found)) != len(found):
        raise ValueError(f"unknown or repeated sentiment labels: id2label = {id2label}")
    if "negative" not in found or "positive" not in found:
        raise ValueError(f"a sentiment model needs negative and positive: id2label = {id2label}")
    return found
