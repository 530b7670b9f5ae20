"""Sentence spans of a text, for snippets and sentiment contexts.

A rule-based splitter, sized for news text: a sentence ends at a line break,
at ``!``, ``?`` or ``…`` followed by a space, at a ``.`` followed by a space
unless the word before it is an abbreviation (``Mr.``, ``Inc.``, ``Rs.``,
``U.S.``, a single initial), and at the CJK full stops ``。！？``. A mark
followed by a lowercase letter never ends a sentence (``Yahoo! said``,
``e.g. the``). Closing quotes and brackets after the mark stay with the
sentence. Errors only cost context: a sentence cut too early or too late
still contains the hit it was looked up for.
"""

from __future__ import annotations

import re
from bisect import bisect_right

__all__ = ["sentence_at", "split_sentences"]

_BOUNDARY = re.compile(
    r"(?P<nl>\n[\s]*)"
    r"|(?P<mark>[.!?…]+[\"'”’»)\]]*)(?=\s|$)"
    r"|(?P<cjk>[。！？]+[」』”’)]*)"
)
_LAST_WORD = re.compile(r"(\S+)$")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")  # U.S, e.g, Ph.D
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt ft gen gov sen rep col capt lt sgt rev hon
    inc corp ltd co plc llc bros dept univ assn est approx no nos vol fig p pp
    vs etc al cf jan feb mar apr jun jul aug sep sept oct nov dec rs
    """.split()
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, trimmed of surrounding spaces."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group("mark") is not None and not _ends_sentence(text, match):
            continue
        end = match.start() if match.group("nl") is not None else match.end()
        _add(text, start, end, spans)
        start = match.end()
    _add(text, start, len(text), spans)
    return spans


def sentence_at(starts: list[int], offset: int) -> int:
    """The index of the sentence (by sorted ``starts``) that contains or precedes ``offset``."""
    return max(0, bisect_right(starts, offset) - 1)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    after = text[match.end() : match.end() + 3].lstrip()
    if after[:1].islower():
        return False
    mark = match.group("mark")
    if not mark.startswith(".") or mark.startswith(".."):
        return True
    before = _LAST_WORD.search(text, max(0, match.start() - 40), match.start())
    if before is None:
        return True
    word = before.group(1).lstrip("\"'“‘([")
    if _DOTTED.fullmatch(word) or (len(word) == 1 and word.isalpha()):
        return False  # U.S., e.g., J. Smith
    return word.casefold() not in _ABBREVIATIONS


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))
