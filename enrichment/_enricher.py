"""The ``Enricher``: documents in, each document's mentions of every brand out.

One ``enrich`` call handles a batch of documents in three steps:

1. off the event loop, in one worker thread: detect each document's language
   when it has none, tokenize it once and match every brand's query
   (``find_mentions``);
2. off the event loop: ONE call of the sentiment classifier on every target
   of every mention of the batch, so the model sees one large batch rather
   than many small ones;
3. per mention, the average of its targets' probabilities (the title's
   counts ``TITLE_WEIGHT`` times), whose argmax is the label;
4. with a ``MessageFinder``, off the event loop: ONE call for the mentions of
   every brand that has key messages (the others cost nothing), which
   attaches the key messages each carries or contradicts.

Brand queries are parsed once, in ``set_brands``; an ``enrich`` already running
keeps the brands it started with.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from crawlers import Document
from enrichment._language import detect_language
from enrichment._mentions import DEFAULT_MAX_TARGETS, MentionDraft, Target, find_mentions
from enrichment._messages import MessageFinder, MessageRequest
from enrichment._query import QuerySyntaxError, brand_query
from enrichment._query_ast import Node
from enrichment._types import SENTIMENT_LABELS, Brand, Mention, Sentiment

__all__ = ["Enricher", "ProbabilisticSentimentClassifier", "SentimentClassifier"]

TITLE_WEIGHT = 2.0
"""How much more the headline's context counts than one body sentence: the
headline frames the story and is what most readers see of it."""

Probabilities = tuple[float, float, float]
"""(negative, neutral, positive), in the order of ``SENTIMENT_LABELS``."""


class SentimentClassifier(Protocol):
    """A sentiment model: the sentiment toward each target's span, in order.

    ``predict`` is called from a worker thread, with every target of a batch
    of documents at once; it returns one ``Sentiment`` per target.
    """

    def predict(self, targets: Sequence[Target]) -> list[Sentiment]: ...


@runtime_checkable
class ProbabilisticSentimentClassifier(SentimentClassifier, Protocol):
    """A classifier that also gives its probabilities; the ``Enricher`` then
    averages probabilities rather than labels."""

    def predict_proba(self, targets: Sequence[Target]) -> list[Probabilities]: ...


class Enricher:
    """Finds brands' mentions in documents and the sentiment toward each brand."""

    def __init__(
        self,
        *,
        brands: Sequence[Brand],
        sentiment: SentimentClassifier,
        max_targets_per_mention: int = DEFAULT_MAX_TARGETS,
        messages: MessageFinder | None = None,
    ) -> None:
        """``messages`` finds key messages (step 4 of the module docstring); without
        it, mentions carry none."""
        if max_targets_per_mention < 1:
            raise ValueError("max_targets_per_mention must be at least 1")
        self._sentiment = sentiment
        self._messages = messages
        self._max_targets = max_targets_per_mention
        self._brands: tuple[tuple[Brand, Node], ...] = ()
        self.set_brands(brands)

    @property
    def brands(self) -> tuple[Brand, ...]:
        return tuple(brand for brand, _ in self._brands)

    def set_brands(self, brands: Sequence[Brand]) -> None:
        """Replace the tracked brands; raise ``QuerySyntaxError`` (naming the
        brand in its message and ``brand_id``) if a query does not parse, in
        which case the previous brands stay."""
        compiled = []
        for brand in brands:
            try:
                compiled.append((brand, brand_query(brand)))
            except QuerySyntaxError as exc:
                raise QuerySyntaxError(
                    f"brand {brand.id!r}: {exc.message}", position=exc.position, brand_id=brand.id
                ) from exc
        self._brands = tuple(compiled)

    async def enrich(self, documents: Sequence[Document]) -> list[tuple[Document, list[Mention]]]:
        """Each document (with its language set when it was missing) and its mentions."""
        if not documents:
            return []
        brands = self._brands
        found = await asyncio.to_thread(_find, documents, brands, self._max_targets)
        targets = [t for _, drafts in found for draft in drafts for t in draft.targets]
        probabilities = await asyncio.to_thread(self._classify, targets) if targets else []
        results: list[tuple[Document, list[Mention]]] = []
        offset = 0
        for document, drafts in found:
            mentions = []
            for draft in drafts:
                count = len(draft.targets)
                mentions.append(_mention(draft, probabilities[offset : offset + count]))
                offset += count
            results.append((document, mentions))
        if self._messages is not None:
            by_id = {brand.id: brand for brand, _ in brands}
            await _find_messages(self._messages, results, by_id)
        return results

    def _classify(self, targets: list[Target]) -> list[Probabilities]:
        if isinstance(self._sentiment, ProbabilisticSentimentClassifier):
            found = self._sentiment.predict_proba(targets)
        else:
            found = [_as_probabilities(s) for s in self._sentiment.predict(targets)]
        if len(found) != len(targets):
            raise ValueError(
                f"the sentiment classifier returned {len(found)} results for {len(targets)} targets"
            )
        return list(found)


