"""Share of voice as CSV (RFC 4180: a header row, CRLF line ends, fields with a
comma, quote or line break quoted, quotes doubled).

One flat table a spreadsheet can pivot: a row per (cell, brand), where a cell is
the whole window (``scope=total``), a bucket of the series (``scope=bucket``,
``start`` = the bucket's local start) or a group of the breakdown
(``scope=group``, ``dimension`` and ``group`` set). Ratios as in the JSON.
"""

from __future__ import annotations

import csv
import io

from service._schemas_sov import BrandVoice, ShareOfVoice

__all__ = ["CSV_COLUMNS", "sov_csv"]

CSV_COLUMNS = (
    "scope",
    "start",
    "dimension",
    "group",
    "brand",
    "mentions",
    "share",
    "reach",
    "reach_share",
    "positive",
    "neutral",
    "negative",
    "positive_share",
    "net_sentiment",
)


def _figures(v: BrandVoice) -> list[object]:
    return [
        v.brand,
        v.mentions,
        v.share,
        v.reach,
        v.reach_share,
        v.positive,
        v.neutral,
        v.negative,
        v.positive_share,
        v.net_sentiment,
    ]


def sov_csv(body: ShareOfVoice) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    window = body.start.isoformat()
    for v in body.totals:
        writer.writerow(["total", window, "", "", *_figures(v)])
    for bucket in body.series:
        for v in bucket.brands:
            writer.writerow(["bucket", bucket.start.isoformat(), "", "", *_figures(v)])
    for group in body.breakdown or ():
        key = "" if group.key is None else group.key
        for v in group.brands:
            writer.writerow(["group", window, body.by, key, *_figures(v)])
    return out.getvalue()
