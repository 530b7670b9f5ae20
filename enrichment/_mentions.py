"""Mention drafts: where each brand appears in one document, before sentiment.

``find_mentions`` tokenizes the document once, evaluates every brand's query
against it and, for each brand that matches, describes the mention: whether
the title and the lead carry it, how many hits, up to three snippets, the
spokespeople named, and the ``Target`` contexts the sentiment model reads
(the sentence around a hit, with the hit's span inside it). Pure: no I/O,
no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from enrichment._match import DocumentIndex, Span, evaluate
from enrichment._query_ast import Node, Phrase
from enrichment._sentences import sentence_at, split_sentences
from enrichment._tokens import words
from enrichment._types import Brand

__all__ = ["MentionDraft", "Target", "find_mentions"]

LEAD_CHARS = 300
"""The lead is the first paragraph of the text, at most this long: about the
two sentences a reader sees before deciding to read on."""

SNIPPET_CHARS = 300
"""Longest snippet: a sentence of news prose fits; a run-on paragraph without
punctuation is cut around the hit."""

MAX_SNIPPETS = 3
"""Snippets per mention: enough for a coverage list to show how the brand is
framed (headline, lead, one more) without storing the article twice."""

TARGET_CHARS = 400
"""Longest sentiment context: about 100 subword tokens, well inside the
window of the small transformer models the sentiment classifier uses."""

DEFAULT_MAX_TARGETS = 3
"""Contexts per mention sent to the sentiment model: the title and the first
hits carry the framing; more only costs inference time."""

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Target:
    """One context to classify: sentiment toward ``text[start:end]`` within ``text``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MentionDraft:
    """A brand's mention in one document, without sentiment yet.

    ``count`` is the number of hits (title and text); ``snippets`` are
    whitespace-normalized sentences around hits, the title first when it
    carries the brand; ``targets`` are the sentiment contexts, the title's
    first when ``in_title``.
    """

    document_id: str
    brand_id: str
    in_title: bool
    in_lead: bool
    count: int
    snippets: tuple[str, ...]
    targets: tuple[Target, ...]
    spokespeople: tuple[str, ...] = ()


def find_mentions(
    *,
    document_id: str,
    title: str,
    text: str,
    brands: Sequence[tuple[Brand, Node]],
    max_targets: int = DEFAULT_MAX_TARGETS,
    authors: tuple[str, ...] = (),
    domain: str = "",
    language: str | None = None,
    country: str | None = None,
) -> list[MentionDraft]:
    """The mentions of ``brands`` (each with its parsed query) in one document;
    ``authors`` … ``country`` are what ``author:``, ``site:``, ``lang:`` and
    ``country:`` compare (see ``enrichment._match``)."""
    if not brands:
        return []  # no query to answer: the index would be cut for nothing
    index = DocumentIndex(
        title=title, text=text, authors=authors, domain=domain, language=language, country=country
    )
    sentences: list[tuple[int, int]] | None = None
    starts: list[int] = []
    drafts = []
    for brand, query in brands:
        result = evaluate(query, index)
        if not result.matched:
            continue
        if sentences is None:  # split only documents that mention someone
            sentences = split_sentences(text)
            starts = [start for start, _ in sentences]
        drafts.append(
            _draft(
                document_id,
                brand,
                result.spans,
                index,
                (sentences, starts),
                max_targets=max_targets,
            )
        )
    return drafts


def lead_end(text: str) -> int:
    """Where the lead of ``text`` ends: its first paragraph, at most ``LEAD_CHARS``."""
    start = len(text) - len(text.lstrip())
    newline = text.find("\n", start)
    return min(len(text) if newline < 0 else newline, start + LEAD_CHARS)


def _draft(
    document_id: str,
    brand: Brand,
    spans: tuple[Span, ...],
    index: DocumentIndex,
    split: tuple[list[tuple[int, int]], list[int]],
    *,
    max_targets: int,
) -> MentionDraft:
    title, text = index.title.text, index.text.text
    sentences, starts = split
    title_spans = [s for s in spans if s.field == "title"]
    text_spans = [s for s in spans if s.field == "text"]
    lead = lead_end(text)
    snippets: list[str] = []
    targets: list[Target] = []
    if title_spans:
        hit = title_spans[0]
        snippets.append(_snippet(title, 0, len(title), hit.start, hit.end))
        targets.append(_target(title, 0, len(title), hit.start, hit.end))
    seen: set[int] = set()
    for hit in text_spans:
        if len(snippets) >= MAX_SNIPPETS and len(targets) >= max_targets:
            break
        number = sentence_at(starts, hit.start)
        if number in seen:
            continue
        seen.add(number)
        start, end = sentences[number] if sentences else (0, len(text))
        start, end = min(start, hit.start), max(end, hit.end)  # a hit across a boundary
        if len(snippets) < MAX_SNIPPETS:
            snippets.append(_snippet(text, start, end, hit.start, hit.end))
        if len(targets) < max_targets:
            targets.append(_target(text, start, end, hit.start, hit.end))
    return MentionDraft(
        document_id=document_id,
        brand_id=brand.id,
        in_title=bool(title_spans),
        in_lead=any(s.start < lead for s in text_spans),
        count=len(spans),
        snippets=tuple(dict.fromkeys(snippets)),
        targets=tuple(targets),
        spokespeople=_spokespeople(brand, index),
    )


def _spokespeople(brand: Brand, index: DocumentIndex) -> tuple[str, ...]:
    return tuple(
        name
        for name in brand.spokespeople
        if (found := words(name)) and evaluate(Phrase(found), index).matched
    )


def _window(
    text: str, start: int, end: int, hit_start: int, hit_end: int, limit: int
) -> tuple[int, int]:
    """A range of at most ``limit`` characters of ``text[start:end]`` around the hit,
    cut at spaces."""
    if end - start <= limit:
        return start, end
    room = max(0, limit - (hit_end - hit_start))
    left = max(start, hit_start - room // 2)
    right = min(end, hit_end + room - (hit_start - left))
    left = max(start, min(left, right - limit))  # give the left what the right did not use
    if left > start:
        space = text.find(" ", left, hit_start)
        left = space + 1 if space >= 0 else left
    if right < end:
        space = text.rfind(" ", hit_end, right)
        right = space if space >= 0 else right
    return left, right


def _snippet(text: str, start: int, end: int, hit_start: int, hit_end: int) -> str:
    left, right = _window(text, start, end, hit_start, hit_end, SNIPPET_CHARS - 2)
    snippet = _SPACES.sub(" ", text[left:right]).strip()
    return ("…" if left > start else "") + snippet + ("…" if right < end else "")


def _target(text: str, start: int, end: int, hit_start: int, hit_end: int) -> Target:
    left, right = _window(text, start, end, hit_start, hit_end, TARGET_CHARS)
    before = _SPACES.sub(" ", text[left:hit_start]).lstrip()
    hit = _SPACES.sub(" ", text[hit_start:hit_end])
    after = _SPACES.sub(" ", text[hit_end:right]).rstrip()
    return Target(before + hit + after, len(before), len(before) + len(hit))
