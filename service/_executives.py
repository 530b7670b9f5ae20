"""Executive visibility: mentions and share of voice of each spokesperson of a set of brands.

Pure arithmetic over the store's aggregates (``Store.mention_stats`` grouped by
``("brand", "spokesperson")``): a spokesperson is counted in the mentions *of their
brand* that name them (``Mention.spokespeople``), so a competitor's CEO quoted in a
story about the brand does not count for either. Every configured spokesperson of
the set's brands appears (with zeros when never named), and so does anyone the
stored mentions name who has since left a brand's configuration.

- ``share`` = the spokesperson's mentions ÷ the mentions of all the set's
  spokespeople (a mention naming two spokespeople counts for each, in the
  numerator and in the denominator); 0 when the set's spokespeople have none.
- ``reach_share`` likewise with reach; ``net_sentiment`` = (positive − negative) ÷
  mentions, toward the brand; ``brand_share`` = mentions ÷ the brand's mentions.

Totals are ranked most mentions first, then most reach, then brand, then name; a
series keeps that order in every bucket so that charts stay stable.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime

from enrichment import Brand
from search import StatRow
from service._schemas_executives import (
    SpokespersonPoint,
    SpokespersonVisibility,
    VisibilityBucket,
)

__all__ = [
    "CSV_COLUMNS",
    "Roster",
    "roster_of",
    "visibility_csv",
    "visibility_series",
    "visibility_totals",
]

Roster = list[tuple[str, str]]
"""(brand id, spokesperson) pairs in the order they are listed."""


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def roster_of(brands: Sequence[Brand], rows: Sequence[StatRow]) -> Roster:
    """Every configured spokesperson of ``brands`` (in brand order), then anyone the
    rows (keyed ``(brand, spokesperson)``) name besides, sorted."""
    roster: Roster = [(b.id, name) for b in brands for name in dict.fromkeys(b.spokespeople)]
    known = set(roster)
    extra = sorted({(str(r.key[0]), str(r.key[1])) for r in rows if r.key[1] is not None} - known)
    return roster + extra


def _sums(rows: Sequence[StatRow]) -> dict[tuple[str, str], list[int]]:
    """[mentions, positive, neutral, negative, reach] per (brand, spokesperson)."""
    sums: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        if r.key[1] is None:
            continue
        cell = sums.setdefault((str(r.key[0]), str(r.key[1])), [0, 0, 0, 0, 0])
        for i, value in enumerate((r.mentions, r.positive, r.neutral, r.negative, r.reach)):
            cell[i] += value
    return sums


def visibility_totals(
    rows: Sequence[StatRow], *, roster: Roster, brand_mentions: Mapping[str, int]
) -> tuple[list[SpokespersonVisibility], int, int]:
    """The ranked figures of every spokesperson of ``roster`` over ``rows`` (one
    window, keyed ``(brand, spokesperson)``), and the set's spokespeople's total
    mentions and reach."""
    sums = _sums(rows)
    zero = [0, 0, 0, 0, 0]
    wanted = set(roster)
    total = sum(c[0] for k, c in sums.items() if k in wanted)
    reach = sum(c[4] for k, c in sums.items() if k in wanted)
    items = []
    for brand, name in roster:
        mentions, positive, neutral, negative, r = sums.get((brand, name), zero)
        items.append(
            SpokespersonVisibility(
                spokesperson=name,
                brand=brand,
                mentions=mentions,
                share=_ratio(mentions, total),
                reach=r,
                reach_share=_ratio(r, reach),
                positive=positive,
                neutral=neutral,
                negative=negative,
                net_sentiment=_ratio(positive - negative, mentions),
                brand_mentions=brand_mentions.get(brand, 0),
                brand_share=_ratio(mentions, brand_mentions.get(brand, 0)),
            )
        )
    items.sort(key=lambda v: (-v.mentions, -v.reach, v.brand, v.spokesperson))
    return items, total, reach


def visibility_series(
    rows: Sequence[StatRow], *, order: Roster, bucket_starts: Sequence[datetime]
) -> list[VisibilityBucket]:
    """Per bucket (every one of ``bucket_starts``, empty ones included) the mentions,
    share and reach of each spokesperson of ``order``, in that order."""
    by_start: dict[datetime, list[StatRow]] = {}
    for r in rows:
        if r.start is not None:
            by_start.setdefault(r.start, []).append(r)
    wanted = set(order)
    series = []
    for start in bucket_starts:
        sums = _sums(by_start.get(start, []))
        total = sum(c[0] for k, c in sums.items() if k in wanted)
        points = [
            SpokespersonPoint(
                spokesperson=name,
                brand=brand,
                mentions=sums.get((brand, name), [0])[0],
                share=_ratio(sums.get((brand, name), [0])[0], total),
                reach=sums.get((brand, name), [0, 0, 0, 0, 0])[4],
            )
            for brand, name in order
        ]
        series.append(VisibilityBucket(start=start, mentions=total, items=points))
    return series


CSV_COLUMNS = (
    "scope",
    "start",
    "brand",
    "spokesperson",
    "mentions",
    "share",
    "reach",
    "reach_share",
    "positive",
    "neutral",
    "negative",
    "net_sentiment",
    "brand_mentions",
    "brand_share",
)


def visibility_csv(
    items: Sequence[SpokespersonVisibility], series: Sequence[VisibilityBucket] | None
) -> str:
    """One CSV table (RFC 4180, CRLF): a ``total`` row per spokesperson, then with a
    series a ``bucket`` row per (bucket, spokesperson) with the figures it has."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for v in items:
        writer.writerow(
            [
                "total", "", v.brand, v.spokesperson, v.mentions, v.share, v.reach,
                v.reach_share, v.positive, v.neutral, v.negative, v.net_sentiment,
                v.brand_mentions, v.brand_share,
            ]
        )  # fmt: skip
    for bucket in series or ():
        for p in bucket.items:
            writer.writerow(
                ["bucket", bucket.start.isoformat(), p.brand, p.spokesperson, p.mentions,
                 p.share, p.reach, "", "", "", "", "", "", ""]
            )  # fmt: skip
    return out.getvalue()
