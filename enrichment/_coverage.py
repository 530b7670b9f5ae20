"""Coverage: how much of a key message a sentence says, word by word.

A sentence on the brand's topic that does not carry a key message is often as
near to it by sentence embedding as a paraphrase: "Alibaba’s listing ceremony
is due to be held at the Hong Kong Stock Exchange next Tuesday" has cosine
0.58 with "Alibaba's Hong Kong listing is a record-breaking share sale", a
sentence that carries it ("... from its record-breaking second listing in
Hong Kong ...") 0.63, because the pooled vector is mostly what both are
about. What the first lacks is some of the message's words: nothing in it
says "record" or "breaking" (coverage 0.28, against 0.68). So, from the same
encoder pass that gives the sentence embeddings (BERTScore's recall, no
second model call):

1. Every token's state at layer ``LAYER`` of the encoder, unit length
   (``TokenStates``, made by ``SentenceEncoder.embed``).
2. Each content word of the key message (``content_words``: no function word
   and no name, since names say what both are about) scores the best cosine
   of its tokens with any token of the sentence (averaged over its word pieces).
3. The coverage is the mean of the ``LEAST_WORDS`` lowest scores: a
   paraphrase covers every content word, or all but one that it rephrases
   freely; a sentence on the same topic leaves two or more uncovered.

Pure tensor arithmetic on states already computed: a (message tokens x
sentence tokens) product per pair, about 0.1 ms on one core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from enrichment._stance import _STOPWORDS

if TYPE_CHECKING:
    import torch

__all__ = ["LAYER", "LEAST_WORDS", "TokenStates", "content_words", "coverage"]

LAYER: Final = -2
"""Which hidden states align words: the fifth of all-MiniLM-L6-v2's six layers.
Measured on the ``calibration`` half of ``tests/fixtures/key_messages/pairs.jsonl``
with ``LEAST_WORDS`` 2, among the pairs the finder calls carried (60 truly
carried, 25 "none"): the coverage tells the two apart with ROC AUC 0.82, 0.81
and 0.81 at the fourth, fifth and sixth layers, and in 5-fold cross-validation over the
calibration messages (threshold chosen on four fifths) gives carried F1
0.69, 0.68 and 0.68; at its own best threshold, the fifth layer keeps the
same recall as the sixth (0.725) at a higher precision (0.674 against 0.652)."""

LEAST_WORDS: Final = 2
"""How many of the least-covered content words are averaged: a paraphrase
may rephrase one word freely ("back in black" for "profitable"), a sentence
on the same topic misses two or more. On the same half, at the fifth layer:
cross-validated carried F1 0.70 for one, 0.68 for two, 0.69 for three and
0.66 for all the content words (a sentence on the topic covers most of the
message); two has the widest plateau of thresholds (carried F1 within 0.01 of its
best from 0.32 to 0.36), one the narrowest (0.30 to 0.31)."""

_FUNCTION_WORDS: Final = _STOPWORDS | frozenset("a an of to in on at by is be as it or its".split())
_NAME_WORD = re.compile(r"\w+")
_WORD = re.compile(r"\w{2,}")


@dataclass(frozen=True, slots=True)
class TokenStates:
    """A text's tokens as the encoder saw them: one unit-length state per token
    (rows of ``states``; special tokens left out), the word each belongs to
    (``word_ids``, indexes of ``words``) and the words, as the tokenizer cut
    the text (punctuation apart: "Acme’s" is "Acme", "’", "s")."""

    states: torch.Tensor
    word_ids: tuple[int, ...]
    words: tuple[str, ...]


def content_words(words: Sequence[str], names: Sequence[str]) -> list[int]:
    """Indexes of the words that state the claim: two letters or more, or a
    number; not a function word; not capitalized and not a word of the brand's
    ``names`` (names say what a sentence is about, which a sentence on the same
    topic shares, not what it claims; ``enrichment._stance`` leaves them out of
    its clause matching too)."""
    named = {w.lower() for name in names for w in _NAME_WORD.findall(name)}
    return [
        i
        for i, word in enumerate(words)
        if (_WORD.fullmatch(word) or word.isdigit())
        and not word[0].isupper()
        and word.lower() not in _FUNCTION_WORDS | named
    ]


def coverage(message: TokenStates, sentence: TokenStates, *, names: Sequence[str]) -> float:
    """How well ``sentence`` covers the content words of ``message`` (see the
    module docstring): 1.0 when the message has none, 0.0 for an empty sentence."""
    import torch

    wanted = content_words(message.words, names)
    if not wanted:
        return 1.0
    if not sentence.word_ids:
        return 0.0
    best = (message.states @ sentence.states.T).max(dim=1).values
    word_ids = torch.tensor(message.word_ids)
    scores = torch.stack([best[word_ids == i].mean() for i in wanted])
    return float(scores.sort().values[:LEAST_WORDS].mean())
