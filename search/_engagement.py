"""What ``Store.update_engagement`` accepts, checked the same way on every backend.

A social post's counts are stored as ``extra["engagement.<name>"]`` = the count as a
string; ``crawlers.social`` writes, reads and replaces that format (``with_engagement``).
"""

from __future__ import annotations

from collections.abc import Mapping

from search._store import StoreError

__all__ = ["checked_counts"]


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
