"""Stance: does a sentence that talks about a key message carry it or contradict it?

Similarity cannot tell "Acme is creating 2,000 jobs" from "Acme is cutting
2,000 jobs" (cosine 0.94), so ``stance`` reads the words, in three steps:

1. **The claim.** A concessive clause ("While X has not ..., ") is dropped: it
   concedes something else. What is left is cut into clauses (at ``;`` ``,``
   ``:`` dashes and *but / yet / whereas / however*), and the clauses that
   share the most content words with the message (names left out) are kept ("HDFC Bank misses
   estimates on provisions, Q1 net up 20%" is about estimates for the message
   "HDFC Bank's results beat estimates"); with no shared word, the whole claim.
2. **Polarity** of message and claim: the direction of change they state
   (``_UP`` create / raise / beat / list / stay / stable ... against ``_DOWN``
   cut / lower / miss / delist / exit / fall short / unstable ...: the
   majority wins, a tie is no direction) and whether they are negated (an odd
   number of ``_NEGATION`` words: not, never, no longer, yet to, without,
   denies, fails, declined to ...). Contradicted when the directions are
   opposite, or when exactly one of the two is negated, the two cancelling
   each other ("not cutting" carries "creating").
   Words of change inside names ("Fallen Order") are not counted.
3. **Sentiment toward the brand** (optional, given by the caller, for the whole
   sentence): polar and opposite for message and sentence (positive against
   negative), both at ``SENTIMENT_CONFIDENCE`` or above, is a contradiction.

The word lists began with the first labelled set; their additions (clauses,
names, verbs of change such as beat / miss, list / delist, stay / exit, "yet
to", "no longer", states such as parlous / healthy) were made looking at the
errors of the ``calibration`` half of ``tests/fixtures/key_messages/pairs.jsonl``
only; the gate test reports the held-out half.
"""

from __future__ import annotations

import re
from typing import Final

from enrichment._types import Sentiment, Stance

__all__ = ["SENTIMENT_CONFIDENCE", "stance"]

SENTIMENT_CONFIDENCE: Final = 0.6
"""Least probability of both polar labels for sentiment to call a contradiction:
below it the sentiment model's calls on headlines are near chance."""

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|unlikely|unable|"
    r"yet\s+to|no\s+longer|lack(?:s|ed|ing)?|unclear|"
    r"deny|denies|denied|refuses?|refused|fails?|failed|rejects?|rejected|rebuff(?:s|ed)?|"
    r"declin(?:e|es|ed|ing)\s+to|scraps?|scrapped|abandon(?:s|ed)?|"
    r"halts?|halted|cancel(?:s|led|ed)?|stops?|stopped|myth|false)\b|n[’']t\b",
    re.IGNORECASE,
)
_UP = re.compile(
    r"\b(?:creat(?:e|es|ed|ing|ion)|hir(?:e|es|ed|ing)|add(?:s|ed|ing)?|grow\w*|grew|rais\w*|ris(?:e|es|ing)|"
    r"rose|jump\w*|surg(?:e|es|ed|ing)|soar\w*|gain\w*|increas\w*|boost\w*|expand\w*|expansion|"
    r"improv\w*|beat\w*|exceed\w*|surpass\w*|outpac\w*|outperform\w*|above|"
    r"win|wins|won|winning|strong\w*|higher|up|more|open(?:s|ed|ing)?|"
    r"launch\w*|invest(?:s|ed|ing|ments?)?|profit\w*|record|safe|safer|green|cleaner|cheaper|lead(?:s|ing)?|"
    r"list(?:s|ed|ing)?|stay(?:s|ed|ing)?|keep(?:s|ing)?|kept|remain(?:s|ed|ing)?|"
    r"stable|steady|solid|smooth\w*|reliabl[ey]|success\w*|upgrad\w*|bullish|"
    r"recover\w*|rebound\w*|rall(?:y|ies|ied|ying)|healthy|robust|thriv\w*|boom(?:s|ing)?)\b",
    re.IGNORECASE,
)
_DOWN = re.compile(
    r"\b(?:cut\w*|slash\w*|ax(?:e|es|ed|ing)|lay(?:s|ing)?\s+off|laid\s+off|layoffs?|fir(?:e|es|ed|ing)|"
    r"shed\w*|reduc\w*|lower\w*|fall\w*|fell|drop\w*|declin(?:e|es|ed|ing)(?!\s+to\b)|plung\w*|"
    r"slump\w*|shrink\w*|shrank|shrinkage|los(?:e|es|ing|s|ses)|lost|miss(?:es|ed|ing)?|weak\w*|down|less|"
    r"fewer|lag\w*|clos(?:e|es|ed|ing)(?!\s+to\b)|shut(?:s|ting|down|downs)?|unsafe|worse\w*|dirt\w*|pollut\w*|delay\w*|"
    r"recall\w*|below|short|trail(?:s|ed|ing)?|disappoint\w*|downgrad\w*|bearish|delist\w*|exit\w*|"
    r"quit(?:s|ting)?|resign\w*|flop\w*|idl(?:e|ed|ing)|unstable|struggl\w*|slid(?:e|es|ing)?|"
    r"tank(?:s|ed|ing)?|crash\w*|impair\w*|terminat\w*|eliminat\w*|in\s+the\s+red|"
    r"ailing|troubled|embattled|dismal|parlous|distress\w*|bankrupt\w*|insolven\w*|defunct|"
    r"un(?:profitabl\w*|successful\w*|reliabl[ey]|healthy|sustainabl[ey]))\b",
    re.IGNORECASE,
)