async def _find_messages(
    finder: MessageFinder,
    results: list[tuple[Document, list[Mention]]],
    brands: dict[str, Brand],
) -> None:
    """Attach key messages to the mentions of brands that have some, in place:
    one ``MessageFinder.find`` call (one encoder batch) for the whole batch."""
    wanted = [
        (n, k, MessageRequest(brands[m.brand_id], document.title, document.text, m.snippets))
        for n, (document, mentions) in enumerate(results)
        for k, m in enumerate(mentions)
        if m.brand_id in brands and brands[m.brand_id].key_messages
    ]
    if not wanted:
        return
    found = await asyncio.to_thread(finder.find, [r for _, _, r in wanted])
    for (n, k, _), matches in zip(wanted, found, strict=True):
        mentions = results[n][1]
        mentions[k] = dataclasses.replace(mentions[k], messages=matches)


def _find(
    documents: Sequence[Document], brands: Sequence[tuple[Brand, Node]], max_targets: int
) -> list[tuple[Document, list[MentionDraft]]]:
    found = []
    for document in documents:
        if document.language is None:
            language = detect_language(f"{document.title}\n{document.text}")
            if language is not None:
                document = document.replace(language=language)
        drafts = find_mentions(
            document_id=document.id,
            title=document.title,
            text=document.text,
            brands=brands,
            max_targets=max_targets,
            authors=document.authors,
            domain=document.domain,
            language=document.language,
            country=document.country,
        )
        found.append((document, drafts))
    return found


def _as_probabilities(sentiment: Sentiment) -> Probabilities:
    """A label and its score as a distribution: the rest shared by the other labels."""
    rest = (1.0 - sentiment.score) / 2
    neg, neu, pos = (
        sentiment.score if label == sentiment.label else rest for label in SENTIMENT_LABELS
    )
    return neg, neu, pos


def _mention(draft: MentionDraft, probabilities: Sequence[Probabilities]) -> Mention:
    return Mention(
        document_id=draft.document_id,
        brand_id=draft.brand_id,
        sentiment=aggregate(probabilities, title_first=draft.in_title),
        snippets=draft.snippets,
        in_title=draft.in_title,
        in_lead=draft.in_lead,
        count=draft.count,
        spokespeople=draft.spokespeople,
    )


def aggregate(probabilities: Sequence[Probabilities], *, title_first: bool = False) -> Sentiment:
    """The sentiment of a mention from its targets' probabilities (the first
    weighted ``TITLE_WEIGHT`` when it is the title's); neutral when there are none."""
    if not probabilities:
        return Sentiment("neutral", 1.0)
    totals = [0.0, 0.0, 0.0]
    weight_sum = 0.0
    for i, probs in enumerate(probabilities):
        weight = TITLE_WEIGHT if title_first and i == 0 else 1.0
        weight_sum += weight
        for k in range(3):
            totals[k] += weight * probs[k]
    averages = [t / weight_sum for t in totals]
    best = max(range(3), key=averages.__getitem__)
    return Sentiment(SENTIMENT_LABELS[best], averages[best])
