"""Engagement counts in a stored document's ``extra``, as ``Store.update_engagement``
replaces them on every backend.

A social post's counts are stored as ``extra["engagement.<name>"]`` = the count as a
string (``crawlers.social.SocialPost.to_document``); replacing them drops every such
entry and writes the new ones, leaving the other entries as they were.
"""

from __future__ import annotations

from collections.abc import Mapping

from crawlers.social._post import EXTRA_ENGAGEMENT_PREFIX
from search._store import StoreError

__all__ = ["checked_counts", "with_engagement"]


def checked_counts(
    counts: Mapping[str, Mapping[str, int]],
) -> dict[str, dict[str, int]]:
    """``counts`` as plain dicts; ``StoreError`` for a negative or non-integer count."""
    checked: dict[str, dict[str, int]] = {}
    for doc_id, named in counts.items():
        for name, value in named.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise StoreError(f"engagement {name!r} of {doc_id!r}: {value!r} is not a count")
        checked[doc_id] = dict(named)
    return checked


def with_engagement(extra: Mapping[str, str], counts: Mapping[str, int]) -> dict[str, str]:
    """``extra`` with its engagement entries replaced by ``counts``."""
    kept = {k: v for k, v in extra.items() if not k.startswith(EXTRA_ENGAGEMENT_PREFIX)}
    return kept | {EXTRA_ENGAGEMENT_PREFIX + name: str(n) for name, n in sorted(counts.items())}