_CONCESSIVE = re.compile(
    r"\b(?:while|although|though|whereas|even if|despite)\b[^,;:.]*[,;:]", re.IGNORECASE
)
"""A concessive clause ("While scientists have not yet detected liquid water,
...") up to its comma: it concedes something else, it is not the claim."""

_CLAUSE_BREAK = re.compile(
    r"[;:—–]|,(?!\d)|\s-\s|\b(?:but|yet|whereas|however)\b(?!\s+to\b)", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOPWORDS = frozenset(
    """
    the and for are was were has have had its their this that with from into over
    than then will would can could may might should been being who which what when where
    how all any our your they them his her she him not also more most such very just
    about after before under says said told year years
    """.split()
)


def _stems(text: str, *, lowercase_only: bool = False) -> set[str]:
    """Content words, cut to five letters ("estimates" and "estimate" meet);
    ``lowercase_only`` leaves out names (the brand, places), which say what a
    clause is about, not what it claims."""
    words = _WORD.findall(text)
    if lowercase_only:
        words = [w for w in words if w.islower()]
    return {w.lower().removesuffix("s")[:5] for w in words if w.lower() not in _STOPWORDS}


def _claim(message: str, sentence: str) -> str:
    """The part of ``sentence`` that speaks to ``message``: step 1 of the module docstring."""
    text = _CONCESSIVE.sub(" ", sentence)
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c.strip()]
    wanted = _stems(message, lowercase_only=True)
    shared = [len(_stems(c) & wanted) for c in clauses]
    best = max(shared, default=0)
    if best == 0 or len(clauses) < 2:
        return text
    return " ".join(c for c, n in zip(clauses, shared, strict=True) if n == best)


_NAME = re.compile(r"[A-Z][\w’'.&-]*(?:\s+[A-Z][\w’'.&-]*)+|(?<=\S\s)[A-Z][\w’'.&-]*")
"""Capitalized words in a row, or one that does not start the text: a name
("Fallen Order", "Blue Origin"), whose words state no change."""


def _direction(text: str) -> int:
    """+1 when ``text`` says more "up" than "down" words, -1 for the reverse, else 0
    (names left out)."""
    words = _NAME.sub(" ", text.strip())
    up, down = len(_UP.findall(words)), len(_DOWN.findall(words))
    return (up > down) - (down > up)


def _negated(text: str) -> bool:
    return len(_NEGATION.findall(text)) % 2 == 1


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
    said = _CONCESSIVE.sub(" ", message)
    claim = _claim(message, sentence)
    reversed_ = _direction(said) * _direction(claim) < 0
    if reversed_ != (_negated(said) != _negated(claim)):
        return "contradicted"
    if message_sentiment is not None and sentence_sentiment is not None:
        polar = _POLAR[message_sentiment.label] * _POLAR[sentence_sentiment.label]
        confident = min(message_sentiment.score, sentence_sentiment.score)
        if polar < 0 and confident >= SENTIMENT_CONFIDENCE:
            return "contradicted"
    return "carried"
