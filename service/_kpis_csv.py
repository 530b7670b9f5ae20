"""CSV of a KPI comparison (scorecard or campaign report): one row per figure.

Columns: ``section`` (``kpi``, ``key_message``, ``spokesperson``, ``brand``,
``tagged_traffic``), ``brand``, ``item`` (the message, the spokesperson; empty for
the brand's KPIs), ``metric`` (the JSON field name), ``current``, ``baseline``,
``change``, ``relative_change`` (empty when undefined). Spreadsheets read it as is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pydantic import BaseModel

from service._schemas_kpis import Change, Comparison

__all__ = ["HEADER", "comparison_csv"]

HEADER = ("section", "brand", "item", "metric", "current", "baseline", "change",
          "relative_change")  # fmt: skip
Row = tuple[str, str, str, str, Change]


def _changes(model: BaseModel) -> Iterable[tuple[str, Change]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Change):
            yield name, value


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def comparison_csv(body: Comparison, *, extra: Iterable[Row] = ()) -> str:
    """``body`` as CSV text (see the module docstring); ``extra`` rows go last."""
    rows: list[Row] = [("kpi", body.brand, "", n, c) for n, c in _changes(body.kpis)]
    for m in body.key_messages:
        rows.extend(("key_message", body.brand, m.message, n, c) for n, c in _changes(m))
    for s in body.spokespeople:
        rows.extend(("spokesperson", s.brand, s.spokesperson, n, c) for n, c in _changes(s))
    for b in body.competitive_set:
        rows.extend(("brand", b.brand, "", n, c) for n, c in _changes(b))
    rows.extend(extra)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for section, brand, item, metric, c in rows:
        writer.writerow(
            [section, brand, item, metric,
             *(_cell(v) for v in (c.current, c.baseline, c.change, c.relative_change))]
        )  # fmt: skip
    return buffer.getvalue()
